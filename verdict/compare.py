#!/usr/bin/env python3
"""Two runs side by side: what changed, behaviour by behaviour.

    compare.py [--env OLD=NEW]... [--ignore-tables] [--md FILE] [--html FILE]
               [--json FILE] OLD NEW
    ci/matrix.sh compare ...          (the same program)

OLD and NEW are each a run's results: a matrix output directory
(ci/matrix.sh --out: subdirectories with an env.tsv) or one environment's
directory of it, a bazel-testlogs tree,
a results.json of the reader (verdict.py --json), or a directory holding one
(ci/test.sh's test-results/). Both are judged by the reader (verdict.py),
then every test of every environment is put in one category:

  regressions       it fails the run in NEW (fail, unexpected pass, broken,
                    undeclared skip) and did not in OLD, or is new and fails;
                    also a table entry that became stale and an environment
                    that finished in OLD and not in NEW
  fixes             it failed the run in OLD and passes (or fails as
                    expected, or does not apply) in NEW
  failures changed  it fails the run in both, differently (outcome,
                    signature seen or message)
  skips appeared    skipped in NEW, not in OLD (with the need and reason)
  skips gone        skipped in OLD, not in NEW
  skips changed     skipped in both, for another need
  xfail changed     an expected failure in both, with another entry,
                    signature seen or message
  other changes     any other change of outcome (pass and xfail, n/a)
  appeared          only in NEW (and does not fail the run)
  disappeared       only in OLD

A run made with a gtest filter (ci/matrix.sh --filter, run.sh --filter: the
filter column of its env.tsv) is compared on what it selected: a test only
in the other run that its filter does not select is left out of the
comparison and counted ("N tests not compared: left out by NEW's filter").

Environments are paired by name; when each run has exactly one environment
they are paired whatever their names (linux-6.1 against linux-6.12);
--env OLD=NEW pairs them by hand (comma-separated or repeated), e.g. two
environments of one matrix directory: compare --env linux-6.1=linux-6.12 M M.
Messages are compared with their numbers (pids, addresses, timings) masked.

Outputs: the changes on standard output, last a line
    ipcspec compare: N regressions, N fixes, ... N unchanged
and, if asked, the comparison as Markdown (--md), HTML (--html) and JSON
(--json); "-" is standard output.

Exit status: 0 when nothing regressed, 1 on a regression, 2 on bad input (a
missing directory, a file or directory that holds no results, an unknown
environment).
"""

import argparse
import html
import json
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import gather  # noqa: E402
import render  # noqa: E402
import verdict  # noqa: E402

CATEGORIES = (
    ("regressions", "Regressions"),
    ("fixes", "Fixes"),
    ("failures_changed", "Failures changed"),
    ("skips_appeared", "Skips appeared"),
    ("skips_gone", "Skips gone"),
    ("skips_changed", "Skips changed"),
    ("xfail_changed", "Expected failures changed"),
    ("other_changes", "Other changes"),
    ("appeared", "Tests appeared"),
    ("disappeared", "Tests disappeared"),
)


class BadInput(gather.BadInput):
    pass


# ------------------------------------------------------------------ input
def _has_testlogs(d):
    for _root, dirs, files in os.walk(d):
        dirs.sort()
        if "test.xml" in files or "test.log" in files:
            return True
    return False


def load_run(path):
    """The results document of a run, whatever form it has."""
    if os.path.isfile(path):
        return verdict.load_results(path)
    if not os.path.isdir(path):
        raise BadInput("no such file or directory: %s" % path)
    if os.path.isfile(os.path.join(path, "env.tsv")):
        # One environment's directory of a matrix run.
        full = os.path.abspath(path).rstrip("/")
        return verdict.judge_inputs(matrix=[os.path.dirname(full)], only=[os.path.basename(full)])
    if any(os.path.isfile(os.path.join(path, e, "env.tsv")) for e in os.listdir(path)):
        return verdict.judge_inputs(matrix=[path])
    if _has_testlogs(path):
        return verdict.judge_inputs(testlogs=[path])
    if os.path.isfile(os.path.join(path, "results.json")):
        return verdict.load_results(os.path.join(path, "results.json"))
    raise BadInput("%s holds no results: not a matrix output directory (ENV/env.tsv), a "
                   "bazel-testlogs tree (test.xml) or a directory with a results.json" % path)


