#include "suites/semaphore/semaphore_properties.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/coverage.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "impl/core/watchdog.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "suites/semaphore/crew.h"

namespace ipcspec {
namespace {

// ---- What each property checks, in the man pages' words ----

constexpr const char kCiteNeverNegative[] =
    "man 7 sem_overview: \"A semaphore is an integer whose value is never allowed to fall "
    "below zero.\"; man 3 sem_wait: \"sem_trywait() is the same as sem_wait(), except that if "
    "the decrement cannot be immediately performed, then call returns an error (errno set to "
    "EAGAIN) instead of blocking.\"; man 2 semop: \"If the absolute value of sem_op is greater "
    "than semval, and IPC_NOWAIT is specified in sem_flg, semop() fails, with errno set to "
    "EAGAIN\"";
constexpr const char kCiteTimeout[] =
    "man 3 sem_wait: \"If the timeout has already expired by the time of the call, and the "
    "semaphore could not be locked immediately, then sem_timedwait() fails with a timeout "
    "error (errno set to ETIMEDOUT).\"; man 2 semop: \"If the specified time limit has been "
    "reached, semtimedop() fails with errno set to EAGAIN\"";
constexpr const char kCiteWakeup[] =
    "man 3 sem_post: \"If the semaphore's value consequently becomes greater than zero, then "
    "another process or thread blocked in a sem_wait(3) call will be woken up and proceed to "
    "lock the semaphore.\"; man 7 sem_overview: \"If the value of a semaphore is currently "
    "zero, then a sem_wait(3) operation will block until the value becomes greater than "
    "zero.\"; man 2 semop: the thread sleeps until \"semval becomes greater than or equal to "
    "the absolute value of sem_op\"";
constexpr const char kCiteAtomic[] =
    "man 2 semop: \"The set of operations contained in sops is performed in array order, and "
    "atomically, that is, the operations are performed either as a complete unit, or not at "
    "all.\" and \"(and none of the operations in sops is performed)\"; \"ERANGE For some "
    "operation sem_op+semval is greater than SEMVMX\"";
constexpr const char kCiteWaiters[] =
    "man 2 semop: a decrement that cannot proceed increments semncnt \"and the thread sleeps "
    "until ... semval becomes greater than or equal to the absolute value of sem_op: the "
    "operation now proceeds\"; a wait-for-zero increments semzcnt and sleeps until \"semval "
    "becomes 0\"; man 2 semctl: GETNCNT \"the number of processes waiting for the semaphore's "
    "value to increase\", GETZCNT \"the number of processes waiting for the semaphore value to "
    "become 0\"";
constexpr const char kCiteUndo[] =
    "man 2 semop: \"If an operation specifies SEM_UNDO, it will be automatically undone when "
    "the process terminates.\"";

// Fails the rapidcheck case with a message built with <<.
#define SEM_EXPECT(cond, msg)         \
  do {                                \
    if (!(cond)) {                    \
      std::ostringstream sem_os_;     \
      sem_os_ << msg;                 \
      RC_FAIL(sem_os_.str());         \
    }                                 \
  } while (0)

std::string Errno(int e) { return e == 0 ? std::string("success") : ErrnoName(e); }

PropertyOutcome SetupFailure(const std::string& what, const PosixError& e) {
  PropertyOutcome o;
  o.passed = false;
  o.message = "setup failed: " + what + ": " + e.ToString() + "\n";
  return o;
}

// How CheckValue learns the count. A Kind whose caps.reports_value is false
// has no Value(): where no other process touches the semaphore, the count is
// read by taking it all with TryWait() (until EAGAIN) and posting it back;
// elsewhere (crews of waiters, who could be handed a unit meanwhile) the
// value is not checked, and the operations' results are all that is.
enum class ValueReading { kValue, kDrain, kNone };
thread_local ValueReading t_value_reading = ValueReading::kValue;

// For the duration of one property: how its CheckValue calls read the count.
class ValueReadingScope {
 public:
  ValueReadingScope(const SemaphoreKind& kind, bool alone) : saved_(t_value_reading) {
    t_value_reading = kind.caps.reports_value ? ValueReading::kValue
                      : alone                  ? ValueReading::kDrain
                                               : ValueReading::kNone;
  }
  ~ValueReadingScope() { t_value_reading = saved_; }

