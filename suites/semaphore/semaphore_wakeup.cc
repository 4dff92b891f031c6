// EveryWakeupMatchesAPost: crew children blocked in Wait(), woken one per
// post, against a model of the value and the number of waiters.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <sys/syscall.h>

#include "impl/core/blocked.h"
#include "impl/core/coverage.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "suites/semaphore/semaphore_crew.h"
#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace semaphore_suite {
namespace {

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

// ---- The steps as C (impl/repro): crew child i is forked child i of the
// reproducer; a wait that is to block is started, then seen asleep in the
// Kind's wait call (ChildStart, ChildBlocked), and awaited when a post is
// to wake it. Which of two or more waiters a post wakes is the kernel's
// choice: such a case says it cannot be printed.

std::string WaitSyscallName(long n) {
  if (n == SYS_futex) return "SYS_futex";
  if (n == SYS_semop) return "SYS_semop";
#ifdef SYS_semtimedop
  if (n == SYS_semtimedop) return "SYS_semtimedop";
#endif
  return std::to_string(n);
}

// No waiting child's wait has returned (CheckQuiet's check, as C).
void RecordQuiet(const WakeSut& s, const std::string& after) {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr || s.waiting.empty()) return;
  std::string code;
  for (int i : s.waiting) {
    code += "if (child_step_done(" + std::to_string(i) + "))\n  broken(CITE_WAKEUP, " +
            repro::Lit("after " + after + ", crew child " + std::to_string(i) +
                       "'s wait returned with no post to match it") +
            ");\n";
  }
  rec->Step("the waiters still wait", code, "checking the children returns at once");
}

// Classification of EveryWakeupMatchesAPost's cases (impl/core/coverage.h).
constexpr const char* kPostWokeAWaiter = "a post met a blocked waiter";
constexpr const char* kPostAmongSeveralWaiters = "a post met two or more blocked waiters";

// One post, checked: if children wait, exactly one of them is woken.
void PostAndCheck(const WakeModel& m, WakeSut& s, const std::string& what) {
  if (repro::Recording* rec = repro::Active()) {
    rec->Step(what, CCall("sem_c_post()", 0, kCitePost, what), "a post returns at once");
    if (s.waiting.size() >= 2) {
      rec->Unprintable("a post met " + std::to_string(s.waiting.size()) +
                       " blocked waiters: which one it wakes is the kernel's choice, and the "
                       "next steps depend on it");
    } else if (s.waiting.size() == 1) {
      rec->ChildAwait(s.waiting[0], "crew child " + std::to_string(s.waiting[0]) +
                                        " is woken by the post",
                      std::string("the post wakes the blocked waiter: ") + kCiteWakeup);
    }
  }
  PosixError e = s.sem().Post();
  SEM_EXPECT(e.ok(), what << ": " << e);
  if (m.blocked == 0) {
    RecordQuiet(s, what);
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
  int err = s.crew().result(woken[0]);
  SEM_EXPECT(err == 0, "crew child " << woken[0] << "'s wait ended with " << Errno(err));
  s.waiting = still;
  RecordQuiet(s, what);
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
    if (repro::Recording* rec = repro::Active()) {
      const std::string title = "crew child " + std::to_string(i) + ": wait at value " +
                                std::to_string(m.value);
      const std::string code = CCall("sem_c_wait()", 0, kCiteWakeup,
                                     "crew child " + std::to_string(i) + "'s wait");
      if (m.value > 0) {
        rec->ChildStep(i, title, code,
                       std::string("a wait at a positive value returns at once: ") + kCiteTake);
      } else {
        std::vector<std::string> calls;
        for (long n : s.caps->wait_syscalls) calls.push_back(WaitSyscallName(n));
        rec->ChildStart(i, title + " (blocks)", code,
                        std::string("the blocked wait is woken by a post: ") + kCiteWakeup);
        rec->ChildBlocked(i, "crew child " + std::to_string(i) + " is seen asleep in the wait",
                          calls, kCiteWakeup);
      }
    }
    PosixError e = s.crew().Send(i, WaitOrder());
    SEM_EXPECT(e.ok(), e);
    ++s.ledger.sent[i];
    auto r = s.crew().FinishedOrBlocked(i, s.caps->wait_syscalls, Deadline::Default());
    SEM_EXPECT(r.ok(), "crew child " << i << " wait at value " << m.value << ": " << r.error());
    if (m.value > 0) {
      SEM_EXPECT(r.value() == Crew::Outcome::kFinished,
                 "crew child " << i << "'s wait blocked although the value was " << m.value
                               << ": " << kCiteWakeup);
      int err = s.crew().result(i);
      SEM_EXPECT(err == 0, "crew child " << i << "'s wait at value " << m.value << " ended with "
                                         << Errno(err));
      s.ledger.completions++;
      RecordQuiet(s, "a wait at value " + std::to_string(m.value));
      s.CheckQuiet("a wait at value " + std::to_string(m.value));
      CheckValue(s.sem(), m.value - 1, "a child's wait");
    } else {
      SEM_EXPECT(r.value() == Crew::Outcome::kBlocked,
                 "crew child " << i << "'s wait at value 0 returned ("
                               << Errno(s.crew().result(i))
                               << ") with no post to match it: " << kCiteWakeup);
      s.waiting.push_back(i);
      RecordQuiet(s, "a wait at value 0");
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
    if (repro::Active() != nullptr) {
      RecordStep("trywait", CCall("sem_c_trywait()", m.value > 0 ? 0 : EAGAIN,
                                  m.value > 0 ? kCiteTake : kCiteNeverNegative,
                                  "trywait at value " + std::to_string(m.value) + " with " +
                                      std::to_string(m.blocked) + " waiting"),
                 "a trywait returns at once");
    }
    PosixError e = s.sem().TryWait();
    if (m.value > 0) {
      SEM_EXPECT(e.ok(), "trywait at value " << m.value << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == EAGAIN,
                 "trywait at value 0 with " << m.blocked << " waiting: "
                                            << (e.ok() ? std::string("succeeded") : e.ToString())
                                            << ", expected EAGAIN: " << kCiteNeverNegative);
    }
    RecordQuiet(s, "trywait");
    s.CheckQuiet("trywait");
    CheckValue(s.sem(), m.value > 0 ? m.value - 1 : 0, "trywait");
  }
  void show(std::ostream& os) const override { os << "trywait"; }
};

}  // namespace

