#!/usr/bin/env python3
"""Tests of the comparison of two runs (compare.py) on two fake runs in
verdict/testdata/compare: old/ (Linux 6.1) and new/ (Linux 6.12), one test
per category, each named for the change it makes. Also the other forms of a
run (a results.json, a directory holding one, a bazel-testlogs tree), the
pairing of environments, and bad input (exit status 2).

    python3 verdict/compare_test.py        (bazel test //verdict:verdict_test)
"""

import contextlib
import io
import json
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import compare  # noqa: E402
import verdict  # noqa: E402
from verdict_test import call_main, lay_target  # noqa: E402

DATA = os.path.join(HERE, "testdata")
OLD = os.path.join(DATA, "compare", "old")
NEW = os.path.join(DATA, "compare", "new")

# What changed from old/ to new/, category by category.
WANT = {
    "regressions": ["PipeIo.Regresses"],
    "fixes": ["PipeIo.GetsFixed"],
    "failures_changed": ["PipeIo.FailsThenBreaks"],
    "skips_appeared": ["PipeIo.StartsSkipping"],
    "skips_gone": ["PipeIo.StopsSkipping"],
    "skips_changed": ["PipeIo.SkipsForAnotherNeed"],
    "xfail_changed": ["PipeIo.TabledSignatureChanges"],
    "other_changes": ["PipeIo.StartsFailingAsExpected"],
    "appeared": ["PipeIo.Appears"],
    "disappeared": ["PipeIo.Disappears"],
}


