#!/bin/bash
# The readiness models' reproducers (issue 17; suites/readiness): under a
# planted fault (impl/repro/faults/poll_drops_pollhup.c: poll(2) never
# reports POLLHUP), StreamReadiness.ModelSequences must fail and name its
# reproducer, which must fail (exit 1) under the same library and pass
# (exit 0) without it, each run within a second. Then, on demand
# (IPCSPEC_REPRO=always), every printable Kind's reproducer must compile with
# -Wall -Wextra -Werror and pass on this machine.
set -u
# The suites run here write no JUnit XML over this test's own.
unset XML_OUTPUT_FILE
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
suite="$ws/suites/readiness/readiness_test"
target=//suites/readiness:readiness_test
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted-readiness.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

# A pipe's read end once the write end is closed: man 2 poll, POLLHUP.
check poll_drops_pollhup 'Kinds/StreamReadiness.ModelSequences/pipe' 1 \
  "POLLHUP clear (expected yes)" "POLLHUP clear (expected yes)" "$suite" "$target"
check poll_drops_pollhup 'Kinds/StreamReadiness.ModelSequences/unix_stream_socketpair' 1 \
  "POLLHUP clear (expected yes)" "POLLHUP clear (expected yes)" "$suite" "$target"
# A SOCK_SEQPACKET endpoint once its peer closed: man 2 poll, POLLHUP.
check poll_drops_pollhup 'Kinds/DatagramReadiness.ModelSequences/unix_seqpacket_socketpair' 1 \
  "POLLHUP clear (expected yes)" "POLLHUP clear (expected yes)" "$suite" "$target"
# A waiter in poll(2) for POLLRDHUP alone (a child process in the
# reproducer, seen asleep in poll through /proc/PID/stat and
# /proc/PID/syscall): the pipe's hangup must wake it with POLLHUP.
# (The suite's waiter thread also waits on an eventfd of its own that ends
# it, so its poll may count that one: "returned 0" or "returned 1".)
check poll_drops_pollhup 'Kinds/StreamReadiness.HangupWaiter/pipe' 1 \
  "with nothing after closing the writing end" "for POLLRDHUP alone returned 0 with nothing" \
  "$suite" "$target"

on_demand stream "$suite" 'Kinds/StreamReadiness.ModelSequences/*' \
  repro-Kinds-StreamReadiness.ModelSequences \
  pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair tcp_loopback
on_demand datagram "$suite" 'Kinds/DatagramReadiness.ModelSequences/*' \
  repro-Kinds-DatagramReadiness.ModelSequences \
  unix_dgram_socketpair unix_seqpacket_socketpair udp_loopback
on_demand hangup "$suite" 'Kinds/StreamReadiness.HangupWaiter/*' \
  repro-Kinds-StreamReadiness.HangupWaiter \
  pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair tcp_loopback
on_demand hangup_seqpacket "$suite" 'Kinds/DatagramReadiness.HangupWaiter/*' \
  repro-Kinds-DatagramReadiness.HangupWaiter unix_seqpacket_socketpair
# The waiter properties (their waiters child processes) for every printable
# Kind: its last round.
streams="pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair tcp_loopback"
datagrams="unix_dgram_socketpair unix_seqpacket_socketpair udp_loopback"
counters="eventfd eventfd_nonblock eventfd_semaphore eventfd_semaphore_nonblock eventfd_initval"
queues="posix_mq posix_mq_nonblock posix_mq_default"
for prop in WaiterWakes ExclusiveWakesOne; do
  # shellcheck disable=SC2086
  on_demand "stream-$prop" "$suite" "Kinds/StreamReadiness.$prop/*" \
    "repro-Kinds-StreamReadiness.$prop" $streams
  # shellcheck disable=SC2086
  on_demand "datagram-$prop" "$suite" "Kinds/DatagramReadiness.$prop/*" \
    "repro-Kinds-DatagramReadiness.$prop" $datagrams
  # shellcheck disable=SC2086
  on_demand "counter-$prop" "$suite" "Kinds/CounterReadiness.$prop/*" \
    "repro-Kinds-CounterReadiness.$prop" $counters
  # shellcheck disable=SC2086
  on_demand "mq-$prop" "$suite" "Kinds/MessageQueueReadiness.$prop/posix_mq*" \
    "repro-Kinds-MessageQueueReadiness.$prop" $queues
done
on_demand counter "$suite" 'Kinds/CounterReadiness.ModelSequences/*' \
  repro-Kinds-CounterReadiness.ModelSequences \
  eventfd eventfd_nonblock eventfd_semaphore eventfd_semaphore_nonblock eventfd_initval
on_demand mq "$suite" 'Kinds/MessageQueueReadiness.ModelSequences/posix_mq*' \
  repro-Kinds-MessageQueueReadiness.ModelSequences \
  posix_mq posix_mq_nonblock posix_mq_default
# signalfd has no C setup: it says so.
on_demand signal "$suite" 'Kinds/SignalQueueReadiness.ModelSequences/*' \
  repro-Kinds-SignalQueueReadiness.ModelSequences
grep -q "Reproducer: none: the Kind signalfd cannot print itself" "$work/signal/suite.log" \
  || fail "signalfd does not say that it cannot print itself"

[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
