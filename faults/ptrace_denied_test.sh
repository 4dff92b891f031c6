#!/usr/bin/env bash
# Where ptrace is denied (here: a seccomp filter, testdata/deny_ptrace.cc),
# every test that uses the fault injector skips for the declared need
# `ptrace` (impl/core/needs.h), counted by the verdict engine: the injector's
# own tests, and the injection scenarios of a suite (not "not applicable" to
# their Kind). Without the filter the same tests run (their own targets).
set -u
deny=$1; shift
out=${TEST_TMPDIR:-$(mktemp -d)}/ptrace_denied
status=0
fail() { echo "FAIL: $*"; status=1; }

# check BINARY FILTER: runs it under the filter; every test it ran must be a
# skip for the need ptrace whose detail names the step that failed.
check() {
  local bin=$1 filter=$2
  local dir=$out/$(basename "$bin").$RANDOM
  mkdir -p "$dir"
  # LeakSanitizer works through ptrace (it stops the threads with
  # PTRACE_ATTACH), so under --config=asan a binary where ptrace is denied
  # aborts at exit ("LeakSanitizer does not work under ptrace"): the denied
  # runs keep AddressSanitizer and turn only the leak check off; the same
  # binaries' own targets run it.
  local asan=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
  env -u XML_OUTPUT_FILE -u TEST_UNDECLARED_OUTPUTS_DIR -u GTEST_OUTPUT \
    ASAN_OPTIONS="$asan" IPCSPEC_RESULTS_DIR="$dir" "$deny" "$bin" --gtest_filter="$filter" >"$dir/log" 2>&1
  local rc=$?
  [ $rc -eq 0 ] || { fail "$(basename "$bin") under deny_ptrace exited $rc"; tail -20 "$dir/log"; }
  python3 - "$dir" <<'PY' || { fail "$(basename "$bin") ($filter)"; tail -20 "$dir/log"; }
import json, pathlib, sys
recs = [json.loads(l) for f in pathlib.Path(sys.argv[1]).glob("*.jsonl") for l in open(f)]
tests = [r for r in recs if r["record"] == "test"]
skips = 0
for t in tests:
    if t["outcome"] == "n/a" and "ptrace" not in t["message"]:
        continue  # does not apply to its Kind for another reason (no fork sharing)
    assert (t["outcome"], t["need"]) == ("skip", "ptrace"), (t["test"], t["outcome"], t["need"], t["message"])
    assert "PTRACE_TRACEME" in t["message"] and "EPERM" in t["message"], t["message"]
    skips += 1
assert skips, "no test skipped for the need ptrace"
print("%d tests skipped for the need ptrace" % skips)
PY
}

check "$1" 'Injector.*'
check "$2" '*/StreamFaults.WriteAllIsExactUnderInjectedFaults/*:*/StreamFaults.KilledWriterLeavesAPrefix/*'
check "$3" '*/QueueFaults.KilledSenderLeavesWholeMessages/*'
[ $status -eq 0 ] && echo PASS
exit $status
