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
#include <fcntl.h>
#include <linux/futex.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "suites/common/selftest.h"
#include "suites/message_queue/message_queue_properties.h"
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
  static const auto* s = [] {
    auto* spec = SpecOf(MessageQueueNonBlockingProperties(), "sysv_msg",
                        {"ReceiveFromEmptyQueueNeverSleeps", "SendToFullQueueNeverSleeps"});
    // Their send at the high-water mark is MessageQueue.HighWaterMark's
    // (HighWaterMarkCatchesASendThatSleepsAtTheMark below).
    for (const char* suffix : {"_waits_30ms", "_spins_30ms", "_naps"}) {
      spec->must_catch[std::string("sysv_msg_high_water") + suffix] = {
          "ReceiveFromEmptyQueueNeverSleeps"};
    }
    return spec;
  }();
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

// The measurement against real kernel waits, not only the mutants' own.

// A futex wait that times out after 20 ms: a real sleep in the kernel, over
// the time bound and counted as a voluntary switch.
TEST_F(NeedsSwitchCounter, CheckCatchesAKernelWaitThatTimesOut) {
  uint32_t word = 0;
  NeverSleepsResult r = CheckNeverSleeps("futex(FUTEX_WAIT, 20 ms)", {ETIMEDOUT}, [&word] {
    struct timespec t = {0, 20'000'000};
    long rc = syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, &t, nullptr, 0);
    return rc < 0 ? ErrnoError("futex(FUTEX_WAIT)") : NoError();
  });
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.attempts, kNeverSleepsAttempts);
  EXPECT_GE(r.least_switches, 1);
  EXPECT_GE(r.least_wall, std::chrono::milliseconds(20));
  EXPECT_NE(r.message.find("waited before it failed"), std::string::npos) << r.message;
}

// A 1 ms sleep is under the time bound: the switch count alone catches it.
TEST_F(NeedsSwitchCounter, CheckCatchesASleepShorterThanTheTimeBound) {
  ASSERT_GT(NeverSleepsBound(), std::chrono::milliseconds(1));
  NeverSleepsResult r = CheckNeverSleeps("poll(no fds, 1 ms)", {0}, [] {
    int rc = poll(nullptr, 0, 1);
    return rc < 0 ? ErrnoError("poll") : NoError();
  });
  EXPECT_FALSE(r.passed);
  EXPECT_GE(r.least_switches, 1);
}

// A result outside the documented ones fails at the first attempt, whatever
// the timing.
TEST(NeverSleepsCheck, AnUndocumentedResultFailsAtOnce) {
  NeverSleepsResult r = CheckNeverSleeps("a call that fails EINTR", {EAGAIN},
                                         [] { return PosixError(EINTR, "the call"); });
  EXPECT_FALSE(r.passed);
  EXPECT_EQ(r.attempts, 1);
  EXPECT_NE(r.message.find("expected it to fail EAGAIN, got"), std::string::npos) << r.message;
}

// A read of an empty non-blocking pipe passes: the bound and the counter
// leave room for a real failing system call.
TEST(NeverSleepsCheck, AnImmediateFailurePasses) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  FileDescriptor r(fds[0]), w(fds[1]);
  NeverSleepsResult res = CheckNeverSleeps("read(2) of an empty pipe", {EAGAIN}, [&r] {
    char c;
    return read(r.get(), &c, 1) < 0 ? ErrnoError("read") : NoError();
  });
  EXPECT_TRUE(res.passed) << res.message;
}

// The same mutants run the way a library adapter's test runs its Kinds
// (bazel/adapter.bzl: this suite is in ADAPTER_SUITES). Marked as a library's
// Kind, each goes through RunPropertyFor, the path RunSuiteProperty takes for
// an adapter's Kind: the property runs in a forked child with a deadline
// (suites/common/isolated.h), which inherits the switch counter's probe from
// this process. Every property of the interface must still catch the nappers
// (caught by the switch counter alone) and the spinners (by the time bound
// alone), and pass the real Kinds they wrap. The 30 ms sleepers, caught by
// both, add nothing here.
template <typename Interface>
std::vector<Kind<Interface>> AsLibraryKinds() {
  std::vector<Kind<Interface>> out;
  const auto& registry = KindRegistry<Interface>::Get();
  auto ends_with = [](const std::string& s, const std::string& tail) {
    return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
  };
  for (Kind<Interface> k : registry.Mutants()) {
    if (!ends_with(k.name, "_naps") && !ends_with(k.name, "_spins_30ms")) continue;
    if (const Kind<Interface>* base = registry.Find(k.base)) {
      bool listed = false;
      for (const auto& o : out) listed = listed || o.name == base->name;
      if (!listed) out.push_back(*base);
    }
    out.push_back(k);
  }
  for (auto& k : out) k.library = "selftest";  // library set: RunPropertyFor isolates it
  return out;
}