# ---------------------------------------------------------------- compare
def fails_run(t):
    return t["outcome"] in ("fail", "xpass", "broken") or (
        t["outcome"] == "skip" and t.get("need") == "undeclared")


def _masked(text):
    return re.sub(r"\d+", "N", gather.headline(text or ""))


def _key(t):
    # The binary as the matrix names it (suites_pipe_pipe_io_test) and as
    # Bazel does (suites/pipe/pipe_io_test): the same binary.
    return (t["binary"].replace("/", "_"), t["test"])


def category(o, n):
    """The category of a test's change from o to n (records or None), or
    None when it did not change."""
    if o is None:
        return "regressions" if fails_run(n) else "appeared"
    if n is None:
        return "disappeared"
    of, nf = fails_run(o), fails_run(n)
    if nf and not of:
        return "regressions"
    if of and not nf:
        return "skips_appeared" if n["outcome"] == "skip" else "fixes"
    if of and nf:
        same = (o["outcome"] == n["outcome"] and o.get("signature_seen") == n.get("signature_seen")
                and _masked(o.get("message")) == _masked(n.get("message")))
        return None if same else "failures_changed"
    oo, no = o["outcome"], n["outcome"]
    if oo == "skip" and no == "skip":
        return None if o.get("need") == n.get("need") else "skips_changed"
    if no == "skip":
        return "skips_appeared"
    if oo == "skip":
        return "skips_gone"
    if oo == "xfail" and no == "xfail":
        same = ((o.get("entry") or {}).get("origin") == (n.get("entry") or {}).get("origin")
                and o.get("signature_seen") == n.get("signature_seen")
                and _masked(o.get("message")) == _masked(n.get("message")))
        return None if same else "xfail_changed"
    return None if oo == no else "other_changes"


def filter_selects(filt, test):
    """Whether gtest's filter FILT (POS[:POS...][-NEG[:NEG...]]) selects TEST."""
    import fnmatch
    pos, _, neg = filt.partition("-")
    pats = [p for p in pos.split(":") if p] or ["*"]
    if not any(fnmatch.fnmatchcase(test, p) for p in pats):
        return False
    return not any(fnmatch.fnmatchcase(test, n) for n in neg.split(":") if n)


def pair_envs(old, new, pairs):
    """[(old env, new env)] to compare, the environments only in OLD, only in NEW."""
    olds = [e["name"] for e in old["environments"]]
    news = [e["name"] for e in new["environments"]]
    if pairs:
        for a, b in pairs:
            if a not in olds:
                raise BadInput("no environment %s in OLD (it has %s)" % (a, ", ".join(olds)))
            if b not in news:
                raise BadInput("no environment %s in NEW (it has %s)" % (b, ", ".join(news)))
        got = list(pairs)
    elif len(olds) == 1 and len(news) == 1:
        got = [(olds[0], news[0])]
    else:
        got = [(e, e) for e in olds if e in news]
    return (got, [e for e in olds if e not in [a for a, _b in got]],
            [e for e in news if e not in [b for _a, b in got]])


def _entry_key(e):
    return (e.get("test"), e.get("kind"), e.get("expect"), e.get("signature"))


