// Signals: the argument errors of the raw signal calls (issue 14): an
// inaccessible pointer is EFAULT, a sigset size other than the kernel's is
// EINVAL (man 2 sigprocmask, sigpending, sigaction, sigtimedwait,
// sigsuspend, signalfd: "C library/kernel differences"); rt_sigprocmask with
// both sets NULL or with one buffer for both; kill(2) of pid INT_MIN;
// sigqueue(3) of the null signal; sigqueue(3) to the caller itself.
//
// The calls are the raw system calls (syscall(SYS_rt_...)) with the kernel's
// sigset size, 8 bytes (glibc's sigset_t is 128): glibc cannot turn a bad
// pointer into a crash of its own, or hide a size.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
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

// The kernel's sigset_t: 64 signals, 8 bytes (man 2 sigprocmask: the
// kernel's "kernel_sigset_t" differs in size from glibc's sigset_t).
constexpr size_t kKernelSigsetSize = 8;

// The kernel's struct sigaction on x86_64 (handler, flags, restorer, mask):
// 32 bytes; a larger buffer for what rt_sigaction writes back.
struct KernelSigaction {
  uint64_t words[8];
};

long RtSigprocmask(int how, const void* set, void* old, size_t size) {
  return syscall(SYS_rt_sigprocmask, how, set, old, size);
}
long RtSigaction(int sig, const void* act, void* old, size_t size) {
  return syscall(SYS_rt_sigaction, sig, act, old, size);
}
long RtSigpending(void* set, size_t size) { return syscall(SYS_rt_sigpending, set, size); }
long RtSigtimedwait(const void* set, void* info, const void* timeout, size_t size) {
  return syscall(SYS_rt_sigtimedwait, set, info, timeout, size);
}
long RtSigsuspend(const void* set, size_t size) { return syscall(SYS_rt_sigsuspend, set, size); }
long Signalfd4(int fd, const void* set, size_t size, int flags) {
  return syscall(SYS_signalfd4, fd, set, size, flags);
}

// One inaccessible page (PROT_NONE) for the test's life.
class InaccessiblePage {
 public:
  InaccessiblePage()
      : p_(mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)),
        unmap_([this] {
          if (p_ != MAP_FAILED) munmap(p_, 4096);
        }) {}
  bool ok() const { return p_ != MAP_FAILED; }
  void* get() const { return p_; }

 private:
  void* p_;
  Cleanup unmap_;
};

// Closes what a call that should have failed returned (a descriptor), so a
// broken kernel's answer leaks nothing. The standard descriptors stay: a
// mutant's "success" returns 0.
void CloseIfNew(long fd) {
  if (fd > 2) close(static_cast<int>(fd));
}

struct Case {
  std::string call;
  std::function<long()> run;
  const char* cite;  // the man page and its sentence
};

