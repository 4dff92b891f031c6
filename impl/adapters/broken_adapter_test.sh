#!/usr/bin/env bash
# An adapter whose Kinds crash, hang or throw: each such property fails with
# the reason and within the deadline, and the rest of the binary still runs
# (the jobserver Kind linked beside them passes every property).
set -u
bin=impl/adapters/broken/broken_test
[ -x "$bin" ] || { echo "FAIL: no $bin in the runfiles"; exit 1; }
xml=${TEST_TMPDIR:-/tmp}/broken.xml
start=$(date +%s)
IPCSPEC_PROPERTY_DEADLINE=2 RC_PARAMS=max_success=5 \
  "$bin" --gtest_filter='Kinds/SemaphoreSuite.CounterNeverNegative/*:Kinds/SemaphoreFaults.SignalIntoBlockedWaitLosesNoPost/*' \
  --gtest_output="xml:$xml" >"${TEST_TMPDIR:-/tmp}/broken.log" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
status=0
fail() { echo "FAIL: $*"; status=1; }
[ $rc -ne 0 ] || fail "the broken adapter's test passed (exit 0)"
[ -s "$xml" ] || { fail "no XML report: the binary died instead of reporting"; cat "${TEST_TMPDIR:-/tmp}/broken.log"; exit 1; }
case_of() { # NAME -> the <testcase> element and its body
  awk -v n="$1" 'index($0, "name=\"" n "\"") {on = 1} on {print} on && /<\/testcase>|\/>$/ {exit}' "$xml"
}
for p in CounterNeverNegative; do
  c=$(case_of "$p/broken_crashes"); grep -q "crashed" <<<"$c" || fail "$p/broken_crashes: no 'crashed' failure"
  c=$(case_of "$p/broken_hangs");   grep -q "hung: no result within the deadline" <<<"$c" || fail "$p/broken_hangs: no 'hung' failure"
  c=$(case_of "$p/broken_throws");  grep -q "the library threw" <<<"$c" || fail "$p/broken_throws: no exception failure"
  c=$(case_of "$p/jobserver_pipe"); grep -q "<failure" <<<"$c" && fail "$p/jobserver_pipe failed: the rest must still run and pass"
  grep -q "$p/jobserver_pipe" "$xml" || fail "$p/jobserver_pipe did not run"
done
# The verdict engine calls each a finding: the broken library's table is empty.
for k in crashes hangs throws; do
  grep -q "ipcspec verdict: fail Kinds/SemaphoreSuite.CounterNeverNegative/broken_$k: a finding" \
    "${TEST_TMPDIR:-/tmp}/broken.log" || fail "broken_$k's failure is not reported as a finding"
done
[ $took -lt 60 ] || fail "took ${took}s: the deadline did not bound the hangs"
[ $status -eq 0 ] && echo "PASS (${took}s)"
exit $status
