// Documented signal semantics, on raw system calls: coalescing and queueing,
// delivery order, masks and pending sets, sigtimedwait(2) and signalfd(2),
// SIGKILL and SIGSTOP, SIGCHLD and wait statuses, RLIMIT_SIGPENDING, kill(2)
// errors. Each test cites the man page sentence it checks.
//
// Tests that change this process's signal state do it under a
// ScopedSignals guard (mask and dispositions saved, pending instances taken,
// everything restored), and the fixture fails a test that leaves anything
// changed. Experiments that need a whole process's signal state (blocking
// everything, ignoring everything, changing the user ID or a resource limit)
// run in a forked child that reports through its exit code or shared memory.
// The Watchdog's signal (SIGRTMAX) is never used.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <climits>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_snapshot.h"

namespace ipcspec {
namespace {

class Signal : public SignalStateChecked<::testing::Test> {};

// Saves the state of `signals`, blocks them; restores everything (taking
// what is still pending) at scope exit.
class ScopedSignals {
 public:
  explicit ScopedSignals(std::vector<int> signals, bool block = true) : guard_(signals) {
    if (block) {
      sigset_t s = MakeSigset(signals);
      sigprocmask(SIG_BLOCK, &s, nullptr);
    }
  }

 private:
  SignalStateGuard guard_;
};

// sigtimedwait on `signals` with a zero timeout.
int TakeNow(const std::vector<int>& signals, siginfo_t* si) {
  sigset_t s = MakeSigset(signals);
  struct timespec zero = {0, 0};
  return sigtimedwait(&s, si, &zero);
}

bool IsPending(int sig) {
  sigset_t p;
  sigpending(&p);
  return sigismember(&p, sig) == 1;
}

int Queue(pid_t pid, int sig, int value) {
  union sigval v = {};
  v.sival_int = value;
  return sigqueue(pid, sig, v);
}

// A relative timespec for the time left before `d`.
struct timespec Left(const Deadline& d) { return d.RemainingTimespec(); }

// Records what a SA_SIGINFO handler saw, in order.
struct Seen {
  int signo;
  int code;
  int value;
};
constexpr int kMaxSeen = 64;
Seen g_seen[kMaxSeen];
volatile sig_atomic_t g_seen_count = 0;

void Recorder(int sig, siginfo_t* si, void*) {
  int n = g_seen_count;
  if (n < kMaxSeen) g_seen[n] = Seen{sig, si->si_code, si->si_value.sival_int};
  g_seen_count = n + 1;
}

void InstallRecorder(int sig) {
  g_seen_count = 0;
  struct sigaction sa = {};
  sa.sa_sigaction = Recorder;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

// SIGCHLD set to its default action (without SA_NOCLDSTOP) and blocked, so
// that the tests take each notification with sigtimedwait.
class ScopedSigchld {
 public:
  ScopedSigchld() : guard_({SIGCHLD}) {
    struct sigaction sa = {};
    sa.sa_handler = SIG_DFL;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGCHLD, &sa, nullptr);
    sigset_t s = MakeSigset({SIGCHLD});
    sigprocmask(SIG_BLOCK, &s, nullptr);
  }
  // The next SIGCHLD, waiting up to the default deadline.
  PosixErrorOr<siginfo_t> Next() {
    sigset_t s = MakeSigset({SIGCHLD});
    siginfo_t si = {};
    Deadline d = Deadline::Default();
    for (;;) {
      struct timespec left = Left(d);
      int r = sigtimedwait(&s, &si, &left);
      if (r == SIGCHLD) return si;
      if (r < 0 && errno == EINTR) continue;
      return ErrnoError("sigtimedwait(SIGCHLD, default deadline)");
    }
  }

 private:
  SignalStateGuard guard_;
};

// ---------------------------------------------------------------------------
// Queueing and order.

// man 7 signal, "Queueing and delivery semantics for standard signals":
// "Standard signals do not queue. If multiple instances of a standard signal
// are generated while that signal is blocked, then only one instance of the
// signal is marked as pending ... In the case where a standard signal is
// already pending, the siginfo_t structure ... associated with that signal is
// not overwritten on arrival of subsequent instances of the same signal.
// Thus, the process will receive the information associated with the first
// instance of the signal."
TEST_F(Signal, StandardSignalsCoalesceKeepingTheFirstInfo) {
  ScopedSignals s({SIGUSR1});
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 11), SyscallSucceeds());
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 33), SyscallSucceeds());
  EXPECT_TRUE(IsPending(SIGUSR1)) << "man 2 sigpending: a blocked signal raised is pending";
  siginfo_t si = {};
  ASSERT_THAT(TakeNow({SIGUSR1}, &si), SyscallSucceedsWithValue(SIGUSR1))
      << "the pending SIGUSR1 was not taken (man 2 sigtimedwait, man 7 signal)";
  EXPECT_EQ(si.si_code, SI_QUEUE)
      << "the first instance was sent with sigqueue(3); man 7 signal: \"the process will receive "
         "the information associated with the first instance of the signal.\"";
  EXPECT_EQ(si.si_value.sival_int, 11)
      << "man 7 signal: \"the process will receive the information associated with the first "
         "instance of the signal.\"";
  EXPECT_THAT(TakeNow({SIGUSR1}, &si), SyscallFailsWithErrno(EAGAIN))
      << "three instances of a blocked standard signal left more than one pending; man 7 "
         "signal: \"Standard signals do not queue. If multiple instances of a standard signal "
         "are generated while that signal is blocked, then only one instance of the signal is "
         "marked as pending\"";
}

// man 7 signal: "(and the signal will be delivered just once when it is
// unblocked)".
TEST_F(Signal, BlockedStandardSignalIsDeliveredOnceOnUnblock) {
  ScopedSignals s({SIGUSR2});
  InstallRecorder(SIGUSR2);
  for (int i = 0; i < 3; ++i) ASSERT_THAT(Queue(getpid(), SIGUSR2, i), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 0) << "a blocked signal was delivered (man 7 signal: \"A signal may be "
                                "blocked, which means that it will not be delivered until it is "
                                "later unblocked.\")";
  sigset_t u = MakeSigset({SIGUSR2});
  ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &u, nullptr), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 1)
      << "man 7 signal: \"the signal will be delivered just once when it is unblocked\"";
  EXPECT_EQ(g_seen[0].value, 0) << "the first instance's siginfo (man 7 signal)";
}

