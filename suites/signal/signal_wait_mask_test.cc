// Signals: the mask around a wait (issue 14): sigwaitinfo, sigtimedwait and
// the raw rt_sigtimedwait take a signal of their set whether it is blocked or
// not, with or without an info buffer, and leave the mask as they found it;
// rt_sigsuspend restores the mask it replaced.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

constexpr size_t kKernelSigsetSize = 8;  // the kernel's sigset_t (man 2 sigprocmask)

// The current mask as the kernel's 64-bit set (child-safe: one system call).
uint64_t MaskBits() {
  uint64_t m = 0;
  syscall(SYS_rt_sigprocmask, SIG_BLOCK, nullptr, &m, kKernelSigsetSize);
  return m;
}
uint64_t Bit(int sig) { return uint64_t{1} << (sig - 1); }

enum class WaitCall { kSigwaitinfo, kSigtimedwait, kRtSigtimedwait };

struct WaitCallCase {
  const char* name;
  WaitCall call;
};

// Waits for a signal of `set`: sigwaitinfo(3), sigtimedwait(2) with a
// timeout longer than the parent's deadline, or the raw rt_sigtimedwait with
// no timeout. Child-safe.
int WaitFor(WaitCall call, const sigset_t* set, siginfo_t* info) {
  switch (call) {
    case WaitCall::kSigwaitinfo:
      return sigwaitinfo(set, info);
    case WaitCall::kSigtimedwait: {
      const struct timespec minute = {60, 0};
      return sigtimedwait(set, info, &minute);
    }
    case WaitCall::kRtSigtimedwait:
      return static_cast<int>(
          syscall(SYS_rt_sigtimedwait, set, info, nullptr, kKernelSigsetSize));
  }
  return -1;
}

struct WaitMaskReport {
  // Step 1: SIGUSR1 unblocked (with a handler), waited for with an info.
  int32_t ret1 = -2, err1 = 0, signo1 = 0, code1 = 0, pid1 = 0, handler_runs = -1;
  uint64_t mask_before1 = 0, mask_after1 = 0;
  // Step 2: SIGRTMIN+1 (blocked in both steps) waited for with info NULL.
  int32_t ret2 = -2, err2 = 0;
  uint64_t mask_before2 = 0, mask_after2 = 0;
};

class SignalWaitCall : public SignalStateChecked<::testing::TestWithParam<WaitCallCase>> {};

// man 2 sigwaitinfo: "sigwaitinfo() suspends execution of the calling thread
// until one of the signals in set is pending" / "If the info argument is not
// NULL, then the buffer that it points to is used to return a structure of
// type siginfo_t" / "sigtimedwait() operates in exactly the same way as
// sigwaitinfo()". The page asks that the set be blocked only "In normal
// usage" (NOTES; POSIX leaves an unblocked set undefined); Linux
// (kernel/signal.c, do_sigtimedwait) unblocks the set while the thread
// sleeps, so a signal of the set that is not blocked is taken too (its
// handler does not run), and puts the mask back before it returns. A child:
// step 1 waits for SIGUSR1, unblocked, with a handler, and the parent sends
// it while the child sleeps in the wait; step 2 waits for SIGRTMIN+1,
// blocked, with info NULL. Each step reports the mask before and after.
TEST_P(SignalWaitCall, TakesASignalOfTheSetBlockedOrNotAndKeepsTheMask) {
  const WaitCall call = GetParam().call;
  const char* name = GetParam().name;
  const int rt = SIGRTMIN + 1;
  ASSERT_OK_AND_ASSIGN(SharedObject<WaitMaskReport> rep, SharedObject<WaitMaskReport>::Create());
  WaitMaskReport* r = rep.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([r, call, rt]() -> int {
    InstallRecorder(SIGUSR1);
    sigset_t base = MakeSigset({SIGUSR2, rt});
    if (sigprocmask(SIG_SETMASK, &base, nullptr) != 0) return 1;
    sigset_t set1 = MakeSigset({SIGUSR1});
    siginfo_t si = {};
    r->mask_before1 = MaskBits();
    r->ret1 = WaitFor(call, &set1, &si);
    r->err1 = errno;
    r->mask_after1 = MaskBits();
    r->handler_runs = g_seen_count;
    r->signo1 = si.si_signo;
    r->code1 = si.si_code;
    r->pid1 = si.si_pid;

    sigset_t set2 = MakeSigset({rt});
    r->mask_before2 = MaskBits();
    r->ret2 = WaitFor(call, &set2, nullptr);
    r->err2 = errno;
    r->mask_after2 = MaskBits();
    return 0;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_rt_sigtimedwait});
  ASSERT_TRUE(blocked.ok()) << blocked << "; man 2 sigwaitinfo: " << name
                            << " \"suspends execution of the calling thread\"";
  ASSERT_THAT(kill(child.pid(), SIGUSR1), SyscallSucceeds());
  // SIGRTMIN+1 is blocked all along: sent before the second wait, it would
  // stay pending and be taken at once, and step 2 holds either way. (A child
  // that already ended has reported what it did.)
  blocked = WaitUntilBlocked(child.pid(), {SYS_rt_sigtimedwait});
  ASSERT_TRUE(blocked.ok() || blocked.errno_value() == ESRCH)
      << blocked << " (the second wait, after SIGUSR1 was sent)";
  ASSERT_THAT(Queue(child.pid(), rt, 3), SyscallSucceeds());
  auto st = child.Wait();
  ASSERT_TRUE(st.ok()) << st.error() << ": the child did not end; its " << name << " was not "
                       << "woken by a signal of its set (man 2 sigwaitinfo)";
  ASSERT_TRUE(st.value().ExitedWith(0)) << st.value();

  EXPECT_EQ(r->ret1, SIGUSR1)
      << name << "({SIGUSR1}, &info) with SIGUSR1 unblocked returned " << r->ret1 << " ("
      << ErrnoName(r->err1) << "); man 2 sigwaitinfo: it waits \"until one of the signals in set "
      << "is pending\" (Linux takes an unblocked one too: kernel/signal.c, do_sigtimedwait)";
  EXPECT_EQ(r->handler_runs, 0) << "the SIGUSR1 handler ran although " << name
                                << " took the signal (man 2 sigwaitinfo: it \"removes the signal "
                                << "from the set of pending signals\")";
  EXPECT_EQ(r->signo1, SIGUSR1) << "man 2 sigwaitinfo: info describes the signal taken";
  EXPECT_EQ(r->code1, SI_USER) << "man 2 sigaction: SI_USER for kill(2)";
  EXPECT_EQ(r->pid1, getpid()) << "man 2 sigaction: si_pid, the sender's PID";
  EXPECT_EQ(r->mask_after1, r->mask_before1)
      << name << " of an unblocked signal changed the mask from " << std::hex << r->mask_before1
      << " to " << r->mask_after1 << " (Linux unblocks the set only while it sleeps)";

  EXPECT_EQ(r->ret2, rt) << name << "({SIGRTMIN+1}, NULL) returned " << r->ret2 << " ("
                         << ErrnoName(r->err2) << "); man 2 sigwaitinfo: with info NULL it "
                         << "still \"returns the signal number as its function result\"";
  EXPECT_EQ(r->mask_after2, r->mask_before2)
      << name << " of a blocked signal changed the mask from " << std::hex << r->mask_before2
      << " to " << r->mask_after2 << " (man 2 sigwaitinfo: the set stays blocked, NOTES: \"the "
      << "calling program blocks the signals in set via a prior call to sigprocmask(2)\")";
}

