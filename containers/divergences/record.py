"""Drafts table entries for the findings of one environment's run.

    python3 containers/divergences/record.py --results DIR/ENV [--tests GLOB]
        [--version TEXT] [--command TEXT]

Reads the verdict records (*.jsonl) of a matrix run (ci/matrix.sh --out DIR:
DIR/ENV/) and prints, for every test whose outcome is `fail` (a finding no
entry covers), a draft line of containers/divergences/ENV.tsv (format:
verdict/README.md). Its signature names each failed assertion by its source
line (`re:FILE\\.cc:LINE\\n`): an entry explains exactly the assertions that
failed when it was recorded, and an assertion that fails later for another
reason, or anywhere else in the test, is a finding. (Editing the test above
those lines moves them: record again; the run says which entries no longer
match.) The reason is the first failed assertion's own message, which cites
the man page; rewrite it where a sentence says more. Class `finding`.

Nothing is written: review the drafts, then append them to the table.
"""

import argparse
import fnmatch
import glob
import json
import os
import re
import sys

PART = re.compile(r"^(?P<file>[^\s:]+\.(?:cc|h)):(?P<line>\d+)$", re.M)


def parts(message):
    """(file, line, text) of each failed assertion in a failure message."""
    out = []
    marks = list(PART.finditer(message))
    for i, m in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(message)
        out.append((m.group("file"), m.group("line"), message[m.end():end].strip()))
    return out


def cite(text):
    """The assertion's own words: its last line that quotes a page or says why."""
    lines = [l.strip() for l in text.split("\n") if l.strip()]
    for l in reversed(lines):
        if "man " in l or "POSIX" in l or '"' in l:
            return l
    return lines[-1] if lines else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True, help="DIR/ENV of a matrix run")
    ap.add_argument("--tests", default="*", help="fnmatch over test names")
    ap.add_argument("--version", default="", help="what `observed:` ran on, e.g. runsc 0.0~20240729.0")
    args = ap.parse_args()
    env = os.path.basename(os.path.normpath(args.results))
    n = 0
    for f in sorted(glob.glob(os.path.join(args.results, "*.jsonl"))):
        binary = os.path.basename(f).split(".")[0]
        for line in open(f, encoding="utf-8"):
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get("record") != "test" or r.get("outcome") != "fail":
                continue
            if not fnmatch.fnmatchcase(r["test"], args.tests):
                continue
            ps = parts(r.get("message", ""))
            if not ps:
                print("# %s: no assertion lines in its message; write this entry by hand" % r["test"],
                      file=sys.stderr)
                continue
            sig = " OR ".join(sorted({"re:%s:%s\\n" % (re.escape(os.path.basename(p[0])), p[1])
                                      for p in ps}))
            reason = "%s differs (%d failed assertion%s); the first: %s" % (
                env, len(ps), "s" if len(ps) > 1 else "", cite(ps[0][2]))
            source = "observed: ci/matrix.sh --env %s, %s --gtest_filter='%s'%s" % (
                env, binary, r["test"], " (%s)" % args.version if args.version else "")
            kind = r.get("kind") or "-"
            print("\t".join([r["test"], "*" if kind == "-" else kind, "finding", "fails", sig,
                             reason.replace("\t", " ").replace("\n", " "), source, "*"]))
            n += 1
    print("# %d draft entries" % n, file=sys.stderr)


if __name__ == "__main__":
    main()
