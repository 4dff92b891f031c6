// Signals: signalfd(2): signals and their values read from the descriptor,
// the mask replaced and SIGKILL/SIGSTOP ignored, a forked child reading its
// own signals.
//
// Part of //suites/signal:signal_test; signal_test_util.h has the fixture and
// the helpers every signal test shares.
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/signal/signal_state.h"
#include "suites/signal/signal_test_util.h"

namespace ipcspec {
namespace signal_test {
namespace {

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

// man 2 signalfd: ssi_int "Integer sent by sigqueue(3)", ssi_ptr "Pointer
// sent by sigqueue(3)"; man 3 sigqueue: "The value argument is used to
// specify an accompanying item of data (either an integer or a pointer
// value) to be sent with the signal". Each record read on its own, with a
// buffer of exactly one record, so that nothing else in the read can hide a
// lost value (the test above reads three records at once).
TEST_F(Signal, SignalfdCarriesTheSigqueueValue) {
  const int rt = SIGRTMIN + 2;
  ScopedSignals s({rt});
  sigset_t mask = MakeSigset({rt});
  FileDescriptor fd(signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC));
  ASSERT_TRUE(fd.valid()) << "signalfd: " << ErrnoName(errno);
  union sigval v = {};
  v.sival_int = 42;
  ASSERT_THAT(sigqueue(getpid(), rt, v), SyscallSucceeds());
  struct signalfd_siginfo ssi = {};
  ASSERT_THAT(read(fd.get(), &ssi, sizeof ssi), SyscallSucceedsWithValue(sizeof ssi));
  EXPECT_EQ(ssi.ssi_signo, static_cast<uint32_t>(rt)) << "man 2 signalfd: ssi_signo";
  EXPECT_EQ(ssi.ssi_code, SI_QUEUE) << "man 2 sigaction: SI_QUEUE for sigqueue(3)";
  EXPECT_EQ(ssi.ssi_int, 42) << "the value sent by sigqueue(3) is lost: man 2 signalfd: ssi_int "
                                "\"Integer sent by sigqueue(3)\"";
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__  // the int is the union's low bytes
  EXPECT_EQ(ssi.ssi_ptr, 42u) << "the value sent by sigqueue(3) is lost: man 2 signalfd: ssi_ptr "
                                 "\"Pointer sent by sigqueue(3)\" (the same union sigval)";
#endif
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

}  // namespace
}  // namespace signal_test
}  // namespace ipcspec
