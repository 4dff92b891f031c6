// man 7 signal, "Interruption of system calls and library functions by signal
// handlers": every row of the EINTR table, with and without SA_RESTART, with a
// real signal delivered while a child is seen blocked in the call. Where
// /proc/PID/syscall is missing (gVisor), an outcome that looks like
// "restarted" cannot be told from a sleep elsewhere: the table shows
// "unverified" and the test skips as `unmet need: proc-pid-syscall: ...`.
//
//   bazel test //faults/eintr:eintr_test --test_output=all   # prints the table
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "faults/eintr/eintr_table.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

struct Param {
  size_t row;
  bool sa_restart;
};

// A test name from a row's call: "read(2) on an empty pipe" -> read_2_on_an_empty_pipe.
std::string NameOf(const std::string& call) {
  std::string s;
  for (char c : call) {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      s += c;
    } else if (!s.empty() && s.back() != '_') {
      s += '_';
    }
  }
  while (!s.empty() && s.back() == '_') s.pop_back();
  return s;
}

std::string ParamName(const Param& p) {
  return NameOf(EintrTable()[p.row].call) + (p.sa_restart ? "__SA_RESTART" : "__no_SA_RESTART");
}
std::string Name(const ::testing::TestParamInfo<Param>& info) { return ParamName(info.param); }

std::vector<Param> AllParams() {
  std::vector<Param> v;
  for (size_t i = 0; i < EintrTable().size(); ++i) {
    v.push_back({i, true});
    v.push_back({i, false});
  }
  return v;
}

// What each run saw, for the tables printed at the end: (row, SA_RESTART)
// for the handler table, (row, kStopKey) for the stop-signal table.
constexpr int kStopKey = 2;
std::map<std::pair<size_t, int>, std::string>& Seen() {
  static auto* m = new std::map<std::pair<size_t, int>, std::string>();
  return *m;
}
std::map<std::pair<size_t, int>, std::string>& StopSeen() {
  static auto* m = new std::map<std::pair<size_t, int>, std::string>();
  return *m;
}

constexpr char kNotReproducible[] = "not reproducible here";
constexpr char kUnverified[] = "unverified";

Checkpoint* g_handler_checkpoint = nullptr;
void OnSignal(int) {
  if (g_handler_checkpoint) g_handler_checkpoint->Signal(2);  // async-signal-safe
}

struct Result {
  long ret = 0;
};

// The harness's own mutants, for the selftest that shows the rows are not
// vacuous (//suites/selftest/eintr): IPCSPEC_EINTR_MUTANT=retry-on-eintr makes
// the child call again after EINTR (a library's retry loop, which hides every
// EINTR), =no-sa-restart installs every handler without SA_RESTART. Unset in
// every real run.
enum class HarnessMutant { kNone, kRetryOnEintr, kNoSaRestart };
HarnessMutant ActiveMutant() {
  static const HarnessMutant m = [] {
    const char* e = std::getenv("IPCSPEC_EINTR_MUTANT");
    std::string v = e ? e : "";
    if (v == "retry-on-eintr") return HarnessMutant::kRetryOnEintr;
    if (v == "no-sa-restart") return HarnessMutant::kNoSaRestart;
    if (!v.empty()) std::fprintf(stderr, "IPCSPEC_EINTR_MUTANT=%s: unknown, ignored\n", e);
    return HarnessMutant::kNone;
  }();
  return m;
}

// How the blocked call is interrupted.
enum class Interruption { kHandlerSaRestart, kHandlerNoSaRestart, kStopCont };

// What one run saw.
struct Outcome {
  std::string what;  // "restarted", "EINTR", ..., kUnverified, kNotReproducible
  Interrupted got = Interrupted::kRestarted;
  std::string data;  // CheckAfter's complaint, "" when none
  std::string skip;  // the unmet need's detail, "" when none
};

