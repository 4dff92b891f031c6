"""Gathers the JSON Lines records of test binaries and judges them.

The records' format is verdict/README.md's. Two places hold them:

- Bazel's testlogs: every directory holding a test.xml is one test target
  (or one shard or run of it); its records are test.outputs/ipcspec_results.jsonl,
  or that file inside test.outputs/outputs.zip (Bazel 4 zips the undeclared
  outputs), or any *.jsonl there.
- A matrix output directory: one directory per environment (the ones with an
  env.tsv), each with <binary>.<pid>.jsonl files, runner.tsv (what the runner
  saw of each binary: its exit status and whether it killed it at its
  deadline), and gtest XML (<binary>.xml) and logs for binaries with no
  records.

judge() turns them into the results document (results.json): one record per
test and environment, the table entries with their staleness, each
environment's figures, and the cells of the EINTR table as each environment
ran them (eintr_test's "eintr" records). Nothing here renders anything.
"""

import fnmatch
import json
import os
import re
import zipfile
import xml.etree.ElementTree as ET

OUTCOMES = ("pass", "fail", "xfail", "xpass", "skip", "n/a", "broken")
# The worse of two results of one test (run twice: runs_per_test, shards).
RANK = {"pass": 0, "n/a": 1, "skip": 2, "xfail": 3, "broken": 4, "xpass": 5, "fail": 6}
RESULTS_FILE = "ipcspec_results.jsonl"
SHARD_RE = re.compile(r"^(shard|run)_\d+_of_\d+$")
GTEST_WHERE_RE = re.compile(r"^\S+\.(cc|h|cpp):\d+$")
MAN_RE = re.compile(r"\bman ([1-8][a-z]*) ([A-Za-z_][A-Za-z0-9_.+-]*[A-Za-z0-9_])")


# An "eintr" record's fields (faults/eintr/eintr_test.cc, HandlerCell,
# StopCell, RecordCell): the test, the table (handler, stop), the call, how it
# was interrupted, what the table expects, what man 7 signal says, and, once
# the test ran, what this environment did ("seen"; absent in the declaration
# written before the tests) and why.
EINTR_FIELDS = ("test", "table", "call", "how", "expected", "page", "seen", "detail", "data",
                "note", "sentence")


class BadInput(Exception):
    """Input the reader cannot judge: exit status 2."""


# ------------------------------------------------------------------ units
class Unit:
    """One run of one binary: its records (possibly none) and what the
    runner saw of it."""

    def __init__(self, env, binary, source):
        self.env = env          # label forced by the caller, or None
        self.binary = binary
        self.source = source    # where the records (or the XML) came from
        self.records = []       # parsed JSON objects, in order
        self.xml = None         # path of a JUnit/gtest XML, for the fallback
        self.log = None         # path of the binary's output
        self.killed = False     # the runner killed it at its deadline
        self.exit = None        # exit status, when the runner knows it
        self.note = ""          # what the runner says about it
        self.bazel = False      # a Bazel test target (exit from test.cache_status)
        self.not_run = None     # names of tests the runner left out on purpose


def parse_jsonl(text, where):
    out = []
    lines = text.splitlines()
    for i, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            # A binary killed mid-write leaves a truncated last line.
            if i == len(lines):
                break
            raise BadInput("%s:%d: not JSON: %s" % (where, i, e))
        if not isinstance(rec, dict) or "record" not in rec:
            raise BadInput("%s:%d: not a record (no \"record\" key)" % (where, i))
        out.append(rec)
    return out


def _jsonl_of_target(d):
    """[(source, text)] of the records a Bazel test target left in d."""
    got = []
    outs = os.path.join(d, "test.outputs")
    if os.path.isdir(outs):
        for f in sorted(os.listdir(outs)):
            p = os.path.join(outs, f)
            if f.endswith(".jsonl") and os.path.isfile(p):
                with open(p, encoding="utf-8", errors="replace") as fh:
                    got.append((p, fh.read()))
        z = os.path.join(outs, "outputs.zip")
        if os.path.isfile(z):
            try:
                with zipfile.ZipFile(z) as zf:
                    for n in sorted(zf.namelist()):
                        if n.endswith(".jsonl"):
                            got.append((z + ":" + n,
                                        zf.read(n).decode("utf-8", "replace")))
            except zipfile.BadZipFile as e:
                raise BadInput("%s: %s" % (z, e))
    return got