// man 2 sigprocmask: "EFAULT The set or oldset argument points outside the
// process's allocated address space." / man 2 sigpending: "EFAULT set points
// to memory which is not a valid part of the process address space." / man 2
// sigaction: "EFAULT act or oldact points to memory which is not a valid part
// of the process address space." / man 2 sigsuspend: "EFAULT mask points to
// memory which is not a valid part of the process address space." / man 2
// sigtimedwait lists no EFAULT; Linux fails EFAULT for an inaccessible set or
// timeout (kernel/signal.c, rt_sigtimedwait: copy_from_user of the set, then
// get_timespec64 of the timeout, each "return -EFAULT") before it waits.
// Each pointer is a PROT_NONE page. Nothing may change: the fixture checks
// the mask and every disposition afterwards.
TEST_F(Signal, InaccessiblePointersAreEfault) {
  InaccessiblePage bad;
  ASSERT_TRUE(bad.ok()) << "mmap(PROT_NONE): " << ErrnoName(errno);
  void* b = bad.get();
  ScopedSignals s({SIGUSR1});
  ASSERT_OK_AND_ASSIGN(std::vector<int> before, BlockedSignals());
  const uint64_t usr1 = uint64_t{1} << (SIGUSR1 - 1);
  KernelSigaction old = {};
  siginfo_t si = {};
  const struct timespec zero = {0, 0};
  const char* kMask = "man 2 sigprocmask: \"EFAULT The set or oldset argument points outside the "
                      "process's allocated address space.\"";
  const char* kAction = "man 2 sigaction: \"EFAULT act or oldact points to memory which is not a "
                        "valid part of the process address space.\"";
  const char* kWait = "man 2 sigtimedwait lists no EFAULT; Linux (kernel/signal.c, "
                      "rt_sigtimedwait) copies the set and the timeout in before it waits and "
                      "fails EFAULT";
  const std::vector<Case> cases = {
      {"rt_sigprocmask(SIG_BLOCK, <inaccessible set>, NULL, 8)",
       [&] { return RtSigprocmask(SIG_BLOCK, b, nullptr, kKernelSigsetSize); }, kMask},
      {"rt_sigprocmask(SIG_SETMASK, <inaccessible set>, &old, 8)",
       [&] { return RtSigprocmask(SIG_SETMASK, b, &old, kKernelSigsetSize); }, kMask},
      {"rt_sigprocmask(SIG_BLOCK, NULL, <inaccessible oldset>, 8)",
       [&] { return RtSigprocmask(SIG_BLOCK, nullptr, b, kKernelSigsetSize); }, kMask},
      {"rt_sigpending(<inaccessible set>, 8)", [&] { return RtSigpending(b, kKernelSigsetSize); },
       "man 2 sigpending: \"EFAULT set points to memory which is not a valid part of the process "
       "address space.\""},
      {"rt_sigaction(SIGUSR1, <inaccessible act>, NULL, 8)",
       [&] { return RtSigaction(SIGUSR1, b, nullptr, kKernelSigsetSize); }, kAction},
      {"rt_sigaction(SIGRTMIN, <inaccessible act>, &oldact, 8)",
       [&] { return RtSigaction(SIGRTMIN, b, &old, kKernelSigsetSize); }, kAction},
      {"rt_sigaction(SIGUSR1, NULL, <inaccessible oldact>, 8)",
       [&] { return RtSigaction(SIGUSR1, nullptr, b, kKernelSigsetSize); }, kAction},
      {"rt_sigtimedwait(<inaccessible set>, &info, {0, 0}, 8)",
       [&] { return RtSigtimedwait(b, &si, &zero, kKernelSigsetSize); }, kWait},
      {"rt_sigtimedwait({SIGUSR1}, &info, <inaccessible timeout>, 8)",
       [&] { return RtSigtimedwait(&usr1, &si, b, kKernelSigsetSize); }, kWait},
      {"rt_sigsuspend(<inaccessible mask>, 8)", [&] { return RtSigsuspend(b, kKernelSigsetSize); },
       "man 2 sigsuspend: \"EFAULT mask points to memory which is not a valid part of the "
       "process address space.\""},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(c.run(), SyscallFailsWithErrno(EFAULT)) << c.call << "; " << c.cite;
  }
  ASSERT_OK_AND_ASSIGN(std::vector<int> after, BlockedSignals());
  EXPECT_EQ(FormatSignals(after), FormatSignals(before))
      << "a call that failed EFAULT changed the signal mask (" << kMask << ")";
}

// man 2 sigtimedwait: "If the info argument is not NULL, then the buffer
// that it points to is used to return a structure of type siginfo_t" and
// "sigwaitinfo() removes the signal from the set of pending signals"; the
// page says nothing of an inaccessible info. Linux (kernel/signal.c,
// rt_sigtimedwait) takes the signal first and only then copies the siginfo
// out: the call fails EFAULT and the signal is gone.
TEST_F(Signal, SigtimedwaitIntoAnInaccessibleInfoTakesTheSignalAndFailsEfault) {
  InaccessiblePage bad;
  ASSERT_TRUE(bad.ok()) << "mmap(PROT_NONE): " << ErrnoName(errno);
  void* b = bad.get();
  // In a child: a signal left pending by a broken kernel dies with it.
  ASSERT_OK_AND_ASSIGN(auto r, CallsInChild<2>([b](CallRecords<2>& rec) {
    const uint64_t usr2 = uint64_t{1} << (SIGUSR2 - 1);
    const struct timespec zero = {0, 0};
    sigset_t s = MakeSigset({SIGUSR2});
    if (sigprocmask(SIG_BLOCK, &s, nullptr) != 0 || raise(SIGUSR2) != 0 || !IsPending(SIGUSR2)) {
      return;
    }
    rec[0] = Record("rt_sigtimedwait", RtSigtimedwait(&usr2, b, &zero, kKernelSigsetSize));
    rec[1] = Record("sigpending", 0);
    rec[1].extra = IsPending(SIGUSR2);
  }));
  ASSERT_TRUE(r[0].reached()) << "the child could not make SIGUSR2 pending";
  EXPECT_TRUE(r[0].FailedWith(EFAULT))
      << "rt_sigtimedwait({SIGUSR2}, <inaccessible info>, {0, 0}, 8) with SIGUSR2 pending: " << r[0]
      << "; Linux (kernel/signal.c, rt_sigtimedwait) fails EFAULT when it cannot copy the "
         "siginfo out";
  EXPECT_EQ(r[1].extra, 0)
      << "after rt_sigtimedwait into an inaccessible info failed, SIGUSR2 is still pending: "
         "Linux takes the signal before it copies the siginfo out (man 2 sigtimedwait: "
         "\"sigwaitinfo() removes the signal from the set of pending signals\")";
}