class Compare(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_compare(self, *args):
        """(exit status, stdout, stderr, comparison document or None)."""
        return call_main(compare.main, args, os.path.join(self.tmp, "compare.json"))

    def results_json(self, run, name):
        """verdict.py --json over a run: its results.json."""
        js = os.path.join(self.tmp, name)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            verdict.main(["--matrix", run, "--json", js])
        return js

    @staticmethod
    def by_category(doc):
        return {k: [x["test"] for x in v] for k, v in doc["categories"].items()}

    def test_every_category_and_a_regression_exits_1(self):
        md, ht = os.path.join(self.tmp, "c.md"), os.path.join(self.tmp, "c.html")
        rc, out, err, doc = self.run_compare(OLD, NEW, "--md", md, "--html", ht)
        self.assertEqual(rc, 1, err)
        self.assertEqual(self.by_category(doc), WANT)
        # One environment on each side: paired whatever their names.
        self.assertEqual(doc["pairs"], [["linux-6.1", "linux-6.12"]])
        # Numbers masked: a pid in the message is no change.
        self.assertEqual(doc["counts"]["unchanged"], 2)
        # The table entry that became stale is a regression too.
        self.assertEqual(doc["environment_regressions"], [
            "linux-6.1 -> linux-6.12: table entry containers/divergences/linux-6.12.tsv:9 "
            "(PipeIo.NoSuchTest, kind *) became stale"])
        self.assertEqual(out.splitlines()[-1],
                         "ipcspec compare: 2 regressions, 1 fixes, 1 failures changed, "
                         "1 skips appeared, 1 skips gone, 1 skips changed, "
                         "1 expected failures changed, 1 other changes, 1 tests appeared, "
                         "1 tests disappeared, 2 unchanged")
        # The reasons: a skip's need and detail, an expected failure's entry
        # and the signature it saw, the failure's message.
        self.assertIn("PipeIo.StartsSkipping (suites/pipe): pass -> skip (cap:CAP_SYS_ADMIN): "
                      "dropped by the runtime", out)
        self.assertIn("-> xfail (documented): the call refuses the flag "
                      "[containers/divergences/linux-6.12.tsv:3] [seen: errno:EINVAL]", out)
        self.assertIn("PipeIo.Regresses (suites/pipe): pass -> FAIL [errno:EPIPE]", out)
        with open(md) as fh:
            text = fh.read()
        self.assertIn("## Regressions: 2", text)
        self.assertIn("| `PipeIo.GetsFixed` (suites/pipe) | linux-6.1 -> linux-6.12 | FAIL [errno:EAGAIN]", text)
        self.assertIn("## Tests disappeared: 1", text)
        with open(ht) as fh:
            h = fh.read()
        self.assertIn("<h2>Regressions <span class=\"count\">(2)</span></h2>", h)
        self.assertIn("write returned EPIPE", h)

    def test_no_regression_exits_0(self):
        rc, out, _err, doc = self.run_compare(OLD, OLD)
        self.assertEqual(rc, 0)
        self.assertEqual(doc["counts"]["unchanged"], 11)
        self.assertEqual(out.splitlines()[-1].split(", ")[-1], "11 unchanged")
        # Backwards, the fix is a regression and the regression a fix.
        rc, _out, _err, doc = self.run_compare(NEW, OLD)
        self.assertEqual(rc, 1)
        self.assertEqual(self.by_category(doc)["regressions"], ["PipeIo.GetsFixed"])
        self.assertEqual(self.by_category(doc)["fixes"], ["PipeIo.Regresses"])
        # Changes without a regression: exit 0.
        new = os.path.join(self.tmp, "new")
        shutil.copytree(NEW, new)
        f = os.path.join(new, "linux-6.12", "suites_pipe_pipe_io_test.100.jsonl")
        with open(f) as fh:
            recs = [json.loads(l) for l in fh]
        keep = []
        for r in recs:
            if r.get("origin", "").endswith(":9"):
                continue   # the stale entry
            if r.get("test") in ("PipeIo.Regresses", "PipeIo.FailsThenBreaks") and r["record"] == "test":
                r = dict(r, outcome="pass", message="", signature_seen=[])
            keep.append(r)
        with open(f, "w") as fh:
            fh.write("".join(json.dumps(r) + "\n" for r in keep))
        rc, _out, err, doc = self.run_compare(OLD, new)
        self.assertEqual(rc, 0, err)
        self.assertEqual(doc["counts"]["regressions"], 0)
        self.assertEqual(self.by_category(doc)["fixes"], ["PipeIo.FailsThenBreaks", "PipeIo.GetsFixed"])

    def test_results_json_and_a_directory_holding_one(self):
        old_js = self.results_json(OLD, "old.json")
        d = os.path.join(self.tmp, "test-results")
        os.makedirs(d)
        self.results_json(NEW, os.path.join(d, "results.json"))
        rc, _out, _err, doc = self.run_compare(old_js, d)
        self.assertEqual(rc, 1)
        self.assertEqual(self.by_category(doc), WANT)

    def test_bazel_testlogs(self):
        a, b = os.path.join(self.tmp, "a"), os.path.join(self.tmp, "b")
        lay_target(a, "suites/pipe/pipe_io_test", jsonl="good_pipe.jsonl")
        lay_target(b, "suites/pipe/pipe_io_test", jsonl="good_pipe.jsonl")
        lay_target(b, "suites/fifo/fifo_test", jsonl="bad_outcomes.jsonl")
        rc, _out, _err, doc = self.run_compare(a, a)
        self.assertEqual((rc, doc["counts"]["regressions"]), (0, 0))
        rc, _out, _err, doc = self.run_compare(a, b)
        self.assertEqual(rc, 1)
        # The new binary's failing tests are regressions, the others appeared.
        self.assertIn("FifoIo.MountedTmpfs", self.by_category(doc)["regressions"])
        self.assertEqual(doc["counts"]["disappeared"], 0)

    def test_environments_paired_by_name_or_by_hand(self):
        m = os.path.join(self.tmp, "m")
        shutil.copytree(OLD, m)
        shutil.copytree(os.path.join(NEW, "linux-6.12"), os.path.join(m, "linux-6.12"))
        # Two environments against one: only the common name is paired.
        rc, out, _err, doc = self.run_compare(m, OLD)
        self.assertEqual((rc, doc["pairs"], doc["only_old_environments"]),
                         (0, [["linux-6.1", "linux-6.1"]], ["linux-6.12"]))
        self.assertIn("environments only in OLD: linux-6.12", out)
        # One environment's directory of a run.
        rc, _out, _err, doc = self.run_compare(os.path.join(m, "linux-6.1"), os.path.join(m, "linux-6.12"))
        self.assertEqual((rc, doc["pairs"]), (1, [["linux-6.1", "linux-6.12"]]))
        # Two environments of one run, paired by hand.
        rc, _out, _err, doc = self.run_compare("--env", "linux-6.1=linux-6.12", m, m)
        self.assertEqual(rc, 1)
        self.assertEqual(self.by_category(doc), WANT)

    def test_a_filtered_run_is_compared_on_what_it_selected(self):
        # NEW ran with a filter that leaves out the test only OLD has, OLD
        # with one that leaves out the test only NEW has (the filter column
        # of env.tsv, as ci/matrix.sh --filter and run.sh --filter write it).
        old, new = os.path.join(self.tmp, "old"), os.path.join(self.tmp, "new")
        shutil.copytree(OLD, old)
        shutil.copytree(NEW, new)
        with open(os.path.join(new, "linux-6.12", "env.tsv"), "a") as fh:
            fh.write("filter\tPipeIo.*-*.Disappears\n")
        with open(os.path.join(old, "linux-6.1", "env.tsv"), "a") as fh:
            fh.write("filter\t-PipeIo.Appears\n")
        rc, out, err, doc = self.run_compare(old, new)
        self.assertEqual(rc, 1, err)
        want = dict(WANT, appeared=[], disappeared=[])
        self.assertEqual(self.by_category(doc), want)
        self.assertEqual(doc["left_out"], {"NEW's filter 'PipeIo.*-*.Disappears'": 1,
                                           "OLD's filter '-PipeIo.Appears'": 1})
        self.assertIn("1 tests not compared: left out by NEW's filter 'PipeIo.*-*.Disappears'", out)
        # A filter that selects the test: it is compared (and disappears).
        with open(os.path.join(new, "linux-6.12", "env.tsv"), "a") as fh:
            fh.write("filter\tPipeIo.*\n")
        rc, out, err, doc = self.run_compare(old, new)
        self.assertEqual(self.by_category(doc)["disappeared"], ["PipeIo.Disappears"])
        self.assertEqual(self.by_category(doc)["appeared"], [])

    def test_bad_input_exits_2(self):
        empty = os.path.join(self.tmp, "empty")
        os.makedirs(empty)
        text = os.path.join(self.tmp, "notes.txt")
        with open(text, "w") as fh:
            fh.write("not results\n")
        other = os.path.join(self.tmp, "other.json")
        with open(other, "w") as fh:
            fh.write('{"format": "something else"}\n')
        for args, msg in (
                ((os.path.join(self.tmp, "nowhere"), NEW), "no such file or directory"),
                ((empty, NEW), "holds no results"),
                ((OLD, text), "cannot read"),
                ((OLD, other), "is not an ipcspec results document"),
                (("--env", "linux-6.1=nope", OLD, NEW), "no environment nope in NEW"),
                (("--env", "linux-6.1", OLD, NEW), "--env wants OLD=NEW")):
            rc, out, err, doc = self.run_compare(*args)
            self.assertEqual(rc, 2, args)
            self.assertIn(msg, err)
            self.assertIsNone(doc)
        bad = os.path.join(self.tmp, "bad")
        shutil.copytree(OLD, bad)
        with open(os.path.join(bad, "linux-6.1", "suites_pipe_pipe_io_test.100.jsonl"), "a") as fh:
            fh.write("not json\n{}\n")
        rc, _out, err, _doc = self.run_compare(bad, NEW)
        self.assertEqual(rc, 2)
        self.assertIn("not JSON", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
