// Every MessageQueue Kind under the fault scenarios.
#include "faults/address_scenarios.h"
#include "gtest/gtest.h"
#include "suites/message_queue/message_queue_fault_properties.h"

namespace ipcspec {
namespace {

class QueueFaults : public ::testing::TestWithParam<MessageQueueKind> {};

TEST_P(QueueFaults, KilledSenderLeavesWholeMessages) {
  RunSuiteProperty(MessageQueueFaultProperties(), "KilledSenderLeavesWholeMessages", GetParam());
}

TEST_P(QueueFaults, KilledRemoteSenderLeavesWholeMessages) {
  RunSuiteProperty(QueueAddressScenarios(), "KilledRemoteSenderLeavesWholeMessages", GetParam());
}

TEST_P(QueueFaults, SignalIntoBlockedReceiveLosesNothing) {
  RunSuiteProperty(MessageQueueFaultProperties(), "SignalIntoBlockedReceiveLosesNothing", GetParam());
}

TEST_P(QueueFaults, CrashedOpenerLeavesOnlyFindableObjects) {
  RunSuiteProperty(MessageQueueFaultProperties(), "CrashedOpenerLeavesOnlyFindableObjects", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, QueueFaults,
                         ::testing::ValuesIn(KindRegistry<MessageQueueInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(QueueFaults);

}  // namespace
}  // namespace ipcspec