// man 2 sigprocmask: "EINVAL Either the value specified in how was invalid
// or the kernel does not support the size passed in sigsetsize." man 2
// sigaction, sigtimedwait ("C library/kernel differences"): sigsetsize "is
// currently required to have the value sizeof(sigset_t) (or the error EINVAL
// results)". man 2 signalfd: the system call's sizemask "specifies the size
// of the mask argument"; Linux (fs/signalfd.c, signalfd4) fails EINVAL for
// any size but the kernel's. Every set pointer is valid and large enough, so
// only the size is wrong.
TEST_F(Signal, RawSignalCallsRejectASigsetSizeOtherThanTheKernels) {
  ScopedSignals s({SIGUSR1});
  uint64_t set[2] = {uint64_t{1} << (SIGUSR1 - 1), 0};
  uint64_t old[2] = {};
  KernelSigaction act = {};
  siginfo_t si = {};
  const struct timespec zero = {0, 0};
  for (size_t size : {size_t{4}, size_t{16}}) {
    const std::string n = std::to_string(size);
    EXPECT_THAT(RtSigprocmask(SIG_BLOCK, set, old, size), SyscallFailsWithErrno(EINVAL))
        << "rt_sigprocmask(SIG_BLOCK, set, old, " << n << "): sigsetsize " << n
        << "; man 2 sigprocmask: \"EINVAL Either the value specified in how was invalid or the "
           "kernel does not support the size passed in sigsetsize.\"";
    EXPECT_THAT(RtSigprocmask(SIG_BLOCK, nullptr, old, size), SyscallFailsWithErrno(EINVAL))
        << "rt_sigprocmask(SIG_BLOCK, NULL, old, " << n << "): sigsetsize " << n
        << "; man 2 sigprocmask: \"the kernel does not support the size passed in sigsetsize\"";
    EXPECT_THAT(RtSigaction(SIGUSR1, nullptr, &act, size), SyscallFailsWithErrno(EINVAL))
        << "rt_sigaction(SIGUSR1, NULL, old, " << n << "): sigsetsize " << n
        << "; man 2 sigaction: sigsetsize \"is currently required to have the value "
           "sizeof(sigset_t) (or the error EINVAL results)\"";
    EXPECT_THAT(RtSigtimedwait(set, &si, &zero, size), SyscallFailsWithErrno(EINVAL))
        << "rt_sigtimedwait({SIGUSR1}, &info, {0, 0}, " << n << "): sigsetsize " << n
        << "; man 2 sigtimedwait: sigsetsize \"is currently required to have the value "
           "sizeof(sigset_t) (or the error EINVAL results)\"";
    long fd = Signalfd4(-1, set, size, SFD_NONBLOCK | SFD_CLOEXEC);
    EXPECT_THAT(fd, SyscallFailsWithErrno(EINVAL))
        << "signalfd4(-1, {SIGUSR1}, " << n << ", SFD_NONBLOCK | SFD_CLOEXEC): sizemask " << n
        << "; man 2 signalfd: sizemask \"specifies the size of the mask argument\" (Linux, "
           "fs/signalfd.c: EINVAL unless it is the kernel's)";
    CloseIfNew(fd);
  }
  EXPECT_THAT(RtSigprocmask(SIG_BLOCK, nullptr, old, kKernelSigsetSize), SyscallSucceeds())
      << "rt_sigprocmask with sigsetsize 8, the kernel's";
}