 private:
  ValueReading saved_;
};

// The count by draining it with TryWait() and posting it back (at most
// `limit` units: a broken count shows as limit).
PosixErrorOr<long> DrainValue(Semaphore& sem, long limit) {
  long n = 0;
  for (; n < limit; ++n) {
    PosixError e = sem.TryWait();
    if (e.errno_value() == EAGAIN) break;
    if (!e.ok()) return e;
  }
  for (long i = 0; i < n; ++i) {
    PosixError e = sem.Post();
    if (!e.ok()) return e;
  }
  return n;
}

// The value must be `expect` and never negative.
void CheckValue(Semaphore& sem, long expect, const std::string& after) {
  if (t_value_reading == ValueReading::kNone) return;
  auto v = t_value_reading == ValueReading::kDrain ? DrainValue(sem, expect + 2) : sem.Value();
  SEM_EXPECT(v.ok(), "reading the value after " << after << ": " << v.error());
  SEM_EXPECT(v.value() >= 0, "the value is " << v.value() << " after " << after
                                             << "; it must never fall below zero: "
                                             << kCiteNeverNegative);
  SEM_EXPECT(v.value() == expect, "after " << after << " the value is " << v.value()
                                           << ", the model says " << expect);
}

// A generated value that does not shrink with rapidcheck's size. The crew
// properties scale the size down to keep command sequences short; the
// parameters of each command should still cover their whole range.
template <typename T>
T Pick(rc::Gen<T> g) {
  return *rc::gen::resize(100, std::move(g));
}

// A blocking call in the test process gets a deadline.
template <typename F>
PosixError Guarded(F&& f) {
  Watchdog w(Deadline::Default());
  return f();
}

// =====================================================================
// CounterNeverNegative: one process, a counter.
// =====================================================================

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

PropertyOutcome RunCounterNeverNegative(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/true);
  CounterModel m0;
  m0.max = kind.caps.max_value;
  m0.overflow_errno = kind.caps.overflow_errno;
  m0.timed = kind.caps.timed_wait;
  m0.timeout_errno = kind.caps.timeout_errno;
  return RunProperty(CurrentTestId(), [&] {
    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    CounterSut sut{sem.get()};
    CheckValue(*sem, 0, "open");
    rc::state::check(m0, sut,
                     rc::state::gen::execOneOfWithArgs<CPost, CTryWait, CWait, CTimedWait>());
  });
}

// =====================================================================
// Crew fixture: one semaphore and a crew, kept from case to case.
// =====================================================================

class CrewFixture {
 public:
  CrewFixture(const SemaphoreKind& kind, int crew_size) : kind_(kind), crew_size_(crew_size) {}
  ~CrewFixture() { Teardown(); }

  // A semaphore at value 0 and an idle crew. Kept from the previous case if
  // it ended cleanly; made anew after a failed case and every kRenew cases
  // (so that SEM_UNDO adjustments stay far from their limit).
  PosixError Prepare() {
    if (!dirty_ && uses_ < kRenew) {
      ++uses_;
      dirty_ = true;
      return NoError();
    }
    Teardown();
    auto inst = kind_.Open();
    if (!inst.ok()) return inst.error();
    sem_ = std::move(inst).ValueOrDie();
    auto crew = Crew::Start(sem_.get(), crew_size_);
    if (!crew.ok()) return crew.error();
    crew_ = std::move(crew).ValueOrDie();
    uses_ = 1;
    dirty_ = true;
    return NoError();
  }
  void CaseEndedCleanly() { dirty_ = false; }

  Semaphore& sem() { return *sem_; }
  Crew& crew() { return *crew_; }

 private:
  static constexpr int kRenew = 50;
  void Teardown() {
    crew_.reset();  // SIGKILL and reap the children first
    sem_.reset();   // then remove the semaphore
  }
  const SemaphoreKind& kind_;
  int crew_size_;
  SemaphoreInstance sem_;
  std::unique_ptr<Crew> crew_;
  bool dirty_ = true;
  int uses_ = 0;
};

// What the parent expects of each crew child (counts since the crew began).
struct CrewLedger {
  std::array<uint32_t, kMaxCrew> sent{};  // orders sent
  uint32_t completions = 0;               // completions expected in all

  void Reset(const Crew& c) {
    for (int i = 0; i < c.size(); ++i) sent[i] = c.finished(i);
    completions = c.completions();
  }
};

// =====================================================================
// EveryWakeupMatchesAPost: children blocked in Wait(), woken one per post.
// =====================================================================

constexpr int kWakeCrew = 3;

struct WakeModel {
  long value = 0;
  int blocked = 0;  // children blocked in Wait()
};

struct WakeSut {
  CrewFixture* fx;
  const SemaphoreCaps* caps;
  CrewLedger ledger;
  std::vector<int> waiting;  // the children blocked in Wait()
  bool syscall_visible = false;

