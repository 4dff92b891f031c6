#!/usr/bin/env python3
"""Tests of the matrix's parts that need no sandbox: the loop every
environment runs (directory mode, as on the host and in podman, and marker
mode, as on qemu's serial console and runsc do's output), the splitting of a
marker stream (a binary cut short included), runner.tsv, and the reader's
verdict over the result. The test binaries are shell scripts that write
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
TESTS = {"a_good": ["Good.One"], "b_crash": ["Crash.First", "Crash.Dies"], "c_killed": ["Killed.Hangs"]}
TAIL = {"a_good": "", "b_crash": "kill -SEGV $$", "c_killed": "kill -KILL $$"}


def make_bin(d):
    os.makedirs(d)
    for name, recs in BINARIES.items():
        listing = "".join("%s.\\n  %s\\n" % tuple(t.split(".")) for t in TESTS[name])
        lines = ["#!/bin/sh", """[ "$1" = --gtest_list_tests ] && { printf '%s'; exit 0; }""" % listing,
                 'f="$IPCSPEC_RESULTS_DIR/%s.$$.jsonl"' % name, "echo running %s" % name]
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

    def verdict(self, out, env):
        """The reader, in this process (a Python start-up costs more than
        the rest of the test on a loaded machine)."""
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            try:
                rc = verdict.main(["--matrix", out, "--env", env,
                                   "--json", os.path.join(out, "results.json")])
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

    def test_shards_merge_to_the_unsharded_verdict(self):
        """--shard I/N runs every N-th binary; merge of the shards gives the
        verdict of the unsharded run; compare finds no change between them."""
        from matrix import cli
        import json
        from unittest import mock
        env = mock.patch.dict(os.environ, {"IPCSPEC_CACHE": os.path.join(self.tmp, "cache")})
        env.start()
        self.addCleanup(env.stop)
        dirs = {n: os.path.join(self.tmp, n) for n in ("whole", "s1", "s2", "merged", "half")}
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            rcs = [cli.main(["--env", "host", "--bin", self.bin, "--binary-timeout", "30",
                             "--out", dirs[d]] + (["--shard", s] if s else []))
                   for d, s in (("whole", ""), ("s1", "1/2"), ("s2", "2/2"))]
            merged = cli.main(["merge", "--out", dirs["merged"], dirs["s1"], dirs["s2"]])
            half = cli.main(["merge", "--out", dirs["half"], dirs["s1"]])
            bad = [cli.main(["merge", "--out", dirs["half"], self.bin]),
                   cli.main(["--env", "host", "--bin", self.bin, "--shard", "3/2"]),
                   cli.main(["--env", "host", "--bin", self.bin, "--out", dirs["half"], "--shard", "4/4"])]
            # ci/matrix.sh compare: the reader's comparison of two runs.
            same = cli.main(["compare", dirs["whole"], dirs["merged"]])
            nowhere = cli.main(["compare", dirs["whole"], os.path.join(self.tmp, "nowhere")])
        self.assertEqual((rcs, merged, half, bad, same, nowhere), ([1, 1, 1], 1, 1, [2, 2, 2], 0, 2),
                         e.getvalue())
        self.assertIn("ipcspec compare: 0 regressions,", o.getvalue())
        self.assertIn("compare: error: no such file or directory", e.getvalue())
        self.assertEqual(sorted(os.listdir(os.path.join(dirs["s1"], ".bin-quick"))), ["a_good", "c_killed"])
        with open(os.path.join(dirs["s1"], "host", "not_run.txt")) as fh:
            self.assertEqual(fh.read(), "Crash.First\nCrash.Dies\n")
        self.assertFalse(os.path.exists(os.path.join(dirs["merged"], "host", "not_run.txt")))

        def verdict_of(d):
            with open(os.path.join(d, "results.json")) as fh:
                doc = json.load(fh)
            tests = sorted((t["test"], t["binary"], t["outcome"], t["signature_seen"], t["reason"])
                           for t in doc["tests"])
            s = dict(doc["summary"])
            return tests, s, [(x["name"], x["status"], x["complete"]) for x in doc["environments"]]
        self.assertEqual(verdict_of(dirs["merged"]), verdict_of(dirs["whole"]))
        with open(os.path.join(dirs["merged"], "host", "env.tsv")) as fh:
            self.assertIn("merged\t2 cells: shards 1/2, 2/2\n", fh.read())
        # A shard missing: the environment did not finish.
        with open(os.path.join(dirs["half"], "results.json")) as fh:
            self.assertEqual(json.load(fh)["environments"][0]["status"], "incomplete: shard 2/2 missing")



class Runtimes(unittest.TestCase):
    """--env runtime:PATH[:FLAG...], crun and --seccomp: the columns, what
    podman is given, the tables inherited, and bad input (exit status 2)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.runsc = self.script("runsc", 'echo "runsc version 0.0~20240729.0"; echo "spec: 1.1.0"')
        self.profile = self.file("deny-eventfd.json", '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": '
                                 '[{"names": ["eventfd2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}')

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def file(self, name, text):
        p = os.path.join(self.tmp, name)
        with open(p, "w") as fh:
            fh.write(text)
        return p

    def script(self, name, body):
        p = self.file(name, "#!/bin/sh\n%s\n" % body)
        os.chmod(p, 0o755)
        return p

    def test_a_runtime_by_path_with_flags(self):
        from matrix import cli, runtimes
        o = cli.parse(["--env", "host,runtime:%s:--network=none:debug" % self.runsc])
        col = "runtime:runsc:network-none:debug"
        self.assertEqual(o["envs"], ["host", col])
        self.assertEqual(o["seccomp_pairs"], [])
        self.assertEqual(runtimes.podman_args(col), ["--runtime", self.runsc, "--runtime-flag", "network=none",
                                                     "--runtime-flag", "debug"])
        self.assertEqual(runtimes.security_opts(col), [])
        # runsc is gVisor: its table is gvisor.tsv; its version runsc's release.
        self.assertEqual(cli.table_env(col), "gvisor")
        self.assertEqual(environments.env_version(col, self.tmp), "20240729.0")
        self.assertEqual(runtimes.kernel(col, "20240729.0"), "gVisor 20240729.0")
        self.assertIs(environments.runner_of(col), environments.run_podman)
        self.assertEqual(runtimes.wrapper(col), [])   # only crun needs the cgroup2 mount hidden
        # A table of its own (named after the runtime or the column) adds to the inherited one.
        tables = os.path.join(self.tmp, "tables")
        os.makedirs(tables)
        self.assertEqual(runtimes.table_env(col, tables), "runsc")
        self.file("tables/gvisor.tsv", "")
        self.assertEqual(runtimes.table_env(col, tables), "gvisor")
        self.file("tables/runsc.tsv", "")
        self.assertEqual(runtimes.table_env(col, tables), "runsc,gvisor")
        self.file("tables/%s.tsv" % col, "")
        self.assertEqual(runtimes.table_env(col, tables), col + ",gvisor")
        other = self.script("myrt", 'echo "myrt version 0.3"')
        o = cli.parse(["--env", "runtime:" + other])
        self.assertEqual(o["envs"], ["runtime:myrt"])
        self.assertEqual(cli.table_env("runtime:myrt"), "myrt")   # no table: nothing excused
        self.assertEqual(environments.env_version("runtime:myrt", self.tmp), "0.3")

    def test_seccomp_columns_and_their_baseline(self):
        from matrix import cli, runtimes
        o = cli.parse(["--env", "runc,gvisor-podman,runtime:" + self.runsc, "--seccomp", self.profile])
        self.assertEqual(o["envs"], ["runc+seccomp:unconfined", "runc+seccomp:deny-eventfd",
                                     "gvisor-podman+seccomp:unconfined", "gvisor-podman+seccomp:deny-eventfd",
                                     "runtime:runsc+seccomp:unconfined", "runtime:runsc+seccomp:deny-eventfd"])
        self.assertEqual(o["seccomp_pairs"][0], ("runc+seccomp:unconfined", "runc+seccomp:deny-eventfd"))
        self.assertEqual(runtimes.podman_args("runc+seccomp:deny-eventfd"), ["--runtime", "runc"])
        self.assertEqual(runtimes.security_opts("runc+seccomp:deny-eventfd"),
                         ["--security-opt", "seccomp=" + self.profile])
        self.assertEqual(runtimes.security_opts("runc+seccomp:unconfined"),
                         ["--security-opt", "seccomp=unconfined"])
        # runsc applies an OCI profile only with --oci-seccomp.
        self.assertEqual(runtimes.podman_args("gvisor-podman+seccomp:deny-eventfd")[-2:],
                         ["--runtime-flag", "oci-seccomp"])
        self.assertEqual(runtimes.podman_args("runtime:runsc+seccomp:deny-eventfd"),
                         ["--runtime", self.runsc, "--runtime-flag", "oci-seccomp"])
        self.assertNotIn("oci-seccomp", runtimes.podman_args("runtime:runsc+seccomp:unconfined"))
        # A profile's column is judged by its environment's table.
        self.assertEqual(cli.table_env("gvisor-podman+seccomp:deny-eventfd"), "gvisor")
        self.assertEqual(cli.table_env("runtime:runsc+seccomp:deny-eventfd"), "gvisor")
        self.assertEqual(cli.table_env("runc+seccomp:deny-eventfd"), "runc")
        self.assertEqual(environments.env_version("runc+seccomp:deny-eventfd", self.tmp), os.uname().release)

    def test_bad_input_is_refused_with_status_2(self):
        from matrix import cli
        bad = {
            "runtime:" + os.path.join(self.tmp, "nowhere"): "unknown runtime",
            "runtime:" + self.script("broken", "exit 1"): "does not answer as an OCI runtime",
            "runtime:": "wants a path",
            "runtime:%s::x" % self.runsc: "an empty flag",
            "host,host": "named twice",
        }
        seccomp = {
            self.file("notjson.json", "{ nope"): "not JSON",
            self.file("list.json", "[1, 2]"): "not a seccomp profile",
            os.path.join(self.tmp, "missing.json"): "no such file",
            "unconfined": "baseline already",
        }
        cases = [(["--env", e], why) for e, why in bad.items()]
        cases += [(["--env", "runc", "--seccomp", p], why) for p, why in seccomp.items()]
        cases.append((["--env", "host", "--seccomp", self.profile], "cannot take a seccomp profile"))
        for argv, why in cases:
            e = io.StringIO()
            with contextlib.redirect_stderr(e):
                rc = cli.main(argv + ["--bin", self.tmp, "--out", os.path.join(self.tmp, "out")])
            self.assertEqual(rc, 2, argv)
            self.assertIn(why, e.getvalue(), argv)
            self.assertIn("matrix: ERROR:", e.getvalue())


if __name__ == "__main__":
    unittest.main(verbosity=2)
