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
from unittest import mock

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from matrix import custom_kernel, environments, loop, results  # noqa: E402
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
        # What a LAVA job's monitor reads off the same console (lava-job).
        import re
        from matrix import lava
        with open(stream) as fh:
            seen = [m.groupdict() for m in re.finditer(lava.PATTERN, fh.read())]
        self.assertEqual([(m["test_case_id"], lava.FIXUP[m["result"]]) for m in seen],
                         [("Good.One", "pass"), ("Crash.First", "pass")])

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


class Lava(unittest.TestCase):
    """ci/matrix.sh lava-job and initramfs (containers/matrix/lava.py)."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def run_cli(self, argv):
        from matrix import cli
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            rc = cli.main(argv)
        return rc, o.getvalue(), e.getvalue()

    def test_jobs_validate_with_lavas_own_schema(self):
        """The job, written as YAML and read back, passes LAVA's job schema
        (lava_common.schemas.validate, Debian's lava-common) for several
        argument sets; the schema does reject a broken job."""
        try:
            import yaml
            from lava_common import schemas
        except ImportError as e:
            self.fail("%s: apt-get install lava-common python3-yaml (ci/setup.sh)" % e)
        cases = [  # (arguments, job name, test minutes, kernel URL, initramfs URL)
            (["--kernel", "https://lab.example/k/bzImage", "--initramfs", "https://lab.example/i.cpio.gz"],
             "ipcspec", 120, "https://lab.example/k/bzImage", "https://lab.example/i.cpio.gz"),
            (["--kernel=file:///srv/vmlinuz-6.1", "--initramfs=file:///srv/ipcspec.cpio.gz",
              "--name", 'ipcspec: linux 6.1 "rc" #2', "--timeout", "45"],
             'ipcspec: linux 6.1 "rc" #2', 45, "file:///srv/vmlinuz-6.1", "file:///srv/ipcspec.cpio.gz"),
            (["--initramfs", "http://h/i", "--timeout=600", "--kernel", "http://10.0.0.1:8080/a?b=c"],
             "ipcspec", 600, "http://10.0.0.1:8080/a?b=c", "http://h/i"),
        ]
        for k, (args, name, minutes, kernel, initrd) in enumerate(cases):
            out = os.path.join(self.tmp, "job%d.yaml" % k)
            rc, _, err = self.run_cli(["lava-job", "--out", out] + args)
            self.assertEqual(rc, 0, err)
            with open(out) as fh:
                job = yaml.safe_load(fh)
            schemas.validate(job)
            self.assertEqual((job["device_type"], job["job_name"]), ("qemu", name))
            deploy, boot, test = (a[next(iter(a))] for a in job["actions"])
            self.assertEqual((deploy["to"], boot["method"], boot["media"]), ("tmpfs", "qemu", "tmpfs"))
            self.assertEqual((deploy["images"]["kernel"]["url"], deploy["images"]["initrd"]["url"]),
                             (kernel, initrd))
            self.assertEqual(test["timeout"], {"minutes": minutes})
            from matrix import lava
            self.assertEqual(test["monitors"][0]["pattern"], lava.PATTERN)
        # Standard output without --out; the schema is not a rubber stamp.
        rc, text, _ = self.run_cli(["lava-job", "--kernel", "https://h/k", "--initramfs", "https://h/i"])
        job = yaml.safe_load(text)
        schemas.validate(job)
        del job["actions"][0]["deploy"]["to"]
        with self.assertRaises(Exception):
            schemas.validate(job)

    def test_wrong_input_exits_2_with_a_clear_message(self):
        k, i = ["--kernel", "https://h/bzImage"], ["--initramfs", "https://h/i.cpio.gz"]
        for argv, msg in [
                (["lava-job"] + i, "--kernel URL is required"),
                (["lava-job"] + k, "--initramfs URL is required"),
                (["lava-job", "--kernel", "bzImage"] + i, "--kernel wants a URL"),
                (["lava-job", "--kernel", "ftp://h/bzImage"] + i, "--kernel wants a URL"),
                (["lava-job", "--kernel", "https://"] + i, "--kernel wants a URL"),
                (["lava-job"] + k + ["--initramfs", "/srv/i.cpio.gz"], "--initramfs wants a URL"),
                (["lava-job"] + k + i + ["--timeout", "0"], "--timeout wants whole minutes"),
                (["lava-job"] + k + i + ["--device", "x"], "unknown option '--device'"),
                (["lava-job"] + k + i + ["--out"], "--out wants a value"),
                (["initramfs", "--out", os.path.join(self.tmp, "i")], "--bin wants a directory"),
                (["initramfs", "--bin", self.tmp, "--out", "x"], "--bin wants a directory"),
                (["initramfs", "--bin", HERE], "--out FILE is required"),
                (["initramfs", "--bin", HERE, "--out", "x", "--tier", "deep"], "unknown tier 'deep'")]:
            rc, out, err = self.run_cli(argv)
            self.assertEqual((rc, out), (2, ""), argv)
            self.assertIn(msg, err, argv)
            self.assertTrue(err.startswith("matrix: ERROR: "), err)

    def test_initramfs_holds_the_binaries_and_an_init_that_runs_them(self):
        static = subprocess.run(["readelf", "-l", "/bin/busybox"], capture_output=True)
        if static.returncode != 0 or b"program interpreter" in static.stdout or not shutil.which("cpio"):
            self.skipTest("unmet need: a static /bin/busybox and cpio (ci/setup.sh --matrix)")
        bindir = os.path.join(self.tmp, "bin")
        make_bin(bindir)
        shutil.copy(os.path.join(bindir, "a_good"), os.path.join(bindir, "suites_selftest_x"))
        img = os.path.join(self.tmp, "ipcspec.cpio.gz")
        rc, _, err = self.run_cli(["initramfs", "--bin", bindir, "--out", img, "--env", "linux-6.1"])
        self.assertEqual(rc, 0, err)
        x = os.path.join(self.tmp, "x")
        os.makedirs(x)
        with open(img, "rb") as fh:
            cpio = subprocess.run("gzip -dc | cpio -id --quiet", shell=True, stdin=fh, cwd=x)
        self.assertEqual(cpio.returncode, 0)
        # The quick tier leaves the selftests out.
        self.assertEqual(sorted(os.listdir(os.path.join(x, "tests"))), sorted(BINARIES))
        with open(os.path.join(x, "init")) as fh:
            init = fh.read()
        for want in ("export IPCSPEC_ENV=linux-6.1", "export RC_PARAMS='max_success=25 seed=1'",
                     "@@IPCSPEC-BOOTED", "sh /loop.sh /tests - 3000", "@@IPCSPEC-DONE"):
            self.assertIn(want, init)


CONFIG_OK = "".join("%s=y\n" % o for o, _w in custom_kernel.ESSENTIAL) + "".join(
    "%s=y\n" % o for o, _w, _p in custom_kernel.NEEDS)


def fake_bzimage(path, payload=b"", version=b"9.9.9-test"):
    """A file with a bzImage's setup header: HdrS, setup_sects 1, the
    kernel_version string and PAYLOAD where payload_offset says."""
    import struct
    data = bytearray(1024)
    data[0x1f1] = 1
    data[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", data, 0x20e, 0x300 - 0x200)
    data[0x300:0x300 + len(version)] = version
    struct.pack_into("<II", data, 0x248, 16, len(payload))
    data += b"\0" * 16 + payload
    with open(path, "wb") as fh:
        fh.write(bytes(data))
    return path


class CustomKernel(unittest.TestCase):
    """--env kernel:PATH without booting: the image, the package and the
    configuration; the console reader over canned console logs."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(dir=os.environ.get("TEST_TMPDIR"))
        self.bin = os.path.join(self.tmp, "bin")
        make_bin(self.bin)
        p = mock.patch.dict(os.environ, {"IPCSPEC_CACHE": os.path.join(self.tmp, "cache")})
        p.start()
        self.addCleanup(p.stop)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def main(self, *argv):
        from matrix import cli
        o, e = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(o), contextlib.redirect_stderr(e):
            rc = cli.main(list(argv))
        return rc, e.getvalue()

    def config(self, text):
        p = os.path.join(self.tmp, "config-%d" % len(os.listdir(self.tmp)))
        with open(p, "w") as fh:
            fh.write(text)
        return p

    def test_the_embedded_config_is_found_in_a_compressed_payload(self):
        import gzip
        import lzma
        cfg = "# comment\nCONFIG_SYSVIPC=y\n# CONFIG_AIO is not set\n"
        blob = b"code" + b"IKCFG_ST" + gzip.compress(cfg.encode()) + b"IKCFG_ED" + b"more"
        comps = [lzma.compress, gzip.compress, lambda b: b]
        if shutil.which("zstd"):
            comps.append(lambda b: subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True,
                                                  check=True).stdout + b"\x10\x20\x30\x40")
        for comp in comps:
            img = fake_bzimage(os.path.join(self.tmp, "bzImage"), comp(blob))
            with open(img, "rb") as fh:
                data = fh.read()
            self.assertEqual(custom_kernel.embedded_config(data), cfg)
            self.assertEqual(custom_kernel.image_version(data), "9.9.9-test")
        self.assertIsNone(custom_kernel.embedded_config(b"no config here"))
        self.assertEqual(custom_kernel.parse_config(cfg), {"CONFIG_SYSVIPC": "y", "CONFIG_AIO": "n"})

    def test_a_kernel_package_gives_its_image_and_its_config(self):
        root = os.path.join(self.tmp, "pkg")
        os.makedirs(os.path.join(root, "DEBIAN"))
        os.makedirs(os.path.join(root, "boot"))
        with open(os.path.join(root, "DEBIAN", "control"), "w") as fh:
            fh.write("Package: linux-image-9.9-test\nVersion: 9.9-1\nArchitecture: amd64\n"
                     "Maintainer: nobody <nobody@localhost>\nDescription: a test\n")
        fake_bzimage(os.path.join(root, "boot", "vmlinuz-9.9-test"))
        with open(os.path.join(root, "boot", "config-9.9-test"), "w") as fh:
            fh.write(CONFIG_OK.replace("CONFIG_AIO=y", "CONFIG_AIO=m"))
        deb = os.path.join(self.tmp, "linux-image-9.9-test_9.9-1_amd64.deb")
        subprocess.run(["dpkg-deb", "-Znone", "--build", root, deb], check=True, capture_output=True)
        envs = custom_kernel.expand(["host", "kernel:" + deb, "kernel:/x/" + os.path.basename(deb)])
        self.assertEqual(envs, ["host", "kernel-linux-image-9.9-test_9.9-1_amd64",
                                "kernel-linux-image-9.9-test_9.9-1_amd64-2"])
        k = custom_kernel.get(envs[1])
        e = io.StringIO()
        with contextlib.redirect_stderr(e):
            custom_kernel.prepare(k, os.path.join(self.tmp, "cache"))
        self.assertEqual((k.version, k.describe), ("9.9-1", "linux-image-9.9-test 9.9-1"))
        self.assertEqual([m[:2] for m in k.missing], [("CONFIG_AIO", "m")])
        self.assertIn("CONFIG_AIO is =m (a module: the initramfs loads none)", e.getvalue())
        self.assertTrue(environments.known(envs[1]))

    def test_a_missing_option_refuses_or_skips_before_boot(self):
        img = fake_bzimage(os.path.join(self.tmp, "bzImage"))
        # No serial console: refused, with the option's name (exit 2).
        rc, err = self.main("--env", "kernel:" + img, "--bin", self.bin, "--out", self.tmp + "/o",
                            "--kernel-config", self.config(
                                CONFIG_OK.replace("CONFIG_SERIAL_8250_CONSOLE=y\n", "")))
        self.assertEqual(rc, 2, err)
        self.assertIn("kernel-bzImage: refused before boot: the kernel's configuration", err)
        self.assertIn("CONFIG_SERIAL_8250_CONSOLE (absent;", err)
        # No System V IPC: the binaries that need it are skips of that need.
        k = custom_kernel.get(custom_kernel.expand(["kernel:" + img])[0])
        with contextlib.redirect_stderr(io.StringIO()):
            custom_kernel.prepare(k, self.tmp + "/cache", self.config(
                CONFIG_OK.replace("CONFIG_SYSVIPC=y", "# CONFIG_SYSVIPC is not set")))
        shutil.copy(os.path.join(self.bin, "a_good"), os.path.join(self.bin, "suites_sysv_msg_t"))
        out = os.path.join(self.tmp, "out")
        d = os.path.join(out, k.name)
        os.makedirs(d)
        with contextlib.redirect_stderr(io.StringIO()):
            sel = custom_kernel.select(k, self.bin, d)
        self.assertEqual(sorted(os.listdir(sel)), ["a_good", "b_crash", "c_killed"])
        with open(os.path.join(d, "config-check.tsv")) as fh:
            self.assertIn("CONFIG_SYSVIPC\tn\tSystem V IPC\tsuites_sysv_msg_t\n", fh.read())
        only = os.path.join(self.tmp, "only")
        os.makedirs(only)
        shutil.copy(os.path.join(self.bin, "a_good"), os.path.join(only, "suites_sysv_msg_t"))
        results.write_runner_tsv(d, only, 30, "finished", None, False)
        results.write_env_tsv(d, [("status", "finished")])
        r = Matrix.verdict(self, out, k.name)
        self.assertEqual(r.returncode, 0, r.stderr)
        import json
        with open(os.path.join(out, "results.json")) as fh:
            t = json.load(fh)["tests"]
        self.assertEqual([(x["test"], x["outcome"], x["need"]) for x in t],
                         [("Good.One", "skip", "CONFIG_SYSVIPC")])

    def test_bad_input_exits_2(self):
        text = self.config("not a kernel\n")
        img = fake_bzimage(os.path.join(self.tmp, "bzImage"))
        for argv, says in (
                (["--env", "kernel:"], "got nothing after 'kernel:'"),
                (["--env", "kernel:/nowhere/bzImage"], "no such kernel: /nowhere/bzImage"),
                (["--env", "kernel:no-such-version"], "no such kernel: no-such-version"),
                (["--env", "kernel:" + text], "is not a kernel image"),
                (["--env", "kernel:" + img, "--kernel-config", text], "is not a kernel configuration"),
                (["--env", "host", "--kernel-config", text], "--kernel-config wants an existing file"),
                (["--env", "host", "--filter", "a b"], "--filter wants gtest's syntax"),
                (["--env", "host", "--filter="], "--filter wants gtest's syntax"),
                (["--env", "host", "--filter", "A*-B-C"], "one '-' at most"),
                (["--env", "host", "--filter", ":-:"], "--filter has no pattern"),
                (["--env", "host", "--filter", "Nothing.*"], "--filter 'Nothing.*' selects no test")):
            rc, err = self.main(*argv, "--bin", self.bin, "--out", os.path.join(self.tmp, "o"))
            self.assertEqual(rc, 2, (argv, err))
            self.assertIn(says, err, argv)

    def test_kernel_path_gives_a_cached_kernel_whose_config_is_checked(self):
        """ci/matrix.sh kernel-path ENV prints the cached vmlinuz (no network
        when it is there); kernel:THAT_PATH checks the config kept beside it."""
        from matrix import cli
        d = os.path.join(self.tmp, "cache", "kernels", "linux-6.12")
        os.makedirs(d)
        vm = fake_bzimage(os.path.join(d, "vmlinuz"))
        with open(os.path.join(d, "package"), "w") as fh:
            fh.write("linux-image-9.9-test 9.9-1\n")
        with open(os.path.join(d, "config"), "w") as fh:
            fh.write(CONFIG_OK.replace("CONFIG_BLK_DEV_INITRD=y\n", ""))
        o = io.StringIO()
        with contextlib.redirect_stdout(o):
            self.assertEqual(cli.main(["kernel-path", "linux-6.12"]), 0)
        self.assertEqual(o.getvalue(), vm + "\n")
        rc, err = self.main("--env", "kernel:" + vm, "--bin", self.bin, "--out", self.tmp + "/o")
        self.assertEqual(rc, 2, err)
        self.assertIn("kernel-vmlinuz: refused before boot: the kernel's configuration (%s/config)" % d, err)
        self.assertIn("CONFIG_BLK_DEV_INITRD (absent;", err)
        for argv in (["kernel-path"], ["kernel-path", "linux-9.9"], ["kernel-path", "a", "b"]):
            e = io.StringIO()
            with contextlib.redirect_stderr(e):
                self.assertEqual(cli.main(argv), 2, argv)
            self.assertIn("usage: ci/matrix.sh kernel-path ENV", e.getvalue())

    def test_a_table_of_ones_own_without_editing_the_repository(self):
        """--divergences [ENV=]FILE: the user's table applies on top of the
        environment's own (the reader's user_tables.py), to a kernel:, a
        runtime: or any environment of the run; bad tables exit 2 before
        anything runs."""
        from matrix import cli
        mine = self.config("# mine\nCrash.Dies\t*\tdocumented\tfails\tcrash\tmy kernel kills it\t"
                           "my notes\t*\n")
        img = fake_bzimage(os.path.join(self.tmp, "bzImage"))
        runsc = os.path.join(self.tmp, "runsc")
        with open(runsc, "w") as fh:
            fh.write('#!/bin/sh\necho "runsc version 0.0~20240729.0"\n')
        os.chmod(runsc, 0o755)
        o = cli.parse(["--env", "kernel:%s,runtime:%s" % (img, runsc),
                       "--divergences", "runtime:runsc=%s,%s" % (mine, mine)])
        self.assertEqual(o["tables"], ["runtime:runsc=" + mine, mine])
        self.assertEqual(cli.table_env("runtime:runsc"), "gvisor")   # the inherited table stays
        # A host run: the crash is excused by the user's entry, the hang is not.
        out = os.path.join(self.tmp, "out")
        rc, err = self.main("--env", "host", "--bin", self.bin, "--out", out, "--binary-timeout", "30",
                            "--divergences", mine)
        self.assertEqual(rc, 1, err)
        import json
        with open(os.path.join(out, "results.json")) as fh:
            doc = json.load(fh)
        got = {t["test"]: (t["outcome"], (t.get("entry") or {}).get("origin")) for t in doc["tests"]}
        self.assertEqual(got["Crash.Dies"], ("xfail", os.path.basename(mine) + ":2"))
        self.assertEqual(got["Killed.Hangs"], ("fail", None))
        for argv, says in (
                (["--env", "host", "--divergences", self.tmp + "/none.tsv"], "no such file"),
                (["--env", "host", "--divergences", self.config("A.B\t*\tdocumented\n")], "not 8"),
                (["--env", "host", "--divergences", "linux-6.1=" + mine], "not an environment of this run"),
                (["--env", "host", "--divergences="], "--divergences wants")):
            rc, err = self.main(*argv, "--bin", self.bin, "--out", os.path.join(self.tmp, "o"))
            self.assertEqual(rc, 2, (argv, err))
            self.assertIn(says, err, argv)

    def test_filter_reaches_the_binaries_and_leaves_out_the_unselected(self):
        from matrix import gtest_filter
        self.assertTrue(gtest_filter.selects("Good.*:Crash.*-*.Dies", "Crash.First"))
        self.assertFalse(gtest_filter.selects("Good.*:Crash.*-*.Dies", "Crash.Dies"))
        self.assertTrue(gtest_filter.selects("-Crash.*", "Good.One"))
        out = os.path.join(self.tmp, "out")
        rc, err = self.main("--env", "host", "--bin", self.bin, "--out", out, "--filter", "Good.*",
                            "--binary-timeout", "30")
        self.assertEqual(rc, 0, err)
        self.assertEqual(os.listdir(os.path.join(out, ".bin-quick")), ["a_good"])
        with open(os.path.join(out, "host", "not_run.txt")) as fh:
            self.assertEqual(fh.read(), "Crash.First\nCrash.Dies\nKilled.Hangs\n")
        with open(os.path.join(out, "host", "env.tsv")) as fh:
            self.assertIn("filter\tGood.*\n", fh.read())

    def test_the_console_tells_panics_oopses_warnings_and_hangs(self):
        def problem(name, hang=""):
            return custom_kernel.console_problem(os.path.join(HERE, "testdata", name), hang)
        self.assertEqual(problem("console-panic.log"),
                         "kernel panic: Kernel panic - not syncing: sysrq triggered crash")
        self.assertEqual(problem("console-oops.log"),
                         "oops: Oops: 0000 [#1] PREEMPT SMP NOPTI (and 2 more: kernel BUG, tainted)")
        self.assertEqual(problem("console-warning.log"),
                         "kernel warning: WARNING: CPU: 0 PID: 77 at ipc/mqueue.c:1234 "
                         "do_mq_timedsend+0x1a/0x200 (and 1 more: tainted)")
        self.assertEqual(problem("console-hung.log"),
                         "hang: INFO: task a_good:88 blocked for more than 120 seconds.")
        self.assertEqual(problem("console-clean.log"), "")
        self.assertEqual(problem("console-clean.log", "silent for 999s"),
                         "hang: silent for 999s; last console line: @@IPCSPEC-DONE 32.35")
        with open(os.path.join(HERE, "testdata", "console-oops.log")) as fh:
            found = custom_kernel.read_console(fh.read())
        self.assertIn(("tainted", "kernel tainted at the end of the run: 640 (DW)"), found)


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


