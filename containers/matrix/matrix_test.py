#!/usr/bin/env python3
"""Tests of the matrix's parts that need no sandbox: the loop every
environment runs (directory mode, as on the host and in podman, and marker
mode, as on qemu's serial console and runsc do's output), the splitting of a
marker stream (a binary cut short included), runner.tsv, the reader's
verdict over the result, and the EINTR table per environment from eintr_test's
"eintr" records in both modes. The test binaries are shell scripts that write
records the way the C++ binaries do."""

import contextlib
import io
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from matrix import environments, loop, results  # noqa: E402
from matrix.common import Deadline  # noqa: E402

VERDICT = os.environ.get("VERDICT_PY") or os.path.join(
    os.path.dirname(os.path.dirname(HERE)), "verdict", "verdict.py")
sys.path.insert(0, os.path.dirname(VERDICT))
import verdict  # noqa: E402

RUN = ('{"record":"run","binary":"%s","env":"\'"$IPCSPEC_ENV"\'","env_version":"\'"$IPCSPEC_ENV_VERSION"\'",'
       '"kernel":"k","isolation":"none","blocked_detection":"state","degraded":[],'
       '"ignore_tables":false,"filter":"*","tables":[]}')
START = '{"record":"start","test":"%s"}'
PASS = ('{"record":"test","test":"%s","property":"","kind":"-","outcome":"pass","signature_seen":[],'
        '"message":"","need":"","entry":null,"unmatched_entries":[],"cites":"man 7 pipe","seed":"1",'
        '"duration_ms":1,"file":"suites/pipe/pipe_io_test.cc","line":1}')
END = '{"record":"end","tests":1,"exit":0}'

# Fake test binaries: each writes its records where IPCSPEC_RESULTS_DIR says.
BINARIES = {
    "a_good": [RUN % "a_good", START % "Good.One", PASS % "Good.One", END],
    "b_crash": [RUN % "b_crash", START % "Crash.First", PASS % "Crash.First", START % "Crash.Dies"],
    "c_killed": [RUN % "c_killed", START % "Killed.Hangs"],
}
TAIL = {"a_good": "", "b_crash": "kill -SEGV $$", "c_killed": "kill -KILL $$"}


def make_bin(d):
    os.makedirs(d)
    for name, recs in BINARIES.items():
        lines = ["#!/bin/sh", 'f="$IPCSPEC_RESULTS_DIR/%s.$$.jsonl"' % name, "echo running %s" % name]
        for r in recs:
            lines.append("echo '%s' >> \"$f\"" % r)
        lines.append(TAIL[name])
        p = os.path.join(d, name)
        with open(p, "w") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(p, 0o755)


