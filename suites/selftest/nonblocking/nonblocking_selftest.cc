// The never-sleeps properties' self-test (suites/common/selftest.h): every
// mutant of impl/mutants/nonblocking fails its non-blocking calls with the
// right errno but only after waiting (sleeping 30 ms, spinning 30 ms, or
// napping 100 us), in every non-blocking call of its interface, so every
// property of that interface must catch it; and the real Kinds they wrap
// pass the same properties.
//
// The napping mutants are caught by the voluntary context switch alone (100
// us is far under the time bound), so this selftest needs the counter; the
// spinning ones by the time bound alone.
#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "suites/common/selftest.h"
#include "suites/nonblocking/never_sleeps.h"
#include "suites/nonblocking/nonblocking_properties.h"

namespace ipcspec {
namespace {

// The three mutants of `base`, each caught by every one of `props`.
template <typename Interface>
SelftestSpec<Interface>* SpecOf(const std::vector<SuiteProperty<Interface>>& properties,
                                const std::string& base, std::vector<std::string> props) {
  auto* s = new SelftestSpec<Interface>();
  s->properties = properties;
  // Plain checks: rapidcheck's cases do not apply.
  s->max_success = 1;
  for (const char* suffix : {"_waits_30ms", "_spins_30ms", "_naps"}) {
    s->must_catch[base + suffix] = props;
  }
  return s;
}

// The selftest measures the counter's power: without it the napping mutants
// pass, as they should there.
class NeedsSwitchCounter : public ::testing::Test {
 protected:
  void SetUp() override {
    IPCSPEC_NEEDS(Need::Feature("voluntary-ctxt-switches", []() -> std::optional<std::string> {
      if (VoluntarySwitchesVisible()) return std::nullopt;
      return "neither getrusage(RUSAGE_THREAD) ru_nvcsw nor /proc/thread-self/status counts a "
             "sleep";
    }));
  }
};
template <typename Interface>
class Fixture : public NeedsSwitchCounter,
                public ::testing::WithParamInterface<Kind<Interface>> {};

const SelftestSpec<ByteStreamInterface>& StreamSpec() {
  static const auto* s =
      SpecOf(ByteStreamNonBlockingProperties(), "pipe",
             {"ReadOfEmptyStreamNeverSleeps", "WriteToFullStreamNeverSleeps"});
  return *s;
}
const SelftestSpec<CounterInterface>& CounterSpec() {
  static const auto* s = SpecOf(CounterNonBlockingProperties(), "eventfd",
                                {"TakeAtZeroNeverSleeps", "AddPastTheMaximumNeverSleeps"});
  return *s;
}
const SelftestSpec<DatagramInterface>& DatagramSpec() {
  static const auto* s =
      SpecOf(DatagramNonBlockingProperties(), "unix_dgram_socketpair",
             {"ReceiveWithNothingQueuedNeverSleeps", "SendToAFullDirectionNeverSleeps"});
  return *s;
}
const SelftestSpec<MessageQueueInterface>& QueueSpec() {
  static const auto* s =
      SpecOf(MessageQueueNonBlockingProperties(), "sysv_msg",
             {"ReceiveFromEmptyQueueNeverSleeps", "SendToFullQueueNeverSleeps"});
  return *s;
}
const SelftestSpec<SemaphoreInterface>& SemaphoreSpec() {
  static const auto* s =
      SpecOf(SemaphoreNonBlockingProperties(), "sysv_sem",
             {"TryWaitAtZeroNeverSleeps", "NowaitOperationsThatCannotProceedNeverSleep"});
  return *s;
}
const SelftestSpec<LockInterface>& LockSpec() {
  static const auto* s =
      SpecOf(LockNonBlockingProperties(), "flock_ex", {"TryAcquireOfAHeldLockNeverSleeps"});
  return *s;
}
const SelftestSpec<SignalQueueInterface>& SignalSpec() {
  static const auto* s = SpecOf(SignalQueueNonBlockingProperties(), "sigtimedwait",
                                {"ReceiveWithZeroTimeoutNeverSleeps"});
  return *s;
}

IPCSPEC_SELFTEST_WITH_FIXTURE(StreamNonBlocking, ByteStreamInterface, StreamSpec(),
                              Fixture<ByteStreamInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(CounterNonBlocking, CounterInterface, CounterSpec(),
                              Fixture<CounterInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(DatagramNonBlocking, DatagramInterface, DatagramSpec(),
                              Fixture<DatagramInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(MessageQueueNonBlocking, MessageQueueInterface, QueueSpec(),
                              Fixture<MessageQueueInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(SemaphoreNonBlocking, SemaphoreInterface, SemaphoreSpec(),
                              Fixture<SemaphoreInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(LockNonBlocking, LockInterface, LockSpec(),
                              Fixture<LockInterface>)
IPCSPEC_SELFTEST_WITH_FIXTURE(SignalQueueNonBlocking, SignalQueueInterface, SignalSpec(),
                              Fixture<SignalQueueInterface>)

}  // namespace
}  // namespace ipcspec