// Forks a child that blocks in `call`, interrupts it as `how` says once it
// is seen blocked in one of `syscalls`, and tells "restarted" (asleep in the
// call again) from a return. Fatal gtest failures for a broken harness.
void RunOnce(BlockingCall& call, const std::string& name, const std::vector<long>& syscalls,
             Interruption how, Interrupted expected, Outcome& out) {
  ASSERT_NO_ERRNO(call.Setup());
  if (auto why = call.NotReproducible()) {
    out.what = kNotReproducible;
    out.skip = *why;
    return;
  }
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<Result>::Create());
  BlockingCall* c = &call;
  Checkpoint* cpp = &cp;
  Result* res = result.get();
  const bool handler = how != Interruption::kStopCont;
  const bool restart =
      how == Interruption::kHandlerSaRestart && ActiveMutant() != HarnessMutant::kNoSaRestart;
  const bool retry = ActiveMutant() == HarnessMutant::kRetryOnEintr;
  // Stages: 1 about to call, 2 handler ran, 3 the call returned.
  auto child = Child::Fork([c, cpp, res, handler, restart, retry]() -> int {
    g_handler_checkpoint = cpp;
    if (handler) {
      struct sigaction sa = {};
      sa.sa_handler = OnSignal;
      sigemptyset(&sa.sa_mask);
      sa.sa_flags = restart ? SA_RESTART : 0;
      if (sigaction(SIGUSR1, &sa, nullptr) != 0) return 3;
    }
    cpp->Signal(1);
    do {
      res->ret = c->Call();
    } while (retry && res->ret == -EINTR);
    cpp->Signal(3);
    return 0;
  });
  ASSERT_TRUE(child.ok()) << child.error();
  pid_t pid = child.value().pid();
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  ASSERT_NO_ERRNO(WaitUntilBlocked(pid, syscalls)) << "the child never blocked in " << name;
  if (handler) {
    ASSERT_THAT(kill(pid, SIGUSR1), SyscallSucceeds());
    ASSERT_NO_ERRNO(cp.WaitFor(2, Deadline::Default())) << "the handler never ran";
  } else {
    ASSERT_THAT(kill(pid, SIGSTOP), SyscallSucceeds());
    ASSERT_TRUE(PollUntil(
        [&] {
          auto snap = SnapshotTask(pid);
          return snap.ok() && snap.value().state == 'T';
        },
        Deadline::Default()))
        << "the child was never seen stopped after SIGSTOP";
    ASSERT_THAT(kill(pid, SIGCONT), SyscallSucceeds());
  }
  // Now the call either returns (stage 3) or goes back to sleep in the same
  // system call (restarted; restart_syscall(2) for a call restarted with
  // what is left of its timeout). Without /proc/PID/syscall a sleep is seen
  // but not where: "restarted" is then unverified (a sleep anywhere after the
  // interruption looks the same), and the row is reported as an unmet need.
  bool restarted = false;
  bool call_seen = false;  // the sleep was seen inside one of the syscalls
  bool decided = PollUntil(
      [&] {
        if (cp.stage() >= 3) return true;
        auto snap = SnapshotTask(pid);
        if (!snap.ok()) return false;
        const bool known = snap.value().syscall_nr.has_value();
        bool in_call = !known || snap.value().syscall_nr == SYS_restart_syscall;
        for (long nr : syscalls) in_call |= snap.value().syscall_nr == nr;
        if (snap.value().state == 'S' && in_call) {
          restarted = true;
          call_seen = known;
          return true;
        }
        return false;
      },
      Deadline::Default());
  ASSERT_TRUE(decided) << "after the interruption, the call neither returned nor blocked again";
  bool killed = false;
  if (restarted && !call.Completable()) {
    // Nothing ends this call (a sleep, a wait for a signal): it was seen
    // asleep in it again, which is all "restarted" means.
    ASSERT_THAT(kill(pid, SIGKILL), SyscallSucceeds());
    killed = true;
  } else if (restarted) {
    ASSERT_NO_ERRNO(call.Complete());
    ASSERT_NO_ERRNO(cp.WaitFor(3, Deadline::Default()))
        << "the restarted call did not complete once it could";
  }
  auto st = child.value().Wait();
  ASSERT_TRUE(st.ok()) << st.error();
  if (killed) {
    ASSERT_TRUE(st.value().KilledBy(SIGKILL)) << st.value();
  } else {
    ASSERT_TRUE(st.value().ExitedWith(0)) << st.value();
  }
  long ret = killed ? 0 : res->ret;
  const bool unverified = restarted && ret >= 0 && !call_seen;
  if (unverified) {
    out.got = Interrupted::kRestarted;
    out.what = kUnverified;
    out.skip = "the child slept after the interruption and its call then returned " +
               std::to_string(ret) + ", but without /proc/PID/syscall it cannot be seen whether it slept in " +
               name + " (restarted) or elsewhere: \"restarted\" is unverified";
  } else if (restarted && ret >= 0) {
    out.got = Interrupted::kRestarted;
    out.what = killed ? "restarted (asleep in the call again)" : "restarted";
  } else if (ret == -EINTR) {
    out.got = Interrupted::kFailsEintr;
    out.what = "EINTR";
  } else if (ret > 0 && !restarted && expected == Interrupted::kSucceedsEarly) {
    out.got = Interrupted::kSucceedsEarly;
    out.what = std::string(ToString(out.got)) + " (" + std::to_string(ret) + ")";
  } else if (ret > 0 && !restarted) {
    out.got = Interrupted::kPartialCount;
    out.what = "partial count (" + std::to_string(ret) + ")";
  } else {
    out.what = ret < 0 ? "failed " + ErrnoName(static_cast<int>(-ret)) : "returned " + std::to_string(ret);
  }
  if (!killed) out.data = call.CheckAfter(ret, out.got);
}

