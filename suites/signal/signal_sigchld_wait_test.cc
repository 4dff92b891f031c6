// sigtimedwait(2) and SIGCHLD, SIGKILL and an interval timer's SIGALRM; the
// time nanosleep(2) writes back when a signal ends it (issue 14).
//
// Each experiment runs in a forked child (one thread: a signal sent to the
// process cannot go to another of gtest's threads, and this process's mask
// and dispositions never change). The child records what it saw in shared
// memory and exits with 0 when every step ran; the parent asserts.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <signal.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
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

struct Taken {
  int ret = -2;  // sigtimedwait's result
  int err = 0;
  int code = 0;
  int pid = 0;
  int status = -1;
  int expected_pid = 0;  // the sender the child expects
  std::atomic<int> handler_calls{0};
};
Taken* g_taken = nullptr;  // the forked child's only global

// sigtimedwait on {sig} with the default deadline as its timeout.
void TakeWithin(Taken* t, int sig) {
  sigset_t s = MakeSigset({sig});
  siginfo_t si = {};
  struct timespec left = Deadline::Default().RemainingTimespec();
  t->ret = sigtimedwait(&s, &si, &left);
  t->err = t->ret < 0 ? errno : 0;
  t->code = si.si_code;
  t->pid = si.si_pid;
  t->status = si.si_status;
}

constexpr char kSigtimedwait[] =
    "man 2 sigtimedwait: \"sigwaitinfo() suspends execution of the calling thread until one of "
    "the signals in set is pending (If one of the signals in set is already pending for the "
    "calling thread, sigwaitinfo() will return immediately.)\" and \"sigwaitinfo() removes the "
    "signal from the set of pending signals and returns the signal number as its function "
    "result.\"";

// gVisor's KillGeneratedSIGCHLD: SIGCHLD's default action is to ignore it
// (man 7 signal: SIGCHLD "Ign"), but blocked it stays pending (see
// ThreadSignal.SigtimedwaitTakesAnIgnoredSignalOnlyWhenItIsBlocked), and
// sigtimedwait takes the one kill(2) sent.
TEST_F(Signal, SigtimedwaitTakesABlockedDefaultSigchldSentByKill) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Taken> rep, SharedObject<Taken>::Create());
  Taken* t = rep.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([t]() -> int {
    struct sigaction dfl = {};
    dfl.sa_handler = SIG_DFL;
    if (sigaction(SIGCHLD, &dfl, nullptr) != 0) return 2;
    sigset_t s = MakeSigset({SIGCHLD});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    t->expected_pid = getpid();
    if (kill(getpid(), SIGCHLD) != 0) return 3;
    // Pending already: kill(2) to the calling process makes it so before it
    // returns. A zero timeout then does not wait for nothing.
    siginfo_t si = {};
    t->ret = TakeNow({SIGCHLD}, &si);
    t->err = t->ret < 0 ? errno : 0;
    t->code = si.si_code;
    t->pid = si.si_pid;
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: sigaction, 3: kill)";
  EXPECT_EQ(t->ret, SIGCHLD) << "sigtimedwait returned " << t->ret << " (" << ErrnoName(t->err)
                             << ") for a blocked SIGCHLD with its default action, sent by "
                             << "kill(2). " << kSigtimedwait;
  EXPECT_EQ(t->code, SI_USER) << "man 2 sigaction: \"SI_USER kill(2).\"";
  EXPECT_EQ(t->pid, t->expected_pid) << "si_pid of kill(2): the sender";
}

// A handler for SIGCHLD that only counts its calls.
void CountCalls(int) { g_taken->handler_calls.fetch_add(1); }

