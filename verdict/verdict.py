#!/usr/bin/env python3
"""ipcspec's one reader of results (verdict/README.md).

    verdict.py [--testlogs [LABEL=]DIR]... [--matrix DIR]... [--binary GLOB]...
               [--results FILE] [--ignore-tables] [--json FILE] [--md FILE]
               [--html FILE] [--junit FILE] [--ktap FILE] [--source-root DIR]

Inputs (any number, at least one):
  --testlogs [LABEL=]DIR  a bazel-testlogs tree: each test target's
                          test.outputs/ipcspec_results.jsonl (or inside
                          outputs.zip), else its test.xml and exit status.
                          LABEL names the environment column (default: the
                          records' env, else "host"): ci/test.sh labels its
                          ASan run "host-asan".
  --matrix DIR            a matrix output directory (ci/matrix.sh --out): every
                          subdirectory with an env.tsv is an environment.
  --env NAME[,NAME]       only these environments of --matrix.
  --binary GLOB           only these testlogs targets (fnmatch over the
                          target's path, e.g. 'impl/adapters/*').
  --results FILE          a results.json written before: render it again.
  --divergences [ENV=]FILE  your own table of expected differences (the
                          format below, README.md) applied to ENV, or to
                          every environment, on top of the binaries' own
                          tables (user_tables.py); repeatable.
Outputs: --json (results.json: one record per test and environment), --md,
--html, --junit (JUnit XML), --ktap; "-" is standard output. The two closing
lines always go to standard output, last:

    ipcspec: N xfail, N xpass, N broken, N n/a, N flaky-entries
    ipcspec: N passed, N failed, N skipped

"failed" counts everything that fails the run: fail, xpass, broken,
undeclared skips and stale entries; "skipped" counts declared skips.
--ignore-tables (or IPCSPEC_IGNORE_TABLES=1) shows the raw behaviour: every
xfail becomes fail, every xpass pass, and no entry is stale.

Two runs side by side: compare.py OLD NEW (its --help).

Exit status: 0 when nothing fails the run, 1 when something does (a fail,
xpass, broken test, undeclared skip, stale entry, or an environment that did
not finish), 2 on bad input.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gather  # noqa: E402
import render  # noqa: E402
import user_tables  # noqa: E402


def die(msg):
    print("verdict: error: %s" % msg, file=sys.stderr)
    sys.exit(2)


def ignore_tables(doc):
    """The raw behaviour of a results document judged with its tables."""
    if doc.get("ignore_tables"):
        return doc
    for t in doc["tests"]:
        e = t.get("entry") or {}
        if t["outcome"] == "xfail":
            t["outcome"] = "fail"
            t["reason"] = "tables ignored (entry %s would excuse it): %s" % (
                e.get("origin", "?"), gather.headline(t.get("message")))
        elif t["outcome"] == "xpass":
            t["outcome"], t["reason"] = "pass", ""
    for e in doc["entries"]:
        e["stale"] = False
    doc["ignore_tables"] = True
    doc["summary"] = gather.summarize(doc)
    return doc


def load_results(path):
    try:
        with open(path, encoding="utf-8") as fh:
            doc = json.load(fh)
    except (OSError, ValueError) as e:
        raise gather.BadInput("cannot read %s as a results document (JSON): %s" % (path, e))
    if not isinstance(doc, dict) or doc.get("format") != "ipcspec-results 1":
        raise gather.BadInput("%s is not an ipcspec results document (results.json)" % path)
    doc["summary"] = gather.summarize(doc)
    return doc


def judge_inputs(testlogs=(), matrix=(), binaries=None, only=()):
    """The results document of testlogs trees ([LABEL=]DIR) and matrix
    directories (only the environments in `only`, if given). Raises
    gather.BadInput."""
    units, meta, order = [], {}, []
    for spec in testlogs:
        label, d = (spec.split("=", 1) if "=" in spec and not os.path.isdir(spec)
                    else (None, spec))
        units += gather.units_from_testlogs(d, label or None, binaries)
        if label:
            order.append(label)
    for m in matrix:
        envs = gather.matrix_envs(m)
        missing = [e for e in only if e not in envs]
        if missing:
            raise gather.BadInput("no environment %s in %s" % (", ".join(missing), m))
        for env in envs:
            if only and env not in only:
                continue
            d = os.path.join(m, env)
            meta[env] = gather.read_tsv(os.path.join(d, "env.tsv"))
            units += gather.units_from_matrix_env(d, env)
            order.append(env)
    if not units:
        raise gather.BadInput("no test results found in %s" % ", ".join(list(testlogs) + list(matrix)))
    return gather.judge(units, ignore_tables=False, env_meta=meta, env_order=order)


def main(argv=None):
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(prog="verdict.py", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--testlogs", action="append", default=[])
    ap.add_argument("--matrix", action="append", default=[])
    ap.add_argument("--binary", action="append", default=[])
    ap.add_argument("--env", action="append", default=[],
                    help="only these environments of --matrix (comma-separated or repeated)")
    ap.add_argument("--results")
    ap.add_argument("--divergences", action="append", default=[], metavar="[ENV=]FILE")
    ap.add_argument("--ignore-tables", action="store_true",
                    default=os.environ.get("IPCSPEC_IGNORE_TABLES", "") not in ("", "0"))
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--html")
    ap.add_argument("--junit")
    ap.add_argument("--ktap")
    ap.add_argument("--source-root", default=os.path.dirname(here))
    ap.add_argument("--list-failures", type=int, default=40,
                    help="name at most N of what fails the run on stderr (default 40)")
    a = ap.parse_args(argv)
    if not (a.testlogs or a.matrix or a.results):
        die("no input: give --testlogs, --matrix or --results (see --help)")
    if a.results and (a.testlogs or a.matrix):
        die("--results renders a results file: it takes no other input")
    try:
        if a.results:
            doc = load_results(a.results)
        else:
            only = [x for e in a.env for x in e.split(",") if x]
            doc = judge_inputs(a.testlogs, a.matrix, a.binary or None, only)
        if a.divergences:
            doc = user_tables.apply(doc, a.divergences)
        if a.ignore_tables:
            doc = ignore_tables(doc)
    except gather.BadInput as e:
        die(str(e))
    if a.json:
        render._write(a.json, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    v = render.View(doc, a.source_root)
    for path, fn in ((a.md, render.write_md), (a.html, render.write_html),
                     (a.junit, render.write_junit), (a.ktap, render.write_ktap)):
        if path:
            fn(v, path)
    s = doc["summary"]
    shown = 0
    for t in v.findings_new + v.xpass + v.broken + v.undeclared:
        if shown >= a.list_failures:
            break
        shown += 1
        print("verdict: %s: %s on %s: %s" % (
            t["outcome"] if t["outcome"] != "skip" else "undeclared skip", t["test"], t["env"],
            (t.get("reason") or "")[:300].replace("\n", " ")), file=sys.stderr)
    for e in v.stale:
        print("verdict: stale entry %s on %s: %s (kind %s) matched no test"
              % (e["origin"], e["env"], e["test"], e["kind"]), file=sys.stderr)
    for n in s["unfinished_environments"]:
        print("verdict: environment %s: %s" % (n, v.env[n]["status"]), file=sys.stderr)
    sys.stdout.flush()
    for line in render.closing_lines(s):
        print(line)
    return s["exit"]


if __name__ == "__main__":
    sys.exit(main())
