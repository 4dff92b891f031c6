// CounterNeverNegative: posts, trywaits, waits and timed waits of one
// process against a counter model.

#include <chrono>
#include <sstream>
#include <string>

#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace semaphore_suite {
namespace {

struct CounterModel {
  long value = 0;
  long max = 0;
  int overflow_errno = 0;
  bool timed = false;
  int timeout_errno = 0;
};

struct CounterSut {
  Semaphore* sem;
};

using CounterCmd = rc::state::Command<CounterModel, CounterSut>;

struct CPost : CounterCmd {
  void apply(CounterModel& m) const override {
    if (m.value < m.max) m.value++;
  }
  void run(const CounterModel& m, CounterSut& s) const override {
    if (repro::Active() != nullptr) {
      const bool fits = m.value < m.max;
      RecordStep("post", CCall("sem_c_post()", fits ? 0 : m.overflow_errno,
                               fits ? kCitePost : kCiteOverflow,
                               "post at value " + std::to_string(m.value) +
                                   (fits ? "" : " (the maximum)")),
                 "a post returns at once");
    }
    PosixError e = s.sem->Post();
    if (m.value < m.max) {
      SEM_EXPECT(e.ok(), "post at value " << m.value << " failed: " << e);
    } else {
      SEM_EXPECT(e.errno_value() == m.overflow_errno,
                 "post at the maximum " << m.max << ": " << e << ", expected "
                                        << Errno(m.overflow_errno));
    }
    CheckValue(*s.sem, m.value < m.max ? m.value + 1 : m.value, "post");
  }
  void show(std::ostream& os) const override { os << "post"; }
};

struct CTryWait : CounterCmd {
  void apply(CounterModel& m) const override {
    if (m.value > 0) m.value--;
  }
  void run(const CounterModel& m, CounterSut& s) const override {
    if (repro::Active() != nullptr) {
      RecordStep("trywait", CCall("sem_c_trywait()", m.value > 0 ? 0 : EAGAIN,
                                  m.value > 0 ? kCiteTake : kCiteNeverNegative,
                                  "trywait at value " + std::to_string(m.value)),
                 "a trywait returns at once");
    }
    PosixError e = s.sem->TryWait();
    if (m.value > 0) {
      SEM_EXPECT(e.ok(), "trywait at value " << m.value << " failed: " << e);
    } else {
      SEM_EXPECT(e.errno_value() == EAGAIN, "trywait at value 0: "
                                                << (e.ok() ? std::string("succeeded") : e.ToString())
                                                << "; expected EAGAIN: " << kCiteNeverNegative);
    }
    CheckValue(*s.sem, m.value > 0 ? m.value - 1 : 0, "trywait");
  }
  void show(std::ostream& os) const override { os << "trywait"; }
};

struct CWait : CounterCmd {
  // Only when the value is positive: the test process must not block.
  void checkPreconditions(const CounterModel& m) const override { RC_PRE(m.value > 0); }
  void apply(CounterModel& m) const override { m.value--; }
  void run(const CounterModel& m, CounterSut& s) const override {
    if (repro::Active() != nullptr) {
      RecordStep("wait (value > 0)",
                 CCall("sem_c_wait()", 0, kCiteTake, "wait at value " + std::to_string(m.value)),
                 std::string("a wait at a positive value returns at once: ") + kCiteTake);
    }
    PosixError e = Guarded([&] { return s.sem->Wait(); });
    SEM_EXPECT(e.ok(), "wait at value " << m.value << ": " << e);
    CheckValue(*s.sem, m.value - 1, "wait");
  }
  void show(std::ostream& os) const override { os << "wait (value > 0)"; }
};

struct CTimedWait : CounterCmd {
  std::chrono::microseconds timeout{0};
  explicit CTimedWait(const CounterModel& m) {
    RC_PRE(m.timed);
    timeout = std::chrono::microseconds(*rc::gen::element(0, 0, 50));
  }
  void checkPreconditions(const CounterModel& m) const override { RC_PRE(m.timed); }
  void apply(CounterModel& m) const override {
    if (m.value > 0) m.value--;
  }
  void run(const CounterModel& m, CounterSut& s) const override {
    if (repro::Active() != nullptr) {
      const std::string what = "timed wait (" + std::to_string(timeout.count()) +
                               " us) at value " + std::to_string(m.value);
      RecordStep("timed wait " + std::to_string(timeout.count()) + " us",
                 CCall("sem_c_timedwait(" + std::to_string(timeout.count() * 1000) + "L)",
                       m.value > 0 ? 0 : m.timeout_errno,
                       m.value > 0 ? std::string(kCiteTake)
                                   : std::string(kCiteTimeout) + "; " + kCiteNeverNegative,
                       what),
                 "a timed wait returns by its timeout");
    }
    PosixError e = Guarded([&] { return s.sem->TimedWait(timeout); });
    if (m.value > 0) {
      SEM_EXPECT(e.ok(), "timed wait at value " << m.value << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == m.timeout_errno,
                 "timed wait (" << timeout.count() << " us) at value 0: "
                                << (e.ok() ? std::string("succeeded") : e.ToString())
                                << "; expected " << Errno(m.timeout_errno) << ": " << kCiteTimeout
                                << "; " << kCiteNeverNegative);
    }
    CheckValue(*s.sem, m.value > 0 ? m.value - 1 : 0, "timed wait");
  }
  void show(std::ostream& os) const override {
    os << "timed wait " << timeout.count() << " us";
  }
};

}  // namespace

PropertyOutcome RunCounterNeverNegative(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/true);
  CounterModel m0;
  m0.max = kind.caps.max_value;
  m0.overflow_errno = kind.caps.overflow_errno;
  m0.timed = kind.caps.timed_wait;
  m0.timeout_errno = kind.caps.timeout_errno;
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemPrelude();
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    CounterSut sut{sem.get()};
    CheckValue(*sem, 0, "open");
    rc::state::check(m0, sut,
                     rc::state::gen::execOneOfWithArgs<CPost, CTryWait, CWait, CTimedWait>());
  }));
}

}  // namespace semaphore_suite
}  // namespace ipcspec
