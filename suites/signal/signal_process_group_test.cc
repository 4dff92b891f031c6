// Signals to process groups, and the wait status of a child killed by each
// signal (issue 14): man 2 kill (pid 0 and pid < -1), man 7 signal ("Standard
// signals do not queue", real-time signals do), man 2 wait (WTERMSIG,
// WCOREDUMP), core(5).
//
// Every experiment runs in a forked child (the "caller"), which makes the
// process groups from its own children: this process's group, mask and
// dispositions never change. The caller reports in shared memory and exits
// with 0 when every step ran; the members die with it (PR_SET_PDEATHSIG).
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

constexpr char kPidZero[] =
    "man 2 kill: \"If pid equals 0, then sig is sent to every process in the process group of "
    "the calling process.\"";
constexpr char kPidMinus[] =
    "man 2 kill: \"If pid is less than -1, then sig is sent to every process in the process "
    "group whose ID is -pid.\"";

// A member of a group made by the caller: waits (with the default deadline)
// until `cp` reaches `stage`, then records whether `sig` is pending.
std::function<int()> RecordPendingAt(Checkpoint* cp, uint32_t stage, int sig, int* pending) {
  return [cp, stage, sig, pending]() -> int {
    if (!cp->WaitFor(stage, Deadline::Default()).ok()) return 1;
    *pending = IsPending(sig) ? 1 : 0;
    return 0;
  };
}

struct PidZeroReport {
  int pending[4] = {-1, -1, -1, -1};  // the caller, two members, the outsider
  int same_group[4] = {-1, -1, -1, -1};
  int kill_ret = -2;
  int kill_errno = 0;
};

