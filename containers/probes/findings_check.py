#!/usr/bin/env python3
"""Every recorded finding has a reproducer, or is listed as missing one.

The tables of expected differences (verdict/README.md) mark broken promises
with class `finding`. containers/probes/findings.tsv links each such row,
by its table, test pattern and kind, to the standalone C program under
containers/probes/ that shows it (containers/probes/reproducers.tsv lists
those programs, where each must fail and where pass), or says
`missing: WHY`. This checks, from a source tree:

- every finding row of the tables below has exactly one line in
  findings.tsv, and every line there is a finding row of its table (no
  stale links);
- every reproducer named exists (NAME.c or NAME.cc), is listed in
  reproducers.tsv and built by containers/probes/BUILD, bounds its blocking
  calls with alarm(), cites a man page or a document, and includes no
  ipcspec header (only <...> system headers);
- every reproducer in reproducers.tsv shows at least one row.

  python3 containers/probes/findings_check.py [--root DIR] [--tables all|gvisor] [--md FILE]

Exit status 0 when all holds (missing reproducers are listed, not errors),
1 when not, 2 on bad input. The summary line counts the distinct findings
with a reproducer and the rows they cover.

"""

import argparse
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
FINDINGS = "containers/probes/findings.tsv"
REPRODUCERS = "containers/probes/reproducers.tsv"
ENV_TABLES = ["containers/divergences/gvisor.tsv"]
LIBRARY_TABLES = ["impl/adapters/*/divergences.tsv", "suites/robust_mutex/glibc_divergences.tsv"]
ENVS = ("host", "gvisor", "-")


