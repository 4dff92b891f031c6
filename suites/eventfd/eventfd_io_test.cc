// eventfd(2) descriptors under the generic file calls: no file offset
// (pread, pwrite: ESPIPE), the exact write size, splice, edge-triggered
// epoll of the initial value, and the overflow that only the kernel (an AIO
// completion, IOCB_FLAG_RESFD) can cause. Each test cites the sentence it
// checks.
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/syscall_matchers.h"
#include "suites/shared_region/region_test_util.h"

namespace ipcspec {
namespace {

constexpr uint64_t kAllOnes = 0xffffffffffffffffULL;

FileDescriptor NewEventFd(unsigned initval, int flags) {
  return FileDescriptor(eventfd(initval, flags | EFD_CLOEXEC));
}

// man 2 pread: "The file referenced by fd must be capable of seeking." and
// its errors include lseek(2)'s ("ESPIPE fd is associated with a pipe, socket,
// or FIFO"). An eventfd has no file offset: Linux
// opens it without FMODE_PREAD/FMODE_PWRITE (fs/eventfd.c,
// anon_inode_getfile), so pread and pwrite fail ESPIPE and the counter is
// untouched. (lseek is not checked: Linux gives eventfd noop_llseek, so
// lseek returns 0 and changes nothing; gVisor's own test expects ESPIPE.)
TEST(EventFdNoOffset, PreadPwriteAreEspipe) {
  FileDescriptor fd = NewEventFd(5, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  uint64_t v = 0;
  EXPECT_THAT(pread(fd.get(), &v, sizeof v, 0), SyscallFailsWithErrno(ESPIPE))
      << "pread on an eventfd; man 2 pread: \"The file referenced by fd must be "
         "capable of seeking.\" (ESPIPE, as lseek(2))";
  v = 1;
  EXPECT_THAT(pwrite(fd.get(), &v, sizeof v, 0), SyscallFailsWithErrno(ESPIPE))
      << "pwrite on an eventfd; man 2 pwrite: \"The file referenced by fd must be "
         "capable of seeking.\" (ESPIPE, as lseek(2))";
  ASSERT_THAT(read(fd.get(), &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, 5u) << "a failed pread/pwrite changed the counter (man 2 eventfd)";
}

// man 2 eventfd: "A write(2) fails with the error EINVAL if the size of the
// supplied buffer is less than 8 bytes". The page says nothing of a larger
// buffer. Linux before 6.9 took the first 8 bytes of it (fs/eventfd.c:
// `if (count < sizeof(ucnt))`); since 6.9 (commit "eventfd: strictly check
// the count parameter of eventfd_write to avoid inputting illegal strings",
// `count != sizeof(ucnt)`) a write of any size but 8 is EINVAL. The test
// asserts the rule of the running kernel's version.
TEST(EventFdWriteSize, LargerThanEightBytesFollowsTheKernelVersion) {
  FileDescriptor fd = NewEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  const uint64_t buf[2] = {3, 7};
  const bool strict = !FirstUnmetNeed({Need::KernelAtLeast(6, 9)}).has_value();
  uint64_t v = 0;
  if (strict) {
    EXPECT_THAT(write(fd.get(), buf, sizeof buf), SyscallFailsWithErrno(EINVAL))
        << "a 16-byte write to an eventfd on Linux 6.9 or later: fs/eventfd.c refuses any "
           "count but 8 with EINVAL (man 2 eventfd names only \"less than 8 bytes\")";
    EXPECT_THAT(read(fd.get(), &v, sizeof v), SyscallFailsWithErrno(EAGAIN))
        << "the refused 16-byte write added to the counter";
  } else {
    EXPECT_THAT(write(fd.get(), buf, sizeof buf), SyscallSucceedsWithValue(8))
        << "a 16-byte write to an eventfd before Linux 6.9: the first 8 bytes are added and 8 "
           "is returned (man 2 eventfd: \"A write(2) call adds the 8-byte integer value "
           "supplied in its buffer to the counter.\")";
    ASSERT_THAT(read(fd.get(), &v, sizeof v), SyscallSucceedsWithValue(8));
    EXPECT_EQ(v, 3u) << "the first 8 bytes of the 16-byte write (man 2 eventfd)";
  }
}

// man 2 eventfd: "The file descriptor is readable (the select(2) readfds
// argument; the poll(2) POLLIN flag) if the counter has a value greater than
// 0." and "This counter is initialized with the value specified in the
// argument initval." With EPOLLET, epoll(7) reports changes of readiness; an
// fd that is already ready when it is added counts as one: Linux polls the
// file in EPOLL_CTL_ADD and queues it if ready (fs/eventpoll.c, ep_insert), so
// the first epoll_wait reports it, and (edge-triggered) the second does not.
TEST(EventFdEpoll, EdgeTriggeredReportsANonzeroInitialValueOnce) {
  FileDescriptor fd = NewEventFd(2, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  FileDescriptor ep(epoll_create1(EPOLL_CLOEXEC));
  ASSERT_TRUE(ep.valid()) << "epoll_create1: " << ErrnoName(errno);
  struct epoll_event ev = {};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = 0x5eed;
  ASSERT_THAT(epoll_ctl(ep.get(), EPOLL_CTL_ADD, fd.get(), &ev), SyscallSucceeds());
  struct epoll_event out[2] = {};
  EXPECT_THAT(epoll_wait(ep.get(), out, 2, 0), SyscallSucceedsWithValue(1))
      << "EPOLLET on an eventfd made with initval 2: the first epoll_wait must report it "
         "readable (man 2 eventfd: \"readable ... if the counter has a value greater than 0\"; "
         "it is ready when added)";
  EXPECT_EQ(out[0].data.u64, 0x5eedu);
  EXPECT_TRUE(out[0].events & EPOLLIN) << "events " << out[0].events << "; man 2 eventfd: "
                                          "readable (EPOLLIN) with a counter greater than 0";
  EXPECT_THAT(epoll_wait(ep.get(), out, 2, 0), SyscallSucceedsWithValue(0))
      << "EPOLLET: nothing changed, so a second epoll_wait reports nothing (man 7 epoll: the "
         "edge-triggered mode \"delivers events only when changes occur\")";
}

// man 2 splice: "EINVAL The target filesystem doesn't support splicing." An
// eventfd has no splice_write (fs/eventfd.c), so splice from a pipe into it
// fails EINVAL and neither end changes.
TEST(EventFdSplice, FromAPipeIntoAnEventfdIsEinval) {
  FileDescriptor fd = NewEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(fd.valid()) << "eventfd: " << ErrnoName(errno);
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC | O_NONBLOCK), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  const uint64_t one = 1;
  ASSERT_THAT(write(w.get(), &one, sizeof one), SyscallSucceedsWithValue(8));
  EXPECT_THAT(splice(r.get(), nullptr, fd.get(), nullptr, sizeof one, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EINVAL))
      << "splice from a pipe into an eventfd; man 2 splice: \"EINVAL The target filesystem "
         "doesn't support splicing.\"";
  uint64_t v = 0;
  EXPECT_THAT(read(fd.get(), &v, sizeof v), SyscallFailsWithErrno(EAGAIN))
      << "the refused splice reached the eventfd counter";
  EXPECT_THAT(read(r.get(), &v, sizeof v), SyscallSucceedsWithValue(8))
      << "the refused splice took the bytes out of the pipe";
}

// Raw Linux AIO (no libaio): io_setup(2), io_submit(2), io_getevents(2),
// io_destroy(2).
long IoSetup(unsigned n, aio_context_t* ctx) { return syscall(SYS_io_setup, n, ctx); }
long IoDestroy(aio_context_t ctx) { return syscall(SYS_io_destroy, ctx); }
long IoSubmit(aio_context_t ctx, long n, struct iocb** v) {
  return syscall(SYS_io_submit, ctx, n, v);
}
long IoGetevents(aio_context_t ctx, long min, long max, struct io_event* ev, struct timespec* t) {
  return syscall(SYS_io_getevents, ctx, min, max, ev, t);
}

// man 2 eventfd: "If an overflow of the counter value was detected, then
// select(2) indicates the file descriptor as being both readable and writable,
// and poll(2) returns a POLLERR event. As noted above, write(2) can never
// overflow the counter. However an overflow can occur if 2^64 eventfd "signal
// posts" were performed by the KAIO subsystem ... If an overflow has
// occurred, then read(2) will return that maximum uint64_t value (i.e.,
// 0xffffffffffffffff)." The counter is written to 0xfffffffffffffffe, then
// one AIO read with IOCB_FLAG_RESFD completes and posts to it.
TEST(EventFdOverflow, AnAioCompletionAtTheMaximumOverflows) {
  // io_setup is the probe (a second context would cost a second io_destroy,
  // which waits for an RCU grace period): ENOSYS where AIO is not built in,
  // EPERM under a seccomp filter.
  aio_context_t ctx = 0;
  if (IoSetup(4, &ctx) != 0 && (errno == ENOSYS || errno == EPERM)) {
    IPCSPEC_UNMET("feature:linux-aio", "io_setup: " + ErrnoName(errno));
  }
  ASSERT_NE(ctx, 0u) << "io_setup: " << ErrnoName(errno);
  struct CtxOwner {
    aio_context_t c;
    ~CtxOwner() { IoDestroy(c); }
  } owner{ctx};
  FileDescriptor efd = NewEventFd(0, EFD_NONBLOCK);
  ASSERT_TRUE(efd.valid()) << "eventfd: " << ErrnoName(errno);
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(4096));
  const uint64_t max = kAllOnes - 1;
  ASSERT_THAT(write(efd.get(), &max, sizeof max), SyscallSucceedsWithValue(8));

  static char buf[512];
  struct iocb cb;
  std::memset(&cb, 0, sizeof cb);
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = static_cast<uint32_t>(file.fd());
  cb.aio_buf = reinterpret_cast<uint64_t>(buf);
  cb.aio_nbytes = sizeof buf;
  cb.aio_offset = 0;
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = static_cast<uint32_t>(efd.get());
  struct iocb* list[1] = {&cb};
  ASSERT_THAT(IoSubmit(ctx, 1, list), SyscallSucceedsWithValue(1));
  struct io_event done = {};
  struct timespec deadline = {10, 0};
  ASSERT_THAT(IoGetevents(ctx, 1, 1, &done, &deadline), SyscallSucceedsWithValue(1))
      << "the AIO read did not complete within 10 s";
  ASSERT_EQ(done.res, static_cast<int64_t>(sizeof buf)) << "the AIO read's result";

  struct pollfd p = {efd.get(), POLLIN | POLLOUT, 0};
  ASSERT_THAT(poll(&p, 1, 0), SyscallSucceedsWithValue(1))
      << "poll of the overflowed eventfd reports nothing; man 2 eventfd: \"If an overflow of the "
         "counter value was detected, then ... poll(2) returns a POLLERR event.\"";
  EXPECT_TRUE(p.revents & POLLERR)
      << "revents " << p.revents << "; man 2 eventfd: \"If an overflow of the counter value was "
      << "detected, then ... poll(2) returns a POLLERR event.\"";
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(efd.get(), &rd);
  FD_SET(efd.get(), &wr);
  struct timeval zero = {0, 0};
  EXPECT_THAT(select(efd.get() + 1, &rd, &wr, nullptr, &zero), SyscallSucceedsWithValue(2))
      << "select of the overflowed eventfd must count it readable and writable; man 2 eventfd: "
         "\"select(2) indicates the file descriptor as being both readable and writable\"";
  EXPECT_TRUE(FD_ISSET(efd.get(), &rd) && FD_ISSET(efd.get(), &wr))
      << "readable " << FD_ISSET(efd.get(), &rd) << ", writable " << FD_ISSET(efd.get(), &wr)
      << "; man 2 eventfd: \"If an overflow of the counter value was detected, then select(2) "
      << "indicates the file descriptor as being both readable and writable\"";
  uint64_t v = 0;
  ASSERT_THAT(read(efd.get(), &v, sizeof v), SyscallSucceedsWithValue(8));
  EXPECT_EQ(v, kAllOnes) << "man 2 eventfd: \"If an overflow has occurred, then read(2) will "
                            "return that maximum uint64_t value (i.e., 0xffffffffffffffff).\"";
}

}  // namespace
}  // namespace ipcspec
