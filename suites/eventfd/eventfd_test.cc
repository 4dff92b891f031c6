// eventfd(2) semantics on raw descriptors: what the Counter interface does not
// cover (buffer sizes, flags, initval, fork, /proc fdinfo) and the exact
// boundaries of the counter. Each test cites the sentence of man 2 eventfd
// (or man 5 proc) it checks.
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdint>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/eventfd/eventfd.h"

namespace ipcspec {
namespace {

constexpr uint64_t kAllOnes = 0xffffffffffffffffULL;

FileDescriptor MakeEventFd(unsigned initval, int flags) {
  return FileDescriptor(eventfd(initval, flags | EFD_CLOEXEC));
}

ssize_t Write64(int fd, uint64_t v) { return write(fd, &v, sizeof v); }

// man 2 eventfd: "A read(2) fails with the error EINVAL if the size of the
// supplied buffer is less than 8 bytes."
TEST(EventFd, ReadShorterThanEightBytesIsEinval) {
  FileDescriptor fd = MakeEventFd(3, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  char buf[8];
  for (size_t n : {0, 1, 4, 7}) {
    EXPECT_THAT(read(fd.get(), buf, n), SyscallFailsWithErrno(EINVAL))
        << "read of " << n << " bytes; man 2 eventfd: \"A read(2) fails with the error EINVAL "
        << "if the size of the supplied buffer is less than 8 bytes.\"";
  }
  // The failed reads took nothing: a full read still returns the whole
  // initial value. (A read, not /proc/self/fdinfo, so that this also works
  // where fdinfo has no eventfd-count line, e.g. under gVisor.)
  uint64_t left = 0;
  ASSERT_THAT(read(fd.get(), &left, sizeof left), SyscallSucceedsWithValue(8));
  EXPECT_EQ(left, 3u) << "a read that failed EINVAL changed the counter (man 2 eventfd)";
}

// man 2 eventfd: "Each successful read(2) returns an 8-byte integer." A
// larger buffer still gets 8 bytes.
TEST(EventFd, ReadReturnsEightBytesFromALargerBuffer) {
  FileDescriptor fd = MakeEventFd(9, 0);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  uint64_t buf[4] = {0, 0, 0, 0};
  EXPECT_THAT(read(fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(8))
      << "man 2 eventfd: \"Each successful read(2) returns an 8-byte integer.\"";
  EXPECT_EQ(buf[0], 9u) << "man 2 eventfd: \"This counter is initialized with the value "
                           "specified in the argument initval.\"";
}

// man 2 eventfd: "A write(2) fails with the error EINVAL if the size of the
// supplied buffer is less than 8 bytes, or if an attempt is made to write the
// value 0xffffffffffffffff."
TEST(EventFd, ShortWriteAndAllOnesAreEinval) {
  FileDescriptor fd = MakeEventFd(1, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  uint64_t one = 1;
  EXPECT_THAT(write(fd.get(), &one, 7), SyscallFailsWithErrno(EINVAL))
      << "man 2 eventfd: \"A write(2) fails with the error EINVAL if the size of the supplied "
         "buffer is less than 8 bytes\"";
  EXPECT_THAT(Write64(fd.get(), kAllOnes), SyscallFailsWithErrno(EINVAL))
      << "man 2 eventfd: \"A write(2) fails with the error EINVAL if ... an attempt is made to "
         "write the value 0xffffffffffffffff.\"";
  // A read, not /proc/self/fdinfo: works where fdinfo has no eventfd-count.
  uint64_t left = 0;
  ASSERT_THAT(read(fd.get(), &left, sizeof left), SyscallSucceedsWithValue(8));
  EXPECT_EQ(left, 1u) << "a write that failed EINVAL changed the counter (man 2 eventfd)";
}

// man 2 eventfd: "The maximum value that may be stored in the counter is the
// largest unsigned 64-bit value minus 1 (i.e., 0xfffffffffffffffe). If the
// addition would cause the counter's value to exceed the maximum, then the
// write(2) either blocks ... or fails with the error EAGAIN if the file
// descriptor has been made nonblocking."
TEST(EventFd, CounterHoldsExactlyTheMaximum) {
  FileDescriptor fd = MakeEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  EXPECT_THAT(Write64(fd.get(), kEventFdMax - 1), SyscallSucceedsWithValue(8))
      << "man 2 eventfd: \"A write(2) call adds the 8-byte integer value ... to the counter.\"";
  EXPECT_THAT(Write64(fd.get(), 1), SyscallSucceedsWithValue(8))
      << "the counter must hold 0xfffffffffffffffe (man 2 eventfd: \"The maximum value that may "
         "be stored in the counter is ... 0xfffffffffffffffe\")";
  EXPECT_THAT(Write64(fd.get(), 1), SyscallFailsWithErrno(EAGAIN))
      << "man 2 eventfd: \"If the addition would cause the counter's value to exceed the "
         "maximum, then the write(2) ... fails with the error EAGAIN if the file descriptor has "
         "been made nonblocking.\"";
  EXPECT_THAT(Write64(fd.get(), 0), SyscallSucceedsWithValue(8))
      << "adding 0 at the maximum does not pass it (man 2 eventfd)";
  struct pollfd p = {fd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1));
  EXPECT_EQ(p.revents & (POLLIN | POLLOUT), POLLIN)
      << "at the maximum the fd is readable and not writable (man 2 eventfd: \"writable ... if "
         "it is possible to write a value of at least \"1\" without blocking\")";
  uint64_t v = 0;
  ASSERT_THAT(read(fd.get(), &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, kEventFdMax) << "man 2 eventfd: read returns the counter's value";
}

// The same rule, blocking: "then the write(2) either blocks until a read(2)
// is performed on the file descriptor". A child is seen asleep in write(2),
// and a read from the parent lets it finish.
TEST(EventFd, OverflowingWriteBlocksUntilARead) {
  FileDescriptor fd = MakeEventFd(0, 0);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  ASSERT_THAT(Write64(fd.get(), kEventFdMax - 5), SyscallSucceedsWithValue(8));
  const int efd = fd.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([efd]() -> int {
    return Write64(efd, 6) == 8 ? 0 : 1;  // needs the counter at most max - 6
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_write});
  ASSERT_TRUE(blocked.ok()) << blocked << "; man 2 eventfd: \"If the addition would cause the counter's value to exceed the "
         "maximum, then the write(2) either blocks until a read(2) is performed\"";
  uint64_t v = 0;
  ASSERT_THAT(read(efd, &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, kEventFdMax - 5) << "man 2 eventfd: the read returns the counter's value";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << "the blocked write, after the read: " << st
                                << " (man 2 eventfd: it \"blocks until a read(2) is performed\")";
  ASSERT_THAT(read(efd, &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 6u) << "the woken write added its value (man 2 eventfd: \"A write(2) call adds "
                      "the 8-byte integer value supplied in its buffer to the counter.\")";
}

// man 2 eventfd: "If the eventfd counter is zero at the time of the call to
// read(2), then the call either blocks until the counter becomes nonzero (at
// which time, the read(2) proceeds as described above) or fails with the
// error EAGAIN if the file descriptor has been made nonblocking."
TEST(EventFd, ReadAtZeroBlocksUntilAWrite) {
  FileDescriptor fd = MakeEventFd(0, 0);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  ASSERT_OK_AND_ASSIGN(SharedObject<uint64_t> got, SharedObject<uint64_t>::Create(0));
  uint64_t* out = got.get();
  const int efd = fd.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([efd, out]() -> int {
    return read(efd, out, sizeof *out) == 8 ? 0 : 1;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_read});
  ASSERT_TRUE(blocked.ok()) << blocked << "; man 2 eventfd: a read at zero \"blocks until the counter becomes nonzero\"";
  ASSERT_THAT(Write64(efd, 42), SyscallSucceedsWithValue(8));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(*out, 42u) << "the woken read \"proceeds as described above\" (man 2 eventfd)";
  uint64_t v = 0;
  int fl = fcntl(efd, F_GETFL);
  ASSERT_THAT(fcntl(efd, F_SETFL, fl | O_NONBLOCK), SyscallSucceeds());
  EXPECT_THAT(read(efd, &v, sizeof v), SyscallFailsWithErrno(EAGAIN))
      << "man 2 eventfd: at zero a read \"fails with the error EAGAIN if the file descriptor "
         "has been made nonblocking\"";
}

// man 2 eventfd: "If EFD_SEMAPHORE was specified and the eventfd counter has
// a nonzero value, then a read(2) returns 8 bytes containing the value 1, and
// the counter's value is decremented by 1."
TEST(EventFd, SemaphoreReadsOneAtATime) {
  FileDescriptor fd = MakeEventFd(3, EFD_SEMAPHORE | EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  for (int i = 0; i < 3; ++i) {
    uint64_t v = 0;
    ASSERT_THAT(read(fd.get(), &v, sizeof v), SyscallSucceedsWithValue(8));
    EXPECT_EQ(v, 1u) << "read " << i << "; man 2 eventfd: with EFD_SEMAPHORE \"a read(2) "
                     << "returns 8 bytes containing the value 1\"";
    // The exact value where fdinfo shows it (man 5 proc eventfd-count; gVisor
    // has no such line); everywhere, three reads then EAGAIN below.
    auto left = EventFdCount(fd.get());
    if (!left.ok() && left.errno_value() == ENOTSUP) continue;
    ASSERT_NO_ERRNO(left);
    EXPECT_EQ(left.value(), static_cast<uint64_t>(2 - i))
        << "man 2 eventfd: \"the counter's value is decremented by 1\"";
  }
  uint64_t v = 0;
  EXPECT_THAT(read(fd.get(), &v, sizeof v), SyscallFailsWithErrno(EAGAIN))
      << "man 2 eventfd: at zero, EAGAIN on a nonblocking descriptor";
}

// man 2 eventfd: "EFD_NONBLOCK Set the O_NONBLOCK file status flag on the open
// file description" / "EFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on
// the new file descriptor." / "EINVAL An unsupported value was specified in
// flags."
TEST(EventFd, Flags) {
  FileDescriptor nb(eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  ASSERT_TRUE(nb.valid()) << "eventfd: " << ErrnoName(errno);
  EXPECT_TRUE(fcntl(nb.get(), F_GETFL) & O_NONBLOCK)
      << "man 2 eventfd: \"EFD_NONBLOCK Set the O_NONBLOCK file status flag\"";
  EXPECT_TRUE(fcntl(nb.get(), F_GETFD) & FD_CLOEXEC)
      << "man 2 eventfd: \"EFD_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag\"";
  int bad = eventfd(0, 0x2);  // not EFD_SEMAPHORE, EFD_NONBLOCK or EFD_CLOEXEC
  FileDescriptor owned(bad);
  EXPECT_THAT(bad, SyscallFailsWithErrno(EINVAL))
      << "man 2 eventfd: \"EINVAL An unsupported value was specified in flags.\"";
}

// man 2 eventfd: "A copy of the file descriptor created by eventfd() is
// inherited by the child produced by fork(2). The duplicate file descriptor is
// associated with the same eventfd object."
TEST(EventFd, ForkedChildSharesTheCounter) {
  FileDescriptor fd = MakeEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  const int efd = fd.get();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([efd]() -> int {
    return Write64(efd, 7) == 8 && Write64(efd, 5) == 8 ? 0 : 1;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  uint64_t v = 0;
  ASSERT_THAT(read(efd, &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 12u) << "the child's writes did not reach the parent's counter (man 2 eventfd: "
                       "\"The duplicate file descriptor is associated with the same eventfd "
                       "object.\")";
}

// man 5 proc, /proc/pid/fdinfo: "eventfd-count is the current value of the
// eventfd counter, in hexadecimal."
TEST(EventFd, FdinfoShowsTheCounter) {
  // gVisor and old kernels show no eventfd-count line.
  IPCSPEC_NEEDS(Need::Feature("fdinfo-eventfd-count", []() -> std::optional<std::string> {
    FileDescriptor probe = MakeEventFd(0, EFD_NONBLOCK);
    if (!probe.valid()) return std::nullopt;  // the test fails on it
    auto c = EventFdCount(probe.get());
    if (!c.ok() && c.errno_value() == ENOTSUP) return c.error().ToString();
    return std::nullopt;
  }));
  FileDescriptor fd = MakeEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  ASSERT_THAT(Write64(fd.get(), 0x40), SyscallSucceedsWithValue(8));
  auto count = EventFdCount(fd.get());
  ASSERT_NO_ERRNO(count);
  EXPECT_EQ(count.value(), 0x40u)
      << "man 5 proc: \"eventfd-count is the current value of the eventfd counter, in "
         "hexadecimal.\"";
}

}  // namespace
}  // namespace ipcspec
