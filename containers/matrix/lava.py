"""ci/matrix.sh lava-job and ci/matrix.sh initramfs: ipcspec in a LAVA lab.

  ci/matrix.sh initramfs --bin DIR --out FILE [--env NAME] [--tier quick|thorough]
                         [--binary-timeout SECONDS]
      writes the initramfs the qemu environments boot (busybox, the test
      binaries of DIR, the loop; containers/matrix/initramfs.py): its init
      runs every binary and prints the records on the serial console between
      @@IPCSPEC-BOOTED and @@IPCSPEC-DONE, then powers off. --env names the
      table of expected differences the binaries judge by (IPCSPEC_ENV,
      default lava: none; linux-6.1 for a 6.1 kernel); the quick tier (the
      default) leaves the selftests out and runs 25 cases per property with
      IPCSPEC_MATRIX_SEED (default 1).

  ci/matrix.sh lava-job --kernel URL --initramfs URL [--out FILE] [--name NAME]
                        [--timeout MINUTES]
      writes a LAVA job definition (YAML; standard output without --out):
      device type qemu, a tmpfs deploy of the kernel and that initramfs, a
      qemu boot, and a test action whose monitor reads each test's verdict
      record off the serial console (pass and xfail are pass, n/a and skip
      are skip, fail, xpass and broken are fail). URLs: http, https or file.
      --timeout bounds the test action (default 120 minutes).

Exit status: 0 written, 1 the file could not be written, 2 bad usage (a
missing or malformed option, a missing prerequisite)."""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

from .common import Usage, say

# What each binary prints per test on the console (impl/verdict/verdict.cc,
# one JSON object a line): {"record":"test","test":NAME,"property":...,
# "kind":...,"library":...,"outcome":OUTCOME,...}.
PATTERN = r'\{"record":"test","test":"(?P<test_case_id>[^"]+)",.*?"outcome":"(?P<result>[a-z/]+)"'
FIXUP = {"pass": "pass", "xfail": "pass", "fail": "fail", "xpass": "fail", "broken": "fail",
         "skip": "skip", "n/a": "skip"}
SCHEMES = ("http", "https", "file")


def _options(argv, names, doc):
    """--name VALUE or --name=VALUE for each of names; no positionals."""
    o = {}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(doc)
            sys.exit(0)
        key, val = a, None
        if "=" in a:
            key, val = a.split("=", 1)
        if key not in names:
            raise Usage("unknown option '%s' (try --help)" % a)
        if val is None:
            i += 1
            if i >= len(argv):
                raise Usage("%s wants a value" % key)
            val = argv[i]
        o[key[2:]] = val
        i += 1
    return o


def check_url(what, url):
    u = urllib.parse.urlparse(url)
    if u.scheme not in SCHEMES or not u.path.strip("/") or (u.scheme != "file" and not u.netloc):
        raise Usage("%s wants a URL (%s://...) the lab's dispatcher can download, got '%s'"
                    % (what, "|".join(SCHEMES), url))
    return url


def job(kernel, initramfs, name="ipcspec", minutes=120):
    """The job definition as a dict (LAVA's job schema, lava_common.schemas)."""
    return {
        "device_type": "qemu",
        "job_name": name,
        "timeouts": {"job": {"minutes": minutes + 15}, "action": {"minutes": 10},
                     "connection": {"minutes": 2}},
        "priority": "medium",
        "visibility": "public",
        # The initramfs holds amd64 static binaries; the tests need a GiB.
        "context": {"arch": "amd64", "memory": 1024},
        "metadata": {"source": "ipcspec ci/matrix.sh lava-job"},
        "actions": [
            {"deploy": {"to": "tmpfs", "timeout": {"minutes": 10}, "images": {
                "kernel": {"image_arg": "-kernel {kernel}", "url": kernel},
                "initrd": {"image_arg": "-initrd {initrd}", "url": initramfs}}}},
            # No prompts: the init prints no shell prompt, it runs the tests.
            {"boot": {"method": "qemu", "media": "tmpfs", "timeout": {"minutes": 5}}},
            {"test": {"timeout": {"minutes": minutes}, "monitors": [{
                "name": "ipcspec",
                "start": "@@IPCSPEC-BOOTED",
                "end": "@@IPCSPEC-DONE",
                "pattern": PATTERN,
                "fixupdict": dict(FIXUP)}]}},
        ],
    }