  Crew& crew() { return fx->crew(); }
  Semaphore& sem() { return fx->sem(); }
  int FirstIdle() const {
    for (int i = 0; i < kWakeCrew; ++i) {
      if (std::find(waiting.begin(), waiting.end(), i) == waiting.end()) return i;
    }
    return -1;
  }
  // Nothing finished that was not expected to, and every blocked child is
  // still waiting.
  void CheckQuiet(const std::string& after) {
    uint32_t c = crew().completions();
    SEM_EXPECT(c == ledger.completions,
               "after " << after << ", " << c - ledger.completions << " more wait(s) returned than "
                        << "posts allow (" << c << " completions, expected " << ledger.completions
                        << "): " << kCiteWakeup);
    for (int i : waiting) {
      SEM_EXPECT(crew().finished(i) < ledger.sent[i],
                 "after " << after << ", crew child " << i << "'s wait returned with no post "
                          << "to match it: " << kCiteWakeup);
    }
  }
};

using WakeCmd = rc::state::Command<WakeModel, WakeSut>;

// Classification of EveryWakeupMatchesAPost's cases (impl/core/coverage.h).
constexpr const char* kPostWokeAWaiter = "a post met a blocked waiter";
constexpr const char* kPostAmongSeveralWaiters = "a post met two or more blocked waiters";

// One post, checked: if children wait, exactly one of them is woken.
void PostAndCheck(const WakeModel& m, WakeSut& s, const std::string& what) {
  PosixError e = s.sem().Post();
  SEM_EXPECT(e.ok(), what << ": " << e);
  if (m.blocked == 0) {
    s.CheckQuiet(what);
    CheckValue(s.sem(), m.value + 1, what);
    return;
  }
  // On Linux the wakeup is done inside the posting call: when it returns,
  // the woken process is runnable, no longer asleep in the wait. So if every
  // waiter is still asleep in the wait call, the post woke nobody. (Where
  // the kernel does not show the call, only the deadline below decides.)
  Coverage::Reached(kPostWokeAWaiter);
  Coverage::ReachedIf(s.waiting.size() >= 2, kPostAmongSeveralWaiters);
  if (s.syscall_visible) {
    int asleep = 0;
    for (int i : s.waiting) {
      auto a = s.crew().AsleepIn(i, s.caps->wait_syscalls);
      SEM_EXPECT(a.ok(), "looking at crew child " << i << ": " << a.error());
      if (a.value() && s.crew().finished(i) < s.ledger.sent[i]) ++asleep;
    }
    SEM_EXPECT(asleep < static_cast<int>(s.waiting.size()),
               what << " returned, but all " << s.waiting.size()
                    << " waiters are still asleep in the wait: the post woke nobody: "
                    << kCiteWakeup);
  }
  s.ledger.completions++;
  PosixError w = s.crew().AwaitCompletions(s.ledger.completions, Deadline::Default());
  SEM_EXPECT(w.ok(), what << " with " << s.waiting.size() << " waiter(s) blocked woke none of "
                          << "them: " << w << ": " << kCiteWakeup);
  std::vector<int> woken, still;
  for (int i : s.waiting) {
    (s.crew().finished(i) >= s.ledger.sent[i] ? woken : still).push_back(i);
  }
  SEM_EXPECT(woken.size() == 1, what << " woke " << woken.size() << " of "
                                     << s.waiting.size() << " waiters; one post, one wakeup: "
                                     << kCiteWakeup);
  int err = s.crew().last_errno(woken[0]);
  SEM_EXPECT(err == 0, "crew child " << woken[0] << "'s wait ended with " << Errno(err));
  s.waiting = still;
  s.CheckQuiet(what);
  CheckValue(s.sem(), 0, what + " (the waiter took the unit)");
}

struct WStartWait : WakeCmd {
  void checkPreconditions(const WakeModel& m) const override { RC_PRE(m.blocked < kWakeCrew); }
  void apply(WakeModel& m) const override {
    if (m.value > 0) {
      m.value--;
    } else {
      m.blocked++;
    }
  }
  void run(const WakeModel& m, WakeSut& s) const override {
    int i = s.FirstIdle();
    SEM_EXPECT(i >= 0, "no idle crew child (model and crew disagree)");
    PosixError e = s.crew().Send(i, CrewOrder::Wait());
    SEM_EXPECT(e.ok(), e);
    uint32_t nth = ++s.ledger.sent[i];
    auto r = s.crew().FinishedOrBlocked(i, nth, s.caps->wait_syscalls, Deadline::Default());
    SEM_EXPECT(r.ok(), "crew child " << i << " wait at value " << m.value << ": " << r.error());
    if (m.value > 0) {
      SEM_EXPECT(r.value() == Crew::Outcome::kFinished,
                 "crew child " << i << "'s wait blocked although the value was " << m.value
                               << ": " << kCiteWakeup);
      int err = s.crew().last_errno(i);
      SEM_EXPECT(err == 0, "crew child " << i << "'s wait at value " << m.value << " ended with "
                                         << Errno(err));
      s.ledger.completions++;
      s.CheckQuiet("a wait at value " + std::to_string(m.value));
      CheckValue(s.sem(), m.value - 1, "a child's wait");
    } else {
      SEM_EXPECT(r.value() == Crew::Outcome::kBlocked,
                 "crew child " << i << "'s wait at value 0 returned ("
                               << Errno(s.crew().last_errno(i))
                               << ") with no post to match it: " << kCiteWakeup);
      s.waiting.push_back(i);
      s.CheckQuiet("a wait at value 0");
      CheckValue(s.sem(), 0, "a child blocked in wait");
    }
  }
  void show(std::ostream& os) const override { os << "a crew child waits"; }
};

struct WPost : WakeCmd {
  void apply(WakeModel& m) const override {
    if (m.blocked > 0) {
      m.blocked--;
    } else {
      m.value++;
    }
  }
  void run(const WakeModel& m, WakeSut& s) const override {
    PostAndCheck(m, s, "post (" + std::to_string(m.blocked) + " waiting)");
  }
  void show(std::ostream& os) const override { os << "post"; }
};

struct WTryWait : WakeCmd {
  void apply(WakeModel& m) const override {
    if (m.value > 0) m.value--;
  }
  void run(const WakeModel& m, WakeSut& s) const override {
    PosixError e = s.sem().TryWait();
    if (m.value > 0) {
      SEM_EXPECT(e.ok(), "trywait at value " << m.value << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == EAGAIN,
                 "trywait at value 0 with " << m.blocked << " waiting: "
                                            << (e.ok() ? std::string("succeeded") : e.ToString())
                                            << ", expected EAGAIN: " << kCiteNeverNegative);
    }
    s.CheckQuiet("trywait");
    CheckValue(s.sem(), m.value > 0 ? m.value - 1 : 0, "trywait");
  }
  void show(std::ostream& os) const override { os << "trywait"; }
};

PropertyOutcome RunEveryWakeupMatchesAPost(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/false);
  CrewFixture fx(kind, kWakeCrew);
  bool syscall_visible = BlockedDetection() == "state+syscall";
  Coverage cov("EveryWakeupMatchesAPost", kCiteWakeup,
               {{kPostWokeAWaiter, 30}, {kPostAmongSeveralWaiters, 10}});
  return cov.Judge(RunProperty(CurrentTestId(), [&] {
    Coverage::Case counted(cov);
    PosixError e = fx.Prepare();
    SEM_EXPECT(e.ok(), "setting up " << kind.name << " and its crew: " << e);
    WakeSut sut{&fx, &kind.caps, {}, {}, syscall_visible};
    sut.ledger.Reset(fx.crew());
    WakeModel m0;
    auto cmds = *rc::gen::scale(
        0.25, rc::state::gen::commands(m0, rc::state::gen::execOneOfWithArgs<WStartWait, WPost,
                                                                             WTryWait>()));
    rc::state::runAll(cmds, m0, sut);
    WakeModel m = m0;
    rc::state::applyAll(cmds, m);
    // Release whoever still waits, one post each, then take the rest back.
    while (m.blocked > 0) {
      PostAndCheck(m, sut, "closing post (" + std::to_string(m.blocked) + " waiting)");
      m.blocked--;
    }
    for (; m.value > 0; m.value--) {
      PosixError t = sut.sem().TryWait();
      SEM_EXPECT(t.ok(), "closing trywait at value " << m.value << ": " << t);
    }
    PosixError t = sut.sem().TryWait();
    SEM_EXPECT(t.errno_value() == EAGAIN, "closing trywait at value 0: "
                                              << (t.ok() ? std::string("succeeded") : t.ToString())
                                              << ": " << kCiteNeverNegative);
    sut.CheckQuiet("the closing posts");
    fx.CaseEndedCleanly();
  }));
}

