#!/usr/bin/env python3
"""The workflow in .github/workflows/ passes ci/workflow_lint.py (yamllint,
the schema, the cross-checks), and each planted mistake in a copy of it is
caught with its own message: the lint is no rubber stamp."""

import contextlib
import io
import os
import shutil
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import workflow_lint  # noqa: E402

WORKFLOW = os.path.join(workflow_lint.ROOT, ".github", "workflows", "ci.yml")

# (what is planted, text replaced, replacement, message expected)
PLANTED = [
    ("a misspelt job key", "    runs-on: ubuntu-latest\n    timeout-minutes: 60\n    container:\n"
     "      image: debian:bookworm\n      # The tests",
     "    runs_on: ubuntu-latest\n    timeout-minutes: 60\n    container:\n"
     "      image: debian:bookworm\n      # The tests", "schema: at jobs/test: Additional properties"),
    ("a misspelt job key, to GitHub's schema", "    runs-on: ubuntu-latest\n    timeout-minutes: 60\n",
     "    runs_on: ubuntu-latest\n    timeout-minutes: 60\n", "GitHub schema: at jobs/test:"),
    ("a step with run and uses", "      - name: setup\n        run: bash ci/setup.sh\n      - name: bazel",
     "      - name: setup\n        uses: actions/setup-python@v5\n        run: bash ci/setup.sh\n"
     "      - name: bazel", "schema: at jobs/test/steps/1:"),
    ("an action with no version", "uses: actions/checkout@v4", "uses: actions/checkout",
     "schema: at jobs/test/steps/0/uses:"),
    ("trailing spaces", "name: ci\n", "name: ci   \n", "yamllint: trailing spaces"),
    ("a matrix axis nobody has", "${{ matrix.seed }}", "${{ matrix.sed }}", "reads matrix.sed, which is no axis"),
    ("a job that needs no job", "needs: binaries", "needs: binary", "needs 'binary', which is no job"),
    ("an environment the matrix does not know", "linux-5.10, linux-6.1", "linux-5.11, linux-6.1",
     "matrix env 'linux-5.11' is no environment of ci/matrix.sh"),
    ("an environment of the matrix with no cell", "host, runc, crun, gvisor", "host, runc, gvisor",
     "matrix env has no cell for 'crun'"),
    ("a shard missing", "shard: [1, 2]", "shard: [1]", "matrix shard [1] is not 1..SHARDS (2)"),
    ("an artifact nobody uploads", "pattern: cell-*", "pattern: cells-*", "downloads 'cells-*', which no job"),
    ("a step output of no step", "steps.merge.outputs.status", "steps.merged.outputs.status",
     "reads steps.merged: no earlier step has that id"),
    ("a script that does not exist", "bash ci/matrix.sh merge", "bash ci/matrixx.sh merge",
     "runs ci/matrixx.sh, which does not exist"),
]


class WorkflowLint(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def lint(self, paths):
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            rc = workflow_lint.main(paths)
        return rc, o.getvalue(), e.getvalue()

    def test_the_workflow_is_clean(self):
        rc, out, err = self.lint([])
        self.assertEqual(rc, 0, out + err)
        self.assertIn("workflow_lint: 1 workflow(s), 0 problem(s)", out)

    def test_the_workflow_keeps_its_jobs(self):
        doc = workflow_lint.load(WORKFLOW)
        self.assertEqual(sorted(doc["jobs"]), ["binaries", "cell", "merge", "test"])
        self.assertIn("bash ci/test.sh --fast", [s.get("run") for s in doc["jobs"]["test"]["steps"]])
        self.assertEqual(set(doc["jobs"]["cell"]["strategy"]["matrix"]), {"env", "shard", "seed"})

    def test_each_planted_mistake_is_caught(self):
        with open(WORKFLOW) as fh:
            text = fh.read()
        for what, old, new, msg in PLANTED:
            self.assertIn(old, text, what)
            p = os.path.join(self.tmp, "ci.yml")
            with open(p, "w") as fh:
                fh.write(text.replace(old, new, 1))
            rc, out, _ = self.lint([p])
            self.assertEqual(rc, 1, what)
            self.assertIn(msg, out, what)

    def test_bad_usage_exits_2(self):
        rc, _, err = self.lint([os.path.join(self.tmp, "none.yml")])
        self.assertEqual(rc, 2)
        self.assertIn("no such file", err)


if __name__ == "__main__":
    unittest.main(verbosity=2)
