"""The table tests' mutants: each row of a *.tsv in this folder names a test
and a system call that, made to fail with a chosen errno (or to "succeed"
without running) by impl/mutants/syscall:errno_mutant, must make that test
fail with a message that contains the row's `expect`.

    table_mutants.py --mutant PATH --tables DIR LABEL=PATH...

For every row:
  1. the control: the test alone, without the mutant, must pass (a test that
     skips for an unmet need leaves its rows unchecked, counted and named);
  2. the mutant: the same test under the filter must fail, and its verdict
     record's message must contain `expect`: a failure for another reason (a
     setup step, a timeout) is not a catch, and fails this test.
Prints one line per row, then the counts. Exit 0 when every checked row is
caught; 1 otherwise; 2 for a malformed table.
"""

import argparse
import concurrent.futures
import glob
import json
import os
import subprocess
import sys
import tempfile

HEADER = ["binary", "test", "syscall", "condition", "errno", "expect", "why"]
TIMEOUT = 60 * float(os.environ.get("IPCSPEC_TIMEOUT_SCALE", "1") or 1)


class TableError(Exception):
    pass


def read_tables(folder, binaries):
    rows = []
    files = sorted(glob.glob(os.path.join(folder, "*.tsv")))
    if not files:
        raise TableError("%s: no *.tsv table" % folder)
    for path in files:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().split("\n")
        if not lines or lines[0].split("\t") != HEADER:
            raise TableError("%s:1: the header must be: %s" % (path, "\\t".join(HEADER)))
        for n, line in enumerate(lines[1:], start=2):
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.split("\t")
            where = "%s:%d" % (os.path.basename(path), n)
            if len(cells) != len(HEADER) or not all(c.strip() for c in cells):
                raise TableError("%s: %d cells, want %d non-empty" % (where, len(cells), len(HEADER)))
            row = dict(zip(HEADER, cells))
            if row["binary"] not in binaries:
                raise TableError("%s: %s is not in TABLE_BINARIES of suites/selftest/tables/BUILD"
                                 % (where, row["binary"]))
            if any(ch in row["test"] for ch in "*?:") or row["test"].startswith("-"):
                raise TableError("%s: the test must be one exact name, not a filter: %s"
                                 % (where, row["test"]))
            row["where"] = where
            rows.append(row)
    return rows


# A mutant that breaks a wake-up (a shutdown, a post) leaves the waiter
# blocked until the test's own deadline: the mutant runs get a third of the
# deadlines, so such a row costs 3 s, not 10. The controls keep the full ones.
MUTANT_TIMEOUT_SCALE = 0.3 * float(os.environ.get("IPCSPEC_TIMEOUT_SCALE", "1") or 1)