// A cell of the tables, as an "eintr" record's fields: what the matrix report
// shows of it (verdict/README.md, "The EINTR table per environment").
using Fields = std::vector<std::pair<std::string, std::string>>;
Fields HandlerCell(const Param& p) {
  const EintrRow& r = EintrTable()[p.row];
  const Interrupted expected = p.sa_restart ? r.with_sa_restart : r.without_sa_restart;
  const Interrupted page = !r.page ? expected : p.sa_restart ? r.page->first : r.page->second;
  return {{"test", "Table/Eintr.FollowsTheTable/" + ParamName(p)}, {"table", "handler"},
          {"call", r.call}, {"how", p.sa_restart ? "with SA_RESTART" : "without SA_RESTART"},
          {"expected", ToString(expected)}, {"page", ToString(page)}, {"note", r.note},
          {"sentence", r.man_sentence}};
}
Fields StopCell(size_t i) {
  const StopRow& r = StopSignalTable()[i];
  return {{"test", "StopTable/StopEintr.FollowsTheTable/" + NameOf(r.call)}, {"table", "stop"},
          {"call", r.call}, {"how", "SIGSTOP + SIGCONT"}, {"expected", ToString(r.after_stop)},
          {"page", ToString(r.page ? *r.page : r.after_stop)}, {"note", r.note},
          {"sentence", r.man_sentence}};
}

// Writes what this environment did in a cell into the results file, which
// the matrix collects from every environment as it collects the verdicts.
void RecordCell(Fields cell, const Outcome& run) {
  cell.insert(cell.end(), {{"seen", run.what}, {"detail", run.skip}, {"data", run.data}});
  WriteRecord("eintr", cell);
}