template <typename Interface>
void ExpectJudgedAsALibraryKind(const std::vector<SuiteProperty<Interface>>& properties,
                                const Kind<Interface>& kind) {
  ASSERT_FALSE(kind.library.empty());
  int run = 0;
  for (const auto& p : properties) {
    if (p.skip_reason && p.skip_reason(kind)) continue;
    ++run;
    SuiteVerdict v = RunPropertyFor(p, kind);
    ASSERT_FALSE(v.skipped) << p.name << " on " << kind.name << ": " << v.skip_message;
    if (!kind.mutant) {
      EXPECT_TRUE(v.outcome.passed) << p.name << " on the real " << kind.name << ", isolated: "
                                    << v.outcome.message;
      continue;
    }
    EXPECT_FALSE(v.outcome.passed) << p.name << " missed " << kind.name << " (" << kind.mutant_bug
                                   << ") when run isolated, as for a library's Kind";
    EXPECT_FALSE(v.outcome.broken) << v.outcome.message;
    EXPECT_NE(v.outcome.message.find("waited before it failed"), std::string::npos)
        << p.name << " on " << kind.name << ": " << v.outcome.message;
  }
  EXPECT_GT(run, 0) << "no property applies to " << kind.name;
}

#define IPCSPEC_NONBLOCKING_AS_LIBRARY(Prefix, Interface, properties)                       \
  class Prefix##AsLibrary : public Fixture<Interface> {};                                   \
  TEST_P(Prefix##AsLibrary, CaughtWhenIsolated) {                                           \
    ExpectJudgedAsALibraryKind(properties, GetParam());                                     \
  }                                                                                         \
  INSTANTIATE_TEST_SUITE_P(Isolated, Prefix##AsLibrary,                                     \
                           ::testing::ValuesIn(AsLibraryKinds<Interface>()), KindName())

IPCSPEC_NONBLOCKING_AS_LIBRARY(StreamNonBlocking, ByteStreamInterface,
                               ByteStreamNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(CounterNonBlocking, CounterInterface,
                               CounterNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(DatagramNonBlocking, DatagramInterface,
                               DatagramNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(MessageQueueNonBlocking, MessageQueueInterface,
                               MessageQueueNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(SemaphoreNonBlocking, SemaphoreInterface,
                               SemaphoreNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(LockNonBlocking, LockInterface, LockNonBlockingProperties());
IPCSPEC_NONBLOCKING_AS_LIBRARY(SignalQueueNonBlocking, SignalQueueInterface,
                               SignalQueueNonBlockingProperties());

// A queue with a high-water mark and no limit the model knows (ZeroMQ, nng:
// MessageQueueCaps::at_high_water) leaves its send at the mark to
// MessageQueue.HighWaterMark, which fills it anyway: that property must catch
// a send that sleeps there, run as a library's Kind is (isolated).
class HighWaterMarkNonBlocking : public Fixture<MessageQueueInterface> {};
TEST_P(HighWaterMarkNonBlocking, HighWaterMarkCatchesASendThatSleepsAtTheMark) {
  Kind<MessageQueueInterface> k = GetParam();
  k.library = "selftest";
  const auto properties = MessageQueueProperties();
  const SuiteProperty<MessageQueueInterface>* p = FindProperty(properties, "HighWaterMark");
  ASSERT_NE(p, nullptr);
  ASSERT_FALSE(p->skip_reason && p->skip_reason(k)) << *p->skip_reason(k);
  const SuiteProperty<MessageQueueInterface>* send =
      FindProperty(MessageQueueNonBlockingProperties(), "SendToFullQueueNeverSleeps");
  ASSERT_NE(send, nullptr);
  ASSERT_TRUE(send->skip_reason && send->skip_reason(k)) << "SendToFullQueueNeverSleeps applies";
  auto pinned = PinnedSelftestParams(1);
  SuiteVerdict v = RunPropertyFor(*p, k);
  ASSERT_FALSE(v.skipped) << v.skip_message;
  EXPECT_FALSE(v.outcome.passed) << "HighWaterMark missed " << k.name << " (" << k.mutant_bug
                                 << ")";
  EXPECT_NE(v.outcome.message.find("waited before it failed"), std::string::npos)
      << v.outcome.message;
}
INSTANTIATE_TEST_SUITE_P(
    Mutants, HighWaterMarkNonBlocking, ::testing::ValuesIn([] {
      std::vector<Kind<MessageQueueInterface>> out;
      for (const auto& k : KindRegistry<MessageQueueInterface>::Get().Mutants()) {
        if (k.name.rfind("sysv_msg_high_water", 0) == 0) out.push_back(k);
      }
      return out;
    }()),
    KindName());

}  // namespace
}  // namespace ipcspec
