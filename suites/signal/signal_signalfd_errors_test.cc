// Signals: signalfd(2) flags and errors (SFD_CLOEXEC, EBADF, EINVAL), a
// blocking read that sleeps until the signal comes, and a signalfd whose mask
// names only SIGKILL: never readable, and no shield against SIGKILL (issue
// 14).
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

// man 2 signalfd: "SFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on
// the new file descriptor." Without it the flag is clear (man 2 fcntl:
// F_GETFD reads the descriptor flags).
TEST_F(Signal, SignalfdCloexecSetsFdCloexec) {
  sigset_t mask = MakeSigset({SIGUSR1});
  FileDescriptor with(signalfd(-1, &mask, SFD_CLOEXEC));
  ASSERT_TRUE(with.valid()) << "signalfd(-1, {SIGUSR1}, SFD_CLOEXEC): " << ErrnoName(errno);
  FileDescriptor without(signalfd(-1, &mask, 0));
  ASSERT_TRUE(without.valid()) << "signalfd(-1, {SIGUSR1}, 0): " << ErrnoName(errno);
  int flags = fcntl(with.get(), F_GETFD);
  ASSERT_THAT(flags, SyscallSucceeds()) << "fcntl(F_GETFD)";
  EXPECT_TRUE(flags & FD_CLOEXEC)
      << "signalfd with SFD_CLOEXEC: F_GETFD gives " << flags << "; man 2 signalfd: "
      << "\"SFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor.\"";
  flags = fcntl(without.get(), F_GETFD);
  ASSERT_THAT(flags, SyscallSucceeds()) << "fcntl(F_GETFD)";
  EXPECT_FALSE(flags & FD_CLOEXEC)
      << "signalfd with flags 0: FD_CLOEXEC is set; man 2 signalfd: only SFD_CLOEXEC sets it";
}

// man 2 signalfd: "EBADF The fd file descriptor is not a valid file
// descriptor." / "EINVAL fd is not a valid signalfd file descriptor." /
// "EINVAL flags is invalid". fd -2, and a descriptor just closed; an
// eventfd and a pipe end; flags 1 and 0x40000000 (neither SFD_NONBLOCK nor
// SFD_CLOEXEC).
TEST_F(Signal, SignalfdBadDescriptorsAndFlags) {
  sigset_t mask = MakeSigset({SIGUSR1});
  int closed = eventfd(0, EFD_CLOEXEC);
  ASSERT_THAT(closed, SyscallSucceeds()) << "eventfd";
  ASSERT_THAT(close(closed), SyscallSucceeds());
  for (int fd : {-2, closed}) {
    int got = signalfd(fd, &mask, 0);
    EXPECT_THAT(got, SyscallFailsWithErrno(EBADF))
        << "signalfd(" << fd << ", {SIGUSR1}, 0); man 2 signalfd: \"EBADF The fd file "
        << "descriptor is not a valid file descriptor.\"";
    if (got > 2) close(got);  // a broken kernel's descriptor (a mutant's "success" is 0)
  }

  FileDescriptor ev(eventfd(0, EFD_CLOEXEC));
  ASSERT_TRUE(ev.valid()) << "eventfd: " << ErrnoName(errno);
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor rd(p[0]), wr(p[1]);
  for (int fd : {ev.get(), rd.get()}) {
    EXPECT_THAT(signalfd(fd, &mask, 0), SyscallFailsWithErrno(EINVAL))
        << "signalfd(" << (fd == ev.get() ? "<an eventfd>" : "<a pipe's read end>")
        << ", {SIGUSR1}, 0); man 2 signalfd: \"EINVAL fd is not a valid signalfd file "
        << "descriptor.\"";
  }

  for (int flags : {1, 0x40000000}) {
    int got = signalfd(-1, &mask, flags);
    EXPECT_THAT(got, SyscallFailsWithErrno(EINVAL))
        << "signalfd(-1, {SIGUSR1}, " << flags << "); man 2 signalfd: \"EINVAL flags is "
        << "invalid\"";
    if (got > 2) close(got);
  }
}

struct ReadReport {
  long ret = -2;
  int err = 0;
  struct signalfd_siginfo ssi = {};
};