// Reports a run: a skip for "not reproducible here" and "unverified" (each
// its own need, counted apart, never a pass), else the comparison.
void Judge(const Outcome& run, const std::string& call, const std::string& how, Interrupted expected,
           const std::string& sentence, const std::string& section) {
  EXPECT_EQ(run.data, "") << call << ": data lost or duplicated: " << run.data;
  if (run.what == kNotReproducible) {
    IPCSPEC_UNMET("blocking-call", run.skip) << " (" << call << ": " << kNotReproducible << ")";
  }
  if (run.what == kUnverified) IPCSPEC_UNMET("proc-pid-syscall", "") << run.skip;
  EXPECT_EQ(run.what.rfind(ToString(expected), 0), 0u)
      << call << " " << how << ": expected " << ToString(expected) << ", got " << run.what << ".\n"
      << "man 7 signal, \"" << section << "\": " << sentence;
}

class Eintr : public ::testing::TestWithParam<Param> {};

TEST_P(Eintr, FollowsTheTable) {
  const EintrRow& row = EintrTable()[GetParam().row];
  const bool restart = GetParam().sa_restart;
  const Interrupted expected = restart ? row.with_sa_restart : row.without_sa_restart;
  std::unique_ptr<BlockingCall> call = row.make();
  Outcome run;
  RunOnce(*call, row.call, row.syscalls,
          restart ? Interruption::kHandlerSaRestart : Interruption::kHandlerNoSaRestart, expected, run);
  if (::testing::Test::HasFatalFailure()) return;
  Seen()[{GetParam().row, restart}] = run.what;
  RecordCell(HandlerCell(GetParam()), run);
  Judge(run, row.call,
        std::string("interrupted by a handler ") + (restart ? "with" : "without") + " SA_RESTART",
        expected, row.man_sentence,
        "Interruption of system calls and library functions by signal handlers");
}

INSTANTIATE_TEST_SUITE_P(Table, Eintr, ::testing::ValuesIn(AllParams()), Name);

// man 7 signal, "Interruption of system calls and library functions by stop
// signals": no handler; SIGSTOP, then SIGCONT, while the child is blocked.
class StopEintr : public ::testing::TestWithParam<size_t> {};

TEST_P(StopEintr, FollowsTheTable) {
  const StopRow& row = StopSignalTable()[GetParam()];
  std::unique_ptr<BlockingCall> call = row.make();
  Outcome run;
  RunOnce(*call, row.call, row.syscalls, Interruption::kStopCont, row.after_stop, run);
  if (::testing::Test::HasFatalFailure()) return;
  StopSeen()[{GetParam(), kStopKey}] = run.what;
  RecordCell(StopCell(GetParam()), run);
  Judge(run, row.call, "stopped (SIGSTOP) and continued (SIGCONT) with no handler",
        row.after_stop, row.man_sentence,
        "Interruption of system calls and library functions by stop signals");
}

std::vector<size_t> StopRows() {
  std::vector<size_t> v;
  for (size_t i = 0; i < StopSignalTable().size(); ++i) v.push_back(i);
  return v;
}

INSTANTIATE_TEST_SUITE_P(StopTable, StopEintr, ::testing::ValuesIn(StopRows()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return NameOf(StopSignalTable()[info.param].call);
                         });

// Counts of what was seen, printed under each table.
struct Tally {
  int as_page = 0, divergent = 0, not_reproducible = 0, unverified = 0, other = 0, not_run = 0;
  void Add(const std::string& seen, Interrupted expected, bool diverges) {
    if (seen == "not run") {
      ++not_run;
    } else if (seen == kNotReproducible) {
      ++not_reproducible;
    } else if (seen == kUnverified) {
      ++unverified;
    } else if (seen.rfind(::ipcspec::ToString(expected), 0) == 0) {
      ++(diverges ? divergent : as_page);
    } else {
      ++other;
    }
  }
  std::string Summary() const {
    std::ostringstream os;
    os << as_page << " as the page says, " << divergent
       << " as this environment is recorded to differ from the page, " << other
       << " otherwise (failures), " << not_reproducible << " " << kNotReproducible << ", "
       << unverified << " " << kUnverified << " (no /proc/PID/syscall), " << not_run << " not run";
    return os.str();
  }
};

