"""The reproducers of the recorded findings, run in the matrix (issue 17).

containers/probes/reproducers.tsv lists standalone C programs, each showing
one recorded finding (containers/probes/findings.tsv links every finding row
of the tables to one), with the environments where it must fail (exit 1) and
where it must pass (exit 0). For each environment of the run that has such
expectations (host, and gvisor: `runsc --network=none do`), this
compiles every reproducer with its own plain command (`cc -o NAME NAME.c`:
no ipcspec header, no Bazel), runs it there under a deadline and writes
one verdict record per reproducer into the environment's directory
(ENV/reproducers.jsonl, verdict/README.md's format), so that the reader
judges them with everything else:

  Reproducer.NAME   pass: it exited as expected (1 where the finding must
                    show, 0 where the behaviour is as documented); fail:
                    it did not (the finding is gone, or the host changed,
                    or it hung or crashed), with its output.
  Reproducer.EveryFindingRowIsLinked  (first such environment only)
                    containers/probes/findings_check.py over every table.

The output of each run is kept (OUT/reproducers/ENV/NAME.txt) and is the
record's message; verdict/render.py shows it beside each finding.
"""

import json
import os
import shlex
import shutil
import subprocess
import sys
import threading
import time

from .common import ROOT, say

PROBES = os.path.join(ROOT, "containers", "probes")
TIMEOUT = 60          # seconds per reproducer; each bounds itself with alarm()
BINARY = "reproducers"


def env_base(env):
    """host, gvisor (runsc do), or None (not run there: gvisor-podman runs the
    same runsc, and the reproducers' expectations name host and gvisor)."""
    if env == "host":
        return "host"
    if env == "gvisor":
        return "gvisor"
    return None


def load():
    sys.path.insert(0, PROBES)
    try:
        import findings_check
    finally:
        sys.path.pop(0)
    return findings_check, findings_check.load_reproducers(ROOT)


