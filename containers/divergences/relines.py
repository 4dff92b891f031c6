"""Moves the line numbers of line signatures after a test source was edited.

    python3 containers/divergences/relines.py [--since REV] [--check]

A signature `re:FILE\\.cc:LINE\\n` (drafted by record.py) names a failed
assertion by its source line, so an edit above that line moves it. This
reads `git diff -U0 REV` (default: HEAD, i.e. the uncommitted edits) of every
test source that the tables of containers/divergences/ name, maps each old
line to its new line, and rewrites the tables. A line inside an edited hunk
has no new line: it is reported, left as it was, and the exit status is 1,
so that the entry is recorded again (record.py) or its signature is turned
into a `text:` one. --check reports and changes nothing.
"""

import argparse
import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIG = re.compile(r"re:(?P<base>[A-Za-z0-9_]+)\\\.(?P<ext>cc|h):(?P<line>\d+)\\n")
HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@", re.M)


def line_map(path, since):
    """A function old line -> new line (None inside an edited hunk)."""
    diff = subprocess.run(["git", "diff", "-U0", since, "--", path], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout
    hunks = []
    for m in HUNK.finditer(diff):
        old_start, old_len = int(m.group(1)), int(m.group(2) or "1")
        new_start, new_len = int(m.group(3)), int(m.group(4) or "1")
        hunks.append((old_start, old_len, new_start, new_len))

    # A line after a hunk keeps its distance from the hunk's end: the first
    # line after it is old_start + old_len in the old file and
    # new_start + new_len in the new one (for a pure insertion, git gives the
    # line it comes after, with a length of 0).
    def move_exact(line):
        last = None
        for old_start, old_len, new_start, new_len in hunks:
            if old_len and old_start <= line < old_start + old_len:
                return None
            end_old = old_start + old_len if old_len else old_start + 1
            end_new = new_start + new_len if new_len else new_start + 1
            if line >= end_old:
                last = (end_old, end_new)
        if last is None:
            return line
        return line - last[0] + last[1]

    return move_exact


def sources():
    """basename -> repository path of every test source."""
    out = {}
    for p in glob.glob(os.path.join(ROOT, "**", "*.cc"), recursive=True) + \
            glob.glob(os.path.join(ROOT, "**", "*.h"), recursive=True):
        rel = os.path.relpath(p, ROOT)
        if rel.startswith(("bazel-", "matrix-out")):
            continue
        out.setdefault(os.path.basename(p), rel)
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--since", default="HEAD")
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args()
    files = sources()
    maps = {}
    lost = 0
    moved = 0
    for table in sorted(glob.glob(os.path.join(ROOT, "containers", "divergences", "*.tsv"))):
        text = open(table).read()

        def fix(m):
            nonlocal lost, moved
            name = m.group("base") + "." + m.group("ext")
            if name not in files:
                return m.group(0)
            if name not in maps:
                maps[name] = line_map(files[name], args.since)
            old = int(m.group("line"))
            new = maps[name](old)
            if new is None:
                lost += 1
                print(f"relines: {os.path.relpath(table, ROOT)}: {name}:{old} was edited: "
                      "record the entry again or give it a text: signature", file=sys.stderr)
                return m.group(0)
            if new != old:
                moved += 1
            return m.group(0).replace(":" + m.group("line") + "\\n", f":{new}\\n")

        out = SIG.sub(fix, text)
        if out != text and not args.check:
            open(table, "w").write(out)
    print(f"relines: {moved} signature line(s) moved, {lost} inside an edit"
          + (" (not written: --check)" if args.check else ""))
    return 1 if lost else 0


if __name__ == "__main__":
    sys.exit(main())
