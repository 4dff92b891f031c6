#!/bin/bash
# Signal.SignalfdCarriesTheSigqueueValue is not vacuous: under a libc whose
# sigqueue(3) drops the value (the planted fault
# impl/repro/faults/sigqueue_drops_value.so, LD_PRELOAD) the test must fail
# with its own message; without it, it must pass (the control).
set -u
ws="${TEST_SRCDIR:?}/${TEST_WORKSPACE:-ipcspec}"
bin="$ws/suites/signal/signal_test"
so="$ws/impl/repro/faults/sigqueue_drops_value.so"
unset XML_OUTPUT_FILE
test=Signal.SignalfdCarriesTheSigqueueValue
log="${TEST_TMPDIR:-/tmp}/mutant.log"
if ! timeout -k 2 60 "$bin" --gtest_filter="$test" > "$log" 2>&1; then
  echo "FAIL: the control: $test fails without the mutant:"; tail -30 "$log"; exit 1
fi
if LD_PRELOAD="$so" timeout -k 2 60 "$bin" --gtest_filter="$test" > "$log" 2>&1; then
  echo "FAIL: $test passes under a sigqueue(3) that drops the value"; exit 1
fi
if ! grep -q "the value sent by sigqueue(3) is lost" "$log"; then
  echo "FAIL: $test failed under the mutant, but not with its own message:"; tail -30 "$log"; exit 1
fi
echo "PASS: $test catches a sigqueue(3) that drops the value"