def compile_all(reps, out):
    """{name: (binary path or None, compiler output)}."""
    src = os.path.join(out, "reproducers", "build")
    shutil.rmtree(src, ignore_errors=True)
    os.makedirs(src)
    for f in os.listdir(PROBES):
        if f.endswith((".c", ".cc")):
            shutil.copy(os.path.join(PROBES, f), src)
    built = {}
    queue = sorted(reps.items())
    lock = threading.Lock()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                name, r = queue.pop(0)
            p = subprocess.run(shlex.split(r["build"]), cwd=src, capture_output=True, text=True)
            ok = p.returncode == 0 and os.path.isfile(os.path.join(src, name))
            built[name] = (os.path.join(src, name) if ok else None,
                           "$ %s\n%s%s" % (r["build"], p.stdout, p.stderr))
    threads = [threading.Thread(target=worker) for _ in range(os.cpu_count() or 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return built


def run_one(base, binary):
    """(exit status or None, signal or None, output, seconds)."""
    cmd = [binary] if base == "host" else ["runsc", "--network=none", "do", binary]
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, cwd=os.path.dirname(binary), stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=TIMEOUT, start_new_session=True)
        rc, text = p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        rc, text = None, (e.stdout or b"").decode("utf-8", "replace") + \
            "\n(killed: no exit within %d s)\n" % TIMEOUT
    secs = time.monotonic() - t0
    if rc is not None and rc < 0:
        return None, -rc, text, secs
    # runsc reports a signal death of the program as 128 + the signal.
    if base == "gvisor" and rc is not None and rc > 128:
        return None, rc - 128, text, secs
    return rc, None, text, secs


def judge(name, r, base, rc, sig, text, build_log):
    want = 1 if base in r["fails_in"] else 0
    what = ("shows the finding (exit 1)" if want == 1
            else "finds the behaviour as documented (exit 0)")
    if rc == want:
        return "pass", "%s (%s) %s here.\n%s" % (name, r["shows"], what, text)
    if rc is None and sig is None and build_log is not None:
        return "fail", "%s does not compile with its plain command:\n%s" % (name, build_log)
    got = ("killed by signal %d (a hang past its alarm() is SIGALRM, 14)" % sig if sig
           else "no exit within %d s" % TIMEOUT if rc is None
           else "exit %d%s" % (rc, " (it could not set up)" if rc == 2 else ""))
    hint = (" The finding no longer shows: the table row it reproduces may be stale too."
            if want == 1 and rc == 0 else "")
    return "fail", "%s should %s in %s; got %s.%s\n%s" % (name, what, base, got, hint, text)


def records_for(env, base, reps, built, out, first, check):
    d = os.path.join(out, "reproducers", env)
    os.makedirs(d, exist_ok=True)
    names = [n for n, r in sorted(reps.items()) if base in r["fails_in"] + r["passes_in"]]
    results = {}
    lock = threading.Lock()
    queue = list(names)

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                n = queue.pop(0)
            binary, log = built[n]
            if binary is None:
                results[n] = (None, None, "", 0.0, log)
                continue
            rc, sig, text, secs = run_one(base, binary)
            results[n] = (rc, sig, text, secs, None)
    threads = [threading.Thread(target=worker) for _ in range(max(1, min(4, os.cpu_count() or 1)))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    recs = [{"record": "run", "binary": BINARY, "env": env, "env_version": "",
             "kernel": "", "isolation": "none (standalone programs)", "degraded": [],
             "ignore_tables": False, "filter": "*", "tables": []}]
    bad = 0
    for n in names:
        rc, sig, text, secs, log = results[n]
        with open(os.path.join(d, n + ".txt"), "w", encoding="utf-8") as fh:
            fh.write(text if log is None else log)
        outcome, msg = judge(n, reps[n], base, rc, sig, text, log)
        bad += outcome != "pass"
        test = "Reproducer." + n
        recs.append({"record": "start", "test": test, "covering": []})
        recs.append({"record": "test", "test": test, "property": "", "kind": "-",
                     "outcome": outcome, "signature_seen": [], "message": msg, "need": "",
                     "entry": None, "unmatched_entries": [], "covering": [],
                     "cites": "", "seed": "", "duration_ms": int(secs * 1000),
                     "file": "containers/probes/%s.c" % n, "line": 1})
    if first and check is not None:
        outcome, msg = check
        test = "Reproducer.EveryFindingRowIsLinked"
        recs.append({"record": "start", "test": test, "covering": []})
        recs.append({"record": "test", "test": test, "property": "", "kind": "-",
                     "outcome": outcome, "signature_seen": [], "message": msg, "need": "",
                     "entry": None, "unmatched_entries": [], "covering": [], "cites": "",
                     "seed": "", "duration_ms": 0, "file": "containers/probes/findings.tsv",
                     "line": 1})
        bad += outcome != "pass"
    recs.append({"record": "end", "tests": sum(1 for r in recs if r["record"] == "test"),
                 "exit": 1 if bad else 0})
    with open(os.path.join(out, env, BINARY + ".jsonl"), "w", encoding="utf-8") as fh:
        for r in recs:
            fh.write(json.dumps(r) + "\n")
    say("%s: reproducers: %d run, %d as expected" % (env, len(names), len(names) - bad))


def run(out, envs):
    """Runs the reproducers in each environment of envs that has expectations.
    Returns the environments it wrote records for."""
    targets = [(e, env_base(e)) for e in envs if env_base(e)
               and os.path.isdir(os.path.join(out, e))]
    if not targets:
        return []
    if not os.path.isfile(os.path.join(PROBES, "reproducers.tsv")):
        say("reproducers: no %s here, not run" % os.path.join(PROBES, "reproducers.tsv"))
        return []
    try:
        fc, reps = load()
        errors, s = fc.check(ROOT, "all")
        os.makedirs(os.path.join(out, "reproducers"), exist_ok=True)
        fc.write_md(s, os.path.join(out, "reproducers", "findings.md"))
        check = ("fail" if errors else "pass",
                 "\n".join(errors + [fc.summary_line(s)]))
    except (OSError, ValueError, ImportError) as e:
        say("reproducers: cannot read the tables: %s" % e)
        return []
    built = compile_all(reps, out)
    for i, (e, base) in enumerate(targets):
        records_for(e, base, reps, built, out, i == 0, check)
    return [e for e, _b in targets]