// man 2 signalfd: "If none of the signals in mask is pending for the
// process, then the read(2) either blocks until one of the signals in mask
// is generated for the process, or fails with the error EAGAIN if the file
// descriptor has been made nonblocking." SIGUSR2 is blocked (a new thread
// inherits the mask, and this process has no other thread); a second thread
// reads a blocking signalfd for it, and once that thread is seen asleep in
// read(2), sigqueue(3) sends SIGUSR2 with a value to the process.
TEST_F(Signal, BlockingSignalfdReadSleepsUntilTheSignalComes) {
  ScopedSignals s({SIGUSR2});
  sigset_t mask = MakeSigset({SIGUSR2});
  FileDescriptor fd(signalfd(-1, &mask, SFD_CLOEXEC));  // blocking
  ASSERT_TRUE(fd.valid()) << "signalfd(-1, {SIGUSR2}, SFD_CLOEXEC): " << ErrnoName(errno);
  ASSERT_OK_AND_ASSIGN(Checkpoint cp, Checkpoint::Create());
  std::atomic<pid_t> tid{0};
  ReadReport r;
  std::thread reader([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    cp.Signal(1);
    r.ret = read(fd.get(), &r.ssi, sizeof r.ssi);
    r.err = errno;
    cp.Signal(2);
  });
  // However the test ends, the reader is woken (a plain kill) and joined.
  Cleanup join([&] {
    if (cp.stage() < 2) kill(getpid(), SIGUSR2);
    reader.join();
  });
  ASSERT_TRUE(cp.WaitFor(1, Deadline::Default()).ok()) << "the reader thread did not start";
  PosixError blocked = WaitUntilBlocked(tid.load(), {SYS_read});
  ASSERT_TRUE(blocked.ok()) << blocked << "; man 2 signalfd: with nothing pending the read(2) "
                            << "\"blocks until one of the signals in mask is generated\"";
  ASSERT_THAT(Queue(getpid(), SIGUSR2, 31), SyscallSucceeds());
  PosixError woke = cp.WaitFor(2, Deadline::Default());
  ASSERT_TRUE(woke.ok()) << woke << ": the thread blocked in read(2) of a signalfd did not wake "
                         << "when SIGUSR2 was sent; man 2 signalfd: the read \"blocks until one "
                         << "of the signals in mask is generated\"";
  join.Run();
  EXPECT_EQ(r.ret, static_cast<long>(sizeof(struct signalfd_siginfo)))
      << "read(2) failed " << ErrnoName(r.err) << "; man 2 signalfd";
  EXPECT_EQ(r.ssi.ssi_signo, static_cast<uint32_t>(SIGUSR2)) << "man 2 signalfd: ssi_signo";
  EXPECT_EQ(r.ssi.ssi_code, SI_QUEUE) << "man 3 sigqueue: si_code \"will be set to SI_QUEUE\"";
  EXPECT_EQ(r.ssi.ssi_int, 31) << "man 2 signalfd: ssi_int \"Integer sent by sigqueue(3)\"";
  EXPECT_EQ(r.ssi.ssi_pid, static_cast<uint32_t>(getpid()))
      << "man 2 signalfd: ssi_pid \"PID of sender\"";
}

