// Handlers and their flags (man 2 sigaction: SA_RESETHAND, SA_SIGINFO,
// SA_NODEFER, sa_mask) for every catchable signal; rt_tgsigqueueinfo(2)
// between two threads neither of which is the main one; tgkill(2) at
// RLIMIT_SIGPENDING (issue 14).
//
// Each experiment runs in a forked child (its dispositions, mask and limits
// change; a signal sent to it cannot go to another of gtest's threads). The
// child records what it saw in shared memory and exits with 0 when every
// step ran; the parent asserts.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

// What a handler saw of its own signal, inside it.
struct Inside {
  int calls = 0;
  int siginfo_flag = -1;     // 1: the action read inside has SA_SIGINFO
  int default_handler = -1;  // 1: the action read inside is SIG_DFL
  int blocked = -1;          // 1: the signal is in the thread's mask inside
  int info_nonnull = -1;     // SA_SIGINFO handlers: 1 when siginfo is not NULL
};
Inside* g_inside = nullptr;  // the forked child's only global

void Look(int sig) {
  Inside* in = g_inside;
  struct sigaction cur;
  sigaction(sig, nullptr, &cur);
  in->siginfo_flag = (cur.sa_flags & SA_SIGINFO) ? 1 : 0;
  in->default_handler = cur.sa_handler == SIG_DFL ? 1 : 0;
  sigset_t now;
  sigprocmask(SIG_BLOCK, nullptr, &now);
  in->blocked = sigismember(&now, sig);
  ++in->calls;
}
void PlainLook(int sig) { Look(sig); }
void InfoLook(int sig, siginfo_t* si, void*) {
  g_inside->info_nonnull = si != nullptr ? 1 : 0;
  Look(sig);
}

constexpr char kResethand[] =
    "man 2 sigaction: \"SA_RESETHAND Restore the signal action to the default upon entry to "
    "the signal handler.\"";
constexpr char kBlockedInHandler[] =
    "man 2 sigaction: \"the signal which triggered the handler will be blocked, unless the "
    "SA_NODEFER flag is used\"";
constexpr char kSaMask[] =
    "man 2 sigaction: \"sa_mask specifies a mask of signals which should be blocked (i.e., "
    "added to the signal mask of the thread in which the signal handler is invoked) during "
    "execution of the signal handler.\"; SA_NODEFER: \"Do not add the signal to the thread's "
    "signal mask while the handler is executing, unless the signal is specified in "
    "act.sa_mask.\"";

// In a forked child: SIGUSR1's handler installed with `flags` (and SIGUSR1
// in its own sa_mask when `in_mask`), then raise(SIGUSR1).
void RunHandler(unsigned flags, bool in_mask, Inside* in) {
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([flags, in_mask, in]() -> int {
    g_inside = in;
    struct sigaction sa = {};
    if (flags & SA_SIGINFO) {
      sa.sa_sigaction = InfoLook;
    } else {
      sa.sa_handler = PlainLook;
    }
    sa.sa_flags = static_cast<int>(flags);
    sigemptyset(&sa.sa_mask);
    if (in_mask) sigaddset(&sa.sa_mask, SIGUSR1);
    if (sigaction(SIGUSR1, &sa, nullptr) != 0) return 2;
    raise(SIGUSR1);
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0))
      << st << " (2: sigaction): the SIGUSR1 handler did not run. man 2 sigaction: "
      << "\"sa_handler specifies the action to be associated with signum\"";
  ASSERT_EQ(in->calls, 1) << "the SIGUSR1 handler ran " << in->calls << " times";
}