INSTANTIATE_TEST_SUITE_P(WaitCalls, SignalWaitCall,
                         ::testing::Values(WaitCallCase{"sigwaitinfo", WaitCall::kSigwaitinfo},
                                           WaitCallCase{"sigtimedwait", WaitCall::kSigtimedwait},
                                           WaitCallCase{"rt_sigtimedwait",
                                                        WaitCall::kRtSigtimedwait}),
                         [](const ::testing::TestParamInfo<WaitCallCase>& info) {
                           return std::string(info.param.name);
                         });

uint64_t g_mask_in_handler = 0;
void NoteMask(int) { g_mask_in_handler = MaskBits(); }

// man 2 sigsuspend: "sigsuspend() temporarily replaces the signal mask of the
// calling thread with the mask given by mask" / "If the signal is caught,
// then sigsuspend() returns after the signal handler returns, and the signal
// mask is restored to the state before the call to sigsuspend()." / "EINTR
// The call was interrupted by a signal". SIGUSR1 and SIGUSR2 are blocked,
// SIGUSR1 is pending with a handler; the raw rt_sigsuspend with mask
// {SIGUSR2} lets it through at once.
TEST_F(Signal, RtSigsuspendRestoresTheMaskItReplaced) {
  ScopedSignals s({SIGUSR1, SIGUSR2});
  struct sigaction sa = {};
  sa.sa_handler = NoteMask;
  sigemptyset(&sa.sa_mask);
  ASSERT_THAT(sigaction(SIGUSR1, &sa, nullptr), SyscallSucceeds());
  const uint64_t before = MaskBits();
  ASSERT_EQ(before & (Bit(SIGUSR1) | Bit(SIGUSR2)), Bit(SIGUSR1) | Bit(SIGUSR2));
  ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
  g_mask_in_handler = 0;
  const uint64_t during = Bit(SIGUSR2);
  EXPECT_THAT(syscall(SYS_rt_sigsuspend, &during, kKernelSigsetSize),
              SyscallFailsWithErrno(EINTR))
      << "rt_sigsuspend({SIGUSR2}, 8) with SIGUSR1 pending; man 2 sigsuspend: \"EINTR The call "
         "was interrupted by a signal\"";
  EXPECT_EQ(g_mask_in_handler, during | Bit(SIGUSR1))
      << std::hex << "the handler ran with mask " << g_mask_in_handler << "; man 2 sigsuspend: "
      << "it \"temporarily replaces the signal mask ... with the mask given by mask\" (and man 2 "
      << "sigaction: the signal itself is blocked in its handler)";
  EXPECT_EQ(MaskBits(), before)
      << std::hex << "after rt_sigsuspend the mask is " << MaskBits() << ", before it was "
      << before << "; man 2 sigsuspend: \"the signal mask is restored to the state before the "
      << "call to sigsuspend()\"";
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