// man 7 signal, "Real-time signals": "Multiple instances of real-time signals
// can be queued." / "If the signal is sent using sigqueue(3), an accompanying
// value (either an integer or a pointer) can be sent with the signal." /
// "Multiple real-time signals of the same type are delivered in the order
// they were sent." / "the si_pid and si_uid fields of this structure can be
// used to obtain the PID and real user ID of the process sending the signal."
TEST_F(Signal, RealTimeSignalsQueueInOrderWithTheirValues) {
  const int sig = SIGRTMIN + 1;
  ScopedSignals s({sig});
  std::vector<int> codes, values;
  for (int i = 0; i < 6; ++i) {
    if (i == 3) {
      ASSERT_THAT(kill(getpid(), sig), SyscallSucceeds());
      codes.push_back(SI_USER);
      values.push_back(0);
    } else {
      ASSERT_THAT(Queue(getpid(), sig, 100 + i), SyscallSucceeds());
      codes.push_back(SI_QUEUE);
      values.push_back(100 + i);
    }
  }
  for (size_t i = 0; i < codes.size(); ++i) {
    siginfo_t si = {};
    ASSERT_THAT(TakeNow({sig}, &si), SyscallSucceedsWithValue(sig))
        << "instance " << i << " of 6 is missing; man 7 signal: \"Multiple instances of "
        << "real-time signals can be queued.\"";
    EXPECT_EQ(si.si_code, codes[i]) << "instance " << i << ": man 2 sigaction: si_code SI_USER "
                                    << "for kill(2), SI_QUEUE for sigqueue(3)";
    if (codes[i] == SI_QUEUE) {
      EXPECT_EQ(si.si_value.sival_int, values[i])
          << "instance " << i << "; man 7 signal: \"Multiple real-time signals of the same type "
          << "are delivered in the order they were sent.\"";
    }
    EXPECT_EQ(si.si_pid, getpid()) << "man 7 signal: si_pid is \"the PID ... of the process "
                                      "sending the signal\"";
    EXPECT_EQ(si.si_uid, getuid()) << "man 7 signal: si_uid is the sender's \"real user ID\"";
  }
  siginfo_t si = {};
  EXPECT_THAT(TakeNow({sig}, &si), SyscallFailsWithErrno(EAGAIN)) << "more instances than sent";
}

// man 7 signal: "If different real-time signals are sent to a process, they
// are delivered starting with the lowest-numbered signal. (I.e., low-numbered
// signals have highest priority.)"
TEST_F(Signal, LowestNumberedRealTimeSignalFirst) {
  const std::vector<int> sigs = {SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3};
  ScopedSignals s(sigs);
  // Sent highest first; SIGRTMIN+1 twice.
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 3, 3), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 1, 1), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 2, 2), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 1, 11), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN, 0), SyscallSucceeds());
  const std::vector<std::pair<int, int>> want = {
      {SIGRTMIN, 0}, {SIGRTMIN + 1, 1}, {SIGRTMIN + 1, 11}, {SIGRTMIN + 2, 2}, {SIGRTMIN + 3, 3}};
  for (const auto& [sig, value] : want) {
    siginfo_t si = {};
    ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceeds());
    EXPECT_EQ(si.si_signo, sig) << "got " << SignalName(si.si_signo) << " before "
                                << SignalName(sig) << "; man 7 signal: \"they are delivered "
                                << "starting with the lowest-numbered signal\"";
    EXPECT_EQ(si.si_value.sival_int, value)
        << SignalName(sig) << "; man 7 signal: \"Multiple real-time signals of the same type "
        << "are delivered in the order they were sent.\"";
  }
}

// man 7 signal: "If both standard and real-time signals are pending for a
// process, POSIX leaves it unspecified which is delivered first. Linux, like
// many other implementations, gives priority to standard signals in this
// case." (Linux behaviour: POSIX leaves it open.)
TEST_F(Signal, StandardSignalsBeforeRealTimeOnLinux) {
  const std::vector<int> sigs = {SIGUSR2, SIGRTMIN};
  ScopedSignals s(sigs);
  ASSERT_THAT(Queue(getpid(), SIGRTMIN, 1), SyscallSucceeds());
  ASSERT_THAT(kill(getpid(), SIGUSR2), SyscallSucceeds());
  siginfo_t si = {};
  ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceeds());
  EXPECT_EQ(si.si_signo, SIGUSR2)
      << "man 7 signal: \"Linux, like many other implementations, gives priority to standard "
         "signals in this case.\"";
  ASSERT_THAT(TakeNow(sigs, &si), SyscallSucceedsWithValue(SIGRTMIN))
      << "the real-time signal after the standard one (man 7 signal, \"Real-time signals\")";
}

// Several real-time instances queued while blocked are all delivered when
// the signal is unblocked, in order (man 7 signal, "Real-time signals"), and
// the handler gets each value (man 3 sigqueue: "If the receiving process has
// installed a handler for this signal using the SA_SIGINFO flag to
// sigaction(2), then it can obtain this data via the si_value field ... the
// si_code field of that structure will be set to SI_QUEUE.").
TEST_F(Signal, QueuedRealTimeSignalsAllReachTheHandlerOnUnblock) {
  const int sig = SIGRTMIN + 2;
  ScopedSignals s({sig});
  InstallRecorder(sig);
  for (int i = 0; i < 4; ++i) ASSERT_THAT(Queue(getpid(), sig, 40 + i), SyscallSucceeds());
  EXPECT_EQ(g_seen_count, 0) << "delivered while blocked (man 7 signal)";
  sigset_t u = MakeSigset({sig});
  ASSERT_THAT(sigprocmask(SIG_UNBLOCK, &u, nullptr), SyscallSucceeds());
  ASSERT_EQ(g_seen_count, 4) << "man 7 signal: \"Multiple instances of real-time signals can be "
                                "queued.\"";
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(g_seen[i].code, SI_QUEUE) << "man 3 sigqueue: si_code \"will be set to SI_QUEUE\"";
    EXPECT_EQ(g_seen[i].value, 40 + i) << "delivery " << i << "; man 7 signal: \"delivered in "
                                       << "the order they were sent\"";
  }
}

// ---------------------------------------------------------------------------
// Masks and pending sets.

// man 2 sigpending: "sigpending() returns the set of signals that are pending
// for delivery to the calling thread (i.e., the signals which have been raised
// while blocked)."
TEST_F(Signal, SigpendingShowsABlockedPendingSignal) {
  ScopedSignals s({SIGUSR2, SIGRTMIN + 3});
  EXPECT_FALSE(IsPending(SIGUSR2)) << "pending before it was raised (man 2 sigpending)";
  ASSERT_THAT(kill(getpid(), SIGUSR2), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN + 3, 5), SyscallSucceeds());
  EXPECT_TRUE(IsPending(SIGUSR2)) << "man 2 sigpending: \"the signals which have been raised "
                                     "while blocked\"";
  EXPECT_TRUE(IsPending(SIGRTMIN + 3)) << "man 2 sigpending";
  siginfo_t si = {};
  ASSERT_THAT(TakeNow({SIGUSR2}, &si), SyscallSucceedsWithValue(SIGUSR2))
      << "man 2 sigtimedwait: a pending signal in set is returned at once";
  EXPECT_FALSE(IsPending(SIGUSR2))
      << "man 2 sigtimedwait: \"sigwaitinfo() removes the signal from the set of pending "
         "signals\"";
  EXPECT_TRUE(IsPending(SIGRTMIN + 3)) << "taking one signal took another";
}