// LTP's sigaction01: inside an SA_RESETHAND|SA_SIGINFO handler, the action
// read back is SIG_DFL (the reset) and still has SA_SIGINFO. Linux resets
// only the handler (kernel/signal.c, get_signal(): for SA_ONESHOT it sets
// sa_handler to SIG_DFL and leaves sa_flags); POSIX differs: for
// SA_RESETHAND "the disposition of the signal shall be reset to SIG_DFL and
// the SA_SIGINFO flag shall be cleared on entry to the signal handler"
// (POSIX.1-2017, sigaction()). man 2 sigaction says only "Restore the signal
// action to the default". Checked as Linux does it.
TEST_F(Signal, SaResethandKeepsSaSiginfoInTheActionReadInsideTheHandler) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Inside> rep, SharedObject<Inside>::Create());
  RunHandler(SA_RESETHAND | SA_SIGINFO, false, rep.get());
  if (HasFatalFailure()) return;
  EXPECT_EQ(rep->info_nonnull, 1) << "man 2 sigaction: an SA_SIGINFO handler's second "
                                     "argument is \"a pointer to a siginfo_t\"";
  EXPECT_EQ(rep->default_handler, 1)
      << "inside an SA_RESETHAND handler, sigaction(SIGUSR1, NULL, &old) did not read SIG_DFL. "
      << kResethand;
  EXPECT_EQ(rep->siginfo_flag, 1)
      << "inside an SA_RESETHAND|SA_SIGINFO handler, the action read back lost SA_SIGINFO: "
         "Linux resets the handler only (kernel/signal.c, get_signal()); POSIX clears "
         "SA_SIGINFO too. " << kResethand;
}

// LTP's sigaction01: SA_RESETHAND alone does not imply SA_NODEFER on Linux
// (POSIX: sigaction() "may behave as if the SA_NODEFER flag were also set");
// the signal is blocked while its handler runs.
TEST_F(Signal, SaResethandAloneBlocksTheSignalInItsHandler) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Inside> rep, SharedObject<Inside>::Create());
  RunHandler(SA_RESETHAND, false, rep.get());
  if (HasFatalFailure()) return;
  EXPECT_EQ(rep->default_handler, 1) << kResethand;
  EXPECT_EQ(rep->blocked, 1) << "SIGUSR1 was not blocked in its SA_RESETHAND handler (no "
                             << "SA_NODEFER). " << kBlockedInHandler;
}

// LTP's sigaction01: a signal in its own sa_mask stays blocked in its
// SA_RESETHAND handler, even with SA_NODEFER; without it in sa_mask,
// SA_NODEFER leaves it unblocked (the contrast that shows the mask is
// what blocks it).
TEST_F(Signal, ASignalInItsOwnSaMaskStaysBlockedInItsSaResethandHandler) {
  struct Case {
    unsigned flags;
    bool in_mask;
    int blocked;
    const char* name;
  };
  for (const Case& c : {Case{SA_RESETHAND | SA_SIGINFO, true, 1, "SA_RESETHAND|SA_SIGINFO"},
                        Case{SA_RESETHAND | SA_NODEFER, true, 1, "SA_RESETHAND|SA_NODEFER"},
                        Case{SA_RESETHAND | SA_NODEFER, false, 0, "SA_RESETHAND|SA_NODEFER"}}) {
    ASSERT_OK_AND_ASSIGN(SharedObject<Inside> rep, SharedObject<Inside>::Create());
    RunHandler(c.flags, c.in_mask, rep.get());
    if (HasFatalFailure()) return;
    EXPECT_EQ(rep->default_handler, 1) << c.name << ". " << kResethand;
    EXPECT_EQ(rep->blocked, c.blocked)
        << c.name << (c.in_mask ? ", SIGUSR1 in sa_mask" : ", an empty sa_mask")
        << ": SIGUSR1 " << (rep->blocked ? "was" : "was not") << " blocked in its handler. "
        << kSaMask;
  }
}

// LTP's rt_sigaction01, for every signal: a handler installed with each
// flag set runs once when the signal is raised, with its signal number.
struct EveryReport {
  int ran = 0;  // (signal, flag set) pairs whose handler ran once
  int tried = 0;
  int bad_sig = 0, bad_flags = -1, bad_calls = -1, bad_err = 0;  // the first that did not
  int counts[NSIG] = {};
  int last_signo = 0;
};
EveryReport* g_every = nullptr;
void Count(int sig) {
  ++g_every->counts[sig];
  g_every->last_signo = sig;
}
void CountInfo(int sig, siginfo_t* si, void*) {
  ++g_every->counts[sig];
  g_every->last_signo = si ? si->si_signo : -1;
}