class Matrix(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.bin = os.path.join(self.tmp, "bin")
        make_bin(self.bin)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def verdict(self, out, env, *more):
        """The reader, in this process (a Python start-up costs more than
        the rest of the test on a loaded machine)."""
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            try:
                rc = verdict.main(["--matrix", out, "--env", env,
                                   "--json", os.path.join(out, "results.json")] + list(more))
            except SystemExit as x:
                rc = x.code
        return subprocess.CompletedProcess([], rc, o.getvalue(), e.getvalue())

    def check_env(self, out, env, cut_short=None, env_killed=False):
        d = os.path.join(out, env)
        results.write_runner_tsv(d, self.bin, 120, "finished", cut_short, env_killed)
        results.write_env_tsv(d, [("status", "finished"), ("tier", "quick")])
        r = self.verdict(out, env)
        self.assertEqual(r.returncode, 1, r.stderr)
        self.assertEqual(r.stdout.splitlines()[-1], "ipcspec: 2 passed, 2 failed, 0 skipped")
        import json
        with open(os.path.join(out, "results.json")) as fh:
            doc = json.load(fh)
        got = {t["test"]: (t["outcome"], t["signature_seen"]) for t in doc["tests"]}
        self.assertEqual(got, {"Good.One": ("pass", []), "Crash.First": ("pass", []),
                               "Crash.Dies": ("fail", ["crash"]), "Killed.Hangs": ("fail", ["hang"])})
        self.assertEqual(doc["environments"][0]["env_version"], "9.9")
        return doc

    def test_directory_mode_as_on_the_host(self):
        out = os.path.join(self.tmp, "out")
        d = os.path.join(out, "host")
        os.makedirs(d)
        run = environments.Run("host", self.bin, 30, {"IPCSPEC_ENV": "host", "IPCSPEC_ENV_VERSION": "9.9",
                                                      "RC_PARAMS": ""}, self.tmp, Deadline(60))
        o = environments.run_host(run, d)
        self.assertEqual(o.rc, 0)
        self.assertTrue(os.path.isfile(os.path.join(d, "a_good.1.jsonl")))
        with open(os.path.join(d, "c_killed.rc")) as fh:
            self.assertEqual(fh.read().strip(), "137")
        self.check_env(out, "host")
        with open(os.path.join(d, "runner.tsv")) as fh:
            tsv = fh.read()
        self.assertIn("c_killed\t137\t1\tkilled: ran longer than the per-binary timeout (120s)", tsv)
        self.assertIn("b_crash\t139\t0\t", tsv)

    def test_marker_mode_as_on_a_serial_console(self):
        stream = os.path.join(self.tmp, "console.log")
        env = dict(os.environ, IPCSPEC_ENV="linux-x", IPCSPEC_ENV_VERSION="9.9", TMPDIR=self.tmp)
        with open(stream, "wb") as fh:
            # A serial console ends lines with \r\n and a kernel may print.
            fh.write(b"[    0.1] booting\r\n@@IPCSPEC-BOOTED 1.5 6.1.0\r\n")
            fh.write(subprocess.run(["sh", "-c", loop.LOOP, "loop", self.bin, "-", "30"], env=env,
                                    capture_output=True).stdout.replace(b"\n", b"\r\n"))
        out = os.path.join(self.tmp, "out")
        d = os.path.join(out, "linux-x")
        os.makedirs(d)
        self.assertIsNone(loop.split_markers(stream, d))
        with open(os.path.join(d, "booted")) as fh:
            self.assertEqual(fh.read().strip(), "1.5 6.1.0")
        os.remove(os.path.join(d, "booted"))
        with open(os.path.join(d, "b_crash.log")) as fh:
            self.assertIn("running b_crash", fh.read())
        self.check_env(out, "linux-x")

    def test_a_stream_cut_short_keeps_the_records_up_to_the_cut(self):
        stream = os.path.join(self.tmp, "console.log")
        with open(stream, "w") as fh:
            fh.write("@@IPCSPEC-XML a_good\n@@IPCSPEC-JSONL a_good 1\n%s\n%s\n%s\n%s\n@@IPCSPEC-END a_good 0\n"
                     % tuple(r.replace("'\"$IPCSPEC_ENV\"'", "linux-x")
                             .replace("'\"$IPCSPEC_ENV_VERSION\"'", "9.9") for r in BINARIES["a_good"]))
            fh.write("@@IPCSPEC-XML b_crash\n@@IPCSPEC-JSONL b_crash 1\n%s\n%s\n"
                     % (RUN.replace("%s", "b_crash").replace("'\"$IPCSPEC_ENV\"'", "linux-x")
                        .replace("'\"$IPCSPEC_ENV_VERSION\"'", "9.9"), START % "Crash.Dies"))
        out = os.path.join(self.tmp, "out")
        d = os.path.join(out, "linux-x")
        os.makedirs(d)
        self.assertEqual(loop.split_markers(stream, d), "b_crash")
        results.write_runner_tsv(d, self.bin, 120, "killed at deadline (900s)", "b_crash", True)
        with open(os.path.join(d, "runner.tsv")) as fh:
            tsv = fh.read()
        self.assertIn("b_crash\t\t1\tkilled: the environment reached its deadline", tsv)
        self.assertIn("c_killed\t\t0\tnot run: killed at deadline (900s)", tsv)
        results.write_env_tsv(d, [("status", "killed at deadline (900s)")])
        r = self.verdict(out, "linux-x")
        self.assertEqual(r.returncode, 1)
        import json
        with open(os.path.join(out, "results.json")) as fh:
            doc = json.load(fh)
        got = {t["test"]: (t["outcome"], t["signature_seen"]) for t in doc["tests"]}
        self.assertEqual(got["Crash.Dies"], ("fail", ["hang"]))
        self.assertEqual(got["c_killed"][0], "fail")
        self.assertEqual(doc["summary"]["unfinished_environments"], ["linux-x"])

    def test_eintr_cells_reach_the_report_from_both_modes(self):
        """eintr_test's cells, written to its records file, come back from
        the host's directory and from a serial console's stream, and the
        report puts them side by side: here the two environments differ."""
        b = os.path.join(self.tmp, "eintr_bin")
        os.makedirs(b)
        name = "faults_eintr_eintr_test"
        tests = ("Table/Eintr.FollowsTheTable/read_2_on_an_empty_pipe__SA_RESTART",
                 "Table/Eintr.FollowsTheTable/read_2_on_an_empty_pipe__no_SA_RESTART")
        cell = ('{"record":"eintr","test":"%s","table":"handler","call":"read(2) on an empty pipe",'
                '"how":"%s SA_RESTART","expected":"%s","page":"%s","note":"","sentence":"man 7 signal"%s}')
        decl = [cell % (tests[0], "with", "restarted", "restarted", ""),
                cell % (tests[1], "without", "EINTR", "EINTR", "")]
        seen = ',"seen":"\'"$seen"\'","detail":"","data":""'
        recs = [RUN % name] + decl + [
            START % tests[0], cell % (tests[0], "with", "restarted", "restarted", seen), PASS % tests[0],
            START % tests[1], cell % (tests[1], "without", "EINTR", "EINTR",
                                      seen.replace('\'"$seen"\'', "EINTR")), PASS % tests[1],
            '{"record":"end","tests":2,"exit":0}']
        with open(os.path.join(b, name), "w") as fh:
            fh.write("#!/bin/sh\nf=\"$IPCSPEC_RESULTS_DIR/%s.$$.jsonl\"\n" % name)
            # A SA_RESTART handler: the call restarts on the host, not here.
            fh.write('seen=restarted; [ "$IPCSPEC_ENV" = host ] || seen=EINTR\n')
            fh.write("".join("echo '%s' >> \"$f\"\n" % r for r in recs))
        os.chmod(os.path.join(b, name), 0o755)
        out = os.path.join(self.tmp, "out")
        host, other = os.path.join(out, "host"), os.path.join(out, "linux-x")
        os.makedirs(host)
        os.makedirs(other)
        run = environments.Run("host", b, 30, {"IPCSPEC_ENV": "host", "IPCSPEC_ENV_VERSION": "",
                                               "RC_PARAMS": ""}, self.tmp, Deadline(60))
        self.assertEqual(environments.run_host(run, host).rc, 0)
        stream = os.path.join(self.tmp, "console.log")
        env = dict(os.environ, IPCSPEC_ENV="linux-x", IPCSPEC_ENV_VERSION="", TMPDIR=self.tmp)
        with open(stream, "wb") as fh:
            fh.write(subprocess.run(["sh", "-c", loop.LOOP, "loop", b, "-", "30"], env=env,
                                    capture_output=True).stdout.replace(b"\n", b"\r\n"))
        self.assertIsNone(loop.split_markers(stream, other))
        for d in (host, other):
            results.write_runner_tsv(d, b, 120, "finished", None, False)
            results.write_env_tsv(d, [("status", "finished"), ("tier", "quick")])
        md = os.path.join(out, "report.md")
        r = self.verdict(out, "host,linux-x", "--md", md)
        self.assertEqual(r.returncode, 0, r.stderr)
        with open(md) as fh:
            text = fh.read()
        self.assertIn("| call | SA_RESTART | man 7 signal | table expects | host | linux-x |", text)
        self.assertIn("| read(2) on an empty pipe | with | restarted | restarted | restarted | "
                      "**EINTR** (≠ page, ≠ host) |", text)
        self.assertIn("| read(2) on an empty pipe | without | EINTR | EINTR | EINTR | EINTR |", text)


if __name__ == "__main__":
    unittest.main(verbosity=2)
