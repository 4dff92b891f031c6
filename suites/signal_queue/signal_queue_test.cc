// Every SignalQueue Kind against every SignalQueue property.
//   bazel test //suites/signal_queue:signal_queue_test --test_filter='*/signalfd'
// Each test must leave this process's signal mask, dispositions and pending
// set as it found them (SignalStateChecked).
#include "gtest/gtest.h"
#include "suites/signal/signal_snapshot.h"
#include "suites/signal_queue/signal_queue_properties.h"

namespace ipcspec {
namespace {

class SignalQueueSuite
    : public SignalStateChecked<::testing::TestWithParam<SignalQueueKind>> {};

TEST_P(SignalQueueSuite, ModelSequences) {
  RunSuiteProperty(SignalQueueProperties(), "ModelSequences", GetParam());
}

TEST_P(SignalQueueSuite, WakesBlockedReceiver) {
  RunSuiteProperty(SignalQueueProperties(), "WakesBlockedReceiver", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SignalQueueSuite,
                         ::testing::ValuesIn(KindRegistry<SignalQueueInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SignalQueueSuite);

}  // namespace
}  // namespace ipcspec