PropertyOutcome RunEveryWakeupMatchesAPost(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/false);
  CrewFixture fx(kind, kWakeCrew);
  bool syscall_visible = BlockedDetection() == "state+syscall";
  Coverage cov("EveryWakeupMatchesAPost", kCiteWakeup,
               {{kPostWokeAWaiter, 30}, {kPostAmongSeveralWaiters, 10}});
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&] {
    Coverage::Case counted(cov);
    PosixError e = fx.Prepare();
    SEM_EXPECT(e.ok(), "setting up " << kind.name << " and its crew: " << e);
    if (repro::Recording* rec = repro::Active()) {
      SemPrelude();
      for (int i = 0; i < kWakeCrew; ++i) {
        rec->Fork(i, "fork(crew child " + std::to_string(i) + ")", "");
      }
    }
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
      if (repro::Active() != nullptr) {
        RecordStep("closing trywait", CCall("sem_c_trywait()", 0, kCiteTake,
                                            "closing trywait at value " + std::to_string(m.value)),
                   "a trywait returns at once");
      }
      PosixError t = sut.sem().TryWait();
      SEM_EXPECT(t.ok(), "closing trywait at value " << m.value << ": " << t);
    }
    if (repro::Active() != nullptr) {
      RecordStep("closing trywait", CCall("sem_c_trywait()", EAGAIN, kCiteNeverNegative,
                                          "closing trywait at value 0"),
                 "a trywait returns at once");
    }
    PosixError t = sut.sem().TryWait();
    SEM_EXPECT(t.errno_value() == EAGAIN, "closing trywait at value 0: "
                                              << (t.ok() ? std::string("succeeded") : t.ToString())
                                              << ": " << kCiteNeverNegative);
    sut.CheckQuiet("the closing posts");
    fx.CaseEndedCleanly();
  })));
}

}  // namespace semaphore_suite
}  // namespace ipcspec
