#!/usr/bin/env python3
"""The anchor map checker (README.md in this folder).

Reads every *.tsv table in a folder (one per anchor: ltp, openposix, gvisor,
kselftest), checks each row strictly, checks that every ipcspec test a row
names exists in the `--gtest_list_tests` output of the given test binaries,
and prints the coverage per anchor and per mechanism.

Usage: anchors.py --tables DIR [--out FILE] BINARY...
Exit status: 0 when the tables are well formed and every named test exists,
1 otherwise (each problem printed as file:line: message).
Python 3, standard library only.
"""

import argparse
import collections
import fnmatch
import os
import subprocess
import sys

HEADER = ["anchor", "anchor test", "mechanism", "what it checks", "ipcspec test"]
ANCHORS = ("ltp", "openposix", "gvisor", "kselftest")
# The mechanisms ipcspec has suites for; a row must name one of them.
MECHANISMS = (
    "datagram", "eventfd", "fifo", "file_lock", "message_queue", "mmap",
    "pipe", "popen", "posix_mq", "posix_sem", "posix_shm", "readiness",
    "robust_mutex", "rpc", "semaphore", "shared_region", "signal",
    "signal_queue", "stream", "sysv_msg", "sysv_sem", "sysv_shm",
    "unix_socket",
)

Row = collections.namedtuple("Row", "where anchor anchor_test mechanism what status test")


def parse_cell(cell):
    """Returns (status, test name or None) for the 5th column, or raises."""
    if cell == "missing":
        return "missing", None
    if cell.startswith("n/a:"):
        if not cell[4:].strip():
            raise ValueError("'n/a:' needs a reason")
        return "n/a", None
    if cell.startswith("partly:"):
        rest = cell[len("partly:"):].strip()
        test, sep, missing = rest.partition(":")
        # A gtest name has no ':'; the first ':' ends the test name.
        if not sep or not test.strip() or not missing.strip():
            raise ValueError("'partly:' wants 'partly: <ipcspec test>: <what is missing>'")
        return "partly", check_name(test.strip())
    return "covered", check_name(cell)


def check_name(name):
    suite, dot, test = name.rpartition(".")
    if not dot or not suite or not test or any(c.isspace() for c in name):
        raise ValueError("not a gtest name 'Suite.Test' (or 'n/a: ...', 'partly: ...', 'missing'): %r" % name)
    return name


def parse_tables(folder):
    """Returns (rows, problems)."""
    rows, problems = [], []
    seen = {}
    names = sorted(f for f in os.listdir(folder) if f.endswith(".tsv"))
    if not names:
        problems.append("%s: no *.tsv tables" % folder)
    for fname in names:
        path = os.path.join(folder, fname)
        table_anchor = fname[:-len(".tsv")]
        if table_anchor not in ANCHORS:
            problems.append("%s:1: table for unknown anchor %r (known: %s)"
                            % (path, table_anchor, ", ".join(ANCHORS)))
        with open(path, encoding="utf-8") as f:
            lines = f.read().split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if not lines or lines[0].split("\t") != HEADER:
            problems.append("%s:1: header must be %r" % (path, "\\t".join(HEADER)))
            continue
        for n, line in enumerate(lines[1:], start=2):
            where = "%s:%d" % (path, n)
            cells = line.split("\t")
            if len(cells) != len(HEADER):
                problems.append("%s: %d columns, want %d" % (where, len(cells), len(HEADER)))
                continue
            if any(c.strip() == "" for c in cells):
                problems.append("%s: empty cell in column %r"
                                % (where, HEADER[[c.strip() for c in cells].index("")]))
                continue
            if any(c != c.strip() for c in cells):
                problems.append("%s: leading or trailing blanks in a cell" % where)
                continue
            anchor, anchor_test, mechanism, what, cell = cells
            if anchor != table_anchor:
                problems.append("%s: anchor %r in the %s table" % (where, anchor, fname))
                continue
            if mechanism not in MECHANISMS:
                problems.append("%s: unknown mechanism %r" % (where, mechanism))
                continue
            try:
                status, test = parse_cell(cell)
            except ValueError as e:
                problems.append("%s: %s" % (where, e))
                continue
            key = (anchor, anchor_test, mechanism, what)
            if key in seen:
                problems.append("%s: duplicate of the row at %s" % (where, seen[key]))
                continue
            seen[key] = where
            rows.append(Row(where, anchor, anchor_test, mechanism, what, status, test))
    return rows, problems


