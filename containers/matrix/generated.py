"""Generated reproducers, found IN an environment (issue 17).

A property test runs inside the environment (host, or gvisor: the same
`runsc --network=none do` the matrix and containers/matrix/probes.py use)
with IPCSPEC_REPRO=always, so that it writes the C reproducer of its shrunk
counterexample (or, when it passes there, of its longest case). runsc do
keeps the sandbox's writes in a throw-away overlay, so the file comes back
on the sandbox's stdout between markers. It is then compiled on the host
with its own plain command (`cc -o repro repro.c` plus the link flags it
names) and run in the environment and on the host (probes.run_one). A
finding shows as exit 1 in the environment and exit 0 on the host.

Two users:
  * `repro TEST --env ENV` (impl/repro/repro.sh) calls main() below.
  * The matrix run (cli.py) calls run(): for each gvisor environment it
    writes ENV/generated.jsonl with one verdict record per entry of CASES,
    GeneratedReproducer.NAME: pass when the reproducer generated under
    gVisor exits 1 there (printing the expected text) and 0 on the host,
    and GeneratedReproducer.ReadmeShowsIt: the README's ```c block under
    "### A real finding, as generated" is the file generated for the first
    case, byte for byte except the msqid numbers its header quotes.
"""

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time

from .common import ROOT, say
from . import probes

BINARY = "generated"
GEN_TIMEOUT = 300     # seconds for the property test in the environment

# name, static binary (the matrix's bin dir), its Bazel target, the test,
# the seed, the text the reproducer prints where the finding shows, the
# gVisor table row it reproduces.
CASES = [
    {"name": "SysvMsgrcvOverrun",
     "binary": "suites_message_queue_message_queue_test",
     "target": "//suites/message_queue:message_queue_test",
     "test": "Kinds/MessageQueueSuite.MessageBoundaries/sysv_msg",
     "seed": "1",
     "shows": "past mtext[msgsz]",
     "row": "containers/divergences/gvisor.tsv: Kinds/MessageQueueSuite.MessageBoundaries/sysv_msg*",
     "readme": True},
    {"name": "SysvMsgrcvNegativeType",
     "binary": "suites_message_queue_message_queue_test",
     "target": "//suites/message_queue:message_queue_test",
     "test": "Kinds/MessageQueueSuite.TypeSelection/sysv_msg",
     "seed": "2",
     "shows": "got ENOMSG",
     "row": "containers/divergences/gvisor.tsv: Kinds/MessageQueueSuite.TypeSelection/sysv_msg*",
     "readme": False},
    {"name": "SignalfdUpdateReturnsZero",
     "binary": "suites_signal_queue_signal_queue_test",
     "target": "//suites/signal_queue:signal_queue_test",
     "test": "Kinds/SignalQueueSuite.ModelSequences/signalfd",
     "seed": "1",
     "shows": "on the existing signalfd returned 0",
     "row": "containers/divergences/gvisor.tsv: Kinds/SignalQueueSuite.*/signalfd",
     "readme": False},
    {"name": "UnixStreamResetNoPollerr",
     "binary": "suites_readiness_readiness_test",
     "target": "//suites/readiness:readiness_test",
     "test": "Kinds/StreamReadiness.ModelSequences/unix_stream_socketpair",
     "seed": "1",
     "shows": "POLLERR clear (expected yes)",
     "row": "containers/divergences/gvisor.tsv: Kinds/StreamReadiness.ModelSequences/* unix_stream*",
     "readme": False},
]

README_SECTION = "### A real finding, as generated"
ENVS = ("host", "gvisor")
BEGIN, END = "@@IPCSPEC-GENERATED-BEGIN", "@@IPCSPEC-GENERATED-END"


class Error(Exception):
    pass


def prefix(env):
    """The command prefix that runs a program in env (probes.run_one's)."""
    if env == "host":
        return []
    if env == "gvisor":
        return ["runsc", "--network=none", "do"]
    raise Error("repro --env: unknown environment '%s': it runs in %s (the other matrix "
                "environments run through podman or qemu, which --env does not drive)"
                % (env, ", ".join(ENVS)))