// man 2 sigpending and sigsuspend, "C library/kernel differences": the
// system calls take "size_t sigsetsize, which specifies the size in bytes of
// the signal set"; for rt_sigsuspend it "is currently required to have the
// value sizeof(sigset_t) (or the error EINVAL results)". sigpending(2) says
// no more; Linux (kernel/signal.c, rt_sigpending) fails EINVAL for a size
// larger than the kernel's (a smaller one gets that many bytes). SIGUSR1 is
// blocked and pending with a handler, and each rt_sigsuspend mask unblocks
// it: a kernel that took the size would return at once (EINTR) instead of
// suspending the test.
TEST_F(Signal, SigpendingAndSigsuspendCheckTheSigsetSize) {
  ScopedSignals s({SIGUSR1});
  InstallRecorder(SIGUSR1);
  uint64_t buf[2] = {};
  const uint64_t none[2] = {0, 0};
  EXPECT_THAT(RtSigpending(buf, 16), SyscallFailsWithErrno(EINVAL))
      << "rt_sigpending(buf, 16): sigsetsize 16, larger than the kernel's 8 (Linux, "
         "kernel/signal.c; man 2 sigpending: sigsetsize \"specifies the size in bytes of the "
         "signal set in set\")";
  EXPECT_THAT(RtSigpending(buf, kKernelSigsetSize), SyscallSucceeds())
      << "rt_sigpending with sigsetsize 8, the kernel's";
  for (size_t size : {size_t{4}, size_t{16}}) {
    if (!IsPending(SIGUSR1)) { ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds()); }
    EXPECT_THAT(RtSigsuspend(none, size), SyscallFailsWithErrno(EINVAL))
        << "rt_sigsuspend(<empty mask>, " << size << "): sigsetsize " << size
        << "; man 2 sigsuspend: sigsetsize \"is currently required to have the value "
           "sizeof(sigset_t) (or the error EINVAL results)\"";
  }
  EXPECT_EQ(g_seen_count, 0) << "an rt_sigsuspend with a wrong sigset size let SIGUSR1 through";
}

// man 2 sigprocmask: "Note that it is permissible (although not very useful)
// to specify both set and oldset as NULL." / "If set is NULL, then the signal
// mask is unchanged (i.e., how is ignored)". Each how, set and oldset NULL:
// the call succeeds and the mask stays as it was (SIGUSR1 blocked).
TEST_F(Signal, SigprocmaskWithBothSetsNullSucceedsAndChangesNothing) {
  ScopedSignals s({SIGUSR1});
  ASSERT_OK_AND_ASSIGN(std::vector<int> before, BlockedSignals());
  for (int how : {SIG_BLOCK, SIG_UNBLOCK, SIG_SETMASK}) {
    const char* name = how == SIG_BLOCK ? "SIG_BLOCK" : how == SIG_UNBLOCK ? "SIG_UNBLOCK"
                                                                           : "SIG_SETMASK";
    EXPECT_THAT(RtSigprocmask(how, nullptr, nullptr, kKernelSigsetSize), SyscallSucceeds())
        << "rt_sigprocmask(" << name << ", NULL, NULL, 8); man 2 sigprocmask: \"it is "
        << "permissible (although not very useful) to specify both set and oldset as NULL\"";
    ASSERT_OK_AND_ASSIGN(std::vector<int> after, BlockedSignals());
    EXPECT_EQ(FormatSignals(after), FormatSignals(before))
        << "rt_sigprocmask(" << name << ", NULL, NULL, 8) changed the mask; man 2 sigprocmask: "
        << "\"If set is NULL, then the signal mask is unchanged (i.e., how is ignored)\"";
  }
}

