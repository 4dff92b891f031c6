#!/bin/bash
# The System V message queue reproducers against planted faults (issue 17):
# under each LD_PRELOAD library (a msgrcv broken the way gVisor's is,
# containers/divergences/gvisor.tsv; a msgsnd that takes a message into a
# full queue; an IPC_STAT whose msg_cbytes is always 0), the MessageQueue
# suite's property on a sysv_msg Kind must fail and name its reproducer; that C file, compiled with
# plain `cc`, must fail (exit 1) under the same library and pass (exit 0)
# without it, each run within a second. Then every sysv_msg Kind's
# reproducer of every model property, generated on demand
# (IPCSPEC_REPRO=always), must compile with -Wall -Wextra -Werror and pass
# on this machine.
set -u
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
mq_suite="$ws/suites/message_queue/message_queue_test"
target=//suites/message_queue:message_queue_test
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted-sysv.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

# A truncating msgrcv (MSG_NOERROR) that writes one byte past mtext[msgsz]:
# the model's guard bytes after the buffer see it, and so do the
# reproducer's.
check msgrcv_noerror_overrun 'Kinds/MessageQueueSuite.MessageBoundaries/sysv_msg' 1 \
  "past mtext[msgsz]" "past mtext[msgsz]" "$mq_suite" "$target"
check msgrcv_noerror_overrun 'Kinds/MessageQueueSuite.ModelSequences/sysv_msg_small' 1 \
  "past mtext[msgsz]" "past mtext[msgsz]" "$mq_suite" "$target"
# A negative msgtyp compared with < instead of <=.
check msgrcv_negative_type_strict 'Kinds/MessageQueueSuite.TypeSelection/sysv_msg' 2 \
  "ENOMSG (No message of desired type)" "got ENOMSG" "$mq_suite" "$target"
check msgrcv_negative_type_strict 'Kinds/MessageQueueSuite.CapacityLimits/sysv_msg_small' 1 \
  "ENOMSG (No message of desired type)" "got ENOMSG" "$mq_suite" "$target"
# A full queue that takes a message with IPC_NOWAIT (and drops it).
check msgsnd_full_is_success 'Kinds/MessageQueueSuite.CapacityLimits/sysv_msg_small' 1 \
  "expected EAGAIN, got success" "expected EAGAIN, got success" "$mq_suite" "$target"
# IPC_STAT with msg_cbytes always 0: seen by the counters checked before a
# blocking call (seed 1) and by status() (seed 2).
check msgctl_stat_no_cbytes 'Kinds/MessageQueueSuite.ModelSequences/sysv_msg' 1 \
  "bytes=0" "msg_qnum 1, msg_cbytes 0; the queue holds 1 message(s), 1 bytes" "$mq_suite" "$target"
check msgctl_stat_no_cbytes 'Kinds/MessageQueueSuite.ModelSequences/sysv_msg' 2 \
  "bytes=0" "msg_qnum 1, msg_cbytes 0, msg_qbytes" "$mq_suite" "$target"

# The README shows the reproducer gVisor's msgrcv overrun generates
# (containers/matrix/generated.py, GeneratedReproducer.SysvMsgrcvOverrun:
# MessageBoundaries of sysv_msg, seed 1, generated under runsc) in full,
# under "### A real finding, as generated". The planted overrun makes the
# same file here (the same steps, the same failure), except the msqid
# numbers its header quotes: it must be what the generator writes now.
# README_SECTION_REQUIRED=0 until the README has that section (the
# coordinator merges it; then 1: a missing section fails too).
README_SECTION_REQUIRED=0
readme="$ws/README.md"
readme_c="$work/readme-finding.c"
awk '$0=="### A real finding, as generated"{r=1;next} r&&/^#/&&!c{exit} r&&/^```c$/{c=1;next} c&&/^```$/{exit} c{print}' \
  "$readme" > "$readme_c" 2>/dev/null
gen="$work/msgrcv_noerror_overrun/repro-Kinds-MessageQueueSuite.MessageBoundaries-sysv_msg.c"
ids() { sed -E 's/msgrcv\([0-9]+,/msgrcv(ID,/g; s/msqid [0-9]+/msqid ID/g' "$1"; }
if [ ! -s "$readme_c" ]; then
  if [ "$README_SECTION_REQUIRED" = 1 ]; then
    fail "README.md has no \`\`\`c block under '### A real finding, as generated'"
  else
    echo "== NOTE: README.md has no '### A real finding, as generated' block yet (not required until merged)"
  fi
elif [ ! -f "$gen" ]; then
  fail "no reproducer was generated under msgrcv_noerror_overrun to compare with the README"
elif ! diff <(ids "$gen") <(ids "$readme_c") > "$work/readme.diff"; then
  fail "README.md, '### A real finding, as generated': the reproducer shown is not what the generator writes now:"
  head -40 "$work/readme.diff"
else
  echo "== the README's real finding is what the generator writes (up to msqid numbers)"
fi

# On demand, on this machine: every sysv_msg Kind, every model property.
for prop in MessageBoundaries TypeSelection CapacityLimits ModelSequences; do
  on_demand "always-$prop" "$mq_suite" "Kinds/MessageQueueSuite.$prop/sysv_msg*" \
    "repro-Kinds-MessageQueueSuite.$prop" sysv_msg sysv_msg_small
done

[ "$failed" -eq 0 ] && echo "PASS" || echo "FAILED"
exit "$failed"