// man 2 sigprocmask: SIG_BLOCK "The set of blocked signals is the union of the
// current set and the set argument." / SIG_UNBLOCK "The signals in set are
// removed from the current set of blocked signals. It is permissible to
// attempt to unblock a signal which is not blocked." / SIG_SETMASK "The set
// of blocked signals is set to the argument set." / "If oldset is non-NULL,
// the previous value of the signal mask is stored in oldset." / "If set is
// NULL, then the signal mask is unchanged (i.e., how is ignored), but the
// current value of the signal mask is nevertheless returned in oldset" /
// "EINVAL Either the value specified in how was invalid". Run in a child,
// whose whole mask the test may set.
TEST_F(Signal, SigprocmaskHowAndOldset) {
  static const char* const kChecks[] = {
      "SIG_SETMASK to the empty set failed",
      "SIG_BLOCK {SIGUSR1} did not give exactly {SIGUSR1} (union with the empty set)",
      "SIG_BLOCK {SIGUSR2} did not give the union {SIGUSR1, SIGUSR2}",
      "oldset of SIG_BLOCK {SIGUSR2} was not the previous mask {SIGUSR1}",
      "SIG_UNBLOCK {SIGUSR1, SIGRTMIN} (SIGRTMIN not blocked) did not give {SIGUSR2}",
      "SIG_SETMASK {SIGRTMIN} did not set the mask to exactly {SIGRTMIN}",
      "set NULL with an invalid how changed the mask or did not return it in oldset",
      "an invalid how did not fail EINVAL",
      "an invalid how changed the mask",
  };
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([]() -> int {
    auto mask_is = [](std::vector<int> want) {
      sigset_t now;
      sigprocmask(SIG_BLOCK, nullptr, &now);
      return SigsetMembers(now) == want;
    };
    sigset_t empty, s1, s2, s1rt, rt, old;
    sigemptyset(&empty);
    s1 = MakeSigset({SIGUSR1});
    s2 = MakeSigset({SIGUSR2});
    s1rt = MakeSigset({SIGUSR1, SIGRTMIN});
    rt = MakeSigset({SIGRTMIN});
    if (sigprocmask(SIG_SETMASK, &empty, nullptr) != 0) return 1;
    if (sigprocmask(SIG_BLOCK, &s1, nullptr) != 0 || !mask_is({SIGUSR1})) return 2;
    if (sigprocmask(SIG_BLOCK, &s2, &old) != 0 || !mask_is({SIGUSR1, SIGUSR2})) return 3;
    if (SigsetMembers(old) != std::vector<int>{SIGUSR1}) return 4;
    if (sigprocmask(SIG_UNBLOCK, &s1rt, nullptr) != 0 || !mask_is({SIGUSR2})) return 5;
    if (sigprocmask(SIG_SETMASK, &rt, nullptr) != 0 || !mask_is({SIGRTMIN})) return 6;
    sigemptyset(&old);
    if (sigprocmask(12345, nullptr, &old) != 0 || SigsetMembers(old) != std::vector<int>{SIGRTMIN}
        || !mask_is({SIGRTMIN})) {
      return 7;
    }
    if (sigprocmask(12345, &s1, nullptr) != -1 || errno != EINVAL) return 8;
    if (!mask_is({SIGRTMIN})) return 9;
    return 0;
  }));
  ASSERT_TRUE(st.exited()) << st;
  EXPECT_EQ(st.exit_code(), 0) << (st.exit_code() >= 1 && st.exit_code() <= 9
                                       ? kChecks[st.exit_code() - 1]
                                       : "the child failed")
                               << " (man 2 sigprocmask, DESCRIPTION and ERRORS)";
}

// man 2 sigprocmask, NOTES: "It is not possible to block SIGKILL or SIGSTOP.
// Attempts to do so are silently ignored." Run in a child.
TEST_F(Signal, SigprocmaskSilentlyIgnoresSigkillAndSigstop) {
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([]() -> int {
    sigset_t s = MakeSigset({SIGKILL, SIGSTOP, SIGUSR1}), now;
    if (sigprocmask(SIG_BLOCK, &s, nullptr) != 0) return 1;  // silently: no error
    sigprocmask(SIG_BLOCK, nullptr, &now);
    if (sigismember(&now, SIGKILL) || sigismember(&now, SIGSTOP)) return 2;
    if (!sigismember(&now, SIGUSR1)) return 3;
    sigset_t all;
    sigfillset(&all);
    if (sigprocmask(SIG_SETMASK, &all, nullptr) != 0) return 4;
    sigprocmask(SIG_BLOCK, nullptr, &now);
    if (sigismember(&now, SIGKILL) || sigismember(&now, SIGSTOP)) return 5;
    return 0;
  }));
  EXPECT_TRUE(st.ExitedWith(0))
      << st << " (1: blocking them failed instead of being ignored; 2, 5: the mask holds SIGKILL "
      << "or SIGSTOP; 3: SIGUSR1 was not blocked along with them). man 2 sigprocmask: \"It is "
      << "not possible to block SIGKILL or SIGSTOP. Attempts to do so are silently ignored.\"";
}