# Bazel's test.cache_status is a TestResultData message: field 2 is
# test_passed, field 3 the BlazeTestStatus (1 passed, 2 flaky, 3 timeout,
# 4 failed, ...). It says how the target itself ended, whatever XML it left.
BAZEL_PASSED, BAZEL_FLAKY, BAZEL_TIMEOUT = 1, 2, 3


def read_cache_status(path):
    """(passed, status) from a test.cache_status, (None, None) if unreadable."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return None, None
    fields = {}
    i = 0
    try:
        while i < len(data):
            key, i = _varint(data, i)
            num, wire = key >> 3, key & 7
            if wire == 0:
                val, i = _varint(data, i)
                fields.setdefault(num, val)
            elif wire == 2:
                n, i = _varint(data, i)
                i += n
            elif wire == 1:
                i += 8
            elif wire == 5:
                i += 4
            else:
                break
    except IndexError:
        pass
    if 3 not in fields and 2 not in fields:
        return None, None
    status = fields.get(3)
    passed = bool(fields.get(2)) if 2 in fields else status in (BAZEL_PASSED, BAZEL_FLAKY)
    return passed, status


def _varint(data, i):
    v = shift = 0
    while True:
        b = data[i]
        i += 1
        v |= (b & 0x7F) << shift
        if not b & 0x80:
            return v, i
        shift += 7


def units_from_testlogs(root, env=None, binary_filter=None):
    """Units for every test target under a bazel-testlogs tree."""
    if not os.path.isdir(root):
        raise BadInput("no such testlogs directory: %s" % root)
    units = []
    for d, dirs, files in os.walk(root):
        dirs.sort()
        if "test.xml" not in files and "test.log" not in files:
            continue
        rel = os.path.relpath(d, root)
        parts = rel.split(os.sep)
        if SHARD_RE.match(parts[-1]) and len(parts) > 1:
            parts = parts[:-1]
        binary = "/".join(parts)
        if binary_filter and not any(fnmatch.fnmatchcase(binary, p) for p in binary_filter):
            continue
        log = os.path.join(d, "test.log")
        timed_out = False
        if os.path.isfile(log):
            with open(log, encoding="utf-8", errors="replace") as fh:
                fh.seek(0, 2)
                fh.seek(max(0, fh.tell() - 4096))
                timed_out = "-- Test timed out at" in fh.read()
        passed, status = read_cache_status(os.path.join(d, "test.cache_status"))
        timed_out = timed_out or status == BAZEL_TIMEOUT
        exit_status = None if passed is None else (0 if passed else 1)
        # Records of another binary (a test script that runs a test binary
        # leaves that binary's records in its own outputs) are not this
        # target's verdict: its exit status is.
        own = os.path.basename(binary)
        segs = []
        for src, text in _jsonl_of_target(d):
            for seg in _segments(parse_jsonl(text, src)):
                run = next((r for r in seg if r.get("record") == "run"), {})
                if run.get("binary") in (None, "", own):
                    segs.append((src, seg))
        if not segs:
            u = Unit(env, binary, d)
            u.xml = os.path.join(d, "test.xml") if "test.xml" in files else None
            u.log = log if os.path.isfile(log) else None
            u.killed = timed_out
            u.exit = exit_status
            u.bazel = True
            units.append(u)
            continue
        for src, seg in segs:
            u = Unit(env, binary, src)
            u.records = seg
            u.xml = os.path.join(d, "test.xml") if "test.xml" in files else None
            u.log = log if os.path.isfile(log) else None
            u.killed = timed_out
            u.exit = exit_status
            u.bazel = True
            units.append(u)
    return units


def _segments(records):
    """A file may hold several runs (a binary run twice with the same
    results file): split at each run record."""
    segs, cur = [], []
    for r in records:
        if r.get("record") == "run" and cur:
            segs.append(cur)
            cur = []
        cur.append(r)
    if cur:
        segs.append(cur)
    return segs


def read_tsv(path):
    meta = {}
    if os.path.isfile(path):
        with open(path, encoding="utf-8") as fh:
            for line in fh:
                if "\t" in line:
                    k, v = line.rstrip("\n").split("\t", 1)
                    meta[k] = v
    return meta


def matrix_envs(root):
    """The environment directories of a matrix output directory."""
    if not os.path.isdir(root):
        raise BadInput("no such matrix directory: %s" % root)
    envs = sorted(e for e in os.listdir(root)
                  if os.path.isfile(os.path.join(root, e, "env.tsv")))
    if not envs:
        raise BadInput("no environment directory (one with an env.tsv) in %s" % root)
    return envs


def units_from_matrix_env(d, env):
    """Units of one matrix environment directory."""
    runner = {}
    p = os.path.join(d, "runner.tsv")
    if os.path.isfile(p):
        with open(p, encoding="utf-8") as fh:
            for line in fh:
                f = line.rstrip("\n").split("\t")
                if len(f) < 3 or f[0] == "binary":
                    continue
                runner[f[0]] = (f[1], f[2] == "1", f[3] if len(f) > 3 else "")
    by_binary = {}
    for f in sorted(os.listdir(d)):
        if not f.endswith(".jsonl"):
            continue
        path = os.path.join(d, f)
        with open(path, encoding="utf-8", errors="replace") as fh:
            recs = parse_jsonl(fh.read(), path)
        name = f[:-len(".jsonl")]
        if re.match(r"^.+\.\d+$", name):
            name = name.rsplit(".", 1)[0]
        for seg in _segments(recs):
            u = Unit(env, name, path)
            u.records = seg
            by_binary.setdefault(name, []).append(u)
    names = sorted(set(runner) | set(by_binary))
    not_run = [l.strip() for l in _read(os.path.join(d, "not_run.txt")).splitlines() if l.strip()]
    units = []
    for n in names:
        rc, killed, note = runner.get(n, ("", False, ""))
        us = by_binary.get(n)
        if not us:
            u = Unit(env, n, d)
            x = os.path.join(d, n + ".xml")
            u.xml = x if os.path.isfile(x) else None
            us = [u]
        for u in us:
            lg = os.path.join(d, n + ".log")
            u.log = lg if os.path.isfile(lg) else None
            u.killed = killed
            u.exit = int(rc) if rc.lstrip("-").isdigit() else None
            u.note = note
        units.extend(us)
    if not_run:
        # Tests the runner left out (a tier's choice): listed for the reader.
        u = Unit(env, "(left out)", os.path.join(d, "not_run.txt"))
        u.not_run = not_run
        units.append(u)
    return units


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read()
    except OSError:
        return ""


# ------------------------------------------------------------ judging
def strip_where(msg):
    """gtest puts the file:line of the failure or skip first: drop it."""
    lines = [l for l in (msg or "").strip().splitlines()]
    while lines and (not lines[0].strip() or GTEST_WHERE_RE.match(lines[0].strip())):
        lines = lines[1:]
    return "\n".join(lines).strip()


def headline(text):
    """One line saying what failed: a cited man page sentence or a
    violation if the message has one, else its first lines."""
    lines = [l.strip() for l in strip_where(text).splitlines()
             if l.strip() and l.strip() != "Failed" and not GTEST_WHERE_RE.match(l.strip())]
    for l in lines:
        if l.startswith("man ") or "violates" in l:
            return l[:200]
    return " ".join(lines[:3])[:200] if lines else ""


def need_of(message):
    """(outcome, need, detail) of a skip from its message."""
    m = strip_where(message)
    if m.startswith("unmet need: "):
        rest = m[len("unmet need: "):]
        need, _, detail = rest.partition(": ")
        return "skip", need.strip() or "undeclared", detail.strip()
    if m.startswith("not applicable: "):
        return "n/a", "", m[len("not applicable: "):].strip()
    return "skip", "undeclared", m


def group_of(file_path, test):
    """The mechanism a test belongs to: its source file's directory."""
    if file_path:
        d = os.path.dirname(file_path.lstrip("./"))
        if d:
            return d
    return "(%s)" % (test.split(".")[0].split("/")[-1] or "unknown")