def parse_gtest_list(text):
    """The full names in a --gtest_list_tests output."""
    tests, suite = [], None
    for line in text.splitlines():
        if not line.strip():
            continue
        name = line.split("#", 1)[0].rstrip()
        if not line.startswith(" "):
            suite = name.strip()  # 'Suite.' (with its trailing dot)
        elif suite is not None:
            tests.append(suite + name.strip())
    return tests


def list_tests(binaries):
    tests, problems = set(), []
    for b in binaries:
        try:
            p = subprocess.run([b, "--gtest_list_tests"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, timeout=20,
                               universal_newlines=True)
        except (OSError, subprocess.TimeoutExpired) as e:
            problems.append("%s: cannot list its tests: %s" % (b, e))
            continue
        if p.returncode != 0:
            problems.append("%s: --gtest_list_tests exited %d: %s"
                            % (b, p.returncode, p.stderr.strip()[-300:]))
            continue
        tests.update(parse_gtest_list(p.stdout))
    return tests, problems


def check_names(rows, tests):
    problems = []
    for r in rows:
        if r.test is None:
            continue
        if any(c in r.test for c in "*?["):
            ok = any(fnmatch.fnmatchcase(t, r.test) for t in tests)
        else:
            ok = r.test in tests
        if not ok:
            problems.append("%s: no ipcspec test %r (not in the --gtest_list_tests "
                            "of the binaries in suites/anchors/BUILD)" % (r.where, r.test))
    return problems


def counts(rows):
    """Text table: covered/total, n/a, partly, missing per anchor and per mechanism.

    total counts every row; n/a rows are not in scope and are left out of the
    denominator of 'covered/in scope'."""
    def block(title, key):
        acc = collections.OrderedDict()
        for r in sorted(rows, key=key):
            c = acc.setdefault(key(r), collections.Counter())
            c[r.status] += 1
        out = ["%-26s %8s %6s %5s %6s %7s" % (title, "covered", "scope", "n/a", "partly", "missing")]
        tot = collections.Counter()
        for k, c in acc.items():
            tot.update(c)
            out.append(fmt(k, c))
        out.append(fmt("all", tot))
        return out

    def fmt(k, c):
        scope = c["covered"] + c["partly"] + c["missing"]
        return "%-26s %8d %6d %5d %6d %7d" % (k, c["covered"], scope, c["n/a"], c["partly"], c["missing"])

    lines = ["covered/scope: rows whose named test asserts the behaviour, out of the"
             " rows that are not n/a ('partly' and 'missing' count as not covered)", ""]
    lines += block("anchor", lambda r: r.anchor) + [""]
    lines += block("mechanism", lambda r: r.mechanism) + [""]
    lines += block("anchor/mechanism", lambda r: r.anchor + "/" + r.mechanism)
    return "\n".join(lines) + "\n"


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tables", required=True)
    ap.add_argument("--out", help="also write the counts here")
    ap.add_argument("binaries", nargs="*")
    a = ap.parse_args(argv)
    rows, problems = parse_tables(a.tables)
    tests, p2 = list_tests(a.binaries)
    problems += p2
    if not p2:
        problems += check_names(rows, tests)
    text = counts(rows)
    sys.stdout.write(text)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as f:
            f.write(text)
    for p in problems:
        print(p, file=sys.stderr)
    if problems:
        print("anchors: %d problem(s)" % len(problems), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
