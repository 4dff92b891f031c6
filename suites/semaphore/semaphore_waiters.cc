// WaitersWokenAsDocumented: crew children blocked taking k units or waiting
// for zero, against a model of the value and each child's need.

#include <array>
#include <functional>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <sys/syscall.h>

#include "impl/core/blocked.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "suites/semaphore/semaphore_crew.h"
#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace semaphore_suite {
namespace {

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

// ---- The steps as C (impl/repro): crew child i is forked child i of the
// reproducer. Every outcome is certain (DGive is chosen so), so each child's
// script is fixed: an operation that is to block is started and seen asleep
// in semop (ChildStart, ChildBlocked), and awaited when the model releases it.

std::string SemopSyscallName(long n) {
  if (n == SYS_semop) return "SYS_semop";
#ifdef SYS_semtimedop
  if (n == SYS_semtimedop) return "SYS_semtimedop";
#endif
  if (n == SYS_futex) return "SYS_futex";
  return std::to_string(n);
}

// CheckSettled's checks as C.
void RecordSettled(const DocModel& before, const DocModel& after, const DocSut& s,
                   const std::string& what) {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  for (int i = 0; i < kDocCrew; ++i) {
    if (before.need[i] != kIdle && after.need[i] == kIdle) {
      rec->ChildAwait(i, "crew child " + std::to_string(i) + " proceeds after " + what,
                      std::string("a waiter proceeds once the value allows it: ") + kCiteWaiters);
    }
  }
  std::string code;
  for (int i = 0; i < kDocCrew; ++i) {
    if (after.need[i] == kIdle) continue;
    code += "if (child_step_done(" + std::to_string(i) + "))\n  broken(CITE_WAITERS, " +
            repro::Lit("after " + what + ", crew child " + std::to_string(i) + " (" +
                       (after.need[i] == 0 ? std::string("waiting for 0")
                                           : "taking " + std::to_string(after.need[i])) +
                       ") proceeded although " + DescribeNeeds(after) + " does not allow it") +
            ");\n";
  }
  if (!code.empty()) rec->Step("the other waiters still wait", code, "checking returns at once");
  RecordValueCheck(after.value, what + " (" + DescribeNeeds(after) + ")");
  if (s.caps->counts_waiters) {
    rec->Step("GETNCNT and GETZCNT",
              "{\n  long n = sem_c_count(0), z = sem_c_count(1);\n"
              "  if (n < 0 || z < 0) setup_failed(\"semctl(GETNCNT/GETZCNT)\");\n"
              "  if (n != " + std::to_string(after.Blocked(false)) + " || z != " +
                  std::to_string(after.Blocked(true)) + ")\n"
              "    broken(CITE_WAITERS, " +
                  repro::Lit("after " + what + " (" + DescribeNeeds(after) +
                             "), GETNCNT is %ld and GETZCNT is %ld, expected " +
                             std::to_string(after.Blocked(false)) + " and " +
                             std::to_string(after.Blocked(true))) +
                  ", n, z);\n}\n",
              "semctl returns at once");
  }
}

// After a command that took the model from `before` to `after`: the
// children that the model releases finish, the others stay blocked, and
// value and waiter counts agree.
void CheckSettled(const DocModel& before, const DocModel& after, DocSut& s,
                  const std::string& what) {
  if (repro::Active() != nullptr) {
    // All of this check as C, in order (awaits, the still-blocked, the
    // value, the counts); the CheckValue below then records nothing.
    RecordSettled(before, after, s, what);
  }
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
      int err = s.crew().result(i);
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
  {
    // RecordSettled recorded this check already, in its place.
    UnrecordedValueCheck quiet;
    CheckValue(s.sem(), after.value, what + " (" + DescribeNeeds(after) + ")");
  }
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
    if (repro::Recording* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      const bool goes = nextState(m).need[child] == kIdle;
      const std::string code =
          "{\nstatic const int d[] = {" + std::to_string(-k) + "};\n" +
          CCall("sem_c_apply(d, 1, 0)", 0, kCiteWaiters,
                t.str() + " at " + DescribeNeeds(m)) + "}\n";
      if (goes) {
        rec->ChildStep(child, t.str(), code,
                       std::string("an operation the value allows proceeds at once: ") +
                           kCiteWaiters);
      } else {
        std::vector<std::string> calls;
        for (long n : s.caps->wait_syscalls) calls.push_back(SemopSyscallName(n));
        rec->ChildStart(child, t.str() + " (blocks)", code,
                        std::string("a waiter proceeds once the value allows it: ") +
                            kCiteWaiters);
        rec->ChildBlocked(child, "crew child " + std::to_string(child) +
                                     " is seen asleep in semop",
                          calls, kCiteWaiters);
      }
    }
    PosixError e = s.crew().Send(child, ApplyOrder(-k));
    SEM_EXPECT(e.ok(), e);
    ++s.ledger.sent[child];
    DocModel after = nextState(m);
    bool proceeds = after.need[child] == kIdle;
    if (proceeds) s.ledger.completions++;  // its own completion
    auto r = s.crew().FinishedOrBlocked(child, s.caps->wait_syscalls, Deadline::Default());
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
    if (repro::Active() != nullptr) {
      RecordStep("semop {+" + std::to_string(n) + "}",
                 "{\nstatic const int d[] = {" + std::to_string(n) + "};\n" +
                     CCall("sem_c_apply(d, 1, 1)", 0, kCitePost,
                           "semop {+" + std::to_string(n) + "} at " + DescribeNeeds(m)) +
                     "}\n",
                 "a semop with IPC_NOWAIT returns at once");
    }
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
    std::string what = "semop {-" + std::to_string(k) + "} IPC_NOWAIT";
    if (repro::Active() != nullptr) {
      RecordStep(what,
                 "{\nstatic const int d[] = {" + std::to_string(-k) + "};\n" +
                     CCall("sem_c_apply(d, 1, 1)", k <= m.value ? 0 : EAGAIN,
                           k <= m.value ? kCiteTake : kCiteNeverNegative,
                           what + " at " + DescribeNeeds(m)) +
                     "}\n",
                 "a semop with IPC_NOWAIT returns at once");
    }
    PosixError e = s.sem().Apply(delta, Blocking::kNonBlock);
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

}  // namespace

PropertyOutcome RunWaitersWokenAsDocumented(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/false);
  CrewFixture fx(kind, kDocCrew);
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    PosixError e = fx.Prepare();
    SEM_EXPECT(e.ok(), "setting up " << kind.name << " and its crew: " << e);
    if (repro::Recording* rec = repro::Active()) {
      SemPrelude();
      for (int i = 0; i < kDocCrew; ++i) {
        rec->Fork(i, "fork(crew child " + std::to_string(i) + ")", "");
      }
    }
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
  }));
}

}  // namespace semaphore_suite
}  // namespace ipcspec