// kill(0, SIGUSR1) from the leader of a new group with two members, while a
// fourth process (the caller's child too) sits in a group of its own. SIGUSR1
// is blocked in all four (inherited at fork), so its arrival shows as pending.
TEST_F(Signal, KillOfPidZeroReachesEveryProcessOfTheCallersGroupAndNoOther) {
  ASSERT_OK_AND_ASSIGN(SharedObject<PidZeroReport> rep, SharedObject<PidZeroReport>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  PidZeroReport* r = rep.get();
  Checkpoint* c = &cp;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, c]() -> int {
    if (setpgid(0, 0) != 0) return 2;
    sigset_t s = MakeSigset({SIGUSR1});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    auto m1 = Child::Fork(RecordPendingAt(c, 1, SIGUSR1, &r->pending[1]));
    auto m2 = Child::Fork(RecordPendingAt(c, 1, SIGUSR1, &r->pending[2]));
    auto out = Child::Fork(RecordPendingAt(c, 1, SIGUSR1, &r->pending[3]));
    if (!m1.ok() || !m2.ok() || !out.ok()) return 3;
    if (setpgid(out.value().pid(), out.value().pid()) != 0) return 4;
    r->same_group[0] = getpgid(0) == getpid();
    r->same_group[1] = getpgid(m1.value().pid()) == getpid();
    r->same_group[2] = getpgid(m2.value().pid()) == getpid();
    r->same_group[3] = getpgid(out.value().pid()) == getpid();
    r->kill_ret = kill(0, SIGUSR1);
    r->kill_errno = errno;
    r->pending[0] = IsPending(SIGUSR1) ? 1 : 0;
    c->Signal(1);
    const Deadline d = Deadline::Default();
    for (auto* m : {&m1, &m2, &out}) {
      auto w = m->value().Wait(d);
      if (!w.ok() || !w.value().ExitedWith(0)) return 5;
    }
    return 0;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: setpgid(0, 0), 3: fork, 4: setpgid of the "
                                << "outsider, 5: a member did not report)";
  EXPECT_EQ(r->kill_ret, 0) << "kill(0, SIGUSR1) failed " << ErrnoName(r->kill_errno) << ". "
                            << kPidZero;
  ASSERT_THAT(std::vector<int>(r->same_group, r->same_group + 4),
              ::testing::ElementsAre(1, 1, 1, 0))
      << "the groups were not made as planned (setpgid(2))";
  EXPECT_EQ(r->pending[0], 1) << "the caller itself did not get its SIGUSR1. " << kPidZero;
  EXPECT_EQ(r->pending[1], 1) << "the first member of the caller's group did not get SIGUSR1. "
                              << kPidZero;
  EXPECT_EQ(r->pending[2], 1) << "the second member of the caller's group did not get "
                              << "SIGUSR1. " << kPidZero;
  EXPECT_EQ(r->pending[3], 0) << "a process in another group got SIGUSR1. " << kPidZero;
}

struct GroupKillReport {
  int kill_ret = -2;
  int kill_errno = 0;
  int status[2] = {-1, -1};  // the two members' raw wait statuses
  int outsider_alive = -1;   // 1: the outsider was still running after both died
};

// The caller makes a group of two children (the first is its leader), keeps
// a third child in its own group, and sends `sig` to -pgid. When
// `resist` is true, the members have blocked and ignored every signal they
// can (inherited at fork).
void KillAGroup(int sig, bool resist, GroupKillReport* r, WaitStatus* caller) {
  ASSERT_OK_AND_ASSIGN(*caller, ForkAndWait([sig, resist, r]() -> int {
    if (resist) {
      struct sigaction ign = {};
      ign.sa_handler = SIG_IGN;
      // Not SIGCHLD: ignoring it would reap the members unseen (man 2 wait).
      for (int s = 1; s < NSIG; ++s) {
        if (s != SIGCHLD) sigaction(s, &ign, nullptr);  // 9, 19, 32, 33 fail: fine
      }
      sigset_t all;
      sigfillset(&all);
      sigprocmask(SIG_SETMASK, &all, nullptr);
    }
    auto waits = []() -> int {
      for (;;) pause();
    };
    auto leader = Child::Fork(waits);
    if (!leader.ok()) return 2;
    const pid_t pgid = leader.value().pid();
    if (setpgid(pgid, pgid) != 0) return 3;
    auto member = Child::Fork(waits);
    auto outsider = Child::Fork(waits);
    if (!member.ok() || !outsider.ok()) return 2;
    if (setpgid(member.value().pid(), pgid) != 0) return 3;
    r->kill_ret = kill(-pgid, sig);
    r->kill_errno = errno;
    // A failed kill leaves the members running: _exit without the Childs'
    // kill-and-wait; PR_SET_PDEATHSIG ends them.
    if (r->kill_ret != 0) _exit(4);
    const Deadline d = Deadline::Default();  // one for both
    auto a = leader.value().Wait(d);
    if (!a.ok()) _exit(5);
    auto b = member.value().Wait(d);
    if (!b.ok()) _exit(5);
    r->status[0] = a.value().raw;
    r->status[1] = b.value().raw;
    r->outsider_alive = waitpid(outsider.value().pid(), nullptr, WNOHANG) == 0 &&
                        kill(outsider.value().pid(), 0) == 0;
    return 0;
  }, OuterDeadline()));
}

// Runs KillAGroup and checks that both members were killed by `sig` and
// the outsider was not; `why` says why `sig` kills the members.
void KillAGroupAndCheck(int sig, bool resist, const std::string& why) {
  ASSERT_OK_AND_ASSIGN(SharedObject<GroupKillReport> rep,
                       SharedObject<GroupKillReport>::Create());
  WaitStatus st;
  KillAGroup(sig, resist, rep.get(), &st);
  if (::testing::Test::HasFatalFailure()) return;
  const GroupKillReport& r = *rep;
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: fork, 3: setpgid, 4: kill(-pgid, "
                                << SignalName(sig) << ") failed " << ErrnoName(r.kill_errno)
                                << ": " << kPidMinus
                                << "; 5: a member was not killed before the deadline)";
  for (int i = 0; i < 2; ++i) {
    WaitStatus m{r.status[i]};
    EXPECT_TRUE(m.KilledBy(sig)) << "group member " << i
                                 << (resist ? " (blocking and ignoring all it can)" : "") << ": "
                                 << m << ". " << kPidMinus << " " << why;
  }
  EXPECT_EQ(r.outsider_alive, 1) << "a process outside the group did not survive. " << kPidMinus;
}

// kill06: kill(-pgid, sig) with a signal whose default action is to
// terminate: both members end, killed by it; the caller's other child, in
// another group, runs on.
TEST_F(Signal, KillOfMinusPgidKillsEveryProcessOfThatGroupAndNoOther) {
  KillAGroupAndCheck(SIGTERM, false, "man 7 signal: SIGTERM's default action is Term.");
}

// kill08: SIGKILL to a process group kills each member, although every
// member blocks and ignores all the signals it can.
TEST_F(Signal, SigkillToAProcessGroupKillsEachMember) {
  KillAGroupAndCheck(SIGKILL, true,
                     "man 7 signal: \"The signals SIGKILL and SIGSTOP cannot be caught, "
                     "blocked, or ignored.\"");
}

constexpr int kPerDirection = 16;

struct BetweenGroupsReport {
  std::atomic<int> senders_done{0};
  int sent_rt[2] = {-1, -1};   // kill calls that succeeded, per sender
  int sent_std[2] = {-1, -1};
  int rt_count[4] = {-1, -1, -1, -1};  // instances taken, per member
  int std_count[4] = {-1, -1, -1, -1};
  int in_group[4] = {-1, -1, -1, -1};
  pid_t pgid[2] = {0, 0};  // group g's leader: member 2g; member 2g+1 joins it
};

// kill10, kept small: two groups of two processes; the leader of each sends
// kPerDirection instances of a real-time signal and of SIGUSR2 to the other
// group (kill(-pgid)), both at once. kPerDirection stays under the queue
// POSIX promises (_POSIX_SIGQUEUE_MAX, 32; gVisor queues no more). Every member of each group then holds
// kPerDirection instances of the real-time signal and one of SIGUSR2 (both
// blocked, inherited at fork).
TEST_F(Signal, SignalsSentBetweenProcessGroupsAllArrive) {
  ASSERT_OK_AND_ASSIGN(SharedObject<BetweenGroupsReport> rep,
                       SharedObject<BetweenGroupsReport>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  BetweenGroupsReport* r = rep.get();
  Checkpoint* c = &cp;
  const int rt = SIGRTMIN + 1;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, c, rt]() -> int {
    sigset_t s = MakeSigset({rt, SIGUSR2});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    auto member = [r, c, rt](int i) {
      return [r, c, rt, i]() -> int {
        if (!c->WaitFor(1, Deadline::Default()).ok()) return 1;
        if (i % 2 == 0) {  // a leader sends to the other group
          const pid_t to = -r->pgid[1 - i / 2];
          int rt_ok = 0, std_ok = 0;
          for (int k = 0; k < kPerDirection; ++k) {
            rt_ok += kill(to, rt) == 0;
            std_ok += kill(to, SIGUSR2) == 0;
          }
          r->sent_rt[i / 2] = rt_ok;
          r->sent_std[i / 2] = std_ok;
          if (r->senders_done.fetch_add(1) + 1 == 2) c->Signal(2);
        }
        if (!c->WaitFor(2, Deadline::Default()).ok()) return 2;
        siginfo_t si;
        int n = 0;
        while (TakeNow({rt}, &si) == rt) ++n;
        r->rt_count[i] = n;
        n = 0;
        while (TakeNow({SIGUSR2}, &si) == SIGUSR2) ++n;
        r->std_count[i] = n;
        return 0;
      };
    };
    std::vector<Child> members;
    for (int i = 0; i < 4; ++i) {
      auto m = Child::Fork(member(i));
      if (!m.ok()) return 3;
      members.push_back(std::move(m.value()));
      const pid_t pid = members.back().pid();
      if (i % 2 == 0) r->pgid[i / 2] = pid;
      if (setpgid(pid, r->pgid[i / 2]) != 0) return 4;
      r->in_group[i] = getpgid(members.back().pid());
    }
    c->Signal(1);
    const Deadline d = Deadline::Default();
    for (Child& m : members) {
      auto w = m.Wait(d);
      if (!w.ok() || !w.value().ExitedWith(0)) _exit(5);
    }
    return 0;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (3: fork, 4: setpgid, 5: a member did not report)";
  EXPECT_TRUE(r->in_group[0] == r->in_group[1] && r->in_group[2] == r->in_group[3] &&
              r->in_group[0] != r->in_group[2])
      << "the groups were not made as planned (setpgid(2))";
  for (int g = 0; g < 2; ++g) {
    EXPECT_EQ(r->sent_rt[g], kPerDirection) << "kill(-pgid, SIGRTMIN+1) failed. " << kPidMinus;
    EXPECT_EQ(r->sent_std[g], kPerDirection) << "kill(-pgid, SIGUSR2) failed. " << kPidMinus;
  }
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(r->rt_count[i], kPerDirection)
        << "member " << i << " of group " << i / 2 << " holds " << r->rt_count[i]
        << " instances of the real-time signal the other group sent " << kPerDirection
        << " times. " << kPidMinus << " man 7 signal: \"Multiple instances of real-time "
        << "signals can be queued.\"";
    EXPECT_EQ(r->std_count[i], 1)
        << "member " << i << " holds " << r->std_count[i] << " instances of SIGUSR2, sent "
        << kPerDirection << " times while blocked. man 7 signal: \"Standard signals do not "
        << "queue. If multiple instances of a standard signal are generated while that signal "
        << "is blocked, then only one instance of the signal is marked as pending\"";
  }
}

// kill11: the signals whose default action (man 7 signal, "Standard
// signals") is Term or Core. Core: "Default action is to terminate the
// process and dump core (see core(5))".
struct Fatal {
  int sig;
  bool core;
};
constexpr Fatal kFatal[] = {
    {SIGHUP, false},  {SIGINT, false},  {SIGQUIT, true},   {SIGILL, true},    {SIGTRAP, true},
    {SIGABRT, true},  {SIGBUS, true},   {SIGFPE, true},    {SIGKILL, false},  {SIGUSR1, false},
    {SIGSEGV, true},  {SIGUSR2, false}, {SIGPIPE, false},  {SIGALRM, false},  {SIGTERM, false},
    {SIGSTKFLT, false}, {SIGXCPU, true}, {SIGXFSZ, true},  {SIGVTALRM, false}, {SIGPROF, false},
    {SIGIO, false},   {SIGPWR, false},  {SIGSYS, true},
};

// Where a core dump would go: core_pattern (core(5), "Naming of core dump
// files"). A plain name with no '/' and no '|' is a file in the dumping
// process's working directory; only then are cores let through (into a
// directory of the test's own, removed afterwards).
std::string CorePattern() {
  int fd = open("/proc/sys/kernel/core_pattern", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return "";
  char buf[256] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  close(fd);
  std::string p(buf, n > 0 ? static_cast<size_t>(n) : 0);
  while (!p.empty() && p.back() == '\n') p.pop_back();
  return p;
}

// Forks a child that dies of `sig` sent by kill(2) to itself. With `cores`,
// its soft RLIMIT_CORE is its hard one and it runs in `dir` (one per child:
// two cores written at once to one name clash) with an empty
// coredump_filter (core(5): "Controlling which mappings are written to the
// core dump"; the core is a few kilobytes); without, RLIMIT_CORE is 0 and
// the process is not dumpable (prctl(2) PR_SET_DUMPABLE), so no core and no
// core-dump helper ever comes of it.
PosixErrorOr<Child> DieOf(int sig, bool cores, const std::string& dir) {
  return Child::Fork([sig, cores, dir]() -> int {
    struct rlimit rl = {};
    getrlimit(RLIMIT_CORE, &rl);
    rl.rlim_cur = cores ? rl.rlim_max : 0;
    if (setrlimit(RLIMIT_CORE, &rl) != 0) return 2;
    if (prctl(PR_SET_DUMPABLE, cores ? 1 : 0, 0, 0, 0) != 0) return 3;
    if (cores) {
      if (chdir(dir.c_str()) != 0) return 4;
      int fd = open("/proc/self/coredump_filter", O_WRONLY | O_CLOEXEC);
      if (fd >= 0) {
        (void)!write(fd, "0", 1);
        close(fd);
      }
    }
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigaction(sig, &dfl, nullptr);
    sigset_t one = MakeSigset({sig});
    sigprocmask(SIG_UNBLOCK, &one, nullptr);
    kill(getpid(), sig);
    return 5;  // not killed
  });
}

constexpr char kTermsig[] =
    "man 2 wait: \"WTERMSIG(wstatus) returns the number of the signal that caused the child "
    "process to terminate.\"";
constexpr char kCoredump[] =
    "man 2 wait: \"WCOREDUMP(wstatus) returns true if the child produced a core dump\"";

TEST_F(Signal, AChildKilledByASignalReportsItAndTheCoreDumpBitToWait) {
  std::vector<Fatal> cases(std::begin(kFatal), std::end(kFatal));
  // Real-time signals: man 7 signal, "The default action for an unhandled
  // real-time signal is to terminate the receiving process."
  // Three of them: the lowest, one between, the highest.
  for (int sig : {SIGRTMIN, SIGRTMIN + 5, SIGRTMAX}) cases.push_back({sig, false});

  const std::string pattern = CorePattern();
  struct rlimit rl = {};
  ASSERT_THAT(getrlimit(RLIMIT_CORE, &rl), SyscallSucceeds());
  bool cores = !pattern.empty() && pattern.find('/') == std::string::npos &&
               pattern.find('|') == std::string::npos &&
               (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= (1 << 20));
  std::string dir;
  if (cores) {
    const char* tmp = getenv("TEST_TMPDIR");
    std::string templ = std::string(tmp && *tmp ? tmp : "/tmp") + "/ipcspec-core.XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    if (mkdtemp(buf.data()) != nullptr) {
      dir = buf.data();
    } else {
      cores = false;
    }
  }
  if (!cores) {
    RecordProperty("core_dumps",
                   "not written: core_pattern \"" + pattern +
                       "\" is not a plain file name in the working directory, RLIMIT_CORE's "
                       "hard limit is under 1 MiB, or no directory could be made for them; "
                       "only the no-core half (RLIMIT_CORE 0) is checked");
  }
  // Removes the cores and the directories, whatever happens.
  struct RemoveDir {
    std::string dir;
    static void Remove(const std::string& path, int depth) {
      if (DIR* d = opendir(path.c_str())) {
        while (struct dirent* e = readdir(d)) {
          if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
          const std::string sub = path + "/" + e->d_name;
          if (e->d_type == DT_DIR && depth > 0) {
            Remove(sub, depth - 1);
          } else {
            unlink(sub.c_str());
          }
        }
        closedir(d);
      }
      rmdir(path.c_str());
    }
    ~RemoveDir() {
      if (!dir.empty()) Remove(dir, 1);
    }
  } remove{dir};

  // All the children first, then their statuses: they die side by side.
  struct Death {
    Fatal f;
    bool cores;
    Child child;
  };
  std::vector<Death> deaths;
  // Without a core: every signal where cores cannot be let through, else
  // two of the Core ones (the bit is not set for the others either way).
  auto without_core = [cores](const Fatal& f) {
    return !cores || f.sig == SIGQUIT || f.sig == SIGSEGV;
  };
  for (const Fatal& f : cases) {
    for (bool with_cores : {true, false}) {
      if (with_cores ? !cores : !without_core(f)) continue;
      const std::string own = dir + "/" + std::to_string(f.sig);
      if (with_cores) {
        ASSERT_THAT(mkdir(own.c_str(), 0700), SyscallSucceeds()) << own;
      }
      ASSERT_OK_AND_ASSIGN(Child child, DieOf(f.sig, with_cores, own));
      deaths.push_back({f, with_cores, std::move(child)});
    }
  }
  for (Death& d : deaths) {
    const Fatal& f = d.f;
    ASSERT_OK_AND_ASSIGN(WaitStatus st, d.child.Wait());
    EXPECT_TRUE(st.KilledBy(f.sig)) << SignalName(f.sig) << ": " << st << ". " << kTermsig;
    if (d.cores) {
      EXPECT_EQ(st.signaled() && WCOREDUMP(st.raw), f.core)
          << SignalName(f.sig) << " with RLIMIT_CORE at its hard limit and a writable working "
          << "directory: " << st << ". " << kCoredump << "; man 7 signal: its default action is "
          << (f.core ? "Core" : "Term");
    } else {
      EXPECT_FALSE(st.signaled() && WCOREDUMP(st.raw))
          << SignalName(f.sig) << " with RLIMIT_CORE 0 in a process that is not dumpable: "
          << st << ". core(5): no core dump is produced when \"The RLIMIT_CORE (core file size) "
          << "or RLIMIT_FSIZE (file size) resource limits for the process are set to zero\"; "
          << kCoredump;
    }
  }
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