// =====================================================================
// MultiOpAllOrNothing: a non-blocking semop with several operations.
// =====================================================================

struct MultiModel {
  long value = 0;
  long max = 0;
  int overflow_errno = 0;
};

struct MultiSut {
  Semaphore* sem;
};

using MultiCmd = rc::state::Command<MultiModel, MultiSut>;

struct ApplyOutcome {
  int err;
  long value;
};

// man 2 semop: in array order, on the value as the earlier operations left
// it; the first operation that cannot proceed makes the call fail and
// nothing is done.
ApplyOutcome SimulateApply(long value, const std::vector<int>& deltas, long max) {
  long t = value;
  for (int d : deltas) {
    if (d == 0) {
      if (t != 0) return {EAGAIN, value};
      continue;
    }
    t += d;
    if (t < 0) return {EAGAIN, value};
    if (t > max) return {ERANGE, value};
  }
  return {0, t};
}

struct MPost : MultiCmd {
  void apply(MultiModel& m) const override {
    if (m.value < m.max) m.value++;
  }
  void run(const MultiModel& m, MultiSut& s) const override {
    PosixError e = s.sem->Post();
    if (m.value < m.max) {
      SEM_EXPECT(e.ok(), "post at value " << m.value << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == m.overflow_errno,
                 "post at the maximum " << m.max << ": "
                                        << (e.ok() ? std::string("succeeded") : e.ToString())
                                        << ", expected " << Errno(m.overflow_errno) << ": "
                                        << kCiteAtomic);
    }
    CheckValue(*s.sem, std::min(m.value + 1, m.max), "post");
  }
  void show(std::ostream& os) const override { os << "post"; }
};