// man 7 signal, "Signal mask and pending signals": "A child created via
// fork(2) inherits a copy of its parent's signal mask" / "A child created via
// fork(2) initially has an empty pending signal set".
TEST_F(Signal, ForkedChildInheritsTheMaskButNotThePendingSet) {
  ScopedSignals s({SIGUSR1, SIGRTMIN});
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  ASSERT_THAT(Queue(getpid(), SIGRTMIN, 1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([]() -> int {
    sigset_t now, pend;
    sigprocmask(SIG_BLOCK, nullptr, &now);
    if (!sigismember(&now, SIGUSR1) || !sigismember(&now, SIGRTMIN)) return 1;
    sigpending(&pend);
    if (sigismember(&pend, SIGUSR1) || sigismember(&pend, SIGRTMIN)) return 2;
    return 0;
  }));
  EXPECT_FALSE(st.ExitedWith(1)) << "man 7 signal: \"A child created via fork(2) inherits a "
                                    "copy of its parent's signal mask\"";
  EXPECT_FALSE(st.ExitedWith(2)) << "man 7 signal: \"A child created via fork(2) initially has "
                                    "an empty pending signal set\"";
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(IsPending(SIGUSR1) && IsPending(SIGRTMIN)) << "the parent's pending signals";
}

// ---------------------------------------------------------------------------
// SIGKILL and SIGSTOP.

// man 2 sigaction: "signum specifies the signal and can be any valid signal
// except SIGKILL and SIGSTOP." / "EINVAL An invalid signal was specified.
// This will also be generated if an attempt is made to change the action for
// SIGKILL or SIGSTOP, which cannot be caught or ignored." Reading their
// action (act NULL) is not a change, and Linux allows it.
TEST_F(Signal, SigactionCannotChangeSigkillOrSigstop) {
  struct sigaction catch_it = {};
  catch_it.sa_sigaction = Recorder;
  catch_it.sa_flags = SA_SIGINFO;
  struct sigaction ignore = {};
  ignore.sa_handler = SIG_IGN;
  struct sigaction dfl = {};
  dfl.sa_handler = SIG_DFL;
  for (int sig : {SIGKILL, SIGSTOP}) {
    EXPECT_THAT(sigaction(sig, &catch_it, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " caught; man 2 sigaction: \"EINVAL ... an attempt is made to "
        << "change the action for SIGKILL or SIGSTOP, which cannot be caught or ignored.\"";
    EXPECT_THAT(sigaction(sig, &ignore, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " ignored; man 2 sigaction (EINVAL)";
    EXPECT_THAT(sigaction(sig, &dfl, nullptr), SyscallFailsWithErrno(EINVAL))
        << SignalName(sig) << " set to SIG_DFL is still a change; man 2 sigaction (EINVAL)";
    struct sigaction now = {};
    EXPECT_THAT(sigaction(sig, nullptr, &now), SyscallSucceeds())
        << "reading " << SignalName(sig) << "'s action (Linux)";
    EXPECT_EQ(now.sa_handler, SIG_DFL) << SignalName(sig) << " has a disposition other than "
                                       << "SIG_DFL (man 7 signal: they \"cannot be caught, "
                                       << "blocked, or ignored\")";
  }
  errno = 0;
  EXPECT_EQ(signal(SIGKILL, SIG_IGN), SIG_ERR) << "man 7 signal: \"The signals SIGKILL and "
                                                  "SIGSTOP cannot be caught, blocked, or "
                                                  "ignored.\"";
  EXPECT_EQ(errno, EINVAL) << "signal(SIGKILL, SIG_IGN): man 2 sigaction (EINVAL)";
  for (int bad : {0, NSIG, -1}) {
    EXPECT_THAT(sigaction(bad, &ignore, nullptr), SyscallFailsWithErrno(EINVAL))
        << "signal " << bad << "; man 2 sigaction: \"EINVAL An invalid signal was specified.\"";
  }
}

// man 7 signal: "The signals SIGKILL and SIGSTOP cannot be caught, blocked, or
// ignored." A child blocks and ignores every signal it can; SIGTERM does not
// end it, SIGSTOP stops it, SIGCONT continues it, SIGKILL kills it. The parent
// follows each step through SIGCHLD (man 2 sigaction: without SA_NOCLDSTOP
// the parent is told when children "stop ... or resume"; si_code CLD_STOPPED,
// CLD_CONTINUED, CLD_KILLED) and waitid(2).
TEST_F(Signal, SigkillAndSigstopOverrideMaskAndDisposition) {
  ScopedSigchld chld;
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([]() -> int {
    struct sigaction ign = {};
    ign.sa_handler = SIG_IGN;
    for (int sig = 1; sig < NSIG; ++sig) sigaction(sig, &ign, nullptr);  // 9, 19 fail: fine
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, nullptr);
    for (;;) pause();
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked;
  ASSERT_THAT(kill(child.pid(), SIGTERM), SyscallSucceeds());
  blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked << " (SIGTERM, blocked and ignored, ended the child)";

  ASSERT_THAT(kill(child.pid(), SIGSTOP), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t stopped, chld.Next());
  EXPECT_EQ(stopped.si_code, CLD_STOPPED)
      << "a child that blocks and ignores everything was not stopped by SIGSTOP: man 7 signal: "
         "\"The signals SIGKILL and SIGSTOP cannot be caught, blocked, or ignored.\"";
  EXPECT_EQ(stopped.si_pid, child.pid())
      << "man 2 sigaction: for SIGCHLD \"si_pid is the process ID of the child\"";
  EXPECT_EQ(stopped.si_status, SIGSTOP) << "man 2 sigaction: si_status holds \"the signal number "
                                           "that caused the process to change state\"";
  siginfo_t w = {};
  ASSERT_THAT(waitid(P_PID, static_cast<id_t>(child.pid()), &w, WSTOPPED | WNOHANG),
              SyscallSucceeds());
  EXPECT_EQ(w.si_code, CLD_STOPPED) << "man 2 wait: waitid WSTOPPED reports CLD_STOPPED";
  EXPECT_EQ(w.si_status, SIGSTOP)
      << "man 2 wait: waitid si_status is \"the signal that caused the child to terminate, "
         "stop, or continue\"";

  ASSERT_THAT(kill(child.pid(), SIGCONT), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t continued, chld.Next());
  EXPECT_EQ(continued.si_code, CLD_CONTINUED)
      << "man 2 sigaction: without SA_NOCLDSTOP the parent is notified when children \"resume "
         "(i.e., they receive SIGCONT)\"";

  ASSERT_THAT(kill(child.pid(), SIGKILL), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t killed, chld.Next());
  EXPECT_EQ(killed.si_code, CLD_KILLED) << "man 2 sigaction: CLD_KILLED \"Child was killed.\"";
  EXPECT_EQ(killed.si_status, SIGKILL)
      << "man 2 sigaction: si_status holds \"the signal number that caused the process to "
         "change state\"";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.KilledBy(SIGKILL))
      << st << "; man 7 signal: SIGKILL cannot be \"caught, blocked, or ignored\"; man 2 wait: "
      << "WIFSIGNALED, WTERMSIG";
}

// ---------------------------------------------------------------------------
// SIGCHLD and wait statuses.

// man 2 sigaction: for SIGCHLD "si_pid is the process ID of the child; si_uid
// is the child's real user ID. The si_status field contains the exit status
// of the child (if si_code is CLD_EXITED), or the signal number that caused
// the process to change state." / man 2 wait: "WIFEXITED(wstatus) returns
// true if the child terminated normally" / "WEXITSTATUS(wstatus) ... This
// consists of the least significant 8 bits of the status argument that the
// child specified in a call to exit(3) or _exit(2)" / "WIFSIGNALED(wstatus)
// returns true if the child process was terminated by a signal." /
// "WTERMSIG(wstatus) returns the number of the signal that caused the child
// process to terminate." (WCOREDUMP is left aside: no core dumps here.)
TEST_F(Signal, SigchldAndWaitStatusOnExit) {
  ScopedSigchld chld;
  struct Case {
    int code;      // passed to _exit
    int expected;  // its low 8 bits
  };
  for (Case c : {Case{0, 0}, Case{42, 42}, Case{256 + 7, 7}}) {
    ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([c]() -> int { return c.code; }));
    const pid_t pid = child.pid();
    ASSERT_OK_AND_ASSIGN(siginfo_t si, chld.Next());
    EXPECT_EQ(si.si_code, CLD_EXITED) << "man 2 sigaction: CLD_EXITED \"Child has exited.\"";
    EXPECT_EQ(si.si_pid, pid) << "man 2 sigaction: \"si_pid is the process ID of the child\"";
    EXPECT_EQ(si.si_uid, getuid()) << "man 2 sigaction: \"si_uid is the child's real user ID\"";
    EXPECT_EQ(si.si_status, c.expected)
        << "_exit(" << c.code << "); man 2 sigaction: \"The si_status field contains the exit "
        << "status of the child (if si_code is CLD_EXITED)\"";
    ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
    EXPECT_TRUE(WIFEXITED(st.raw)) << st << "; man 2 wait: WIFEXITED";
    EXPECT_EQ(WEXITSTATUS(st.raw), c.expected)
        << "_exit(" << c.code << "); man 2 wait: WEXITSTATUS \"consists of the least significant "
        << "8 bits of the status argument\"";
    EXPECT_FALSE(WIFSIGNALED(st.raw)) << st;
  }
  // Killed by a signal (SIGTERM's default action: terminate).
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([]() -> int {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &dfl, nullptr);
    sigset_t t = MakeSigset({SIGTERM});
    sigprocmask(SIG_UNBLOCK, &t, nullptr);
    for (;;) pause();
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_pause});
  ASSERT_TRUE(blocked.ok()) << blocked;
  ASSERT_THAT(kill(child.pid(), SIGTERM), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(siginfo_t si, chld.Next());
  EXPECT_EQ(si.si_code, CLD_KILLED) << "man 2 sigaction: CLD_KILLED \"Child was killed.\"";
  EXPECT_EQ(si.si_status, SIGTERM) << "man 2 sigaction: si_status holds \"the signal number that "
                                      "caused the process to change state\"";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(WIFSIGNALED(st.raw)) << st << "; man 2 wait: \"WIFSIGNALED(wstatus) returns true "
                                   << "if the child process was terminated by a signal.\"";
  EXPECT_EQ(WTERMSIG(st.raw), SIGTERM) << "man 2 wait: WTERMSIG \"returns the number of the "
                                          "signal that caused the child process to terminate\"";
  EXPECT_FALSE(WIFEXITED(st.raw)) << st;
}

// ---------------------------------------------------------------------------
// sigtimedwait(2).

// man 2 sigtimedwait: "If both fields of this structure are specified as 0, a
// poll is performed: sigtimedwait() returns immediately, either with
// information about a signal that was pending for the caller, or with an
// error if none of the signals in set was pending." / "EAGAIN No signal in
// set became pending within the timeout period specified to sigtimedwait()."
// / the interval "will be rounded up to the system clock granularity" /
// "EINVAL timeout was invalid."
TEST_F(Signal, SigtimedwaitTimeouts) {
  ScopedSignals s({SIGUSR1});
  sigset_t set = MakeSigset({SIGUSR1});
  siginfo_t si = {};
  struct timespec zero = {0, 0};
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(sigtimedwait(&set, &si, &zero), SyscallFailsWithErrno(EAGAIN))
      << "man 2 sigtimedwait: with a zero timeout and nothing pending, \"an error\" at once "
         "(EAGAIN)";
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(500) * TimeoutScale())
      << "man 2 sigtimedwait: a zero timeout \"returns immediately\"";

  struct timespec twenty_ms = {0, 20 * 1000 * 1000};
  t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(sigtimedwait(&set, &si, &twenty_ms), SyscallFailsWithErrno(EAGAIN))
      << "man 2 sigtimedwait: \"EAGAIN No signal in set became pending within the timeout "
         "period\"";
  EXPECT_GE(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(20))
      << "man 2 sigtimedwait: the interval \"will be rounded up\", never cut short";

  struct timespec bad_nsec = {0, 1000000000};
  EXPECT_THAT(sigtimedwait(&set, &si, &bad_nsec), SyscallFailsWithErrno(EINVAL))
      << "tv_nsec = 1e9; man 2 sigtimedwait: \"EINVAL timeout was invalid.\"";
  struct timespec negative = {-1, 0};
  EXPECT_THAT(sigtimedwait(&set, &si, &negative), SyscallFailsWithErrno(EINVAL))
      << "tv_sec = -1; man 2 sigtimedwait: \"EINVAL timeout was invalid.\"";

  // Already pending: returns at once despite a long timeout.
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 9), SyscallSucceeds());
  struct timespec long_wait = Left(Deadline::Default());
  t0 = std::chrono::steady_clock::now();
  EXPECT_THAT(sigtimedwait(&set, &si, &long_wait), SyscallSucceedsWithValue(SIGUSR1))
      << "man 2 sigtimedwait: \"If one of the signals in set is already pending for the calling "
         "thread, sigwaitinfo() will return immediately.\"";
  EXPECT_LT(std::chrono::steady_clock::now() - t0,
            std::chrono::milliseconds(500) * TimeoutScale())
      << "man 2 sigtimedwait: with a signal already pending it \"will return immediately\"";
  EXPECT_EQ(si.si_value.sival_int, 9) << "man 3 sigqueue: the value is in si_value";
}

struct WaitReport {
  int32_t ret;
  int32_t err;
  int32_t signo;
  int32_t code;
  int32_t value;
  int32_t pid;
};

// man 2 sigtimedwait: "sigwaitinfo() suspends execution of the calling thread
// until one of the signals in set is pending" and returns it with its
// siginfo_t. A child waits; the parent sees it asleep in rt_sigtimedwait and
// sends it a real-time signal with a value.
TEST_F(Signal, SigwaitinfoSleepsUntilASignalComes) {
  ASSERT_OK_AND_ASSIGN(SharedObject<WaitReport> rep, SharedObject<WaitReport>::Create());
  WaitReport* r = rep.get();
  const int sig = SIGRTMIN + 2;
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([r, sig]() -> int {
    sigset_t s = MakeSigset({sig});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    siginfo_t si = {};
    // Bounded: the parent kills the child at its deadline anyway.
    r->ret = sigwaitinfo(&s, &si);
    r->err = errno;
    r->signo = si.si_signo;
    r->code = si.si_code;
    r->value = si.si_value.sival_int;
    r->pid = si.si_pid;
    return 0;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_rt_sigtimedwait});
  ASSERT_TRUE(blocked.ok()) << blocked << "; man 2 sigtimedwait: sigwaitinfo() \"suspends "
                            << "execution of the calling thread until one of the signals in "
                            << "set is pending\"";
  ASSERT_THAT(Queue(child.pid(), sig, 77), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(r->ret, sig) << "errno " << ErrnoName(r->err) << "; man 2 sigtimedwait: \"On "
                         << "success, both sigwaitinfo() and sigtimedwait() return a signal "
                         << "number\"";
  EXPECT_EQ(r->signo, sig) << "man 2 sigtimedwait: the siginfo_t describes the signal taken";
  EXPECT_EQ(r->code, SI_QUEUE) << "man 3 sigqueue: si_code \"will be set to SI_QUEUE\"";
  EXPECT_EQ(r->value, 77) << "man 3 sigqueue: the value is in si_value";
  EXPECT_EQ(r->pid, getpid()) << "man 7 signal: si_pid is the sender's PID";
}

void NoteSignal(int) {}

// man 2 sigtimedwait: "EINTR The wait was interrupted by a signal handler; see
// signal(7). (This handler was for a signal other than one of those in set.)"
TEST_F(Signal, SigtimedwaitInterruptedByAHandlerFailsEintr) {
  ASSERT_OK_AND_ASSIGN(SharedObject<WaitReport> rep, SharedObject<WaitReport>::Create());
  WaitReport* r = rep.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([r]() -> int {
    struct sigaction sa = {};
    sa.sa_handler = NoteSignal;  // no SA_RESTART
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, nullptr);
    sigset_t u2 = MakeSigset({SIGUSR2});
    sigprocmask(SIG_UNBLOCK, &u2, nullptr);
    sigset_t s = MakeSigset({SIGUSR1});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    struct timespec ten_s = {10, 0};
    r->ret = sigtimedwait(&s, nullptr, &ten_s);
    r->err = errno;
    return 0;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_rt_sigtimedwait});
  ASSERT_TRUE(blocked.ok()) << blocked;
  ASSERT_THAT(kill(child.pid(), SIGUSR2), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(r->ret, -1) << "man 2 sigtimedwait: \"EINTR The wait was interrupted by a signal "
                           "handler\" (a SIGUSR2 handler, SIGUSR2 not in set)";
  EXPECT_EQ(r->err, EINTR) << "got " << ErrnoName(r->err) << "; man 2 sigtimedwait: \"EINTR The "
                           << "wait was interrupted by a signal handler\"";
}

// ---------------------------------------------------------------------------
// signalfd(2).

PosixErrorOr<uint64_t> SignalfdMask(int fd) { return FdInfoHexField(fd, "sigmask:"); }

uint64_t Bit(int sig) { return uint64_t{1} << (sig - 1); }

// man 2 signalfd: read(2) "returns information for as many signals as are
// pending and will fit in the supplied buffer. The buffer must be at least
// sizeof(struct signalfd_siginfo) bytes." / "If none of the signals in mask
// is pending for the process, then the read(2) ... fails with the error
// EAGAIN if the file descriptor has been made nonblocking." / "The file
// descriptor is readable ... if one or more of the signals in mask is pending
// for the process." / ssi_int and ssi_ptr: "Integer sent by sigqueue(3)",
// "Pointer sent by sigqueue(3)"; ssi_pid, ssi_uid: the sender. A buffer too
// small fails EINVAL (Linux; the page only says it "must be at least" that
// size).
TEST_F(Signal, SignalfdDeliversSignalsWithTheirValues) {
  const int rt = SIGRTMIN + 1;
  ScopedSignals s({SIGUSR1, rt});
  sigset_t mask = MakeSigset({SIGUSR1, rt});
  FileDescriptor fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << "signalfd: " << ErrnoName(errno);
  struct signalfd_siginfo ssi[4];
  EXPECT_THAT(read(fd.get(), ssi, sizeof ssi), SyscallFailsWithErrno(EAGAIN))
      << "man 2 signalfd: with nothing pending a nonblocking read \"fails with the error "
         "EAGAIN\"";
  struct pollfd p = {fd.get(), POLLIN, 0};
  EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(0)) << "readable with nothing pending";

  union sigval as_int = {}, as_ptr = {};
  as_int.sival_int = -5;
  as_ptr.sival_ptr = reinterpret_cast<void*>(uintptr_t{0x0123456789abcdefULL});
  ASSERT_THAT(sigqueue(getpid(), rt, as_int), SyscallSucceeds());
  ASSERT_THAT(sigqueue(getpid(), rt, as_ptr), SyscallSucceeds());
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  EXPECT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1))
      << "man 2 signalfd: \"The file descriptor is readable ... if one or more of the signals in "
         "mask is pending for the process.\"";

  EXPECT_THAT(read(fd.get(), ssi, sizeof(struct signalfd_siginfo) - 1),
              SyscallFailsWithErrno(EINVAL))
      << "man 2 signalfd: \"The buffer must be at least sizeof(struct signalfd_siginfo) bytes.\"";
  ASSERT_THAT(read(fd.get(), ssi, sizeof ssi),
              SyscallSucceedsWithValue(3 * sizeof(struct signalfd_siginfo)))
      << "man 2 signalfd: \"The read(2) returns information for as many signals as are pending "
         "and will fit in the supplied buffer.\"";
  // Standard before real-time (Linux, man 7 signal), then the real-time ones
  // in the order sent.
  EXPECT_EQ(ssi[0].ssi_signo, static_cast<uint32_t>(SIGUSR1))
      << "man 7 signal: \"Linux ... gives priority to standard signals\"";
  EXPECT_EQ(ssi[0].ssi_code, SI_USER) << "man 2 sigaction: SI_USER for kill(2)";
  EXPECT_EQ(ssi[1].ssi_signo, static_cast<uint32_t>(rt)) << "man 2 signalfd: ssi_signo";
  EXPECT_EQ(ssi[1].ssi_code, SI_QUEUE) << "man 2 sigaction: SI_QUEUE for sigqueue(3)";
  EXPECT_EQ(ssi[1].ssi_int, -5) << "man 2 signalfd: ssi_int \"Integer sent by sigqueue(3)\"";
  EXPECT_EQ(ssi[2].ssi_signo, static_cast<uint32_t>(rt)) << "man 2 signalfd: ssi_signo";
  EXPECT_EQ(ssi[2].ssi_ptr, 0x0123456789abcdefULL)
      << "man 2 signalfd: ssi_ptr \"Pointer sent by sigqueue(3)\"";
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(ssi[i].ssi_pid, static_cast<uint32_t>(getpid()))
        << "man 2 signalfd: ssi_pid \"PID of sender\"";
    EXPECT_EQ(ssi[i].ssi_uid, static_cast<uint32_t>(getuid()))
        << "man 2 signalfd: ssi_uid \"Real UID of sender\"";
  }
  EXPECT_FALSE(IsPending(SIGUSR1) || IsPending(rt))
      << "man 2 signalfd: \"As a consequence of the read(2), the signals are consumed, so that "
         "they are no longer pending for the process\"";
  EXPECT_THAT(read(fd.get(), ssi, sizeof ssi), SyscallFailsWithErrno(EAGAIN))
      << "man 2 signalfd: read consumes the signals; with none left, EAGAIN (nonblocking)";
}