def run(cmd, test, scale=None):
    """Runs CMD (a test binary, maybe under the mutant) for TEST; returns
    (exit status or "timeout", the verdict record of TEST or None, log)."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
        env = {k: v for k, v in os.environ.items()
               if k not in ("XML_OUTPUT_FILE", "TEST_UNDECLARED_OUTPUTS_DIR", "GTEST_OUTPUT",
                            "TEST_SHARD_INDEX", "TEST_TOTAL_SHARDS", "TEST_SHARD_STATUS_FILE",
                            "TEST_PREMATURE_EXIT_FILE", "GTEST_SHARD_INDEX", "GTEST_TOTAL_SHARDS",
                            "GTEST_SHARD_STATUS_FILE")}
        env["IPCSPEC_RESULTS_DIR"] = d
        if scale is not None:
            env["IPCSPEC_TIMEOUT_SCALE"] = "%g" % scale
        try:
            p = subprocess.run(cmd + ["--gtest_filter=" + test], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, timeout=TIMEOUT)
            status, log = p.returncode, p.stdout.decode("utf-8", "replace")
        except subprocess.TimeoutExpired as e:
            status, log = "timeout", (e.stdout or b"").decode("utf-8", "replace")
        record = None
        for f in glob.glob(os.path.join(d, "*.jsonl")):
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    if r.get("record") == "test" and r.get("test") == test:
                        record = r
        return status, record, log


def tail(log, n=12):
    return "\n".join("      " + l for l in log.rstrip().split("\n")[-n:])


def check(row, mutant, binaries, controls):
    """One row: 'caught', 'unchecked: why' or 'FAIL: why'."""
    control = controls[(row["binary"], row["test"])]
    if control[0] == "unchecked":
        return control[1], ""
    if control[0] == "FAIL":
        return control[1], control[2]
    cmd = [mutant, row["syscall"], row["condition"], row["errno"], "--", binaries[row["binary"]]]
    status, record, log = run(cmd, row["test"], MUTANT_TIMEOUT_SCALE)
    if status == 2 and log.startswith("errno_mutant:"):
        return "FAIL: the mutant refused the row: " + log.split("\n")[0], ""
    if status == 0:
        return "FAIL: survived: %s still passes when %s (%s) returns %s" % (
            row["test"], row["syscall"], row["condition"], row["errno"]), ""
    if status == "timeout":
        return "FAIL: a timeout is not a catch (%.0f s)" % TIMEOUT, tail(log)
    if record is None or record.get("outcome") != "fail":
        return "FAIL: exited %s without a failing verdict record for the test" % status, tail(log)
    # `expect` may list alternatives, " OR " between them: a waiter that a
    # mutant never wakes fails at whichever of its deadlines comes first.
    if not any(alt in record.get("message", "") for alt in row["expect"].split(" OR ")):
        return ("FAIL: caught for another reason: the message lacks %r" % row["expect"],
                "      message: " + record.get("message", "")[:600])
    return "caught", ""


def control(binary, path, test):
    status, record, log = run([path], test)
    if record is not None and record.get("outcome") == "skip":
        return ("unchecked", "unchecked: %s skips without the mutant (need %s: %s)" % (
            test, record.get("need"), record.get("message", "")[:200]), "")
    if record is not None and record.get("outcome") == "n/a":
        return ("FAIL", "FAIL: %s is not applicable here: a row must name a test that runs" % test, "")
    if status != 0 or record is None or record.get("outcome") != "pass":
        return ("FAIL", "FAIL: the control: %s does not pass without the mutant (exit %s)" % (
            test, status), tail(log))
    return ("pass", "", "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mutant", required=True)
    ap.add_argument("--tables", required=True)
    ap.add_argument("--jobs", type=int, default=4)
    ap.add_argument("binaries", nargs="*", help="LABEL=PATH")
    a = ap.parse_args()
    binaries = dict(b.split("=", 1) for b in a.binaries)
    try:
        rows = read_tables(a.tables, binaries)
    except TableError as e:
        print("table_mutants: %s" % e)
        return 2
    # Bazel's test sharding: shard I of N takes the rows with index = I mod N
    # (the tables are read and checked whole by every shard).
    shards = int(os.environ.get("TEST_TOTAL_SHARDS", "1") or 1)
    shard = int(os.environ.get("TEST_SHARD_INDEX", "0") or 0)
    if os.environ.get("TEST_SHARD_STATUS_FILE"):
        open(os.environ["TEST_SHARD_STATUS_FILE"], "w").close()
    if shards > 1:
        rows = rows[shard::shards]
        print("table mutants: shard %d of %d" % (shard + 1, shards))
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as pool:
        keys = sorted({(r["binary"], r["test"]) for r in rows})
        futs = {k: pool.submit(control, k[0], binaries[k[0]], k[1]) for k in keys}
        controls = {k: f.result() for k, f in futs.items()}
        results = list(pool.map(lambda r: check(r, a.mutant, binaries, controls), rows))
    counts = {"caught": 0, "unchecked": 0, "FAIL": 0}
    for row, (verdict, detail) in zip(rows, results):
        counts[verdict.split(":")[0]] += 1
        print("%-9s %s: %s under %s %s -> %s%s" % (
            verdict.split(":")[0], row["where"], row["test"], row["syscall"], row["condition"],
            row["errno"], "" if verdict == "caught" else "\n      " + verdict.split(": ", 1)[1]))
        if detail:
            print(detail)
    print("table mutants: %d rows, %d caught, %d unchecked (a need unmet), %d failed" % (
        len(rows), counts["caught"], counts["unchecked"], counts["FAIL"]))
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())
