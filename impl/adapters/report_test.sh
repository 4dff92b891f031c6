#!/usr/bin/env bash
# impl/adapters/report.py builds the adapters' report from sample gtest XML:
# each cell's status, the notes with reasons, and exit 1 for a finding.
set -u
here=$(dirname "$0")
py=${PYTHON:-python3}
out=$("$py" "$here/report.py" --testlogs "$here/testdata" demo)
rc=$?
fail() { echo "FAIL: $*"; echo "$out"; exit 1; }
[ $rc -eq 1 ] || fail "exit status $rc, want 1 (the sample has a finding)"
grep -q '^| MessageQueue.PriorityOrder | pass |$' <<<"$out" || fail "PriorityOrder not pass"
grep -q '^| MessageQueue.ModelSequences | \*\*FAIL\*\* \[[0-9]\] |$' <<<"$out" || fail "ModelSequences not FAIL"
grep -q '^| MessageQueue.CapacityLimits | divergence \[[0-9]\] |$' <<<"$out" || fail "CapacityLimits not a divergence"
grep -q 'KilledSenderLeavesWholeMessages (fault scenario) | skip' <<<"$out" || fail "scenario not skip"
grep -q 'drops at the high-water mark (source: man demo_socket' <<<"$out" || fail "divergence reason missing"
grep -q 'cannot be used from a forked' <<<"$out" || fail "skip reason missing"
"$py" "$here/report.py" --testlogs "$here/testdata" nosuchlib >/dev/null 2>&1
[ $? -eq 2 ] || fail "an unknown library must exit 2"
echo PASS
