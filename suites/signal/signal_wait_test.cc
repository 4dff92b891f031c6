// Signals: sigtimedwait(2) and sigwaitinfo: timeouts, sleeping until a signal
// comes, EINTR from a handler for another signal.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

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

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