def check_env(env):
    prefix(env)
    if env == "gvisor" and not shutil.which("runsc"):
        raise Error("repro --env gvisor needs runsc, which is not installed: "
                    "bash ci/setup.sh --matrix installs it (Debian's bookworm-backports runsc)")


# Inside the environment: run the test with IPCSPEC_REPRO=always into a
# scratch directory, then print its log and the reproducer between markers.
_SCRIPT = r'''
d=$(mktemp -d) || exit 3
IPCSPEC_REPRO=always IPCSPEC_REPRO_DIR="$d" TEST_UNDECLARED_OUTPUTS_DIR="$d" TEST_TMPDIR="$d" \
  "$0" --gtest_filter="$1" > "$d/log" 2>&1
rc=$?
echo "@@IPCSPEC-GENERATED-BEGIN log"; cat "$d/log"; echo "@@IPCSPEC-GENERATED-END"
for f in "$d"/repro-*.c; do
  [ -f "$f" ] || continue
  echo "@@IPCSPEC-GENERATED-BEGIN c"; cat "$f"; echo "@@IPCSPEC-GENERATED-END"
done
rm -rf "$d"
echo "@@IPCSPEC-GENERATED-RC $rc"
'''


_ON_DEMAND = "(nothing: generated on demand"


def generate(env, binary, test, seed="", reproduce="", target=""):
    """Runs test in env; returns (whether the property failed there, its log,
    the C text or None)."""
    params = " ".join(p for p in ("seed=" + seed if seed else "",
                                  "reproduce=" + reproduce if reproduce else "") if p)
    e = dict(os.environ)
    e["RC_PARAMS"] = params
    if target:
        e["TEST_TARGET"] = target
    cmd = prefix(env) + ["/bin/sh", "-c", _SCRIPT, binary, test]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=e,
                           timeout=GEN_TIMEOUT, start_new_session=True)
    except subprocess.TimeoutExpired:
        raise Error("%s did not finish within %d s in %s" % (test, GEN_TIMEOUT, env))
    parts, cur, rc = {}, None, None
    for line in p.stdout.decode("utf-8", "replace").splitlines(keepends=True):
        if line.startswith(BEGIN):
            cur = line.split()[1]
            parts[cur] = ""
        elif line.startswith(END) and cur is not None:
            cur = None
        elif line.startswith("@@IPCSPEC-GENERATED-RC") and cur is None:
            rc = int(line.split()[1])
        elif cur is not None:
            parts[cur] += line
    if rc is None:
        raise Error("the run in %s ended without its results (status %d): %s"
                    % (env, p.returncode, p.stderr.decode("utf-8", "replace")[-2000:]))
    c_text = parts.get("c")
    # The binary's status may be 0 for a failure its environment's table
    # expects (IPCSPEC_ENV): the reproducer's header says which it is.
    failed = rc != 0 or (c_text is not None and _ON_DEMAND not in c_text)
    return failed, parts.get("log", ""), c_text


def link_flags(c_text):
    """The link flags the reproducer's own "cc -o repro repro.c ..." line names."""
    for line in c_text.splitlines():
        s = line.strip()
        if s.startswith("*   cc -o repro repro.c") and s.endswith("&& ./repro"):
            return s[len("*   cc -o repro repro.c"):-len("&& ./repro")].split()
    return []


def build(c_text, path):
    """Writes path (NAME.c) and compiles it with plain cc; returns (the
    binary or None, the compiler's output)."""
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(c_text)
    exe = path[:-2]
    cmd = ["cc", "-o", exe, path] + link_flags(c_text)
    p = subprocess.run(cmd, capture_output=True, text=True)
    log = "$ %s\n%s%s" % (" ".join(shlex.quote(c) for c in cmd), p.stdout, p.stderr)
    return (exe if p.returncode == 0 else None), log