// man 2 signalfd: "It is not possible to receive SIGKILL or SIGSTOP signals
// via a signalfd file descriptor; these signals are silently ignored if
// specified in mask." / "The file descriptor is readable ... if one or more
// of the signals in mask is pending for the process." So a signalfd whose
// mask is only SIGKILL has an empty mask and is never readable, whatever is
// pending: with a blocked SIGUSR1 pending, ppoll (timeout 0) finds neither a
// new one for {SIGKILL} nor one whose mask was changed from {SIGUSR1} to
// {SIGKILL} readable, while one for {SIGUSR1} is.
TEST_F(Signal, SignalfdForSigkillAloneIsNeverReadable) {
  ScopedSignals s({SIGUSR1});
  sigset_t kill_only = MakeSigset({SIGKILL});
  sigset_t usr1 = MakeSigset({SIGUSR1});
  FileDescriptor fresh(signalfd(-1, &kill_only, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(fresh.valid()) << "signalfd(-1, {SIGKILL}): " << ErrnoName(errno);
  FileDescriptor changed(signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(changed.valid()) << "signalfd(-1, {SIGUSR1}): " << ErrnoName(errno);
  ASSERT_THAT(signalfd(changed.get(), &kill_only, 0), SyscallSucceeds())
      << "signalfd(fd, {SIGKILL}, 0): replacing the mask";
  FileDescriptor control(signalfd(-1, &usr1, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(control.valid()) << "signalfd(-1, {SIGUSR1}): " << ErrnoName(errno);
  ASSERT_THAT(raise(SIGUSR1), SyscallSucceeds());
  ASSERT_TRUE(IsPending(SIGUSR1)) << "raise of a blocked SIGUSR1 left nothing pending";

  struct pollfd p[3] = {{fresh.get(), POLLIN, 0}, {changed.get(), POLLIN, 0},
                        {control.get(), POLLIN, 0}};
  const struct timespec zero = {0, 0};
  ASSERT_THAT(ppoll(p, 3, &zero, nullptr), SyscallSucceeds()) << "ppoll(timeout 0)";
  EXPECT_EQ(p[2].revents, POLLIN) << "the control: a signalfd for {SIGUSR1} with SIGUSR1 pending "
                                     "is not readable (man 2 signalfd: \"The file descriptor is "
                                     "readable ... if one or more of the signals in mask is "
                                     "pending\")";
  EXPECT_EQ(p[0].revents, 0)
      << "a new signalfd for {SIGKILL} polls readable (revents " << p[0].revents << ") with "
      << "SIGUSR1 pending; man 2 signalfd: SIGKILL and SIGSTOP \"are silently ignored if "
      << "specified in mask\"";
  EXPECT_EQ(p[1].revents, 0)
      << "a signalfd whose mask was replaced by {SIGKILL} polls readable (revents "
      << p[1].revents << ") with SIGUSR1 pending; man 2 signalfd: SIGKILL and SIGSTOP \"are "
      << "silently ignored if specified in mask\", and \"mask is used to replace the signal set\"";
  struct signalfd_siginfo ssi;
  EXPECT_THAT(read(fresh.get(), &ssi, sizeof ssi), SyscallFailsWithErrno(EAGAIN))
      << "a signalfd for {SIGKILL} read something (man 2 signalfd: \"It is not possible to "
         "receive SIGKILL or SIGSTOP signals via a signalfd file descriptor\")";
}

// man 7 signal: "The signals SIGKILL and SIGSTOP cannot be caught, blocked,
// or ignored." man 2 signalfd: "It is not possible to receive SIGKILL or
// SIGSTOP signals via a signalfd file descriptor". A child "blocks" SIGKILL
// (man 2 sigprocmask: "Attempts to do so are silently ignored"), opens a
// signalfd for it and sleeps in read(2) of it; SIGKILL (tgkill, as to a
// thread) still kills it.
TEST_F(Signal, SigkillKillsThroughASignalfdForSigkill) {
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([]() -> int {
    sigset_t s = MakeSigset({SIGKILL});
    sigprocmask(SIG_BLOCK, &s, nullptr);  // silently ignored
    int fd = signalfd(-1, &s, SFD_CLOEXEC);
    if (fd < 0) return 1;
    struct signalfd_siginfo ssi;
    read(fd, &ssi, sizeof ssi);  // never returns: nothing can be read
    return 2;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_read});
  ASSERT_TRUE(blocked.ok()) << blocked << " (the child could not make its signalfd, or its read "
                            << "of the empty-mask signalfd returned)";
  ASSERT_THAT(syscall(SYS_tgkill, child.pid(), child.pid(), SIGKILL), SyscallSucceeds());
  auto st = child.Wait();
  ASSERT_TRUE(st.ok()) << st.error() << ": SIGKILL did not end a child with SIGKILL in its mask "
                       << "and a signalfd for it; man 7 signal: \"The signals SIGKILL and "
                       << "SIGSTOP cannot be caught, blocked, or ignored.\"";
  EXPECT_TRUE(st.value().KilledBy(SIGKILL))
      << st.value() << "; man 7 signal: SIGKILL cannot be \"caught, blocked, or ignored\", a "
      << "signalfd does not take it (man 2 signalfd); man 2 wait: WTERMSIG";
}

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
