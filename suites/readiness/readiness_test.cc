// Every descriptor-based Kind against the readiness properties
// (readiness_properties.h): byte streams, datagram channels, counters,
// signal queues and message queues.
//   bazel test //suites/readiness:readiness_test --test_filter='*/pipe'
#include "gtest/gtest.h"
#include "suites/readiness/readiness_properties.h"

namespace ipcspec {
namespace {

// The properties are named Readiness<Test> (ByteStream.ReadinessModelSequences
// for the tables), apart from the interface suites' own ModelSequences.
#define IPCSPEC_READINESS_SUITE(Suite, Interface, props)                               \
  class Suite : public ::testing::TestWithParam<Kind<Interface>> {};                   \
  TEST_P(Suite, ModelSequences) { RunSuiteProperty(props(), "ReadinessModelSequences", GetParam()); } \
  TEST_P(Suite, WaiterWakes) { RunSuiteProperty(props(), "ReadinessWaiterWakes", GetParam()); }      \
  TEST_P(Suite, ExclusiveWakesOne) {                                                   \
    RunSuiteProperty(props(), "ReadinessExclusiveWakesOne", GetParam());                        \
  }                                                                                    \
  TEST_P(Suite, HangupWaiter) { RunSuiteProperty(props(), "ReadinessHangupWaiter", GetParam()); }    \
  INSTANTIATE_TEST_SUITE_P(Kinds, Suite,                                               \
                           ::testing::ValuesIn(KindRegistry<Interface>::Get().Kinds()), \
                           KindName());                                                \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Suite)

IPCSPEC_READINESS_SUITE(StreamReadiness, ByteStreamInterface, StreamReadinessProperties);
IPCSPEC_READINESS_SUITE(DatagramReadiness, DatagramInterface, DatagramReadinessProperties);
IPCSPEC_READINESS_SUITE(CounterReadiness, CounterInterface, CounterReadinessProperties);
IPCSPEC_READINESS_SUITE(SignalQueueReadiness, SignalQueueInterface,
                        SignalQueueReadinessProperties);
IPCSPEC_READINESS_SUITE(MessageQueueReadiness, MessageQueueInterface,
                        MessageQueueReadinessProperties);

}  // namespace
}  // namespace ipcspec