def cites_list(cites):
    if isinstance(cites, list):
        cites = " ".join(str(c) for c in cites)
    out = []
    for m in MAN_RE.finditer(cites or ""):
        c = "man %s %s" % (m.group(1), m.group(2))
        if c not in out:
            out.append(c)
    return out


def _base_record(env, binary):
    return {"env": env, "binary": binary, "test": "", "property": "", "kind": "-",
            "outcome": "pass", "signature_seen": [], "message": "", "need": "",
            "entry": None, "unmatched_entries": [], "reason": "", "duration_ms": None,
            "cites": "", "seed": "", "file": "", "line": None, "runs": 1}


def _from_test_record(env, binary, r, ignore_tables):
    t = _base_record(env, binary)
    for k in ("test", "property", "kind", "outcome", "signature_seen", "message", "need",
              "entry", "unmatched_entries", "duration_ms", "cites", "seed", "file", "line"):
        if k in r and r[k] is not None:
            t[k] = r[k]
    if not t["test"]:
        raise BadInput("a test record of %s has no test name" % binary)
    if t["outcome"] not in OUTCOMES:
        raise BadInput("test %s of %s: unknown outcome %r" % (t["test"], binary, t["outcome"]))
    t["kind"] = t["kind"] or "-"
    msg = t["message"] or ""
    if t["outcome"] in ("skip", "n/a"):
        outcome, need, detail = need_of(msg)
        if t["outcome"] == "skip" and t["need"] and t["need"] != "undeclared" \
                and outcome == "skip":
            need = t["need"]
        if t["outcome"] == "n/a":
            outcome, need = "n/a", ""
        t["outcome"], t["need"] = outcome, need
        t["reason"] = detail
    elif t["outcome"] == "xfail":
        e = t["entry"] or {}
        t["reason"] = e.get("reason", "")
    elif t["outcome"] == "xpass":
        e = t["entry"] or {}
        t["reason"] = "entry %s expects a failure (%s) and the test passed: the entry is stale" % (
            e.get("origin", "?"), e.get("signature", "?"))
    elif t["outcome"] in ("fail", "broken"):
        t["reason"] = headline(msg)
        if t["unmatched_entries"]:
            t["reason"] = ("failure matches no signature of %s: %s" % (
                ", ".join(t["unmatched_entries"]), t["reason"]))
    if ignore_tables:
        if t["outcome"] == "xfail":
            e = t["entry"] or {}
            t["outcome"] = "fail"
            t["reason"] = "tables ignored (entry %s would excuse it): %s" % (
                e.get("origin", "?"), headline(msg))
        elif t["outcome"] == "xpass":
            t["outcome"], t["reason"] = "pass", ""
    return t


