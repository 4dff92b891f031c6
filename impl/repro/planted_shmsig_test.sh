#!/bin/bash
# The SharedRegion and SignalQueue reproducers (issue 17). Under each planted
# fault (an LD_PRELOAD library of impl/repro/faults breaking one libc call as
# a buggy libc or kernel would), the model's property must fail and name its
# reproducer, which must fail (exit 1) under the same library and pass
# (exit 0) without it, each within a second. Then every printable Kind's
# reproducer, written on demand (IPCSPEC_REPRO=always) for each recorded
# property, must compile with -Wall -Wextra -Werror and pass here.
set -u
# The suites run here must not write over this test's own JUnit XML.
unset XML_OUTPUT_FILE
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
region_suite="$ws/suites/shared_region/shared_region_test"
signal_suite="$ws/suites/signal_queue/signal_queue_test"
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted-shmsig.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"
region_target=//suites/shared_region:shared_region_test
signal_target=//suites/signal_queue:signal_queue_test

# SharedRegion: mmap(MAP_SHARED) of a descriptor made private. One process
# (two attachments) and two (the parent's write, the forked child's read).
check mmap_shared_is_private 'Kinds/SharedRegionSuite.AttachmentsAlias/posix_shm' 1 \
  "the model says" "the model says" "$region_suite" "$region_target"
check mmap_shared_is_private 'Kinds/SharedRegionSuite.CrossProcessSharing/memfd' 1 \
  "the model says" "the model says" "$region_suite" "$region_target"
check mmap_shared_is_private 'Kinds/SharedRegionSuite.RemoveKeepsAttachments/mmap_file' 1 \
  "the model says" "the model says" "$region_suite" "$region_target"
check mmap_shared_is_private 'Kinds/SharedRegionSuite.AttachByHandle/posix_shm' 1 \
  "the model says" "the model says" "$region_suite" "$region_target"
# SignalQueue: sigqueue(3) loses its value.
check sigqueue_drops_value 'Kinds/SignalQueueSuite.ModelSequences/sigtimedwait' 1 \
  "SI_QUEUE value=0" "value 0" "$signal_suite" "$signal_target"
check sigqueue_drops_value 'Kinds/SignalQueueSuite.ModelSequences/signalfd' 1 \
  "SI_QUEUE value=0" "value 0" "$signal_suite" "$signal_target"
# A receiver blocked in sigtimedwait (a forked child the parent watches
# asleep in /proc) learns the value sent to it.
check sigqueue_drops_value 'Kinds/SignalQueueSuite.WakesBlockedReceiver/sigtimedwait' 1 \
  "SI_QUEUE value=0" "value 0" "$signal_suite" "$signal_target"

# On demand, on this machine: every printable Kind, every recorded property.
regions="mmap_file memfd mmap_anon_shared posix_shm sysv_shm"
for prop in AttachmentsAlias CrossProcessSharing RemoveKeepsAttachments SizeAndRounding; do
  # shellcheck disable=SC2086
  on_demand "region-$prop" "$region_suite" "Kinds/SharedRegionSuite.$prop/*" \
    "repro-Kinds-SharedRegionSuite.$prop" $regions
done
# Only the Kinds found by name (id, name, path) have AttachByHandle.
on_demand region-AttachByHandle "$region_suite" 'Kinds/SharedRegionSuite.AttachByHandle/*' \
  repro-Kinds-SharedRegionSuite.AttachByHandle mmap_file posix_shm sysv_shm
# With a fixed seed, so that the longest cases surely include sends from the
# forked helper (its pid checked as si_pid of what it sent).
RC_PARAMS=seed=1 on_demand signal "$signal_suite" 'Kinds/SignalQueueSuite.ModelSequences/*' \
  repro-Kinds-SignalQueueSuite.ModelSequences sigtimedwait signalfd sigaction_siginfo sigaction_plain
grep -q 'child_pid\[0\]' "$work"/signal/repro-*.c \
  || fail "no SignalQueue reproducer has a helper child (a HelperSends step)"
on_demand signal-wakes "$signal_suite" 'Kinds/SignalQueueSuite.WakesBlockedReceiver/*' \
  repro-Kinds-SignalQueueSuite.WakesBlockedReceiver sigtimedwait signalfd sigaction_siginfo sigaction_plain

# Nothing the reproducers made outlives them.
left=$(ls /dev/shm 2>/dev/null | grep -c '^ipcspec-repro\.' || true)
[ "$left" -eq 0 ] || fail "/dev/shm keeps $left ipcspec-repro.* object(s)"
left=$(ls /tmp 2>/dev/null | grep -c '^ipcspec-repro-region\.' || true)
[ "$left" -eq 0 ] || echo "note: /tmp holds $left ipcspec-repro-region.* files (maybe another run's)"

[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
