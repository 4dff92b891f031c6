// Every Kind's non-blocking operations never sleep (issue 14): each
// interface's non-blocking call that cannot proceed fails with its errno at
// once, with no voluntary context switch (suites/nonblocking/never_sleeps.h).
//   bazel test //suites/nonblocking:nonblocking_kinds_test --test_filter='*/pipe'
// Also an interface suite of every library adapter (bazel/adapter.bzl), whose
// Kinds run each property in a child with a deadline (suites/common/suite.h).
#include "gtest/gtest.h"
#include "suites/nonblocking/never_sleeps.h"
#include "suites/nonblocking/nonblocking_properties.h"

namespace ipcspec {
namespace {

// SetUp probes once, in the test process, whether voluntary context switches
// are visible (a 2 ms sleep): an isolated child then inherits the answer
// instead of probing again.
#define IPCSPEC_NONBLOCKING_SUITE(Suite, Interface)                                        \
  class Suite : public ::testing::TestWithParam<Kind<Interface>> {                         \
   protected:                                                                              \
    void SetUp() override { (void)VoluntarySwitchesVisible(); }                            \
  };                                                                                       \
  INSTANTIATE_TEST_SUITE_P(Kinds, Suite,                                                   \
                           ::testing::ValuesIn(KindRegistry<Interface>::Get().Kinds()),    \
                           KindName());                                                    \
  GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(Suite)

IPCSPEC_NONBLOCKING_SUITE(StreamNonBlocking, ByteStreamInterface);
TEST_P(StreamNonBlocking, ReadOfEmptyStreamNeverSleeps) {
  RunSuiteProperty(ByteStreamNonBlockingProperties(), "ReadOfEmptyStreamNeverSleeps", GetParam());
}
TEST_P(StreamNonBlocking, WriteToFullStreamNeverSleeps) {
  RunSuiteProperty(ByteStreamNonBlockingProperties(), "WriteToFullStreamNeverSleeps", GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(CounterNonBlocking, CounterInterface);
TEST_P(CounterNonBlocking, TakeAtZeroNeverSleeps) {
  RunSuiteProperty(CounterNonBlockingProperties(), "TakeAtZeroNeverSleeps", GetParam());
}
TEST_P(CounterNonBlocking, AddPastTheMaximumNeverSleeps) {
  RunSuiteProperty(CounterNonBlockingProperties(), "AddPastTheMaximumNeverSleeps", GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(DatagramNonBlocking, DatagramInterface);
TEST_P(DatagramNonBlocking, ReceiveWithNothingQueuedNeverSleeps) {
  RunSuiteProperty(DatagramNonBlockingProperties(), "ReceiveWithNothingQueuedNeverSleeps",
                   GetParam());
}
TEST_P(DatagramNonBlocking, SendToAFullDirectionNeverSleeps) {
  RunSuiteProperty(DatagramNonBlockingProperties(), "SendToAFullDirectionNeverSleeps",
                   GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(MessageQueueNonBlocking, MessageQueueInterface);
TEST_P(MessageQueueNonBlocking, ReceiveFromEmptyQueueNeverSleeps) {
  RunSuiteProperty(MessageQueueNonBlockingProperties(), "ReceiveFromEmptyQueueNeverSleeps",
                   GetParam());
}
TEST_P(MessageQueueNonBlocking, SendToFullQueueNeverSleeps) {
  RunSuiteProperty(MessageQueueNonBlockingProperties(), "SendToFullQueueNeverSleeps",
                   GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(SemaphoreNonBlocking, SemaphoreInterface);
TEST_P(SemaphoreNonBlocking, TryWaitAtZeroNeverSleeps) {
  RunSuiteProperty(SemaphoreNonBlockingProperties(), "TryWaitAtZeroNeverSleeps", GetParam());
}
TEST_P(SemaphoreNonBlocking, NowaitOperationsThatCannotProceedNeverSleep) {
  RunSuiteProperty(SemaphoreNonBlockingProperties(),
                   "NowaitOperationsThatCannotProceedNeverSleep", GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(LockNonBlocking, LockInterface);
TEST_P(LockNonBlocking, TryAcquireOfAHeldLockNeverSleeps) {
  RunSuiteProperty(LockNonBlockingProperties(), "TryAcquireOfAHeldLockNeverSleeps", GetParam());
}

IPCSPEC_NONBLOCKING_SUITE(SignalQueueNonBlocking, SignalQueueInterface);
TEST_P(SignalQueueNonBlocking, ReceiveWithZeroTimeoutNeverSleeps) {
  RunSuiteProperty(SignalQueueNonBlockingProperties(), "ReceiveWithZeroTimeoutNeverSleeps",
                   GetParam());
}

// Every property has its TEST_P above (a property added to a list and not
// here would never run).
TEST(NonBlockingSuites, EveryPropertyHasATest) {
  IPCSPEC_SKIP_IN_ADAPTER_BINARY();
  const ::testing::UnitTest& u = *::testing::UnitTest::GetInstance();
  auto has = [&](const std::string& suite, const std::string& name) {
    for (int i = 0; i < u.total_test_suite_count(); ++i) {
      const auto* s = u.GetTestSuite(i);
      if (std::string(s->name()) != "Kinds/" + suite) continue;
      for (int j = 0; j < s->total_test_count(); ++j) {
        std::string t = s->GetTestInfo(j)->name();
        if (t.rfind(name + "/", 0) == 0) return true;
      }
    }
    return false;
  };
  auto check = [&](const char* suite, const auto& props) {
    for (const auto& p : props) EXPECT_TRUE(has(suite, p.name)) << suite << "." << p.name;
  };
  check("StreamNonBlocking", ByteStreamNonBlockingProperties());
  check("CounterNonBlocking", CounterNonBlockingProperties());
  check("DatagramNonBlocking", DatagramNonBlockingProperties());
  check("MessageQueueNonBlocking", MessageQueueNonBlockingProperties());
  check("SemaphoreNonBlocking", SemaphoreNonBlockingProperties());
  check("LockNonBlocking", LockNonBlockingProperties());
  check("SignalQueueNonBlocking", SignalQueueNonBlockingProperties());
}

}  // namespace
}  // namespace ipcspec