// gVisor's ChildExitGeneratedSIGCHLD and ...WithHandler: the SIGCHLD of a
// child that exited, was reaped by waitpid(2), and was blocked all along is
// still pending, and sigtimedwait takes it with the child's data, whether
// the disposition is the default or a handler (which never runs: man 7
// signal, "A signal may be blocked, which means that it will not be
// delivered until it is later unblocked").
void SigchldOfAReapedChild(bool with_handler) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Taken> rep, SharedObject<Taken>::Create());
  Taken* t = rep.get();
  constexpr int kCode = 7;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([t, with_handler]() -> int {
    g_taken = t;
    struct sigaction sa = {};
    sa.sa_handler = with_handler ? CountCalls : SIG_DFL;
    if (sigaction(SIGCHLD, &sa, nullptr) != 0) return 2;
    sigset_t s = MakeSigset({SIGCHLD});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    auto grandchild = Child::Fork([]() -> int { return kCode; });
    if (!grandchild.ok()) return 3;
    t->expected_pid = grandchild.value().pid();
    auto w = grandchild.value().Wait();  // reaped
    if (!w.ok() || !w.value().ExitedWith(kCode)) return 4;
    TakeWithin(t, SIGCHLD);
    return 0;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: sigaction, 3: fork, 4: waitpid)";
  const char* how = with_handler ? " with a handler installed" : " with its default action";
  EXPECT_EQ(t->ret, SIGCHLD) << "sigtimedwait returned " << t->ret << " (" << ErrnoName(t->err)
                             << ") for the blocked SIGCHLD" << how << " of a child that exited "
                             << "and was reaped. " << kSigtimedwait;
  EXPECT_EQ(t->code, CLD_EXITED) << "man 2 sigaction: CLD_EXITED \"Child has exited.\"";
  EXPECT_EQ(t->pid, t->expected_pid)
      << "man 2 sigaction: for SIGCHLD \"si_pid is the process ID of the child\"";
  EXPECT_EQ(t->status, kCode) << "man 2 sigaction: \"The si_status field contains the exit "
                                 "status of the child (if si_code is CLD_EXITED)\"";
  EXPECT_EQ(t->handler_calls.load(), 0)
      << "the handler ran for a blocked SIGCHLD. man 7 signal: \"A signal may be blocked, "
         "which means that it will not be delivered until it is later unblocked.\"";
}

TEST_F(Signal, SigtimedwaitTakesTheBlockedSigchldOfAReapedChild) {
  SigchldOfAReapedChild(false);
}

TEST_F(Signal, SigtimedwaitTakesTheBlockedSigchldOfAReapedChildDespiteAHandler) {
  SigchldOfAReapedChild(true);
}

// gVisor's SIGKILLUncaught: a process waiting in sigtimedwait for a set that
// holds SIGKILL is killed by SIGKILL; the wait does not take it.
TEST_F(Signal, SigtimedwaitDoesNotTakeSigkill) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Taken> rep, SharedObject<Taken>::Create());
  Taken* t = rep.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([t]() -> int {
    TakeWithin(t, SIGKILL);
    return 0;
  }));
  constexpr char kCannot[] =
      "man 7 signal: \"The signals SIGKILL and SIGSTOP cannot be caught, blocked, or "
      "ignored.\"";
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_rt_sigtimedwait});
  EXPECT_TRUE(blocked.ok()) << blocked << ": the child never waited in sigtimedwait for "
                            << "{SIGKILL}; it returned " << t->ret << " (" << ErrnoName(t->err)
                            << "). " << kCannot;
  if (blocked.ok()) {
    ASSERT_THAT(kill(child.pid(), SIGKILL), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.KilledBy(SIGKILL))
      << "a child in sigtimedwait({SIGKILL}) sent SIGKILL: " << st << "; its sigtimedwait "
      << "returned " << t->ret << ". " << kCannot;
}