def to_yaml(v, indent=0):
    """YAML for job(): block mappings and sequences; every string a JSON
    (double-quoted YAML) scalar, so that no value is read as anything else."""
    pad = " " * indent
    if isinstance(v, dict):
        lines = []
        for k, x in v.items():
            key = json.dumps(k) if not k.replace("_", "").isalnum() else k
            if isinstance(x, (dict, list)) and x:
                lines.append("%s%s:\n%s" % (pad, key, to_yaml(x, indent + 2)))
            else:
                lines.append("%s%s: %s" % (pad, key, to_yaml(x)))
        return "\n".join(lines)
    if isinstance(v, list):
        out = []
        for x in v:
            body = to_yaml(x, indent + 2) if isinstance(x, (dict, list)) else pad + "  " + to_yaml(x)
            out.append(pad + "- " + body[indent + 2:])
        return "\n".join(out)
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    return json.dumps(v)


def _write(out, text):
    if out in ("", "-"):
        sys.stdout.write(text)
    else:
        with open(out, "w", encoding="utf-8") as fh:
            fh.write(text)
        say("wrote %s" % out)


def lava_job(argv):
    o = _options(argv, ("--kernel", "--initramfs", "--out", "--name", "--timeout"),
                 __doc__.strip("\n"))
    for k in ("kernel", "initramfs"):
        if not o.get(k):
            raise Usage("lava-job: --%s URL is required (lava-job --kernel URL --initramfs URL)" % k)
        check_url("lava-job: --" + k, o[k])
    name = o.get("name", "ipcspec")
    if not name.strip() or len(name) > 200:
        raise Usage("lava-job: --name wants 1 to 200 characters")
    minutes = o.get("timeout", "120")
    if not minutes.isdigit() or int(minutes) < 1:
        raise Usage("lava-job: --timeout wants whole minutes (1 or more), got '%s'" % minutes)
    j = job(o["kernel"], o["initramfs"], name, int(minutes))
    _write(o.get("out", "-"), "# LAVA job: ipcspec on a kernel (ci/matrix.sh lava-job)\n"
           + to_yaml(j) + "\n")
    return 0


def write_initramfs(argv):
    from . import cli, initramfs
    o = _options(argv, ("--bin", "--out", "--env", "--tier", "--binary-timeout"),
                 __doc__.strip("\n"))
    if not o.get("bin") or not os.path.isdir(o["bin"]) or not os.listdir(o["bin"]):
        raise Usage("initramfs: --bin wants a directory of test binaries "
                    "(containers/build_binaries.sh DIR), got '%s'" % o.get("bin", ""))
    if not o.get("out"):
        raise Usage("initramfs: --out FILE is required")
    tier = o.get("tier", "quick")
    if tier not in ("quick", "thorough"):
        raise Usage("initramfs: unknown tier '%s' (quick or thorough)" % tier)
    bt = o.get("binary-timeout", "300")
    if not bt.isdigit():
        raise Usage("initramfs: --binary-timeout wants whole seconds, got '%s'" % bt)
    env = o.get("env", "lava")
    if not env.replace("-", "").replace(".", "").replace("_", "").isalnum():
        raise Usage("initramfs: --env wants a table name such as linux-6.1, got '%s'" % env)
    seed = os.environ.get("IPCSPEC_MATRIX_SEED", "1")
    if seed != "random" and not seed.isdigit():
        raise Usage('IPCSPEC_MATRIX_SEED must be a number or "random", not "%s"' % seed)
    busybox = "/bin/busybox"
    if not os.access(busybox, os.X_OK) or b"program interpreter" in subprocess.run(
            ["readelf", "-l", busybox], capture_output=True).stdout:
        raise Usage("initramfs: needs a static /bin/busybox: apt-get install busybox-static")
    if not shutil.which("cpio"):
        raise Usage("initramfs: needs cpio: apt-get install cpio")
    rc_params = ""
    if tier == "quick":
        rc_params = "max_success=25" + ("" if seed == "random" else " seed=" + seed)
    # As on the matrix's qemu environments: a slow (TCG) machine.
    variables = {"IPCSPEC_ENV": env, "IPCSPEC_ENV_VERSION": "", "IPCSPEC_TIMEOUT_SCALE": "10",
                 "RC_PARAMS": rc_params}
    work = tempfile.mkdtemp()
    try:
        sel = cli.select_binaries(os.path.abspath(o["bin"]), work, tier)
        initramfs.make_initramfs(os.path.abspath(o["out"]), sel, variables, int(bt) * 10)
        n = len(os.listdir(sel))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    say("wrote %s (%d binaries, IPCSPEC_ENV=%s, tier %s)" % (o["out"], n, env, tier))
    return 0


def main(argv, what):
    try:
        return lava_job(argv) if what == "lava-job" else write_initramfs(argv)
    except Usage as e:
        print("matrix: ERROR: %s" % e, file=sys.stderr)
        return 2
    except OSError as e:
        print("matrix: ERROR: %s: %s" % (what, e), file=sys.stderr)
        return 1