struct MTryWait : MultiCmd {
  void apply(MultiModel& m) const override {
    if (m.value > 0) m.value--;
  }
  void run(const MultiModel& m, MultiSut& s) const override {
    PosixError e = s.sem->TryWait();
    SEM_EXPECT(m.value > 0 ? e.ok() : e.errno_value() == EAGAIN,
               "trywait at value " << m.value << ": "
                                   << (e.ok() ? std::string("succeeded") : e.ToString()));
    CheckValue(*s.sem, m.value > 0 ? m.value - 1 : 0, "trywait");
  }
  void show(std::ostream& os) const override { os << "trywait"; }
};

struct MApply : MultiCmd {
  std::vector<int> deltas;
  explicit MApply(const MultiModel& m) {
    int big = static_cast<int>(std::min<long>(m.max, 32767));
    auto one = rc::gen::weightedOneOf<int>({
        {10, rc::gen::inRange(-3, 4)},
        {1, rc::gen::just(big)},
        {1, rc::gen::just(-big)},
        {1, rc::gen::just(big - 1)},
    });
    deltas = *rc::gen::container<std::vector<int>>(Pick(rc::gen::inRange(2, 5)),
                                                     rc::gen::resize(100, one));
  }
  void apply(MultiModel& m) const override { m.value = SimulateApply(m.value, deltas, m.max).value; }
  void run(const MultiModel& m, MultiSut& s) const override {
    ApplyOutcome want = SimulateApply(m.value, deltas, m.max);
    PosixError e = s.sem->Apply(deltas, Blocking::kNonBlock);
    std::string what = "semop(" + FormatDeltas(deltas) + ", IPC_NOWAIT) at value " +
                       std::to_string(m.value);
    SEM_EXPECT(e.errno_value() == want.err,
               what << ": " << (e.ok() ? std::string("succeeded") : e.ToString())
                    << "; expected " << Errno(want.err) << ": " << kCiteAtomic);
    CheckValue(*s.sem, want.value,
               what + (want.err ? " (which must change nothing: " + std::string(kCiteAtomic) + ")"
                                : std::string()));
  }
  void show(std::ostream& os) const override {
    os << "semop " << FormatDeltas(deltas) << " IPC_NOWAIT";
  }
};

PropertyOutcome RunMultiOpAllOrNothing(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/true);
  MultiModel m0;
  m0.max = kind.caps.max_value;
  m0.overflow_errno = kind.caps.overflow_errno;
  return RunProperty(CurrentTestId(), [&] {
    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    MultiSut sut{sem.get()};
    rc::state::check(m0, sut, rc::state::gen::execOneOfWithArgs<MPost, MTryWait, MApply>());
  });
}

// =====================================================================
// WaitersWokenAsDocumented: children blocked taking k or waiting for zero.
// =====================================================================

constexpr int kDocCrew = 3;
constexpr int kIdle = -1;

struct DocModel {
  long value = 0;
  long max = 0;
  // Per crew child: kIdle, 0 (blocked waiting for zero) or k > 0 (blocked
  // taking k units).
  std::array<int, kDocCrew> need{kIdle, kIdle, kIdle};

  int Blocked(bool zero) const {
    int n = 0;
    for (int k : need) n += (zero ? k == 0 : k > 0);
    return n;
  }
  // Zero-waiters proceed once the value is 0.
  void ReleaseZeroWaiters() {
    if (value != 0) return;
    for (int& k : need) {
      if (k == 0) k = kIdle;
    }
  }
};

// Where the takers settle once the value has risen: every order in which
// waiters that can proceed do so, until none can. Returns the final state if
// every order ends the same way (the man page does not say who goes first,
// so the model only asks for what is certain), nullopt otherwise.
std::optional<DocModel> Settle(const DocModel& m) {
  std::set<std::pair<long, std::array<int, kDocCrew>>> ends;
  std::function<void(long, std::array<int, kDocCrew>)> explore = [&](long v,
                                                                     std::array<int, kDocCrew> n) {
    bool any = false;
    for (int i = 0; i < kDocCrew; ++i) {
      if (n[i] > 0 && n[i] <= v) {
        any = true;
        auto n2 = n;
        n2[i] = kIdle;
        explore(v - n[i], n2);
      }
    }
    if (!any) ends.insert({v, n});
  };
  explore(m.value, m.need);
  if (ends.size() != 1) return std::nullopt;
  DocModel out = m;
  out.value = ends.begin()->first;
  out.need = ends.begin()->second;
  out.ReleaseZeroWaiters();
  return out;
}

struct DocSut {
  CrewFixture* fx;
  const SemaphoreCaps* caps;
  CrewLedger ledger;
  Crew& crew() { return fx->crew(); }
  Semaphore& sem() { return fx->sem(); }
};

using DocCmd = rc::state::Command<DocModel, DocSut>;

