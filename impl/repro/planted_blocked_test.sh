#!/bin/bash
# The reproducers of forked blocked calls (issue 17) against planted faults:
# under each LD_PRELOAD library below (a blocking call broken the way a buggy
# libc or kernel would break it), the suite's property must fail and name its
# reproducer, whose child blocks, is seen blocked (/proc/PID/stat and
# /proc/PID/syscall, no sleep), is woken, and checks what its call returned;
# compiled with plain `cc`, it must fail (exit 1) under the same library and
# pass (exit 0) without it, each run within a second. Then the reproducers of
# the blocked-call and fault properties, generated on demand
# (IPCSPEC_REPRO=always) for every printable Kind, must compile with
# `cc -Wall -Wextra -Werror` and pass on this machine.
set -u
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
stream_faults="$ws/faults/stream_faults_test"
queue_faults="$ws/faults/queue_faults_test"
mq_suite="$ws/suites/message_queue/message_queue_test"
counter_suite="$ws/suites/counter/counter_test"
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted-blocked.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

# A blocked read of an empty pipe, woken by data, says end-of-file.
check pipe_blocked_read_is_eof 'Kinds/StreamFaults.ReadBlocksUntilDataOrEof/pipe' 1 \
  "woke with 0 after" "the blocked read woke with 0" \
  "$stream_faults" //faults:stream_faults_test
# A blocked mq_receive, woken by a send, fails EAGAIN (the message lost).
check mq_blocked_receive_eagain 'Kinds/MessageQueueSuite.BlockedCallsWake/posix_mq' 1 \
  "the blocked receiver did not get the message sent" "the blocked mq_receive, woken by a send: failed EAGAIN" \
  "$mq_suite" //suites/message_queue:message_queue_test
# A blocked eventfd read, woken by a write, fails EAGAIN (the value lost).
check eventfd_blocked_read_eagain 'Kinds/CounterSuite.BlockedTakeWokenByAdd/eventfd' 1 \
  "failed EAGAIN" "expected the value 0x1, got EAGAIN" \
  "$counter_suite" //suites/counter:counter_test
# A blocked mq_receive interrupted by a handler (no SA_RESTART) takes the
# next message and still fails EINTR (the message lost).
check mq_receive_eintr_eats_message 'Kinds/QueueFaults.SignalIntoBlockedReceiveLosesNothing/posix_mq' 1 \
  "the message is lost" "mq_curmsgs is 0; expected 1" \
  "$queue_faults" //faults:queue_faults_test

# On demand, every printable Kind of each property with a forked blocked call.
on_demand counter_add "$counter_suite" '*/CounterSuite.BlockedAddWokenByTake/*' \
  repro-Kinds-CounterSuite.BlockedAddWokenByTake \
  eventfd eventfd_nonblock eventfd_semaphore eventfd_semaphore_nonblock eventfd_initval
on_demand counter_take "$counter_suite" '*/CounterSuite.BlockedTakeWokenByAdd/*' \
  repro-Kinds-CounterSuite.BlockedTakeWokenByAdd \
  eventfd eventfd_nonblock eventfd_semaphore eventfd_semaphore_nonblock eventfd_initval
on_demand mq_blocked "$mq_suite" '*/MessageQueueSuite.BlockedCallsWake/posix_mq*' \
  repro-Kinds-MessageQueueSuite.BlockedCallsWake posix_mq posix_mq_default
on_demand stream_read "$stream_faults" '*/StreamFaults.ReadBlocksUntilDataOrEof/*' \
  repro-Kinds-StreamFaults.ReadBlocksUntilDataOrEof \
  pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair
on_demand stream_full "$stream_faults" '*/StreamFaults.FullStreamBlocksUntilDrained/*' \
  repro-Kinds-StreamFaults.FullStreamBlocksUntilDrained \
  pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair
on_demand mq_signal "$queue_faults" '*/QueueFaults.SignalIntoBlockedReceiveLosesNothing/posix_mq*' \
  repro-Kinds-QueueFaults.SignalIntoBlockedReceiveLosesNothing posix_mq posix_mq_default
# kill() at the point where ipcspec's tracer kills the writer / sender.
on_demand stream_killed "$stream_faults" '*/StreamFaults.KilledWriterLeavesAPrefix/*' \
  repro-Kinds-StreamFaults.KilledWriterLeavesAPrefix \
  pipe pipe2_nonblock pipe_one_page fifo fifo_nonblock unix_stream_socketpair
on_demand mq_killed "$queue_faults" '*/QueueFaults.KilledSenderLeavesWholeMessages/posix_mq*' \
  repro-Kinds-QueueFaults.KilledSenderLeavesWholeMessages posix_mq posix_mq_default posix_mq_nonblock

exit "$failed"