TEST_F(Signal, AHandlerForEachSignalAndFlagSetRunsWhenTheSignalIsRaised) {
  ASSERT_OK_AND_ASSIGN(SharedObject<EveryReport> rep, SharedObject<EveryReport>::Create());
  EveryReport* r = rep.get();
  const unsigned flag_sets[] = {0, SA_RESETHAND | SA_SIGINFO, SA_RESETHAND, SA_SIGINFO,
                                SA_NODEFER};
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, &flag_sets]() -> int {
    g_every = r;
    for (unsigned flags : flag_sets) {
      for (int sig = 1; sig <= SIGRTMAX; ++sig) {
        // Not SIGKILL and SIGSTOP (no handler), nor the two NPTL keeps.
        if (sig == SIGKILL || sig == SIGSTOP || (sig >= 32 && sig < SIGRTMIN)) continue;
        ++r->tried;
        struct sigaction sa = {};
        if (flags & SA_SIGINFO) {
          sa.sa_sigaction = CountInfo;
        } else {
          sa.sa_handler = Count;
        }
        sa.sa_flags = static_cast<int>(flags);
        sigemptyset(&sa.sa_mask);
        r->counts[sig] = 0;
        r->last_signo = 0;
        int ret = sigaction(sig, &sa, nullptr);
        int err = errno;
        if (ret == 0) raise(sig);
        if (ret == 0 && r->counts[sig] == 1 && r->last_signo == sig) {
          ++r->ran;
        } else if (r->bad_sig == 0) {
          r->bad_sig = sig;
          r->bad_flags = static_cast<int>(flags);
          r->bad_calls = r->counts[sig];
          r->bad_err = ret == 0 ? 0 : err;
        }
      }
    }
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0))
      << st << ": a raised signal ended the child instead of running the handler installed "
      << "for it. man 2 sigaction: \"sa_handler specifies the action to be associated with "
      << "signum\"";
  EXPECT_EQ(r->ran, r->tried)
      << "first failure: " << SignalName(r->bad_sig) << " with sa_flags 0x" << std::hex
      << r->bad_flags << std::dec << ": sigaction " << ErrnoName(r->bad_err) << ", handler ran "
      << r->bad_calls << " times. man 2 sigaction: \"sa_handler specifies the action to be "
      << "associated with signum\"";
  EXPECT_EQ(r->tried, 5 * (SIGRTMAX - 2 - (SIGRTMIN - 32))) << "signals tried";
}

// ---------------------------------------------------------------------------
// Thread-directed signals.

pid_t Tid() { return static_cast<pid_t>(syscall(SYS_gettid)); }

struct ThreadReport {
  std::atomic<pid_t> target{0};
  long send_ret = -2;
  int send_err = 0;
  int pending_in_sender = -1;
  int pending_in_main = -1;
  int pending_in_target = -1;
  int got = -2;
  int code = 0;
  int value = 0;
  int pid = 0;
};