// man 2 sigprocmask: "If oldset is non-NULL, the previous value of the signal
// mask is stored in oldset." / SIG_BLOCK: "The set of blocked signals is the
// union of the current set and the set argument." / SIG_UNBLOCK: "The
// signals in set are removed from the current set of blocked signals." The
// page's prototype marks set and oldset `restrict`, but the kernel reads set
// before it writes oldset (kernel/signal.c, rt_sigprocmask): one buffer for
// both gives the old mask back and applies the new one.
TEST_F(Signal, SigprocmaskWithOneBufferForSetAndOldset) {
  ScopedSignals s({SIGUSR1, SIGUSR2}, /*block=*/false);
  uint64_t usr1 = uint64_t{1} << (SIGUSR1 - 1), usr2 = uint64_t{1} << (SIGUSR2 - 1);
  ASSERT_THAT(RtSigprocmask(SIG_UNBLOCK, &usr2, nullptr, kKernelSigsetSize), SyscallSucceeds());
  ASSERT_THAT(RtSigprocmask(SIG_BLOCK, &usr1, nullptr, kKernelSigsetSize), SyscallSucceeds());
  uint64_t start = 0;
  ASSERT_THAT(RtSigprocmask(SIG_BLOCK, nullptr, &start, kKernelSigsetSize), SyscallSucceeds());

  uint64_t buf = usr2;
  ASSERT_THAT(RtSigprocmask(SIG_BLOCK, &buf, &buf, kKernelSigsetSize), SyscallSucceeds())
      << "rt_sigprocmask(SIG_BLOCK, &buf, &buf, 8)";
  EXPECT_EQ(buf, start) << "rt_sigprocmask(SIG_BLOCK, {SIGUSR2}, same buffer): the buffer does "
                           "not hold the previous mask; man 2 sigprocmask: \"If oldset is "
                           "non-NULL, the previous value of the signal mask is stored in oldset.\"";
  uint64_t now = 0;
  ASSERT_THAT(RtSigprocmask(SIG_BLOCK, nullptr, &now, kKernelSigsetSize), SyscallSucceeds());
  EXPECT_EQ(now, start | usr2) << "rt_sigprocmask(SIG_BLOCK, {SIGUSR2}, same buffer) did not add "
                                  "SIGUSR2; man 2 sigprocmask: SIG_BLOCK \"The set of blocked "
                                  "signals is the union of the current set and the set argument.\"";

  buf = usr1 | usr2;
  ASSERT_THAT(RtSigprocmask(SIG_UNBLOCK, &buf, &buf, kKernelSigsetSize), SyscallSucceeds())
      << "rt_sigprocmask(SIG_UNBLOCK, &buf, &buf, 8)";
  EXPECT_EQ(buf, start | usr2) << "rt_sigprocmask(SIG_UNBLOCK, {SIGUSR1, SIGUSR2}, same buffer): "
                                  "the buffer does not hold the previous mask (man 2 "
                                  "sigprocmask, oldset)";
  ASSERT_THAT(RtSigprocmask(SIG_BLOCK, nullptr, &now, kKernelSigsetSize), SyscallSucceeds());
  EXPECT_EQ(now, start & ~(usr1 | usr2))
      << "rt_sigprocmask(SIG_UNBLOCK, {SIGUSR1, SIGUSR2}, same buffer) did not remove them; man "
         "2 sigprocmask: SIG_UNBLOCK \"The signals in set are removed from the current set of "
         "blocked signals.\"";
}

// man 2 kill: "If pid is less than -1, then sig is sent to every process in
// the process group whose ID is -pid." -INT_MIN is not an int; Linux
// (kernel/signal.c, kill_something_info: "-INT_MIN is undefined") fails
// ESRCH, as for a group that does not exist: "ESRCH The target process or
// process group does not exist." The null signal only (man 2 kill: "If sig is
// 0, then no signal is sent, but existence and permission checks are still
// performed"): a kernel with the old overflow sends nothing to anyone.
TEST_F(Signal, KillOfPidIntMinIsEsrch) {
  EXPECT_THAT(kill(INT_MIN, 0), SyscallFailsWithErrno(ESRCH))
      << "kill(INT_MIN, 0); man 2 kill: \"ESRCH The target process or process group does not "
         "exist.\" (Linux: -INT_MIN is no process group)";
}

// man 3 sigqueue: "As with kill(2), the null signal (0) can be used to check
// if a process with a given PID exists." / "ESRCH No process has a PID
// matching pid." man 2 kill: "If sig is 0, then no signal is sent". The
// signal is queued to this process, which must then have nothing new
// pending; then to the PID of a child that has been reaped.
TEST_F(Signal, SigqueueOfTheNullSignalSendsNothingButChecksThePid) {
  ASSERT_OK_AND_ASSIGN(std::vector<int> before, PendingSignals());
  EXPECT_THAT(Queue(getpid(), 0, 5), SyscallSucceeds())
      << "sigqueue(getpid(), 0): man 3 sigqueue: \"the null signal (0) can be used to check if a "
         "process with a given PID exists\" (and this one does)";
  ASSERT_OK_AND_ASSIGN(std::vector<int> after, PendingSignals());
  EXPECT_EQ(FormatSignals(after), FormatSignals(before))
      << "sigqueue(getpid(), 0) left a signal pending; man 2 kill: \"If sig is 0, then no signal "
         "is sent\" (man 3 sigqueue: \"As with kill(2)\")";

  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([] { return 0; }));
  const pid_t gone = child.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_THAT(Queue(gone, 0, 1), SyscallFailsWithErrno(ESRCH))
      << "sigqueue(<pid of a reaped child>, 0): man 3 sigqueue: \"ESRCH No process has a PID "
         "matching pid.\" (the null signal still checks that the process exists)";
}