def rows_of(path):
    """(line number, fields) of a tsv's non-comment, non-blank lines."""
    out = []
    with open(path, encoding="utf-8") as fh:
        for i, line in enumerate(fh, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.startswith("#"):
                continue
            out.append((i, line.split("\t")))
    return out


def tables(root, which):
    pats = ENV_TABLES + (LIBRARY_TABLES if which == "all" else [])
    out = []
    for p in pats:
        out += sorted(os.path.relpath(f, root) for f in glob.glob(os.path.join(root, p)))
    return out


def finding_rows(root, which):
    """{(table, test, kind): [line numbers]} of the rows of class finding."""
    rows = {}
    for t in tables(root, which):
        for n, f in rows_of(os.path.join(root, t)):
            if len(f) != 8:
                raise ValueError("%s:%d: %d columns, not 8" % (t, n, len(f)))
            if f[2] == "finding":
                rows.setdefault((t, f[0], f[1]), []).append(n)
    return rows


def load_reproducers(root):
    reps = {}
    for n, f in rows_of(os.path.join(root, REPRODUCERS)):
        if len(f) != 5:
            raise ValueError("%s:%d: %d columns, not 5 (reproducer, fails_in, passes_in, build, "
                             "shows)" % (REPRODUCERS, n, len(f)))
        name, fails, passes, build, shows = f
        reps[name] = {"line": n, "fails_in": [e for e in fails.split(",") if e != "-"],
                      "passes_in": [e for e in passes.split(",") if e != "-"],
                      "build": build, "shows": shows}
    return reps


def load_links(root):
    links = []
    for n, f in rows_of(os.path.join(root, FINDINGS)):
        if len(f) != 4:
            raise ValueError("%s:%d: %d columns, not 4 (table, test, kind, reproducer)"
                             % (FINDINGS, n, len(f)))
        links.append((n, tuple(f[:3]), f[3]))
    return links


def source_of(root, name):
    for ext in (".c", ".cc"):
        p = os.path.join(root, "containers/probes", name + ext)
        if os.path.isfile(p):
            return p
    return None


def check(root, which):
    """Returns (errors, summary dict)."""
    errors = []
    rows = finding_rows(root, which)
    reps = load_reproducers(root)
    links = load_links(root)
    in_scope = set(tables(root, which))
    build = open(os.path.join(root, "containers/probes/BUILD"), encoding="utf-8").read()
    seen = {}
    for n, key, rep in links:
        if key[0] not in in_scope:
            if which == "all":
                errors.append("%s:%d: %s is not a table of findings this check reads"
                              % (FINDINGS, n, key[0]))
            continue
        if key in seen:
            errors.append("%s:%d: %s %s %s is linked twice (line %d too)"
                          % (FINDINGS, n, key[0], key[1], key[2], seen[key][0]))
            continue
        seen[key] = (n, rep)
        if key not in rows:
            errors.append("%s:%d: stale link: %s has no finding row with test %r and kind %r"
                          % (FINDINGS, n, key[0], key[1], key[2]))
        if rep.startswith("missing:"):
            if not rep[len("missing:"):].strip():
                errors.append("%s:%d: `missing:` needs the reason" % (FINDINGS, n))
            continue
        if rep not in reps:
            errors.append("%s:%d: reproducer %r is not in %s" % (FINDINGS, n, rep, REPRODUCERS))
    for key, lines in sorted(rows.items()):
        if key not in seen:
            errors.append("%s:%s: finding row (test %r, kind %r) has no line in %s: link it to "
                          "its reproducer or say `missing: WHY`"
                          % (key[0], ",".join(map(str, lines)), key[1], key[2], FINDINGS))
    used = set(rep for _n, rep in seen.values())
    for name, r in sorted(reps.items()):
        where = "%s:%d" % (REPRODUCERS, r["line"])
        src = source_of(root, name)
        if not src:
            errors.append("%s: reproducer %s has no source containers/probes/%s.c" % (where, name, name))
            continue
        text = open(src, encoding="utf-8").read()
        if '"%s"' % name not in build:
            errors.append("%s: reproducer %s is not built by containers/probes/BUILD" % (where, name))
        if not re.search(r"\balarm\s*\(", text):
            errors.append("%s: %s bounds no blocking call with alarm()" % (where, src))
        if not re.search(r"\bman [1-8]\b|POSIX|documentation", text):
            errors.append("%s: %s cites no man page or document" % (where, src))
        if re.search(r'^\s*#\s*include\s*"', text, re.M):
            errors.append("%s: %s includes a local header: a reproducer stands alone" % (where, src))
        for e in r["fails_in"] + r["passes_in"]:
            if e not in ENVS:
                errors.append("%s: unknown environment %r (known: %s)" % (where, e, ", ".join(ENVS)))
        if not r["fails_in"]:
            errors.append("%s: %s fails nowhere: a reproducer that cannot fail shows nothing"
                          % (where, name))
        if which == "all" and name not in used:
            errors.append("%s: reproducer %s shows no finding row" % (where, name))
    covered = [k for k, (n, rep) in seen.items() if not rep.startswith("missing:") and k in rows]
    missing = sorted((k, rep) for k, (n, rep) in seen.items() if rep.startswith("missing:"))
    nrows = lambda keys: sum(len(rows[k]) for k in keys if k in rows)
    summary = {
        "rows": sum(len(v) for v in rows.values()),
        "rows_covered": nrows(covered),
        "rows_missing": nrows([k for k, _ in missing]),
        "reproducers": sorted(set(seen[k][1] for k in covered)),
        "missing": missing,
        "links": seen,
        "reps": reps,
        "row_lines": rows,
    }
    return errors, summary


def summary_line(s):
    return ("findings: %d reproducers (one per finding, or per group of findings with one "
            "cause) cover %d of %d finding rows; %d rows still lack one"
            % (len(s["reproducers"]), s["rows_covered"], s["rows"], s["rows_missing"]))


def write_md(s, path):
    L = ["# Recorded findings and their reproducers", "", summary_line(s), "",
         "| table | test | kind | reproducer |", "|---|---|---|---|"]
    for key, (n, rep) in sorted(s["links"].items()):
        cell = rep if rep.startswith("missing:") else "[`%s`](containers/probes/%s%s)" % (
            rep, rep, ".cc" if rep + ".cc" in s["reps"].get(rep, {}).get("build", "") else ".c")
        L.append("| %s:%s | `%s` | `%s` | %s |" % (
            key[0], ",".join(map(str, s["row_lines"].get(key, []))), key[1], key[2],
            cell.replace("|", "\\|")))
    with open(path, "w", encoding="utf-8") as fh:
        fh.write("\n".join(L) + "\n")


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(HERE)))
    ap.add_argument("--tables", choices=("all", "gvisor"), default="all")
    ap.add_argument("--md")
    ap.add_argument("--list-missing", action="store_true")
    a = ap.parse_args(argv)
    try:
        errors, s = check(a.root, a.tables)
    except (OSError, ValueError) as e:
        print("findings_check: ERROR: %s" % e, file=sys.stderr)
        return 2
    for e in errors:
        print("findings_check: %s" % e)
    if a.list_missing:
        for key, rep in s["missing"]:
            print("missing: %s %s %s: %s" % (key[0], key[1], key[2], rep[len("missing:"):].strip()))
    if a.md:
        write_md(s, a.md)
    print(summary_line(s))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