def compare(old, new, pairs=()):
    """The comparison document."""
    got, only_old, only_new = pair_envs(old, new, pairs)
    cats = {k: [] for k, _t in CATEGORIES}
    unchanged = 0
    left_out = {}   # why -> how many tests were not compared
    env_regressions = []
    oenv = {e["name"]: e for e in old["environments"]}
    nenv = {e["name"]: e for e in new["environments"]}
    for a, b in got:
        label = a if a == b else "%s -> %s" % (a, b)
        ot = {_key(t): t for t in old["tests"] if t["env"] == a}
        nt = {_key(t): t for t in new["tests"] if t["env"] == b}
        ofilt = (oenv[a].get("meta") or {}).get("filter", "")
        nfilt = (nenv[b].get("meta") or {}).get("filter", "")
        for k in sorted(set(ot) | set(nt), key=lambda k: (
                (nt.get(k) or ot.get(k)).get("group", ""), k[1], k[0])):
            o, n = ot.get(k), nt.get(k)
            if n is None and nfilt and not filter_selects(nfilt, k[1]):
                left_out.setdefault("NEW's filter '%s'" % nfilt, 0)
                left_out["NEW's filter '%s'" % nfilt] += 1
                continue
            if o is None and ofilt and not filter_selects(ofilt, k[1]):
                left_out.setdefault("OLD's filter '%s'" % ofilt, 0)
                left_out["OLD's filter '%s'" % ofilt] += 1
                continue
            c = category(o, n)
            if c is None:
                unchanged += 1
                continue
            t = n or o
            cats[c].append({"env": label, "test": t["test"], "binary": t["binary"],
                            "group": t.get("group", ""), "old": o, "new": n})
        ostale = set(_entry_key(e) for e in old["entries"] if e["env"] == a and e.get("stale"))
        for e in new["entries"]:
            if e["env"] == b and e.get("stale") and _entry_key(e) not in ostale:
                env_regressions.append("%s: table entry %s (%s, kind %s) became stale" % (
                    label, e["origin"], e["test"], e["kind"]))
        ost, nst = oenv[a].get("status", "finished"), nenv[b].get("status", "finished")
        if ost == "finished" and nst != "finished":
            env_regressions.append("%s: environment finished in OLD, not in NEW: %s" % (label, nst))
    counts = {k: len(v) for k, v in cats.items()}
    counts["regressions"] += len(env_regressions)
    counts["unchanged"] = unchanged
    return {
        "format": "ipcspec-compare 1",
        "pairs": [list(p) for p in got],
        "only_old_environments": only_old,
        "only_new_environments": only_new,
        "environment_regressions": env_regressions,
        "left_out": left_out,
        "categories": cats,
        "counts": counts,
        "exit": 1 if counts["regressions"] else 0,
    }


# ------------------------------------------------------------------ output
def cell(t):
    if t is None:
        return "absent"
    text = render.short(t).replace("**", "")
    if t["outcome"] == "xfail" and t.get("signature_seen"):
        text += " [seen: %s]" % ", ".join(t["signature_seen"])
    return text


def closing_line(c):
    n = c["counts"]
    return "ipcspec compare: " + ", ".join(
        "%d %s" % (n[k], title.lower()) for k, title in CATEGORIES) + ", %d unchanged" % n["unchanged"]


def left_out_lines(c):
    return ["%d tests not compared: left out by %s" % (n, why)
            for why, n in sorted((c.get("left_out") or {}).items())]


def text_lines(c):
    L = []
    if c["only_old_environments"]:
        L.append("environments only in OLD: " + ", ".join(c["only_old_environments"]))
    if c["only_new_environments"]:
        L.append("environments only in NEW: " + ", ".join(c["only_new_environments"]))
    L += left_out_lines(c)
    for k, title in CATEGORIES:
        items = c["categories"][k]
        extra = c["environment_regressions"] if k == "regressions" else []
        if not items and not extra:
            continue
        L.append("%s: %d" % (title, len(items) + len(extra)))
        for x in extra:
            L.append("  - " + x)
        for x in items:
            L.append("  - %s: %s (%s): %s -> %s" % (x["env"], x["test"], x["group"],
                                                 cell(x["old"])[:300], cell(x["new"])[:300]))
    return L