def _alternatives(signature):
    return [a.strip() for a in str(signature or "").split(" OR ") if a.strip()]


def _died(env, binary, started, killed, unit, entries, ignore_tables):
    """The record of a test the binary died in (a `start`, perhaps an
    `annotate`, and no `test` record after them): `crash`, or `hang` when the
    runner killed the binary at its deadline. It is judged against the
    entries that cover it (the `covering` list of its start or annotate
    record; the entry records come first in the file): an entry that applies
    and whose signature has that alternative makes it an expected failure.
    Only `crash` and `hang` can match: the failure has no text of its own."""
    t = _base_record(env, binary)
    t["test"] = started["test"]
    for k in ("property", "kind", "cites"):
        if started.get(k):
            t[k] = started[k]
    t["outcome"] = "fail"
    sig = "hang" if killed else "crash"
    t["signature_seen"] = [sig]
    how = ("the runner killed the binary at its deadline inside this test" if killed
           else "the binary died inside this test (no result record after its start)")
    if unit.exit is not None and not killed:
        how += "; exit status %d" % unit.exit
    t["message"] = how + _log_tail(unit)
    t["reason"] = how
    unmatched = []
    for origin in started.get("covering") or []:
        e = entries.get(origin)
        if e is None:
            raise BadInput("%s: test %s is covered by entry %s, which has no entry record"
                           % (unit.source, t["test"], origin))
        if not e.get("applies"):
            continue
        if not ignore_tables and sig in _alternatives(e.get("signature")):
            t["outcome"] = "xfail"
            t["entry"] = {k: e.get(k, "") for k in ("origin", "class", "expect", "signature",
                                                     "reason", "source", "versions")}
            t["reason"] = e.get("reason", "")
            t["unmatched_entries"] = []
            return t
        unmatched.append(origin)
    if unmatched:
        t["unmatched_entries"] = unmatched
        t["reason"] = "failure matches no signature of %s: %s" % (", ".join(unmatched), how)
    return t