std::string DescribeNeeds(const DocModel& m) {
  std::ostringstream os;
  os << "value " << m.value << "; crew:";
  for (int i = 0; i < kDocCrew; ++i) {
    os << " [" << i << "] "
       << (m.need[i] == kIdle ? std::string("idle")
                              : m.need[i] == 0 ? std::string("waits for 0")
                                               : "takes " + std::to_string(m.need[i]));
  }
  return os.str();
}

// After a command that took the model from `before` to `after`: the
// children that the model releases finish, the others stay blocked, and
// value and waiter counts agree.
void CheckSettled(const DocModel& before, const DocModel& after, DocSut& s,
                  const std::string& what) {
  uint32_t expect = s.ledger.completions;
  for (int i = 0; i < kDocCrew; ++i) {
    if (before.need[i] != kIdle && after.need[i] == kIdle) ++expect;
  }
  s.ledger.completions = expect;
  PosixError w = s.crew().AwaitCompletions(expect, Deadline::Default());
  SEM_EXPECT(w.ok(), "after " << what << " (" << DescribeNeeds(before) << " -> "
                              << DescribeNeeds(after)
                              << "), the waiters that can proceed did not: " << w << ": "
                              << kCiteWaiters);
  for (int i = 0; i < kDocCrew; ++i) {
    bool done = s.crew().finished(i) >= s.ledger.sent[i];
    if (after.need[i] == kIdle) {
      SEM_EXPECT(done, "after " << what << ", crew child " << i
                                << " should have proceeded (" << DescribeNeeds(after)
                                << "): " << kCiteWaiters);
      int err = s.crew().last_errno(i);
      SEM_EXPECT(err == 0, "crew child " << i << "'s operation ended with " << Errno(err));
    } else {
      SEM_EXPECT(!done, "after " << what << ", crew child " << i << " ("
                                 << (after.need[i] == 0 ? std::string("waiting for 0")
                                                        : "taking " + std::to_string(after.need[i]))
                                 << ") proceeded although " << DescribeNeeds(after)
                                 << " does not allow it: " << kCiteWaiters);
    }
  }
  uint32_t c = s.crew().completions();
  SEM_EXPECT(c == expect, "after " << what << ", " << c << " operations completed, expected "
                                   << expect << ": " << kCiteWaiters);
  CheckValue(s.sem(), after.value, what + " (" + DescribeNeeds(after) + ")");
  if (s.caps->counts_waiters) {
    auto n = s.sem().Waiters(WaiterSort::kIncrease);
    auto z = s.sem().Waiters(WaiterSort::kZero);
    // From the process state alone (gVisor has no /proc/PID/syscall) a crew
    // child reported blocked may still be on its way into semop: wait on the
    // kernel's own counters, with a deadline, before comparing.
    if (BlockedDetection() != "state+syscall") {
      PollUntil(
          [&] {
            n = s.sem().Waiters(WaiterSort::kIncrease);
            z = s.sem().Waiters(WaiterSort::kZero);
            return n.ok() && z.ok() && n.value() == after.Blocked(false) &&
                   z.value() == after.Blocked(true);
          },
          Deadline::Default());
    }
    SEM_EXPECT(n.ok() && z.ok(), "GETNCNT/GETZCNT: " << n.error() << " " << z.error());
    SEM_EXPECT(n.value() == after.Blocked(false) && z.value() == after.Blocked(true),
               "after " << what << " (" << DescribeNeeds(after) << "), GETNCNT is " << n.value()
                        << " and GETZCNT is " << z.value() << ", expected "
                        << after.Blocked(false) << " and " << after.Blocked(true) << ": "
                        << kCiteWaiters);
  }
}

// A crew child starts a blocking operation (take k, or wait for zero).
struct DStart : DocCmd {
  int child = 0;
  int k = 0;  // 0: wait for zero
  explicit DStart(const DocModel& m) {
    std::vector<int> idle;
    for (int i = 0; i < kDocCrew; ++i) {
      if (m.need[i] == kIdle) idle.push_back(i);
    }
    RC_PRE(!idle.empty());
    child = *rc::gen::elementOf(idle);
    k = Pick(rc::gen::inRange(0, 4));
  }
  void checkPreconditions(const DocModel& m) const override { RC_PRE(m.need[child] == kIdle); }
  void apply(DocModel& m) const override {
    if (k == 0) {
      if (m.value != 0) m.need[child] = 0;
      return;
    }
    if (k <= m.value) {
      m.value -= k;
      m.ReleaseZeroWaiters();
    } else {
      m.need[child] = k;
    }
  }
  void run(const DocModel& m, DocSut& s) const override {
    PosixError e = s.crew().Send(child, CrewOrder::Apply1(-k));
    SEM_EXPECT(e.ok(), e);
    uint32_t nth = ++s.ledger.sent[child];
    DocModel after = nextState(m);
    bool proceeds = after.need[child] == kIdle;
    if (proceeds) s.ledger.completions++;  // its own completion
    auto r = s.crew().FinishedOrBlocked(child, nth, s.caps->wait_syscalls, Deadline::Default());
    std::ostringstream what;
    show(what);
    SEM_EXPECT(r.ok(), what.str() << " at " << DescribeNeeds(m) << ": " << r.error());
    SEM_EXPECT((r.value() == Crew::Outcome::kFinished) == proceeds,
               what.str() << " at " << DescribeNeeds(m) << ": "
                          << (proceeds ? "blocked, but the value allows it"
                                       : "went through, but the value does not allow it")
                          << ": " << kCiteWaiters);
    CheckSettled(m, after, s, what.str());
  }
  void show(std::ostream& os) const override {
    if (k == 0) {
      os << "crew child " << child << ": semop {0} (wait for zero)";
    } else {
      os << "crew child " << child << ": semop {-" << k << "}";
    }
  }
};

