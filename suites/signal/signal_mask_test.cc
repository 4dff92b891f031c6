// Signals: masks and pending sets (man 2 sigpending, man 2 sigprocmask, man 7
// signal "Signal mask and pending signals").
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <unistd.h>

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

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

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
