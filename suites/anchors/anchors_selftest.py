#!/usr/bin/env python3
"""The checker's own tests: it must reject what it exists to reject."""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKER = os.path.join(HERE, "anchors.py")
HEADER = "anchor\tanchor test\tmechanism\twhat it checks\tipcspec test\n"
# A stand-in for a test binary: prints a --gtest_list_tests listing.
FAKE = """#!/bin/sh
[ "$1" = --gtest_list_tests ] || exit 2
printf 'Unix.\\n  Works\\nKinds/Suite.\\n  Prop/pipe  # GetParam() = 1\\n'
"""
GOOD = ("gvisor\ta.cc:A.B\tunix_socket\tone thing\tUnix.Works\n"
        "gvisor\ta.cc:A.C\tunix_socket\tanother\tKinds/Suite.Prop/*\n"
        "gvisor\ta.cc:A.D\tunix_socket\tthird\tpartly: Unix.Works: no peer check\n"
        "gvisor\ta.cc:A.E\tunix_socket\tfourth\tn/a: save/restore\n"
        "gvisor\ta.cc:A.F\tunix_socket\tfifth\tmissing\n")
failures = []


def run(table_text, fname="gvisor.tsv"):
    with tempfile.TemporaryDirectory() as d:
        fake = os.path.join(d, "fake_test")
        with open(fake, "w") as f:
            f.write(FAKE)
        os.chmod(fake, 0o755)
        tables = os.path.join(d, "tables")
        os.mkdir(tables)
        with open(os.path.join(tables, fname), "w") as f:
            f.write(table_text)
        p = subprocess.run([sys.executable, "-B", CHECKER, "--tables", tables, fake],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           universal_newlines=True)
        return p.returncode, p.stdout, p.stderr


def expect(name, table, rc_want, err_has=None, out_has=None, fname="gvisor.tsv"):
    rc, out, err = run(table, fname)
    ok = rc == rc_want and (err_has is None or err_has in err) and (out_has is None or out_has in out)
    if not ok:
        failures.append("%s: rc=%d (want %d)\nstdout:\n%s\nstderr:\n%s" % (name, rc, rc_want, out, err))


expect("good table passes and is counted", HEADER + GOOD, 0,
       out_has="gvisor                            2      4     1      1       1")
expect("a non-existent test fails", HEADER + GOOD + "gvisor\ta.cc:A.G\tunix_socket\tx\tUnix.NoSuchTest\n",
       1, err_has="gvisor.tsv:7: no ipcspec test 'Unix.NoSuchTest'")
expect("a glob matching nothing fails", HEADER + "gvisor\ta\tunix_socket\tx\tUnix.Nope/*\n",
       1, err_has="gvisor.tsv:2: no ipcspec test")
expect("a non-existent test in 'partly' fails", HEADER + "gvisor\ta\tunix_socket\tx\tpartly: Unix.Gone: y\n",
       1, err_has="gvisor.tsv:2: no ipcspec test 'Unix.Gone'")
expect("a row with 4 columns fails", HEADER + GOOD + "gvisor\ta.cc:A.G\tunix_socket\tUnix.Works\n",
       1, err_has="gvisor.tsv:7: 4 columns, want 5")
expect("an empty cell fails", HEADER + "gvisor\t\tunix_socket\tx\tUnix.Works\n",
       1, err_has="gvisor.tsv:2: empty cell in column 'anchor test'")
expect("a duplicate row fails", HEADER + GOOD + GOOD.splitlines(True)[0],
       1, err_has="gvisor.tsv:7: duplicate of the row at")
expect("an anchor that is not the table's fails", HEADER + "ltp\ta\tunix_socket\tx\tUnix.Works\n",
       1, err_has="anchor 'ltp' in the gvisor.tsv table")
expect("an unknown anchor table fails", HEADER + "bsd\ta\tunix_socket\tx\tUnix.Works\n",
       1, err_has="table for unknown anchor 'bsd'", fname="bsd.tsv")
expect("an unknown mechanism fails", HEADER + "gvisor\ta\tsockets\tx\tUnix.Works\n",
       1, err_has="unknown mechanism 'sockets'")
expect("a bad header fails", "anchor\ttest\n", 1, err_has="gvisor.tsv:1: header must be")
expect("n/a without a reason fails", HEADER + "gvisor\ta\tunix_socket\tx\tn/a:\n",
       1, err_has="needs a reason")
expect("partly without what is missing fails", HEADER + "gvisor\ta\tunix_socket\tx\tpartly: Unix.Works\n",
       1, err_has="partly:")
expect("free text in the test column fails", HEADER + "gvisor\ta\tunix_socket\tx\tsee below\n",
       1, err_has="not a gtest name")

for f in failures:
    print("anchors_selftest FAIL:", f)
if failures:
    sys.exit(1)
print("anchors_selftest: PASS (%d cases)" % 14)