def write_md(c, path):
    L = ["# ipcspec: two runs compared", "",
         "Pairs of environments (OLD -> NEW): " + ", ".join(
             a if a == b else "%s -> %s" % (a, b) for a, b in c["pairs"]), ""]
    for k in ("only_old_environments", "only_new_environments"):
        if c[k]:
            L += ["Environments only in %s: %s" % ("OLD" if "old" in k else "NEW", ", ".join(c[k])), ""]
    L += [x + "" for x in left_out_lines(c)] + ([""] if left_out_lines(c) else [])
    L += [closing_line(c), ""]
    for k, title in CATEGORIES:
        items = c["categories"][k]
        extra = c["environment_regressions"] if k == "regressions" else []
        L += ["## %s: %d" % (title, len(items) + len(extra)), ""]
        L += ["- " + render.md_escape(x) for x in extra]
        if items:
            L += ["| test | environment | OLD | NEW |", "|---|---|---|---|"]
            for x in items:
                L.append("| `%s` (%s) | %s | %s | %s |" % tuple(render.md_escape(s) for s in (
                    x["test"], x["group"], x["env"], cell(x["old"]), cell(x["new"]))))
        L.append("")
    render._write(path, "\n".join(L))


def write_html(c, path):
    esc = html.escape
    p = ['<!DOCTYPE html><html><head><meta charset="utf-8">',
         "<title>ipcspec: two runs compared</title><style>%s</style></head><body>" % render.CSS,
         "<h1>ipcspec: two runs compared</h1>",
         "<p>Pairs of environments (OLD &rarr; NEW): %s</p>" % esc(", ".join(
             a if a == b else "%s -> %s" % (a, b) for a, b in c["pairs"])),
         '<pre class="closing">%s</pre>' % esc(closing_line(c))]
    p += ["<p>%s</p>" % esc(x) for x in left_out_lines(c)]
    for k in ("only_old_environments", "only_new_environments"):
        if c[k]:
            p.append("<p>Environments only in %s: %s</p>" % (
                "OLD" if "old" in k else "NEW", esc(", ".join(c[k]))))
    for k, title in CATEGORIES:
        items = c["categories"][k]
        extra = c["environment_regressions"] if k == "regressions" else []
        p.append('<h2>%s <span class="count">(%d)</span></h2>' % (esc(title), len(items) + len(extra)))
        if extra:
            p.append("<ul>%s</ul>" % "".join("<li>%s</li>" % esc(x) for x in extra))
        if items:
            p.append("<table><tr><th>test</th><th>environment</th><th>OLD</th><th>NEW</th></tr>")
            for x in items:
                p.append('<tr><td class="name">%s<br><small>%s</small></td><td>%s</td>%s%s</tr>' % (
                    esc(x["test"]), esc(x["group"]), esc(x["env"]),
                    render.html_cell(x["old"]), render.html_cell(x["new"])))
            p.append("</table>")
    p.append("</body></html>\n")
    render._write(path, "\n".join(p))


def main(argv=None):
    ap = argparse.ArgumentParser(prog="compare", description=__doc__.split("\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("old", metavar="OLD")
    ap.add_argument("new", metavar="NEW")
    ap.add_argument("--env", action="append", default=[],
                    help="pair environment OLD of the first run with NEW of the second")
    ap.add_argument("--ignore-tables", action="store_true")
    ap.add_argument("--md")
    ap.add_argument("--html")
    ap.add_argument("--json")
    a = ap.parse_args(argv)
    try:
        pairs = []
        for spec in (x for e in a.env for x in e.split(",") if x):
            if "=" not in spec:
                raise BadInput("--env wants OLD=NEW, got '%s'" % spec)
            pairs.append(tuple(spec.split("=", 1)))
        old, new = load_run(a.old), load_run(a.new)
        if a.ignore_tables:
            old, new = verdict.ignore_tables(old), verdict.ignore_tables(new)
        c = compare(old, new, pairs)
    except gather.BadInput as e:
        print("compare: error: %s" % e, file=sys.stderr)
        return 2
    if a.json:
        render._write(a.json, json.dumps(c, indent=1, sort_keys=True) + "\n")
    if a.md:
        write_md(c, a.md)
    if a.html:
        write_html(c, a.html)
    for line in text_lines(c) + [closing_line(c)]:
        print(line)
    return c["exit"]


if __name__ == "__main__":
    sys.exit(main())