class GeneratedReproducerTest(unittest.TestCase):
    """containers/matrix/generated.py without runsc: a fake "gvisor" (an
    environment variable the fake programs read), a fake test binary that
    writes a reproducer the way IPCSPEC_REPRO=always makes the suites write
    theirs, and the judgement (exit 1 in the environment with the finding's
    text, 0 on the host) and the README check, each shown to fail too."""

    FINDING = r"""#include <stdio.h>
#include <stdlib.h>
int main(void) {
  if (getenv("FAKE_GVISOR") && %s) { puts("FAIL: msgrcv(7, ...) wrote 1 byte(s) past mtext[msgsz]"); return 1; }
  puts("OK"); return 0;
}
"""

    def setUp(self):
        from matrix import generated
        self.g = generated
        self.tmp = tempfile.mkdtemp()
        self.addCleanup(shutil.rmtree, self.tmp)
        self.bindir = os.path.join(self.tmp, "bin")
        os.makedirs(self.bindir)
        real_run_one = generated.probes.run_one
        self.real_prefix = generated.prefix

        def run_one(base, binary):
            if base == "host":
                return real_run_one("host", binary)
            with mock.patch.dict(os.environ, {"FAKE_GVISOR": "1"}):
                return real_run_one("host", binary)
        for p in (mock.patch.object(generated, "prefix",
                                    lambda env: [] if env == "host" else ["env", "FAKE_GVISOR=1"]),
                  mock.patch.object(generated.probes, "run_one", run_one),
                  mock.patch.object(generated, "ROOT", self.tmp)):
            p.start()
            self.addCleanup(p.stop)
        self.case = dict(generated.CASES[0], binary="fake_suite")

    def fake_suite(self, shows):
        src = self.FINDING % ("1" if shows else "0")
        header = "/* msqid 5: msgrcv(5, msgsz 0) */\n"
        p = os.path.join(self.bindir, "fake_suite")
        with open(p, "w") as fh:
            fh.write("#!/bin/sh\ncat > \"$IPCSPEC_REPRO_DIR/repro-x.c\" <<'EOF'\n%s%sEOF\nexit 1\n"
                     % (header, src))
        os.chmod(p, 0o755)
        return header + src

    def test_a_finding_in_the_environment_and_not_on_the_host_passes(self):
        c_text = self.fake_suite(shows=True)
        outcome, msg, _ms, got = self.g.run_case("gvisor", self.case, self.bindir, self.tmp)
        self.assertEqual(outcome, "pass", msg)
        self.assertEqual(got, c_text)
        self.assertIn("gvisor: exit 1", msg)
        self.assertIn("host: exit 0", msg)

    def test_a_finding_that_no_longer_shows_fails(self):
        self.fake_suite(shows=False)
        outcome, msg, _ms, _c = self.g.run_case("gvisor", self.case, self.bindir, self.tmp)
        self.assertEqual(outcome, "fail", msg)
        self.assertIn("expected exit 1 printing 'past mtext[msgsz]'", msg)

    def test_the_same_exit_on_the_host_fails(self):
        self.fake_suite(shows=True)
        outcome, msg, _ms, _c = self.g.run_case("host", self.case, self.bindir, self.tmp)
        self.assertEqual(outcome, "fail", msg)

    def test_repro_env_refuses_an_unknown_env_and_a_missing_runsc(self):
        argv = ["--binary", "b", "--test", "T", "--out", self.tmp]
        for env, why in (("runc", "unknown environment 'runc'"),
                         ("gvisor", "bash ci/setup.sh --matrix installs it")):
            e = io.StringIO()
            with contextlib.redirect_stderr(e), \
                    mock.patch.object(self.g, "prefix", self.real_prefix), \
                    mock.patch.object(self.g.shutil, "which", lambda cmd: None):
                self.assertEqual(self.g.main(["--env", env] + argv), 2, env)
            self.assertIn(why, e.getvalue())

    def test_the_readme_block_must_be_the_generated_file_up_to_msqids(self):
        c_text = self.fake_suite(shows=True)
        os.makedirs(os.path.join(self.tmp, "gvisor"))
        out = os.path.join(self.tmp, "out")
        os.makedirs(os.path.join(out, "gvisor"))

        def verdicts(readme):
            import json
            if readme is not None:
                with open(os.path.join(self.tmp, "README.md"), "w") as fh:
                    fh.write(readme)
            with mock.patch.object(self.g, "CASES", [self.case]), \
                    mock.patch.object(self.g, "say", lambda m: None):
                self.g.run(out, ["gvisor", "host"], self.bindir)
            with open(os.path.join(out, "gvisor", "generated.jsonl")) as fh:
                recs = [json.loads(l) for l in fh]
            return {r["test"]: r["outcome"] for r in recs if r["record"] == "test"}

        section = "# ipcspec\n\n### A real finding, as generated\n\nText.\n\n```c\n%s```\n\nMore.\n"
        ok = verdicts(section % c_text.replace("msqid 5", "msqid 99").replace("msgrcv(5,", "msgrcv(99,"))
        self.assertEqual(ok, {"GeneratedReproducer.SysvMsgrcvOverrun": "pass",
                              "GeneratedReproducer.ReadmeShowsIt": "pass"})
        stale = verdicts(section % c_text.replace("return 1", "return 3"))
        self.assertEqual(stale["GeneratedReproducer.ReadmeShowsIt"], "fail")
        os.remove(os.path.join(self.tmp, "README.md"))
        self.assertEqual(verdicts(None)["GeneratedReproducer.ReadmeShowsIt"], "fail")


if __name__ == "__main__":
    unittest.main(verbosity=2)