// LTP's rt_tgsigqueueinfo01, third case: a thread that is not the main one
// sends a real-time signal and data with rt_tgsigqueueinfo to a second
// thread that is not the main one either: only the named thread has it
// pending, and it takes it with the data. Steps: 1 the target is ready,
// 2 the sender has sent, 3 the main thread has looked, 4 the target took it.
TEST_F(Signal, RtTgsigqueueinfoFromOneNonMainThreadReachesAnotherNamedThread) {
  ASSERT_OK_AND_ASSIGN(SharedObject<ThreadReport> rep, SharedObject<ThreadReport>::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  ThreadReport* r = rep.get();
  Checkpoint* c = &cp;
  const int rt = SIGRTMIN + 4;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, c, rt]() -> int {
    sigset_t s = MakeSigset({rt});
    sigprocmask(SIG_BLOCK, &s, nullptr);  // inherited by both threads
    const Deadline d = Deadline::Default();
    std::thread target([r, c, rt, d] {
      r->target.store(Tid());
      c->Signal(1);
      if (!c->WaitFor(3, d).ok()) return;
      r->pending_in_target = IsPending(rt) ? 1 : 0;
      siginfo_t si = {};
      r->got = TakeNow({rt}, &si);
      r->code = si.si_code;
      r->value = si.si_value.sival_int;
      r->pid = si.si_pid;
      c->Signal(4);
    });
    std::thread sender([r, c, rt, d] {
      if (!c->WaitFor(1, d).ok()) return;
      siginfo_t si;
      memset(&si, 0, sizeof si);
      si.si_code = SI_QUEUE;
      si.si_pid = getpid();
      si.si_uid = getuid();
      si.si_value.sival_int = 46;
      r->send_ret = syscall(SYS_rt_tgsigqueueinfo, getpid(), r->target.load(), rt, &si);
      r->send_err = errno;
      r->pending_in_sender = IsPending(rt) ? 1 : 0;
      c->Signal(2);
    });
    int rc = c->WaitFor(2, d).ok() ? 0 : 2;
    r->pending_in_main = IsPending(rt) ? 1 : 0;
    c->Signal(3);
    if (rc == 0 && !c->WaitFor(4, d).ok()) rc = 3;
    sender.join();
    target.join();
    return rc;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: the sender, 3: the target did not finish)";
  constexpr char kTgQueue[] =
      "man 2 rt_tgsigqueueinfo: \"The rt_tgsigqueueinfo() system call is like "
      "rt_sigqueueinfo(), but sends the signal and data to the single thread specified by the "
      "combination of tgid, a thread group ID, and tid, a thread in that thread group.\"";
  EXPECT_EQ(r->send_ret, 0) << "rt_tgsigqueueinfo from a second thread to a third failed "
                            << ErrnoName(r->send_err) << ". " << kTgQueue;
  EXPECT_EQ(r->pending_in_sender, 0) << "the sending thread has the signal pending. "
                                     << kTgQueue;
  EXPECT_EQ(r->pending_in_main, 0) << "the main thread has the signal pending. " << kTgQueue;
  EXPECT_EQ(r->pending_in_target, 1) << "the named thread does not have it pending. "
                                     << kTgQueue;
  EXPECT_EQ(r->got, rt) << "the named thread could not take it. " << kTgQueue;
  EXPECT_EQ(r->code, SI_QUEUE) << "si_code as the sender set it. " << kTgQueue;
  EXPECT_EQ(r->value, 46) << "si_value as the sender set it. " << kTgQueue;
}

struct TgkillLimitReport {
  int how = 0;
  int setup_err = 0;
  int queued = -1;
  int fail_errno = 0;
};

// LTP's tgkill02: with RLIMIT_SIGPENDING at 4 (in a child with a signal
// account of its own: LimitOwnSigpending), tgkill of a blocked real-time
// signal to the calling thread queues 4 instances and the fifth fails EAGAIN.
TEST_F(Signal, TgkillOfARealTimeSignalAtRlimitSigpendingIsEagain) {
  IPCSPEC_NEEDS(Need::AnyOf({Need::SecondUid(), Need::UserNamespace()}));
  ASSERT_OK_AND_ASSIGN(SharedObject<TgkillLimitReport> rep,
                       SharedObject<TgkillLimitReport>::Create());
  TgkillLimitReport* r = rep.get();
  constexpr rlim_t kLimit = 4;
  const uid_t uid = UnusedUid();
  const int rt = SIGRTMIN + 1;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, uid, rt]() -> int {
    r->how = LimitOwnSigpending(uid, kLimit, &r->setup_err);
    if (r->how < 0) return -r->how;
    sigset_t s = MakeSigset({rt});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    const pid_t tid = Tid();
    for (r->queued = 0; r->queued < 100; ++r->queued) {
      if (syscall(SYS_tgkill, getpid(), tid, rt) != 0) {
        r->fail_errno = errno;
        break;
      }
    }
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " setup errno " << ErrnoName(r->setup_err)
                                << " (3: neither setresuid(" << uid
                                << ") nor unshare(CLONE_NEWUSER) worked, 2: setrlimit)";
  constexpr char kEagain[] =
      "man 2 tgkill: \"EAGAIN The RLIMIT_SIGPENDING resource limit was reached and sig is a "
      "real-time signal.\"";
  EXPECT_EQ(r->queued, static_cast<int>(kLimit))
      << "tgkill queued " << r->queued << " instances of a blocked real-time signal with "
      << "RLIMIT_SIGPENDING " << kLimit
      << (r->how == 1 ? " (a fresh user ID)" : " (a fresh user namespace)") << ". " << kEagain;
  EXPECT_EQ(r->fail_errno, EAGAIN) << "got " << ErrnoName(r->fail_errno) << ". " << kEagain;
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
