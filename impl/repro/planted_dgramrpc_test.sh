#!/bin/bash
# The Datagram and Rpc reproducers against planted faults (issue 17): under
# each LD_PRELOAD library (a libc call broken the way a buggy libc or kernel
# would break it), the suite's property must fail and name its reproducer;
# that C file, compiled with plain `cc`, must fail (exit 1) under the same
# library and pass (exit 0) without it, each run within a second. Then every
# printable Datagram and Rpc Kind's reproducers, written on demand
# (IPCSPEC_REPRO=always), must compile with -Wall -Wextra -Werror and pass
# here.
set -u
# The suites run here must not write their JUnit XML over this test's own.
unset XML_OUTPUT_FILE
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
dg="$ws/suites/datagram/datagram_test"
rpc="$ws/suites/rpc/rpc_test"
faults="$ws/impl/repro/faults"
work="$(mktemp -d "${TEST_TMPDIR:-/tmp}/planted-dgramrpc.XXXXXX")"
trap 'rm -rf "$work"' EXIT
. "$ws/impl/repro/planted_lib.sh"

# Datagram: recvmsg(2) ignores MSG_TRUNC (man 2 recv: "return the real
# length of the packet or datagram").
check recvmsg_hides_truncation 'Kinds/DatagramSuite.TruncationReportsTheRealLength/unix_dgram_socketpair' 1 \
  "expected the first 1 bytes of the 2-byte message, real length 2 and MSG_TRUNC" \
  "a truncated 2-byte message must report its real length 2 and MSG_TRUNC" \
  "$dg" //suites/datagram:datagram_test
check recvmsg_hides_truncation 'Kinds/DatagramSuite.ModelSequences/unix_seqpacket_socketpair' 1 \
  "which is not the next message sent and not yet received" \
  "which is not the next message sent and not yet received" \
  "$dg" //suites/datagram:datagram_test
# (UDP's ModelSequences may legally see EAGAIN before a loopback datagram
# arrives, so its counterexample could pass by chance: the truncation
# property waits for each datagram with poll(2) first.)
check recvmsg_hides_truncation 'Kinds/DatagramSuite.TruncationReportsTheRealLength/udp_loopback' 1 \
  "real length 2 and MSG_TRUNC" \
  "which is not any message sent and not yet received" \
  "$dg" //suites/datagram:datagram_test

# Rpc: a SOCK_SEQPACKET send(2) delivered twice (a reply duplicated).
check seqpacket_send_duplicates 'Kinds/RpcSuite.RepliesMatchRequests/unix_seqpacket_rpc' 1 \
  "got a reply that is not the reply to its request" \
  "got the reply to request 0" \
  "$rpc" //suites/rpc:rpc_test

# On demand, on this machine: every printable Kind's reproducer of every
# property that prints its steps compiles and passes.
on_demand datagram "$dg" 'Kinds/DatagramSuite.ModelSequences/*' \
  repro-Kinds-DatagramSuite.ModelSequences \
  unix_dgram_socketpair unix_seqpacket_socketpair udp_loopback
on_demand datagram_trunc "$dg" 'Kinds/DatagramSuite.TruncationReportsTheRealLength/*' \
  repro-Kinds-DatagramSuite.TruncationReportsTheRealLength \
  unix_dgram_socketpair unix_seqpacket_socketpair udp_loopback
on_demand rpc_replies "$rpc" 'Kinds/RpcSuite.RepliesMatchRequests/*' \
  repro-Kinds-RpcSuite.RepliesMatchRequests unix_stream_rpc unix_seqpacket_rpc
on_demand rpc_malformed "$rpc" 'Kinds/RpcSuite.MalformedRequestsGetErrorReplies/*' \
  repro-Kinds-RpcSuite.MalformedRequestsGetErrorReplies unix_stream_rpc unix_seqpacket_rpc
on_demand rpc_death "$rpc" 'Kinds/RpcSuite.ServerDeathGivesAnError/*' \
  repro-Kinds-RpcSuite.ServerDeathGivesAnError unix_stream_rpc unix_seqpacket_rpc

# An external library's Rpc Kind cannot print itself, and says why.
echo "== an external library's Rpc Kind (nng) says it cannot print itself"
ndir="$work/nng"; mkdir -p "$ndir"
IPCSPEC_REPRO=always IPCSPEC_REPRO_DIR="$ndir" TEST_UNDECLARED_OUTPUTS_DIR="$ndir" \
  timeout -k 2 60 "$ws/impl/adapters/nng/nng_test" \
  --gtest_filter='Kinds/RpcSuite.RepliesMatchRequests/nng_*' > "$ndir/suite.log" 2>&1
if grep -q "Reproducer: none: the Kind nng_reqrep_ipc cannot print itself as C (an external library)" "$ndir/suite.log"; then
  echo "   nng_reqrep_ipc: says so"
else
  fail "nng_reqrep_ipc does not say that it cannot print itself (an external library):"
  tail -20 "$ndir/suite.log"
fi

[ "$failed" -eq 0 ] && echo "PASS"
exit "$failed"