// man 2 signalfd: "If fd is not -1, then it must specify a valid existing
// signalfd file descriptor, and mask is used to replace the signal set
// associated with that file descriptor." / "It is not possible to receive
// SIGKILL or SIGSTOP signals via a signalfd file descriptor; these signals
// are silently ignored if specified in mask." / "EINVAL fd is not a valid
// signalfd file descriptor." The accepted mask is read back from
// /proc/self/fdinfo (man 5 proc: "sigmask is the hexadecimal mask of signals
// that are accepted via this signalfd file descriptor").
TEST_F(Signal, SignalfdMaskIsReplacedAndIgnoresSigkillSigstop) {
  ScopedSignals s({SIGUSR1, SIGUSR2});
  sigset_t only2 = MakeSigset({SIGUSR2, SIGKILL, SIGSTOP});
  FileDescriptor fd(signalfd(-1, &only2, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << "signalfd with SIGKILL and SIGSTOP in the mask: " << ErrnoName(errno)
                          << "; man 2 signalfd: they \"are silently ignored if specified in "
                          << "mask\"";
  auto m = SignalfdMask(fd.get());
  if (m.ok()) {
    EXPECT_EQ(m.value(), Bit(SIGUSR2)) << "fdinfo sigmask; man 2 signalfd: SIGKILL and SIGSTOP "
                                          "\"are silently ignored if specified in mask\"";
  }
  ASSERT_THAT(kill(getpid(), SIGUSR1), SyscallSucceeds());
  struct signalfd_siginfo ssi;
  EXPECT_THAT(read(fd.get(), &ssi, sizeof ssi), SyscallFailsWithErrno(EAGAIN))
      << "a signal outside the mask was read";
  EXPECT_TRUE(IsPending(SIGUSR1)) << "a signal outside the mask must stay pending";
  sigset_t both = MakeSigset({SIGUSR1, SIGUSR2});
  EXPECT_THAT(signalfd(fd.get(), &both, 0), SyscallSucceedsWithValue(fd.get()))
      << "man 2 signalfd: \"On success, signalfd() returns ... fd if fd was a valid signalfd "
         "file descriptor.\"";
  if (m.ok()) {
    ASSERT_OK_AND_ASSIGN(uint64_t now, SignalfdMask(fd.get()));
    EXPECT_EQ(now, Bit(SIGUSR1) | Bit(SIGUSR2)) << "man 2 signalfd: \"mask is used to replace "
                                                   "the signal set\"";
  }
  ASSERT_THAT(read(fd.get(), &ssi, sizeof ssi), SyscallSucceedsWithValue(sizeof ssi))
      << "man 2 signalfd: after the mask was replaced, the pending signal is readable";
  EXPECT_EQ(ssi.ssi_signo, static_cast<uint32_t>(SIGUSR1)) << "man 2 signalfd: ssi_signo";
  FileDescriptor not_signalfd(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(not_signalfd.valid()) << "eventfd: " << ErrnoName(errno);
  EXPECT_THAT(signalfd(not_signalfd.get(), &both, 0), SyscallFailsWithErrno(EINVAL))
      << "man 2 signalfd: \"EINVAL fd is not a valid signalfd file descriptor.\"";
}

// man 2 signalfd, "fork(2) semantics": "After a fork(2), the child inherits a
// copy of the signalfd file descriptor. A read(2) from the file descriptor in
// the child will return information about signals queued to the child."
TEST_F(Signal, SignalfdInAChildReadsTheChildsSignals) {
  ScopedSignals s({SIGUSR1});
  sigset_t mask = MakeSigset({SIGUSR1});
  FileDescriptor fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << "signalfd: " << ErrnoName(errno);
  ASSERT_THAT(Queue(getpid(), SIGUSR1, 1), SyscallSucceeds());  // the parent's
  const int sfd = fd.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([sfd]() -> int {
    struct signalfd_siginfo ssi;
    if (read(sfd, &ssi, sizeof ssi) != -1 || errno != EAGAIN) return 1;  // not the parent's
    if (Queue(getpid(), SIGUSR1, 2) != 0) return 2;
    if (read(sfd, &ssi, sizeof ssi) != static_cast<ssize_t>(sizeof ssi)) return 3;
    if (ssi.ssi_int != 2 || ssi.ssi_pid != static_cast<uint32_t>(getpid())) return 4;
    return 0;
  }));
  EXPECT_FALSE(st.ExitedWith(1)) << "the child read the parent's signal through the inherited "
                                    "signalfd (man 2 signalfd: a read \"in the child will return "
                                    "information about signals queued to the child\")";
  EXPECT_TRUE(st.ExitedWith(0)) << st << " (3, 4: the child's own signal was not read back)";
  struct signalfd_siginfo ssi;
  ASSERT_THAT(read(fd.get(), &ssi, sizeof ssi), SyscallSucceedsWithValue(sizeof ssi))
      << "the parent's signal was taken by the child";
  EXPECT_EQ(ssi.ssi_int, 1) << "the parent read a signal other than its own (man 2 signalfd)";
}

// ---------------------------------------------------------------------------
// Limits and errors.

struct LimitReport {
  int32_t setup_err;
  int32_t how;  // 1: a fresh user ID; 2: a fresh user namespace
  int32_t standard_ok;
  int32_t queued;
  int32_t fail_errno;
  int32_t kill_ok;
  int32_t kill_pending;
};

// man 2 getrlimit, RLIMIT_SIGPENDING: "This is a limit on the number of
// signals that may be queued for the real user ID of the calling process.
// Both standard and real-time signals are counted for the purpose of checking
// this limit. However, the limit is enforced only for sigqueue(3); it is
// always possible to use kill(2) to queue one instance of any of the signals
// that are not already queued to the process." / man 3 sigqueue: "EAGAIN The
// limit of signals which may be queued has been reached." A child lowers the
// limit to 8 and makes sure only its own signals count: it takes a user ID
// no other process has, or where only user ID 0 is mapped (Bazel's sandbox),
// enters a user namespace of its own (Linux counts queued signals per user
// namespace and user ID; user_namespaces(7)).
TEST_F(Signal, RlimitSigpendingLimitsSigqueue) {
  IPCSPEC_NEEDS(Need::AnyOf({Need::SecondUid(), Need::UserNamespace()}));
  ASSERT_OK_AND_ASSIGN(SharedObject<LimitReport> rep, SharedObject<LimitReport>::Create());
  LimitReport* r = rep.get();
  constexpr rlim_t kLimit = 8;
  const uid_t uid = UnusedUid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, uid]() -> int {
    if (setresuid(uid, uid, uid) == 0) {
      r->how = 1;
    } else if (unshare(CLONE_NEWUSER) == 0) {
      r->how = 2;
    } else {
      r->setup_err = errno;
      return 3;
    }
    struct rlimit rl = {kLimit, kLimit};
    if (setrlimit(RLIMIT_SIGPENDING, &rl) != 0) {
      r->setup_err = errno;
      return 2;
    }
    sigset_t s = MakeSigset({SIGUSR1, SIGUSR2, SIGRTMIN});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    r->standard_ok = Queue(getpid(), SIGUSR2, 1) == 0;  // a standard signal counts too
    for (r->queued = 0; r->queued < 100; ++r->queued) {
      if (Queue(getpid(), SIGRTMIN, r->queued) != 0) {
        r->fail_errno = errno;
        break;
      }
    }
    r->kill_ok = kill(getpid(), SIGUSR1) == 0;
    r->kill_pending = IsPending(SIGUSR1);
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " setup errno " << ErrnoName(r->setup_err)
                                << " (3: neither setresuid(" << uid
                                << ") nor unshare(CLONE_NEWUSER) worked, although the need "
                                   "was met a moment ago)";
  const char* how = r->how == 1 ? " (in a child with a fresh user ID)"
                                : " (in a child in a fresh user namespace)";
  EXPECT_TRUE(r->standard_ok) << "sigqueue of a standard signal under the limit failed" << how;
  EXPECT_EQ(r->queued, static_cast<int>(kLimit) - 1)
      << "real-time signals queued with RLIMIT_SIGPENDING " << kLimit << " and one standard "
      << "signal pending" << how << "; man 2 getrlimit: \"a limit on the number of signals that "
      << "may be queued for the real user ID ... Both standard and real-time signals are "
      << "counted\"";
  EXPECT_EQ(r->fail_errno, EAGAIN) << "got " << ErrnoName(r->fail_errno) << how
                                   << "; man 3 sigqueue: \"EAGAIN The limit of signals which "
                                   << "may be queued has been reached.\"";
  EXPECT_TRUE(r->kill_ok && r->kill_pending)
      << "man 2 getrlimit: \"it is always possible to use kill(2) to queue one instance of any "
         "of the signals that are not already queued to the process\"" << how;
}

// Linux differs from POSIX's floor here. POSIX promises only
// _POSIX_SIGQUEUE_MAX (32) queued signals per sender (<limits.h>, SIGQUEUE_MAX),
// and the SignalQueue properties stay within that. On Linux the limit is
// RLIMIT_SIGPENDING: man 2 getrlimit, "This is a limit on the number of
// signals that may be queued for the real user ID of the calling process",
// thousands by default. 256 instances of one real-time signal are queued and
// must all come back, in order, with their values (man 7 signal: "Multiple
// instances of real-time signals can be queued", "delivered in the order they
// were sent"). With a soft limit too low for that, the limit itself must hold:
// no more than RLIMIT_SIGPENDING signals queued (man 3 sigqueue: "EAGAIN The
// limit of signals which may be queued has been reached").
TEST_F(Signal, RealTimeQueueHoldsMoreThanThePosixMinimum) {
  const int sig = SIGRTMIN + 2;
  ScopedSignals s({sig});
  struct rlimit rl = {};
  ASSERT_THAT(getrlimit(RLIMIT_SIGPENDING, &rl), SyscallSucceeds());
  constexpr int kWanted = 256;
  // Other processes of the same user may have signals pending: some slack.
  const bool roomy = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= kWanted + 64;
  int queued = 0;
  int fail_errno = 0;
  for (; queued < kWanted; ++queued) {
    if (Queue(getpid(), sig, 1000 + queued) != 0) {
      fail_errno = errno;
      break;
    }
  }
  const std::string limit = rl.rlim_cur == RLIM_INFINITY ? std::string("unlimited")
                                                         : std::to_string(rl.rlim_cur);
  if (roomy) {
    EXPECT_EQ(queued, kWanted)
        << "sigqueue(3) of instance " << queued << " of " << SignalName(sig) << " failed "
        << ErrnoName(fail_errno) << " with RLIMIT_SIGPENDING " << limit
        << "; man 2 getrlimit: RLIMIT_SIGPENDING \"is a limit on the number of signals that may "
        << "be queued for the real user ID\" (Linux; POSIX's floor _POSIX_SIGQUEUE_MAX is "
        << _POSIX_SIGQUEUE_MAX << ")";
  } else {
    EXPECT_LE(static_cast<rlim_t>(queued), rl.rlim_cur)
        << queued << " instances of " << SignalName(sig) << " queued with RLIMIT_SIGPENDING "
        << limit << "; man 2 getrlimit: RLIMIT_SIGPENDING \"is a limit on the number of signals "
        << "that may be queued\"";
    if (queued < kWanted) {
      EXPECT_EQ(fail_errno, EAGAIN) << "man 3 sigqueue: \"EAGAIN The limit of signals which "
                                       "may be queued has been reached.\"";
    }
  }
  for (int i = 0; i < queued; ++i) {
    siginfo_t si = {};
    ASSERT_THAT(TakeNow({sig}, &si), SyscallSucceedsWithValue(sig))
        << "instance " << i << " of " << queued << " queued is missing; man 7 signal: "
        << "\"Multiple instances of real-time signals can be queued.\"";
    ASSERT_EQ(si.si_value.sival_int, 1000 + i)
        << "instance " << i << "; man 7 signal: \"Multiple real-time signals of the same type "
        << "are delivered in the order they were sent.\"";
  }
  siginfo_t si = {};
  EXPECT_THAT(TakeNow({sig}, &si), SyscallFailsWithErrno(EAGAIN)) << "more instances than sent";
}

// man 2 kill: "EPERM The calling process does not have permission to send the
// signal to any of the target processes." / "For a process to have permission
// to send a signal, it must either be privileged ... or the real or effective
// user ID of the sending process must equal the real or saved set-user-ID of
// the target process." / "If sig is 0, then no signal is sent, but existence
// and permission checks are still performed". man 3 sigqueue: "The
// permissions required to send a signal are the same as for kill(2)." A
// child of this root process drops to a user ID no process has (and with it
// every capability: man 7 capabilities, "If the effective user ID is changed
// from 0 to nonzero, then all capabilities are cleared from the effective
// set") and signals this process.
TEST_F(Signal, UnprivilegedSenderGetsEperm) {
  // Root of the machine can take another user ID; Bazel's linux-sandbox maps
  // only one (this target is tagged no-sandbox).
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid());
  ScopedSignals s({SIGUSR1});
  const pid_t parent = getpid();
  const uid_t other = UnusedUid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([parent, other]() -> int {
    if (setresuid(other, other, other) != 0) return 10;
    if (kill(parent, SIGUSR1) != -1 || errno != EPERM) return 1;
    if (Queue(parent, SIGUSR1, 1) != -1 || errno != EPERM) return 2;
    if (kill(parent, 0) != -1 || errno != EPERM) return 3;
    if (kill(getpid(), 0) != 0) return 4;  // itself: permitted
    return 0;
  }));
  ASSERT_FALSE(st.ExitedWith(10)) << "setresuid(" << other
                                  << ") failed although the need was met a moment ago";
  EXPECT_FALSE(st.ExitedWith(1)) << "kill(2) from uid " << other << " to uid 0; man 2 kill: \"EPERM The "
                                    "calling process does not have permission to send the "
                                    "signal\"";
  EXPECT_FALSE(st.ExitedWith(2)) << "man 3 sigqueue: \"EPERM The process does not have "
                                    "permission to send the signal to the receiving process.\"";
  EXPECT_FALSE(st.ExitedWith(3)) << "man 2 kill: with sig 0 \"existence and permission checks "
                                    "are still performed\"";
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_FALSE(IsPending(SIGUSR1)) << "a refused signal arrived anyway";
}

