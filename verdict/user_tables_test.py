#!/usr/bin/env python3
"""Tests of a table of your own (verdict.py --divergences [ENV=]FILE,
user_tables.py) on the fake Linux 6.12 run of testdata/compare/new: an entry
excuses a failure whose signature it matches and not one it does not, an
entry over a passing test is stale (xpass), an entry covering nothing is
stale, versions bound it, ENV= picks the environment, the compiled-in
table's verdicts stay, and a table that is not in the format is bad input
(status 2, FILE:LINE).

    python3 verdict/user_tables_test.py        (bazel test //verdict:verdict_test)
"""

import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import verdict  # noqa: E402
from verdict_test import call_main  # noqa: E402

NEW = os.path.join(HERE, "testdata", "compare", "new")
HEAD = "# test\tkind\tclass\texpect\tsignature\treason\tsource\tversions\n"


def row(test, sig, versions="*", expect="fails", cls="documented"):
    return "\t".join([test, "*", cls, expect, sig, "my kernel refuses it", "my notes, 2026", versions]) + "\n"


class UserTables(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def table(self, text, name="mine.tsv"):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as fh:
            fh.write(HEAD + text)
        return p

    def judge(self, *args):
        """(exit status, stdout, stderr, {test: (outcome, entry origin)}, doc)."""
        rc, out, err, doc = call_main(verdict.main, ["--matrix", NEW] + list(args),
                                      os.path.join(self.tmp, "r.json"))
        got = {t["test"]: (t["outcome"], (t.get("entry") or {}).get("origin"))
               for t in doc["tests"]} if doc else None
        return rc, out, err, got, doc

    def test_without_a_table_of_mine(self):
        rc, _out, _err, got, doc = self.judge()
        self.assertEqual(got["PipeIo.Regresses"], ("fail", None))
        self.assertEqual(got["PipeIo.FailsTheSameInAnotherPid"][0], "fail")
        self.assertEqual(doc["summary"]["failed"], 4)

    def test_entries_excuse_match_and_go_stale(self):
        t = self.table(row("PipeIo.Regresses", "errno:EINVAL OR errno:EPIPE")   # line 2: matches
                       + row("PipeIo.FailsTheSame*", "errno:EPIPE")              # 3: no match
                       + row("PipeIo.Unchanged", "errno:EPIPE")                  # 4: a pass: xpass
                       + row("PipeIo.NoSuchTest", "hang")                        # 5: covers nothing
                       + row("PipeIo.Appears", "crash", versions="kernel<6.12")  # 6: does not apply
                       + row("PipeIo.TabledSignatureChanges", "re:^spl"))        # 7: already xfail
        rc, out, err, got, doc = self.judge("--divergences", t, "--md", os.path.join(self.tmp, "r.md"))
        self.assertEqual(rc, 1, err)
        self.assertEqual(got["PipeIo.Regresses"], ("xfail", "mine.tsv:2"))
        self.assertEqual(got["PipeIo.FailsTheSameInAnotherPid"], ("fail", None))
        self.assertIn("matches no signature of mine.tsv:3",
                      [x for x in doc["tests"] if x["test"] == "PipeIo.FailsTheSameInAnotherPid"][0]["reason"])
        self.assertEqual(got["PipeIo.Unchanged"], ("xpass", "mine.tsv:4"))
        self.assertEqual(got["PipeIo.Appears"], ("pass", None))
        # The compiled-in table's verdict stays.
        self.assertEqual(got["PipeIo.TabledSignatureChanges"][1], "containers/divergences/linux-6.12.tsv:3")
        mine = {e["origin"]: e for e in doc["entries"] if e.get("table") == "user:mine.tsv"}
        self.assertEqual(sorted(o for o, e in mine.items() if e["stale"]), ["mine.tsv:5"])
        self.assertFalse(mine["mine.tsv:6"]["applies"])
        self.assertIn("user:mine.tsv", doc["environments"][0]["tables"])
        # Regresses excused (-1), Unchanged now xpass (+1), one more stale entry (+1).
        self.assertEqual(doc["summary"]["failed"], 5)
        with open(os.path.join(self.tmp, "r.md")) as fh:
            self.assertIn("mine.tsv:2", fh.read())

    def test_env_picks_the_environment(self):
        t = self.table(row("PipeIo.Regresses", "errno:EPIPE"))
        rc, _out, _err, got, _doc = self.judge("--divergences", "linux-6.12=" + t)
        self.assertEqual(got["PipeIo.Regresses"], ("xfail", "mine.tsv:2"))
        rc, _out, err, got, _doc = self.judge("--divergences", "linux-5.10=" + t)
        self.assertEqual(rc, 2)
        self.assertIn("no environment linux-5.10", err)

    def test_a_table_not_in_the_format_is_bad_input(self):
        for text, says in ((row("A.B", "errno:EPIPE").replace("\t*\t", "\t", 1), "7 tab-separated columns"),
                           (row("A.B", "errno:EPIPE", cls="maybe"), "class 'maybe'"),
                           (row("A.B", "errno:EPIPE", expect="sometimes"), "expect 'sometimes'"),
                           (row("A.B", "EPIPE"), "signature 'EPIPE'"),
                           (row("A.B", "re:("), "signature re:("),
                           (row("A.B", "hang", versions="kernel=6.1"), "versions 'kernel=6.1'")):
            t = self.table(text, "bad.tsv")
            rc, _out, err, _got, _doc = self.judge("--divergences", t)
            self.assertEqual(rc, 2, text)
            self.assertIn("bad.tsv:2", err)
            self.assertIn(says, err)
        rc, _out, err, _got, _doc = self.judge("--divergences", os.path.join(self.tmp, "none.tsv"))
        self.assertEqual(rc, 2)
        self.assertIn("cannot read", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