def describe(rc, sig):
    if sig:
        return "killed by signal %d" % sig
    if rc is None:
        return "no exit within %d s" % probes.TIMEOUT
    return {0: "exit 0 (behaves as documented)", 1: "exit 1 (a documented promise is broken)",
            2: "exit 2 (could not set up)"}.get(rc, "exit %d" % rc)


def main(argv):
    ap = argparse.ArgumentParser(prog="repro TEST --env ENV",
                                 description="The reproducer of TEST as found in ENV.")
    ap.add_argument("--env", required=True)
    ap.add_argument("--binary", required=True)
    ap.add_argument("--test", required=True)
    ap.add_argument("--target", default="")
    ap.add_argument("--seed", default="")
    ap.add_argument("--reproduce", default="")
    ap.add_argument("--out", required=True)
    a = ap.parse_args(argv)
    try:
        check_env(a.env)
        failed, log, c_text = generate(a.env, a.binary, a.test, a.seed, a.reproduce, a.target)
    except Error as e:
        print("repro: ERROR: %s" % e, file=sys.stderr)
        return 2
    if c_text is None:
        sys.stderr.write(log)
        print("repro: %s wrote no reproducer in %s (see its log above)" % (a.test, a.env),
              file=sys.stderr)
        return 1
    os.makedirs(a.out, exist_ok=True)
    name = "repro-%s-%s" % ("".join(c if c.isalnum() or c in "._-" else "-" for c in a.test), a.env)
    path = os.path.join(os.path.abspath(a.out), name + ".c")
    exe, cc_log = build(c_text, path)
    print("The property %s in %s; its %s is in:"
          % ("FAILED" if failed else "passed", a.env,
             "shrunk counterexample" if failed else "longest case"))
    print("  " + path)
    if exe is None:
        print("It does not compile with plain cc:\n" + cc_log)
        return 1
    status = 0
    for where in ([a.env, "host"] if a.env != "host" else ["host"]):
        r, sig, text, secs = probes.run_one(where, exe)
        print("\n== %s: %s in %.2f s" % (where, describe(r, sig), secs))
        sys.stdout.write("".join("   " + l + "\n" for l in text.splitlines()))
        if r not in (0, 1):
            status = 1
    try:
        os.remove(exe)
    except OSError:
        pass
    return status


def readme_block():
    """The ```c block under README_SECTION in README.md, or None."""
    try:
        with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
            lines = fh.read().splitlines(keepends=True)
    except OSError:
        return None
    inside, block = None, []
    for line in lines:
        if inside is None:
            if line.rstrip("\n") == README_SECTION:
                inside = False
            continue
        if not inside:
            if line.startswith("#"):
                return None     # the section ended with no block
            if line.rstrip("\n") == "```c":
                inside = True
            continue
        if line.rstrip("\n") == "```":
            return "".join(block)
        block.append(line)
    return None


def _ids(text):
    """The text with the msqid numbers it quotes (from ipcspec's failure
    message in the header comment) as ID: which id the environment hands out
    is not part of the finding."""
    text = re.sub(r"msgrcv\(\d+,", "msgrcv(ID,", text)
    return re.sub(r"msqid \d+", "msqid ID", text)


def record(test, outcome, msg, ms, file):
    return [{"record": "start", "test": test, "covering": []},
            {"record": "test", "test": test, "property": "", "kind": "-", "outcome": outcome,
             "signature_seen": [], "message": msg, "need": "", "entry": None,
             "unmatched_entries": [], "covering": [], "cites": "", "seed": "",
             "duration_ms": ms, "file": file, "line": 1}]