// Prints the tables with what this environment did, and saves them for
// reports. Before the tests, declares every cell ("eintr" records without
// "seen"), so that a report shows a cell this run did not reach as not run.
class PrintTable : public ::testing::Environment {
 public:
  void SetUp() override {
    for (size_t i = 0; i < EintrTable().size(); ++i) {
      WriteRecord("eintr", HandlerCell({i, true}));
      WriteRecord("eintr", HandlerCell({i, false}));
    }
    for (size_t i = 0; i < StopSignalTable().size(); ++i) WriteRecord("eintr", StopCell(i));
    if (ActiveMutant() != HarnessMutant::kNone) {
      std::printf("IPCSPEC_EINTR_MUTANT=%s: a mutant of the harness is active; this run "
                  "judges nothing about the environment\n",
                  std::getenv("IPCSPEC_EINTR_MUTANT"));
    }
  }
  void TearDown() override {
    std::ostringstream os;
    Tally t;
    os << "| call | with SA_RESTART (expected / seen) | without SA_RESTART (expected / seen) | "
          "man 7 signal | divergence from the page |\n|---|---|---|---|---|\n";
    for (size_t i = 0; i < EintrTable().size(); ++i) {
      const EintrRow& r = EintrTable()[i];
      auto seen = [&](bool sa) {
        auto it = Seen().find({i, sa});
        return it == Seen().end() ? std::string("not run") : it->second;
      };
      t.Add(seen(true), r.with_sa_restart, r.page && r.page->first != r.with_sa_restart);
      t.Add(seen(false), r.without_sa_restart, r.page && r.page->second != r.without_sa_restart);
      std::string divergence;
      if (r.page) {
        divergence = std::string("the page says ") + ToString(r.page->first) + " / " +
                     ToString(r.page->second) + ": " + r.note;
      } else if (!r.note.empty()) {
        divergence = "none (" + r.note + ")";
      }
      os << "| " << r.call << " | " << ToString(r.with_sa_restart) << " / " << seen(true) << " | "
         << ToString(r.without_sa_restart) << " / " << seen(false) << " | " << r.man_sentence
         << " | " << divergence << " |\n";
    }
    os << "\nHandler table: " << t.Summary() << ".\n";
    Tally ts;
    os << "\nStop signals (man 7 signal, \"Interruption of system calls and library functions by "
          "stop signals\"): SIGSTOP then SIGCONT, no handler.\n\n"
          "| call | after SIGSTOP + SIGCONT (expected / seen) | man 7 signal | divergence from "
          "the page |\n|---|---|---|---|\n";
    for (size_t i = 0; i < StopSignalTable().size(); ++i) {
      const StopRow& r = StopSignalTable()[i];
      auto it = StopSeen().find({i, kStopKey});
      const std::string seen = it == StopSeen().end() ? std::string("not run") : it->second;
      ts.Add(seen, r.after_stop, r.page && *r.page != r.after_stop);
      std::string divergence;
      if (r.page) {
        divergence = std::string("the page says ") + ToString(*r.page) + ": " + r.note;
      } else if (!r.note.empty()) {
        divergence = "none (" + r.note + ")";
      }
      os << "| " << r.call << " | " << ToString(r.after_stop) << " / " << seen << " | "
         << r.man_sentence << " | " << divergence << " |\n";
    }
    os << "\nStop-signal table: " << ts.Summary() << ".\n";
    std::printf("\nEINTR table (man 7 signal):\n%s", os.str().c_str());
    if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
      std::ofstream(std::string(dir) + "/eintr_table.md") << os.str();
    }
  }
};
const auto* const kPrint = ::testing::AddGlobalTestEnvironment(new PrintTable());

}  // namespace
}  // namespace ipcspec
