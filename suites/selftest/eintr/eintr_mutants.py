"""The EINTR table is not vacuous: each of the harness's mutants must flip
exactly the cells it should, and each flipped cell must fail with its own
message.

    eintr_mutants.py EINTR_TEST_BINARY

- retry-on-eintr (the child calls again after EINTR, as a retry loop does):
  every cell that expects EINTR, in the handler table and the stop-signal
  table, must fail with "expected EINTR, got restarted"; every other cell
  must keep its outcome.
- no-sa-restart (every handler installed without SA_RESTART): each
  "with SA_RESTART" cell must now show what its row's "without SA_RESTART"
  cell expects: where the two differ the test fails with "expected WITH, got
  WITHOUT", where they agree it passes; the stop-signal table, which installs
  no handler, keeps its outcomes.

The cells and their expectations are read from the table the binary prints;
the outcomes and messages from its verdict records.
"""
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

TIMEOUT = 300


def name_of(call):
    return re.sub(r"[^A-Za-z0-9]+", "_", call).strip("_")


def run(binary, mutant):
    """Returns (the printed table's cells {test: (expected, seen, with_expected,
    without_expected)}, {test: (outcome, message)}, log)."""
    with tempfile.TemporaryDirectory(dir=os.environ.get("TEST_TMPDIR")) as d:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("XML_OUTPUT_FILE", "TEST_UNDECLARED_OUTPUTS_DIR", "GTEST_",
                                    "TEST_SHARD", "TEST_TOTAL_SHARDS", "TEST_PREMATURE"))}
        env["IPCSPEC_RESULTS_DIR"] = d
        if mutant:
            env["IPCSPEC_EINTR_MUTANT"] = mutant
        p = subprocess.run([binary], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=TIMEOUT)
        log = p.stdout.decode("utf-8", "replace")
        records = {}
        for f in glob.glob(os.path.join(d, "*.jsonl")):
            with open(f, encoding="utf-8") as fh:
                for line in fh:
                    r = json.loads(line)
                    if r.get("record") == "test":
                        records[r["test"]] = (r.get("outcome"), r.get("message", ""))
    cells = {}
    table = 0
    for line in log.split("\n"):
        if line.startswith("| call |"):
            table += 1
            continue
        if not line.startswith("| ") or line.startswith("|---"):
            continue
        cols = [c.strip() for c in line.strip("|").split(" | ")]
        if table == 1:
            w_exp, w_seen = cols[1].split(" / ", 1)
            n_exp, n_seen = cols[2].split(" / ", 1)
            base = "Table/Eintr.FollowsTheTable/" + name_of(cols[0])
            cells[base + "__SA_RESTART"] = (w_exp, w_seen, w_exp, n_exp)
            cells[base + "__no_SA_RESTART"] = (n_exp, n_seen, w_exp, n_exp)
        elif table == 2:
            exp, seen = cols[1].split(" / ", 1)
            cells["StopTable/StopEintr.FollowsTheTable/" + name_of(cols[0])] = (exp, seen, None, None)
    return cells, records, log


def main():
    binary = sys.argv[1]
    failures = []
    control_cells, control, log = run(binary, None)
    if not control_cells or any(o not in ("pass", "skip") for o, _ in control.values()):
        print("FAIL: the control run (no mutant) does not pass:\n" + log[-3000:])
        return 1
    for mutant in ("retry-on-eintr", "no-sa-restart"):
        cells, records, log = run(binary, mutant)
        caught = kept = 0
        for test, (exp, _, w_exp, n_exp) in sorted(control_cells.items()):
            outcome, message = records.get(test, (None, ""))
            if control[test][0] == "skip":
                if outcome != "skip":
                    failures.append("%s: %s: skipped without the mutant, %s with it" % (mutant, test, outcome))
                continue
            want = None  # None: the cell keeps its outcome
            if mutant == "retry-on-eintr" and exp == "EINTR":
                want = "expected EINTR, got restarted"
            elif (mutant == "no-sa-restart" and test.endswith("__SA_RESTART") and w_exp != n_exp):
                want = "expected %s, got %s" % (w_exp, n_exp)
            if want is None:
                if outcome != "pass":
                    failures.append("%s: %s: should keep its outcome (pass), got %s: %s"
                                    % (mutant, test, outcome, message[:300]))
                else:
                    kept += 1
            elif outcome != "fail" or want not in message:
                failures.append("%s: %s: survived or caught for another reason: wanted a failure "
                                "with %r, got %s: %s" % (mutant, test, want, outcome, message[:300]))
            else:
                caught += 1
        print("mutant %s: %d cells caught, %d kept their outcome" % (mutant, caught, kept))
    for f in failures:
        print("FAIL: " + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