def _log_tail(unit, n=25):
    if unit.log and os.path.isfile(unit.log):
        with open(unit.log, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().splitlines()[-n:]
        if lines:
            return "\n\nlast lines of the output:\n" + "\n".join(lines)
    return ""


def _from_xml(env, unit):
    """Tests of a unit with no records, from its JUnit XML and exit status."""
    out = []
    tree = None
    if unit.xml:
        try:
            tree = ET.parse(unit.xml)
        except (ET.ParseError, OSError) as e:
            t = _base_record(env, unit.binary)
            t["test"] = unit.binary
            t["outcome"] = "fail"
            t["message"] = "cannot read %s: %s" % (unit.xml, e)
            t["reason"] = t["message"]
            return [t]
    cases = list(tree.iter("testcase")) if tree is not None else []
    if cases and unit.bazel and unit.exit == 0 and any(
            x.tag in ("failure", "error") for c in cases for x in c):
        # Bazel says the target passed, yet its XML has failures: the XML is
        # a test binary's that the target ran (gtest writes XML_OUTPUT_FILE,
        # which it inherits), not the target's own.
        return [_whole(env, unit)]
    if cases:
        for c in cases:
            cls, name = c.get("classname", ""), c.get("name", "")
            t = _base_record(env, unit.binary)
            t["test"] = "%s.%s" % (cls, name) if cls else name
            t["file"] = (c.get("file") or "").lstrip("./")
            try:
                t["line"] = int(c.get("line")) if c.get("line") else None
                t["duration_ms"] = int(round(float(c.get("time", 0) or 0) * 1000))
            except ValueError:
                pass
            fails = [x for x in c if x.tag in ("failure", "error")]
            skipped = [x for x in c if x.tag == "skipped"]
            if fails:
                msg = "\n\n".join((x.text or x.get("message") or "").strip() for x in fails)
                t["outcome"], t["message"] = "fail", msg or "failed (no message)"
                t["reason"] = headline(t["message"])
                t["signature_seen"] = sorted(set("errno:" + e for e in re.findall(
                    r"\b(E[A-Z0-9]{2,})\b", msg)))
            elif skipped or c.get("result") == "skipped" or c.get("status") == "notrun":
                msg = (skipped[0].get("message") or skipped[0].text or "") if skipped else "disabled"
                t["outcome"], t["need"], t["reason"] = need_of(msg)
                t["message"] = strip_where(msg)
            out.append(t)
        # A binary that exits non-zero with every case passed (a leak found at
        # exit, a crash after the last test) fails as a whole.
        bad = unit.exit not in (None, 0) or unit.killed
        if bad and not any(t["outcome"] == "fail" for t in out):
            out.append(_whole(env, unit))
        if out:
            return out
    return [_whole(env, unit, tree)]


def _whole(env, unit, tree=None):
    """One record for a binary judged as a whole (an sh_test, a binary that
    left no records and no test cases)."""
    t = _base_record(env, unit.binary)
    t["test"] = unit.binary
    failed = unit.killed or unit.exit not in (None, 0)
    msg = ""
    if tree is not None:
        for s in list(tree.iter("testsuite")) + list(tree.iter("testsuites")):
            if int(s.get("failures", 0) or 0) + int(s.get("errors", 0) or 0):
                failed = True
        for x in tree.iter():
            if x.tag in ("failure", "error"):
                failed = True
                msg = msg or (x.get("message") or x.text or "").strip()
    elif unit.exit is None and not unit.killed:
        failed = True
        msg = "no result: the binary left no records and no test report"
    if unit.killed:
        t["signature_seen"] = ["hang"]
        msg = "killed at its deadline" + (": " + msg if msg else "")
    elif unit.exit is not None and unit.exit != 0:
        t["signature_seen"] = ["crash"] if unit.exit > 128 or unit.exit < 0 else []
        msg = msg or "exited with status %d" % unit.exit
    if unit.note:
        msg = unit.note + (": " + msg if msg else "")
    if failed:
        t["outcome"] = "fail"
        t["message"] = (msg or "failed") + _log_tail(unit)
        t["reason"] = msg or "failed"
    return t


def _cover(entry, t):
    """Does the entry cover the test by name and Kind?"""
    ids = [t["test"]] + ([t["property"]] if t.get("property") else [])
    if not any(fnmatch.fnmatchcase(i, entry.get("test", "")) for i in ids):
        return False
    return fnmatch.fnmatchcase(t.get("kind") or "-", entry.get("kind") or "*")


class Env:
    def __init__(self, name):
        self.name = name
        self.meta = {}            # the runner's figures (env.tsv)
        self.runs = []            # run records
        self.binaries = []        # [{binary, complete, source, exit, killed}]
        self.entries = {}         # origin -> aggregated entry
        self.complete = True      # every binary ran to its end, unfiltered
        self.incomplete_why = []
        self.not_run = []         # tests left out on purpose (a tier's choice)
        self.matched_by_tests = {}  # origin -> outcome -> tests (from `covering`)


def judge(units, ignore_tables=False, env_meta=None, env_order=None):
    """The results document from units of binaries."""
    envs = {}
    tests = {}
    eintr = {}   # (env, test) -> the cell of the EINTR table that test ran

    def env_of(name):
        if name not in envs:
            envs[name] = Env(name)
        return envs[name]

    def add(t):
        k = (t["env"], t["binary"], t["test"])
        old = tests.get(k)
        if old is None:
            tests[k] = t
        else:
            runs = old["runs"] + 1
            if RANK[t["outcome"]] > RANK[old["outcome"]]:
                tests[k] = t
            tests[k]["runs"] = runs

    for u in units:
        run = next((r for r in u.records if r.get("record") == "run"), None)
        name = u.env or (run or {}).get("env") or "host"
        e = env_of(name)
        if u.not_run is not None:
            e.not_run.extend(u.not_run)
            continue
        b = {"binary": u.binary, "source": u.source, "exit": u.exit, "killed": u.killed,
             "records": bool(u.records), "complete": True}
        e.binaries.append(b)
        if not u.records or run is None:
            # No records, or records without their run record (not written by
            # a test binary of this suite): the XML and the exit status judge.
            if u.records:
                raise BadInput("%s: records without a run record first" % u.source)
            for t in _from_xml(name, u):
                add(t)
            continue
        e.runs.append(run)
        if ignore_tables or run.get("ignore_tables"):
            e.complete = False
            e.incomplete_why.append("tables ignored")
        if (run.get("filter") or "*") not in ("*", ""):
            e.complete = False
            e.incomplete_why.append("%s ran with filter %s" % (u.binary, run.get("filter")))
        started = None   # the start (and annotate) record of the running test
        ended = False
        ignoring = ignore_tables or bool(run.get("ignore_tables"))

        def died(st):
            t = _died(name, u.binary, st, u.killed, u, e.entries, ignoring)
            add(t)
            count(st.get("covering"), t["outcome"])

        def count(origins, outcome):
            # Per entry, how the tests it covers came out (over every binary:
            # an entry that applies and covers no test of a complete run is
            # stale).
            for o in origins or []:
                m = e.matched_by_tests.setdefault(o, {})
                m[outcome] = m.get(outcome, 0) + 1

        for r in u.records:
            kind = r.get("record")
            if kind == "start":
                if started is not None:
                    died(started)
                started = {"test": r.get("test") or "?", "covering": r.get("covering") or []}
            elif kind == "annotate":
                if started is not None and r.get("test") == started["test"]:
                    for k in ("property", "kind", "cites", "covering"):
                        if k in r:
                            started[k] = r[k]
            elif kind == "test":
                t = _from_test_record(name, u.binary, r, ignore_tables)
                add(t)
                count(r.get("covering"), r.get("outcome"))
                if started is not None and r.get("test") == started["test"]:
                    started = None
            elif kind == "entry":
                origin = r.get("origin")
                if not origin:
                    raise BadInput("%s: an entry record without origin" % u.source)
                agg = e.entries.get(origin)
                if agg is None:
                    agg = {k: r.get(k, "") for k in ("origin", "test", "kind", "class", "expect",
                                                      "signature", "reason", "source", "versions")}
                    agg["applies"] = False
                    agg["matched"] = {}
                    agg["binaries"] = 0
                    e.entries[origin] = agg
                agg["applies"] = agg["applies"] or bool(r.get("applies", True))
                agg["binaries"] += 1
                # Records of older binaries carry the counts in an entry
                # record at the end ("matched"); today's write the entries
                # first and each test says which entries cover it.
                for k, v in (r.get("matched") or {}).items():
                    try:
                        agg["matched"][k] = agg["matched"].get(k, 0) + int(v)
                    except (TypeError, ValueError):
                        raise BadInput("%s: entry %s: matched.%s is not a count"
                                       % (u.source, origin, k))
            elif kind == "end":
                ended = True
                if started is not None:
                    died(started)
                    started = None
            elif kind == "eintr":
                # A cell of the EINTR table: declared before the tests (no
                # "seen"), then what eintr_test saw of it, beside its verdict.
                if not r.get("test") or not r.get("call"):
                    raise BadInput("%s: an eintr record without test or call" % u.source)
                cell = {k: str(r.get(k) or "") for k in EINTR_FIELDS}
                cell.update(env=name, binary=u.binary)
                if cell["seen"] or (name, cell["test"]) not in eintr:
                    eintr[(name, cell["test"])] = cell
            elif kind != "run":
                raise BadInput("%s: unknown record %r" % (u.source, kind))
        if started is not None:
            died(started)
        mine = [t for t in tests.values() if t["binary"] == u.binary and t["env"] == name]
        if ended and u.bazel and u.exit not in (None, 0) and not any(
                t["outcome"] in ("fail", "xpass", "broken")
                or (t["outcome"] == "skip" and t["need"] == "undeclared") for t in mine):
            # The records end well and the target failed all the same: a
            # failure after the last test (a leak found at exit, a sanitizer).
            t = _whole(name, u)
            t["outcome"] = "fail"
            t["message"] = ("the test target failed after its records ended well (exit status "
                            "non-zero after the end record: a leak or sanitizer report at exit?)"
                            + _log_tail(u))
            t["reason"] = t["message"].split("\n")[0]
            add(t)
        if not ended:
            b["complete"] = False
            e.complete = False
            why = "killed at its deadline" if u.killed else "died"
            e.incomplete_why.append("%s %s before its end record" % (u.binary, why))
            if started is None:
                # Died between tests (at exit, in a global destructor): the
                # binary fails as a whole.
                t = _whole(name, u)
                t["outcome"] = "fail"
                t["signature_seen"] = ["hang" if u.killed else "crash"]
                t["message"] = ("the binary %s after its last test record and wrote no end "
                                "record" % ("was killed at its deadline" if u.killed else "died")
                                ) + _log_tail(u)
                t["reason"] = t["message"].split("\n")[0]
                add(t)

    # Citations, groups, and the table entries' verdicts.
    by_binary = {}
    for t in tests.values():
        if t.get("file"):
            t["group"] = group_of(t["file"], t["test"])
            by_binary.setdefault((t["env"], t["binary"]), []).append(t["group"])
    for t in tests.values():
        if not t.get("file"):
            # A test with no source file (the binary died in it, or a target
            # judged as a whole): its binary's mechanism, else its package.
            groups = by_binary.get((t["env"], t["binary"]))
            if groups:
                t["group"] = max(set(groups), key=groups.count)
            elif "/" in t["binary"]:
                t["group"] = t["binary"].rsplit("/", 1)[0]
            else:
                t["group"] = group_of("", t["test"])
    for name, e in envs.items():
        mine = [t for t in tests.values() if t["env"] == name]
        if env_meta and name in env_meta:
            e.meta = env_meta[name]
            st = e.meta.get("status", "finished")
            if st != "finished":
                e.complete = False
                e.incomplete_why.append("environment: " + st)
        for origin, m in e.matched_by_tests.items():
            agg = e.entries.get(origin)
            if agg is None:
                raise BadInput("environment %s: tests are covered by entry %s, which has no "
                               "entry record" % (name, origin))
            for k, v in m.items():
                agg["matched"][k] = agg["matched"].get(k, 0) + v
        for origin, agg in e.entries.items():
            covered = {}
            for t in mine:
                if _cover(agg, t):
                    covered[t["outcome"]] = covered.get(t["outcome"], 0) + 1
            agg["covered"] = covered
            seen = {k: v for k, v in agg["matched"].items() if v and k != "n/a"}
            live = {k: v for k, v in covered.items() if v and k != "n/a"}
            # An entry that covers a test the run left out is not judged.
            agg["left_out"] = sum(1 for n in e.not_run
                                  if fnmatch.fnmatchcase(n, agg.get("test", "")))
            agg["stale"] = bool(agg["applies"] and e.complete and not seen and not live
                                and not agg["left_out"])
            agg["flaky"] = str(agg.get("expect", "")).startswith("flaky")

    env_names = list(envs)
    order = list(env_order or [])
    # host first: it is the reference the others are read against.
    env_names.sort(key=lambda n: (n != "host", order.index(n) if n in order else len(order), n))
    doc = {
        "format": "ipcspec-results 1",
        "ignore_tables": bool(ignore_tables),
        "environments": [],
        "tests": [],
        "entries": [],
    }
    for n in env_names:
        e = envs[n]
        degraded = {}
        for r in e.runs:
            for d in r.get("degraded") or []:
                degraded[d] = degraded.get(d, 0) + 1
        first = e.runs[0] if e.runs else {}

        def common(key):
            vals = sorted(set(str(r.get(key, "")) for r in e.runs if r.get(key, "") != ""))
            return ", ".join(vals)
        tables = sorted(set(t for r in e.runs for t in (r.get("tables") or [])))
        doc["environments"].append({
            "name": n,
            "env_version": common("env_version"),
            "kernel": common("kernel") or e.meta.get("kernel", ""),
            "isolation": common("isolation"),
            "blocked_detection": common("blocked_detection"),
            "degraded": [{"mode": d, "binaries": c} for d, c in sorted(degraded.items())],
            "tables": tables,
            "complete": e.complete,
            "incomplete": e.incomplete_why,
            "status": e.meta.get("status", "finished"),
            "meta": e.meta,
            "binaries": len(e.binaries),
            "binaries_with_records": sum(1 for b in e.binaries if b["records"]),
            "ignore_tables": bool(first.get("ignore_tables")) or bool(ignore_tables),
        })
        for origin in sorted(e.entries, key=_origin_key):
            agg = dict(e.entries[origin])
            agg["env"] = n
            doc["entries"].append(agg)
    doc["eintr"] = sorted(eintr.values(), key=lambda c: env_names.index(c["env"]))
    doc["tests"] = sorted(tests.values(), key=lambda t: (
        env_names.index(t["env"]), t["group"], t["test"], t["binary"]))
    doc["summary"] = summarize(doc)
    return doc


def _origin_key(o):
    path, _, line = o.rpartition(":")
    return (path, int(line) if line.isdigit() else 0, o)


def summarize(doc):
    """Counts and the exit status, from the results document alone."""
    c = {k: 0 for k in OUTCOMES}
    undeclared = 0
    for t in doc["tests"]:
        c[t["outcome"]] += 1
        if t["outcome"] == "skip" and t.get("need") == "undeclared":
            undeclared += 1
    stale = sum(1 for e in doc["entries"] if e.get("stale"))
    flaky = sum(1 for e in doc["entries"] if e.get("flaky") and e.get("applies"))
    bad_envs = [e["name"] for e in doc["environments"] if e.get("status", "finished") != "finished"]
    failed = c["fail"] + c["xpass"] + c["broken"] + undeclared + stale
    s = {
        "passed": c["pass"],
        "failed": failed,
        "skipped": c["skip"] - undeclared,
        "xfail": c["xfail"], "xpass": c["xpass"], "broken": c["broken"], "n/a": c["n/a"],
        "fail": c["fail"], "undeclared_skips": undeclared, "stale_entries": stale,
        "flaky_entries": flaky, "unfinished_environments": bad_envs,
        "tests": len(doc["tests"]),
    }
    s["exit"] = 1 if (failed or bad_envs) else 0
    return s