// The parent adds n in one semop: chosen so that who proceeds is certain.
struct DGive : DocCmd {
  int n = 1;
  explicit DGive(int n_) : n(n_) {}
  explicit DGive(const DocModel& m) {
    std::vector<int> certain;
    for (int c = 1; c <= 12; ++c) {
      DocModel t = m;
      t.value += c;
      if (t.value <= m.max && Settle(t)) certain.push_back(c);
    }
    RC_PRE(!certain.empty());
    n = *rc::gen::elementOf(certain);
  }
  void checkPreconditions(const DocModel& m) const override {
    DocModel t = m;
    t.value += n;
    RC_PRE(t.value <= m.max && Settle(t).has_value());
  }
  void apply(DocModel& m) const override {
    m.value += n;
    m = *Settle(m);
  }
  void run(const DocModel& m, DocSut& s) const override {
    const int delta[] = {n};
    PosixError e = s.sem().Apply(delta, Blocking::kNonBlock);
    SEM_EXPECT(e.ok(), "semop {+" << n << "} at " << DescribeNeeds(m) << ": " << e);
    CheckSettled(m, nextState(m), s, "semop {+" + std::to_string(n) + "}");
  }
  void show(std::ostream& os) const override { os << "semop {+" << n << "}"; }
};

// The parent takes k without waiting.
struct DTryTake : DocCmd {
  int k = 1;
  explicit DTryTake(int k_) : k(k_) {}
  explicit DTryTake(const DocModel&) { k = Pick(rc::gen::inRange(1, 4)); }
  void apply(DocModel& m) const override {
    if (k <= m.value) {
      m.value -= k;
      m.ReleaseZeroWaiters();
    }
  }
  void run(const DocModel& m, DocSut& s) const override {
    const int delta[] = {-k};
    PosixError e = s.sem().Apply(delta, Blocking::kNonBlock);
    std::string what = "semop {-" + std::to_string(k) + "} IPC_NOWAIT";
    if (k <= m.value) {
      SEM_EXPECT(e.ok(), what << " at " << DescribeNeeds(m) << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == EAGAIN,
                 what << " at " << DescribeNeeds(m) << ": "
                      << (e.ok() ? std::string("succeeded") : e.ToString())
                      << ", expected EAGAIN: " << kCiteNeverNegative);
    }
    CheckSettled(m, nextState(m), s, what);
  }
  void show(std::ostream& os) const override { os << "semop {-" << k << "} IPC_NOWAIT"; }
};

PropertyOutcome RunWaitersWokenAsDocumented(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/false);
  CrewFixture fx(kind, kDocCrew);
  return RunProperty(CurrentTestId(), [&] {
    PosixError e = fx.Prepare();
    SEM_EXPECT(e.ok(), "setting up " << kind.name << " and its crew: " << e);
    DocSut sut{&fx, &kind.caps, {}};
    sut.ledger.Reset(fx.crew());
    DocModel m0;
    m0.max = kind.caps.max_value;
    auto cmds = *rc::gen::scale(
        0.25,
        rc::state::gen::commands(m0, rc::state::gen::execOneOfWithArgs<DStart, DGive, DTryTake>()));
    rc::state::runAll(cmds, m0, sut);
    DocModel m = m0;
    rc::state::applyAll(cmds, m);
    // Release everyone: give what the takers need (all of them can then
    // proceed, so the outcome is certain), then take the value back to 0
    // (which releases the zero-waiters).
    int owed = 0;
    for (int k : m.need) owed += k > 0 ? k : 0;
    if (owed > 0) {
      DGive give(owed);
      give.run(m, sut);
      give.apply(m);
    }
    if (m.value > 0) {
      DTryTake take(static_cast<int>(m.value));
      take.run(m, sut);
      take.apply(m);
    }
    SEM_EXPECT(m.value == 0 && m.Blocked(false) == 0 && m.Blocked(true) == 0,
               "closing: the model did not settle: " << DescribeNeeds(m));
    fx.CaseEndedCleanly();
  });
}

// =====================================================================
// UndoOnExitAsClaimed: a child's operations, then its end.
// =====================================================================

struct UndoReport {
  std::array<std::atomic<int32_t>, 8> err{};
};

