// The MessageQueue suite against every registered Kind:
// Kinds/MessageQueueSuite.<Property>/<kind>. The properties and the man page
// sentences they check are in message_queue_properties.cc.
#include <set>
#include <string>

#include "gtest/gtest.h"
#include "impl/api/message_queue.h"
#include "suites/common/suite.h"
#include "suites/message_queue/message_queue_properties.h"

namespace ipcspec {
namespace {

class MessageQueueSuite : public ::testing::TestWithParam<Kind<MessageQueueInterface>> {};

// man 3 mq_getattr, man 2 msgctl: a new queue is empty, with the limits the Kind set.
TEST_P(MessageQueueSuite, FreshQueueAttributes) {
  RunSuiteProperty(MessageQueueProperties(), "FreshQueueAttributes", GetParam());
}
// man 3 mq_receive, man 2 msgop: one receive returns one whole message (E2BIG,
// MSG_NOERROR truncation, EMSGSIZE both ways).
TEST_P(MessageQueueSuite, MessageBoundaries) {
  RunSuiteProperty(MessageQueueProperties(), "MessageBoundaries", GetParam());
}
// man 3 mq_receive: "the oldest message with the highest priority".
TEST_P(MessageQueueSuite, PriorityOrder) {
  RunSuiteProperty(MessageQueueProperties(), "PriorityOrder", GetParam());
}
// man 2 msgop: msgtyp 0, > 0, < 0 and MSG_EXCEPT; ENOMSG with IPC_NOWAIT.
TEST_P(MessageQueueSuite, TypeSelection) {
  RunSuiteProperty(MessageQueueProperties(), "TypeSelection", GetParam());
}
// man 2 msgop (msg_qbytes: bytes and count), man 3 mq_send (mq_maxmsg): EAGAIN,
// ETIMEDOUT, EINVAL for an invalid timeout, at the limits.
TEST_P(MessageQueueSuite, CapacityLimits) {
  RunSuiteProperty(MessageQueueProperties(), "CapacityLimits", GetParam());
}
// Libraries with no exact capacity (man zmq_socket "Action in mute state",
// nng_pair(7)): at the high-water mark a send blocks or drops, as the Kind
// says; nothing is lost when it blocks.
TEST_P(MessageQueueSuite, HighWaterMark) {
  RunSuiteProperty(MessageQueueProperties(), "HighWaterMark", GetParam());
}
// man 2 msgop, man 3 mq_send, man 3 mq_receive: a blocked call waits, and wakes
// when room or a message appears.
TEST_P(MessageQueueSuite, BlockedCallsWake) {
  RunSuiteProperty(MessageQueueProperties(), "BlockedCallsWake", GetParam());
}
// man 7 mq_overview, man 2 msgop: every operation, random sequences, the model.
TEST_P(MessageQueueSuite, ModelSequences) {
  RunSuiteProperty(MessageQueueProperties(), "ModelSequences", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, MessageQueueSuite,
                         ::testing::ValuesIn(KindRegistry<MessageQueueInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(MessageQueueSuite);

// A property added to the list must get a TEST_P above, or it never runs.
TEST(MessageQueueSuiteList, EveryPropertyHasATest) {
  IPCSPEC_SKIP_IN_ADAPTER_BINARY();
  const std::set<std::string> tested = {"FreshQueueAttributes", "MessageBoundaries",
                                        "PriorityOrder",        "TypeSelection",
                                        "CapacityLimits",       "BlockedCallsWake", "HighWaterMark",
                                        "ModelSequences"};
  for (const auto& p : MessageQueueProperties()) {
    EXPECT_TRUE(tested.count(p.name)) << "property " << p.name << " has no TEST_P";
  }
  EXPECT_EQ(MessageQueueProperties().size(), tested.size());
  EXPECT_GE(KindRegistry<MessageQueueInterface>::Get().Kinds().size(), 3u)
      << "the reference Kinds (sysv_msg, posix_mq, ...) are not linked in";
}

}  // namespace
}  // namespace ipcspec