def run_case(env, case, bindir, d):
    """(outcome, message, ms, the C text or None) of one case in env."""
    t0 = time.monotonic()
    binary = os.path.join(bindir, case["binary"])
    if not os.path.isfile(binary):
        return "fail", "no binary %s in %s" % (case["binary"], bindir), 0, None
    try:
        failed, log, c_text = generate(env, binary, case["test"], case["seed"], "", case["target"])
    except Error as e:
        return "fail", str(e), int((time.monotonic() - t0) * 1000), None
    head = ("%s (seed %s) in %s: the property %s; it reproduces %s.\n"
            % (case["test"], case["seed"], env, "failed" if failed else "PASSED", case["row"]))
    if c_text is None:
        return "fail", head + "No reproducer written. Its log:\n" + log[-4000:], \
            int((time.monotonic() - t0) * 1000), None
    path = os.path.join(d, case["name"] + ".c")
    exe, cc_log = build(c_text, path)
    if exe is None:
        return "fail", head + "It does not compile:\n" + cc_log, \
            int((time.monotonic() - t0) * 1000), c_text
    r_env, s_env, t_env, _ = probes.run_one(env, exe)
    r_host, s_host, t_host, _ = probes.run_one("host", exe)
    with open(os.path.join(d, case["name"] + ".txt"), "w", encoding="utf-8") as fh:
        fh.write("== %s: %s\n%s\n== host: %s\n%s" % (env, describe(r_env, s_env), t_env,
                                                    describe(r_host, s_host), t_host))
    ok = r_env == 1 and case["shows"] in t_env and r_host == 0
    msg = (head + "Generated in %s: %s\n%s\n"
           "%s: %s%s\n%s\nhost: %s%s\n%s"
           % (env, path, cc_log.splitlines()[0],
              env, describe(r_env, s_env),
              "" if r_env == 1 and case["shows"] in t_env
              else " (expected exit 1 printing '%s')" % case["shows"], t_env,
              describe(r_host, s_host), "" if r_host == 0 else " (expected exit 0)", t_host))
    return ("pass" if ok else "fail"), msg, int((time.monotonic() - t0) * 1000), c_text


def run(out, envs, bindir):
    """In each gvisor environment of the run: every case of CASES, and the
    README check. Returns the environments it wrote records for."""
    done = []
    for env in envs:
        if env != "gvisor" or not os.path.isdir(os.path.join(out, env)):
            continue
        d = os.path.join(out, "generated", env)
        os.makedirs(d, exist_ok=True)
        recs = [{"record": "run", "binary": BINARY, "env": env, "env_version": "",
                 "kernel": "", "isolation": "none (generated standalone programs)",
                 "degraded": [], "ignore_tables": False, "filter": "*", "tables": []}]
        bad = 0
        readme_c = None
        for case in CASES:
            outcome, msg, ms, c_text = run_case(env, case, bindir, d)
            bad += outcome != "pass"
            if case.get("readme"):
                readme_c = c_text
            recs += record("GeneratedReproducer." + case["name"], outcome, msg, ms,
                           "containers/matrix/generated.py")
        block = readme_block()
        if readme_c is None:
            outcome, msg = "fail", "no reproducer was generated to compare with the README"
        elif block is None:
            outcome, msg = "fail", ("README.md has no ```c block under '%s'; it must show %s"
                                    % (README_SECTION, os.path.join(d, CASES[0]["name"] + ".c")))
        elif _ids(block) != _ids(readme_c):
            outcome, msg = "fail", ("README.md, '%s': the block is not what the generator "
                                    "writes now under %s (%s)"
                                    % (README_SECTION, env, os.path.join(d, CASES[0]["name"] + ".c")))
        else:
            outcome, msg = "pass", "README.md, '%s', shows the generated file" % README_SECTION
        bad += outcome != "pass"
        recs += record("GeneratedReproducer.ReadmeShowsIt", outcome, msg, 0, "README.md")
        recs.append({"record": "end", "tests": sum(1 for r in recs if r["record"] == "test"),
                     "exit": 1 if bad else 0})
        with open(os.path.join(out, env, BINARY + ".jsonl"), "w", encoding="utf-8") as fh:
            for r in recs:
                fh.write(json.dumps(r) + "\n")
        say("%s: generated reproducers: %d checked, %d as expected"
            % (env, len(CASES) + 1, len(CASES) + 1 - bad))
        done.append(env)
    return done


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