PropertyOutcome RunUndoOnExitAsClaimed(const SemaphoreKind& kind) {
  // The child only works before CheckValue looks, and is dead at the end.
  ValueReadingScope reading(kind, /*alone=*/true);
  const bool undo = kind.caps.undo_on_exit;
  auto report_or = SharedObject<UndoReport>::Create();
  if (!report_or.ok()) return SetupFailure("shared memory", report_or.error());
  SharedObject<UndoReport> report = std::move(report_or).ValueOrDie();
  return RunProperty(CurrentTestId(), [&] {
    const int base = Pick(rc::gen::inRange(0, 4));
    // 'p': post, 't': trywait.
    const std::string ops = *rc::gen::container<std::string>(
        Pick(rc::gen::inRange(1, 7)), rc::gen::element('p', 't'));
    const bool killed = *rc::gen::arbitrary<bool>();

    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    for (int i = 0; i < base; ++i) {
      PosixError e = sem->Post();
      SEM_EXPECT(e.ok(), "post: " << e);
    }
    // What the child's operations do, by the counter model.
    long v = base;
    std::vector<int> want;
    for (char op : ops) {
      if (op == 'p') {
        want.push_back(0);
        ++v;
      } else if (v > 0) {
        want.push_back(0);
        --v;
      } else {
        want.push_back(EAGAIN);
      }
    }
    for (auto& e : report->err) e.store(-1);
    auto cp_or = Checkpoint::Create();
    SEM_EXPECT(cp_or.ok(), "checkpoint: " << cp_or.error());
    Checkpoint cp = std::move(cp_or).ValueOrDie();
    Semaphore* s = sem.get();
    UndoReport* rep = report.get();
    auto child_or = Child::Fork([&, s, rep] {
      for (size_t i = 0; i < ops.size(); ++i) {
        PosixError e = ops[i] == 'p' ? s->Post() : s->TryWait();
        rep->err[i].store(e.errno_value());
      }
      cp.Signal(1);
      if (killed) {
        for (;;) pause();
      }
      // Alive until the parent has looked at the value.
      return cp.WaitFor(2, Deadline::Default()).ok() ? 0 : 1;
    });
    SEM_EXPECT(child_or.ok(), "fork: " << child_or.error());
    Child child = std::move(child_or).ValueOrDie();
    PosixError w = cp.WaitFor(1, Deadline::Default());
    SEM_EXPECT(w.ok(), "the child did not finish its operations: " << w);
    for (size_t i = 0; i < ops.size(); ++i) {
      int got = rep->err[i].load();
      SEM_EXPECT(got == want[i], "the child's " << (ops[i] == 'p' ? "post" : "trywait") << " #"
                                                << i << " ended with " << Errno(got)
                                                << ", expected " << Errno(want[i]));
    }
    CheckValue(*sem, v, "the child's operations (it is still alive: nothing is undone yet)");
    cp.Signal(2);
    auto st = killed ? child.KillAndWait() : child.Wait(Deadline::Default());
    SEM_EXPECT(st.ok(), "waiting for the child: " << st.error());
    SEM_EXPECT(killed ? st.value().KilledBy(SIGKILL) : st.value().ExitedWith(0),
               "the child ended: " << st.value());
    long expect = undo ? base : v;
    auto got = kind.caps.reports_value ? sem->Value() : DrainValue(*sem, std::max<long>(base, v) + 2);
    SEM_EXPECT(got.ok(), "value: " << got.error());
    SEM_EXPECT(got.value() == expect,
               "started at " << base << ", a child did \"" << ops << "\" (value " << v
                             << ") and was " << (killed ? "killed by SIGKILL" : "exited")
                             << "; now the value is " << got.value() << ", expected " << expect
                             << (undo ? " (the Kind claims SEM_UNDO: its operations are undone)"
                                      : " (the Kind claims no undo: they stay)")
                             << ": " << kCiteUndo);
  });
}

std::optional<std::string> NeedsMultiOp(const SemaphoreKind& k) {
  if (k.caps.multi_op) return std::nullopt;
  return std::string("no multi-operation calls (only System V semop(2) has them)");
}

}  // namespace

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreProperties() {
  static const auto* props = new std::vector<SuiteProperty<SemaphoreInterface>>{
      {"CounterNeverNegative", kCiteNeverNegative, nullptr, RunCounterNeverNegative},
      {"EveryWakeupMatchesAPost", kCiteWakeup,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return std::nullopt;
       },
       RunEveryWakeupMatchesAPost},
      {"MultiOpAllOrNothing", kCiteAtomic, NeedsMultiOp, RunMultiOpAllOrNothing},
      {"WaitersWokenAsDocumented", kCiteWaiters,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return NeedsMultiOp(k);
       },
       RunWaitersWokenAsDocumented},
      {"UndoOnExitAsClaimed", kCiteUndo,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return std::nullopt;
       },
       RunUndoOnExitAsClaimed},
  };
  return *props;
}

}  // namespace ipcspec
