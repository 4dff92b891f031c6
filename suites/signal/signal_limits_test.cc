// Signals: limits and errors: RLIMIT_SIGPENDING and sigqueue's EAGAIN, a
// real-time queue longer than POSIX's minimum, kill(2) and sigqueue(3)
// permissions and errno.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <sched.h>
#include <sys/resource.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/api/signal_queue.h"
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
    r->how = LimitOwnSigpending(uid, kLimit, &r->setup_err);
    if (r->how < 0) return -r->how;
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
}  // namespace signal_test
}  // namespace ipcspec