// gVisor's AlarmReturnsAlarm: an interval timer (setitimer(2), ITIMER_REAL:
// "At each expiration, a SIGALRM signal is generated") ends a sigtimedwait
// for a blocked SIGALRM, which returns SIGALRM and not EAGAIN (the timeout
// is the default deadline, far longer than the timer's first expiry).
TEST_F(Signal, AnIntervalTimersSigalrmEndsASigtimedwait) {
  ASSERT_OK_AND_ASSIGN(SharedObject<Taken> rep, SharedObject<Taken>::Create());
  Taken* t = rep.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([t]() -> int {
    sigset_t s = MakeSigset({SIGALRM});
    sigprocmask(SIG_BLOCK, &s, nullptr);
    struct itimerval every = {{0, 1000}, {0, 1000}};  // 1 ms, then every 1 ms
    if (setitimer(ITIMER_REAL, &every, nullptr) != 0) return 2;
    TakeWithin(t, SIGALRM);
    struct itimerval off = {};
    setitimer(ITIMER_REAL, &off, nullptr);
    return 0;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: setitimer)";
  EXPECT_EQ(t->ret, SIGALRM)
      << "sigtimedwait for a blocked SIGALRM with a 1 ms interval timer running returned "
      << t->ret << " (" << ErrnoName(t->err) << "). man 2 setitimer: ITIMER_REAL \"At each "
      << "expiration, a SIGALRM signal is generated.\" " << kSigtimedwait;
}

struct Slept {
  long ret = -2;
  int err = 0;
  int64_t rem_ns = -1;
  int64_t elapsed_ns = -1;
};

void Nothing(int) {}

int64_t Ns(const struct timespec& t) { return t.tv_sec * 1000000000LL + t.tv_nsec; }

// LTP's nanosleep02: a SIGALRM handler (no SA_RESTART) ends a 5 s nanosleep
// after about kAlarm; the time written back in rem is the request less the
// time slept. The child measures CLOCK_MONOTONIC from just before the call
// to just after its return, which holds the whole sleep: rem cannot be less
// than request - elapsed (1 ms is left for rounding), and exceeds it by no
// more than the time spent outside the sleep (entering the call, running the
// handler), kSlack at most even on a loaded machine. kAlarm > kSlack, so a
// rem of the whole request fails.
TEST_F(Signal, AnInterruptedNanosleepWritesBackTheRequestLessTheTimeSlept) {
  constexpr int64_t kRequest = 5 * 1000000000LL;
  // Both scaled for slow environments (IPCSPEC_TIMEOUT_SCALE: qemu under TCG).
  const int64_t kAlarm = static_cast<int64_t>(80e6 * TimeoutScale());
  const int64_t kSlack = static_cast<int64_t>(60e6 * TimeoutScale());
  ASSERT_OK_AND_ASSIGN(SharedObject<Slept> rep, SharedObject<Slept>::Create());
  Slept* r = rep.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, kAlarm]() -> int {
    struct sigaction sa = {};
    sa.sa_handler = Nothing;
    if (sigaction(SIGALRM, &sa, nullptr) != 0) return 2;
    struct itimerval once = {{0, 0}, {static_cast<time_t>(kAlarm / 1000000000LL),
                                      static_cast<suseconds_t>(kAlarm % 1000000000LL / 1000)}};
    if (setitimer(ITIMER_REAL, &once, nullptr) != 0) return 3;
    struct timespec req = {kRequest / 1000000000LL, 0};
    struct timespec rem = {0, 0};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    r->ret = syscall(SYS_nanosleep, &req, &rem);
    r->err = errno;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    r->rem_ns = Ns(rem);
    r->elapsed_ns = Ns(t1) - Ns(t0);
    return 0;
  }, OuterDeadline()));
  ASSERT_TRUE(st.ExitedWith(0)) << st << " (2: sigaction, 3: setitimer)";
  constexpr char kRem[] =
      "man 2 nanosleep: \"If the call is interrupted by a signal handler, nanosleep() returns "
      "-1, sets errno to EINTR, and writes the remaining time into the structure pointed to by "
      "rem unless rem is NULL.\"";
  ASSERT_EQ(r->ret, -1) << "nanosleep(5 s) with a SIGALRM handler and a timer due in "
                        << kAlarm / 1000000 << " ms. " << kRem;
  EXPECT_EQ(r->err, EINTR) << ErrnoName(r->err) << ". " << kRem;
  const int64_t expected = kRequest - r->elapsed_ns;
  EXPECT_GE(r->rem_ns, expected - 1000000)
      << "rem " << r->rem_ns << " ns after " << r->elapsed_ns << " ns measured around the call "
      << "(request " << kRequest << " ns): less than the time not slept. " << kRem;
  EXPECT_LE(r->rem_ns, expected + kSlack)
      << "rem " << r->rem_ns << " ns after " << r->elapsed_ns << " ns measured around the call "
      << "(request " << kRequest << " ns): more than the request less the time slept. " << kRem;
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