// man 3 sigqueue: "The permissions required to send a signal are the same as
// for kill(2)." / "EPERM The process does not have permission to send the
// signal to the receiving process." man 2 kill: "If sig is 0, then no signal
// is sent, but existence and permission checks are still performed". A child
// of this root process drops to a user ID no process has (as in
// Signal.UnprivilegedSenderGetsEperm) and queues the null signal to this
// process, then to itself.
TEST_F(Signal, SigqueueOfTheNullSignalStillChecksPermission) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid());
  const pid_t parent = getpid();
  const uid_t other = UnusedUid();
  ASSERT_OK_AND_ASSIGN(auto r, CallsInChild<3>([parent, other](CallRecords<3>& rec) {
    rec[0] = Record("setresuid", setresuid(other, other, other));
    if (rec[0].failed()) return;
    rec[1] = Record("sigqueue(parent, 0)", Queue(parent, 0, 1));
    rec[2] = Record("sigqueue(itself, 0)", Queue(getpid(), 0, 1));
  }));
  ASSERT_FALSE(r[0].failed()) << r[0] << " although the need was met a moment ago";
  EXPECT_TRUE(r[1].FailedWith(EPERM))
      << r[1] << " from uid " << other << " to uid 0; man 3 sigqueue: \"EPERM The process does "
      << "not have permission to send the signal to the receiving process.\" and man 2 kill: with "
      << "sig 0 \"existence and permission checks are still performed\"";
  EXPECT_EQ(r[2].ret, 0) << r[2] << "; man 2 kill: a process may signal itself";
}

struct SelfQueueReport {
  int32_t ret = -2;
  int32_t err = 0;
  int32_t seen_at_return = -1;  // handler runs counted right after sigqueue returned
  int32_t value = 0;            // si_value the handler saw
  int32_t code = 0;             // si_code the handler saw
};

// man 3 sigqueue, NOTES: "If this function results in the sending of a signal
// to the process that invoked it, and that signal was not blocked by the
// calling thread, and no other threads were willing to handle this signal
// (either by having it unblocked, or by waiting for it using sigwait(3)),
// then at least some signal must be delivered to this thread before this
// function returns." A forked child (one thread) with a SA_SIGINFO handler
// for SIGRTMIN+4, unblocked, queues it to itself and counts the handler's
// runs as soon as sigqueue returns.
TEST_F(Signal, SigqueueToItselfUnblockedRunsTheHandlerBeforeReturning) {
  ASSERT_OK_AND_ASSIGN(SharedObject<SelfQueueReport> rep,
                       SharedObject<SelfQueueReport>::Create());
  SelfQueueReport* r = rep.get();
  const int sig = SIGRTMIN + 4;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([r, sig]() -> int {
    InstallRecorder(sig);
    sigset_t s = MakeSigset({sig});
    if (sigprocmask(SIG_UNBLOCK, &s, nullptr) != 0) return 1;
    r->ret = Queue(getpid(), sig, 42);
    r->err = errno;
    r->seen_at_return = g_seen_count;
    if (g_seen_count > 0) {
      r->value = g_seen[0].value;
      r->code = g_seen[0].code;
    }
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_EQ(r->ret, 0) << "sigqueue(itself, SIGRTMIN+4, 42) failed " << ErrnoName(r->err);
  EXPECT_EQ(r->seen_at_return, 1)
      << "the handler had run " << r->seen_at_return << " times when sigqueue returned; man 3 "
      << "sigqueue: \"at least some signal must be delivered to this thread before this "
      << "function returns\"";
  if (r->seen_at_return > 0) {
    EXPECT_EQ(r->value, 42) << "man 3 sigqueue: the handler gets the value in si_value";
    EXPECT_EQ(r->code, SI_QUEUE) << "man 3 sigqueue: si_code \"will be set to SI_QUEUE\"";
  }
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
