#!/usr/bin/env bash
# The gRPC adapter's checks are not vacuous: under each mutant of the adapter
# (IPCSPEC_GRPC_MUTANT, grpc_common.h) exactly the tests named here must
# fail, each with its own message, and the unmutated run must pass.
#   bazel test //impl/adapters/grpc:grpc_mutants_test --config=full
set -u
bin=impl/adapters/grpc/grpc_test
[ -x "$bin" ] || { echo "FAIL: no $bin in the runfiles"; exit 1; }
tmp=${TEST_TMPDIR:-/tmp}
status=0
fail() { echo "FAIL: $*"; status=1; }
# mutant | gtest filter | the failure text that must show (an extended regex)
rows=(
  "retry_unavailable|GrpcScenarios.ServerKilledMidCallGivesUnavailable|the call failed only at its deadline"
  "deadline_early|GrpcScenarios.DeadlineExceededAtTheDeadlineNotBefore|the call ended before its deadline"
  "gate_twice|GrpcScenarios.SignalsIntoClientAndServerLoseNoCall|a retry after EINTR duplicated it"
  "refuse_bound_path|GrpcScenarios.SecondServerOnTheSamePathTakesItOver|did not start"
  "unlink_at_listen|GrpcScenarios.SocketFileAfterACrash|socket file is gone"
  "exit_without_shutdown|GrpcScenarios.SocketFileAfterACrash|shut down cleanly .* left its socket file"
  "global_pool|GrpcScenarios.ForkWithALocalSubchannelPool|the calls of the parent and the child interfere"
  "stream_skip|GrpcScenarios.ServerStreamCutByTheServersDeath|was not whole or out of order"
  # The suite reports a client that got another call's reply as such, or,
  # when it sees the failure before that client's exit, as "a client failed".
  "wrong_id|Kinds/RpcSuite.RepliesMatchRequests/*|not the reply to its request|a client failed"
)
for row in "${rows[@]}"; do
  mutant=${row%%|*}; rest=${row#*|}; filter=${rest%%|*}; text=${rest#*|}
  log="$tmp/$mutant.log"
  IPCSPEC_GRPC_MUTANT=$mutant RC_PARAMS=max_success=5 "$bin" --gtest_filter="$filter" >"$log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    fail "mutant $mutant: $filter passed; it must be caught"
  elif ! grep -qE -- "$text" "$log"; then
    fail "mutant $mutant: $filter failed without \"$text\":"; tail -20 "$log"
  else
    echo "caught: $mutant by $filter (\"$text\")"
  fi
done
[ $status -eq 0 ] && echo PASS
exit $status