// man 2 kill: "ESRCH The target process or process group does not exist." /
// "EINVAL An invalid signal was specified." / "If sig is 0, then no signal is
// sent". man 3 sigqueue: "EINVAL sig was invalid." / "ESRCH No process has a
// PID matching pid."
TEST_F(Signal, KillAndSigqueueErrors) {
  const pid_t nobody = INT_MAX;  // above any pid_max
  EXPECT_THAT(kill(nobody, SIGUSR1), SyscallFailsWithErrno(ESRCH))
      << "man 2 kill: \"ESRCH The target process or process group does not exist.\"";
  EXPECT_THAT(kill(nobody, 0), SyscallFailsWithErrno(ESRCH))
      << "man 2 kill: sig 0 can \"check for the existence of a process ID\"";
  EXPECT_THAT(Queue(nobody, SIGUSR1, 1), SyscallFailsWithErrno(ESRCH))
      << "man 3 sigqueue: \"ESRCH No process has a PID matching pid.\"";
  EXPECT_THAT(kill(getpid(), NSIG), SyscallFailsWithErrno(EINVAL))
      << "signal " << NSIG << "; man 2 kill: \"EINVAL An invalid signal was specified.\"";
  EXPECT_THAT(Queue(getpid(), NSIG, 1), SyscallFailsWithErrno(EINVAL))
      << "man 3 sigqueue: \"EINVAL sig was invalid.\"";
  EXPECT_THAT(kill(getpid(), -3), SyscallFailsWithErrno(EINVAL)) << "man 2 kill (EINVAL)";
  EXPECT_THAT(kill(getpid(), 0), SyscallSucceeds())
      << "man 2 kill: \"If sig is 0, then no signal is sent\" (and this process exists)";
}

}  // namespace
}  // namespace ipcspec
