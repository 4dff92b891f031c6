// More pipe semantics: the pipe's file system and descriptors, pipe(2)
// errors, several readers and writers, blocked writers and readers and what
// wakes them, O_CLOEXEC across execve, and splice(2)/tee(2)/vmsplice(2)
// offsets, limits, partial and blocking transfers (man 7 pipe, man 2 pipe,
// man 2 close, man 2 fstatfs, man 2 splice, man 2 tee, man 2 vmsplice).
//
// Every call that can block runs in a child (or a thread) seen blocked with
// WaitUntilBlocked and bounded by a deadline; the parent never blocks.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <linux/fanotify.h>
#include <linux/io_uring.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {

constexpr long kPipefsMagic = 0x50495045;  // man 2 fstatfs: PIPEFS_MAGIC

// Writes all of `data` to a blocking or non-blocking fd that has room.
void WriteAll(int fd, const std::vector<uint8_t>& data) {
  ASSERT_THAT(write(fd, data.data(), data.size()), SyscallSucceedsWithValue(data.size()));
}

std::vector<uint8_t> ReadExactly(int fd, size_t n) {
  std::vector<uint8_t> buf(n);
  auto got = ReadWithDeadline(fd, buf.data(), n, Deadline::Default());
  EXPECT_TRUE(got.ok()) << got.error();
  buf.resize(got.ok() ? got.value() : 0);
  return buf;
}

// A pipe of one page (one buffer slot on Linux) holding one full page.
Pipe FullOnePagePipe() {
  auto p = MakePipe();
  EXPECT_TRUE(p.ok()) << p.error();
  Pipe pipe = std::move(p).value();
  EXPECT_THAT(fcntl(pipe.write_end.get(), F_SETPIPE_SZ, static_cast<int>(PageSize())), SyscallSucceeds());
  auto fill = Pattern(40, PageSize());
  EXPECT_THAT(write(pipe.write_end.get(), fill.data(), fill.size()),
              SyscallSucceedsWithValue(fill.size()));
  return pipe;
}

// Counts /proc/self/fd entries (without the directory's own descriptor) and
// the highest open descriptor. Async-signal-safe (raw getdents64).
struct FdCensus {
  int count = 0;
  int max_fd = -1;
};
bool TakeFdCensus(FdCensus* out) {
  int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return false;
  alignas(8) char buf[4096];
  FdCensus c;
  for (;;) {
    long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
    if (n < 0) {
      close(dir);
      return false;
    }
    if (n == 0) break;
    for (long off = 0; off < n;) {
      auto* d = reinterpret_cast<struct dirent64*>(buf + off);
      off += d->d_reclen;
      if (d->d_name[0] < '0' || d->d_name[0] > '9') continue;
      int fd = 0;
      for (const char* s = d->d_name; *s; ++s) fd = fd * 10 + (*s - '0');
      if (fd == dir) continue;
      ++c.count;
      if (fd > c.max_fd) c.max_fd = fd;
    }
  }
  close(dir);
  *out = c;
  return true;
}

// ---------------------------------------------------------------------------
// The pipe's identity and descriptors.

// man 2 fstatfs lists "PIPEFS_MAGIC 0x50495045" among the f_type values;
// a pipe lives on pipefs.
TEST(PipeIdentity, FstatfsReportsPipefsMagic) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  for (int fd : {p.read_end.get(), p.write_end.get()}) {
    struct statfs st;
    memset(&st, 0, sizeof st);
    ASSERT_THAT(fstatfs(fd, &st), SyscallSucceeds());
    EXPECT_EQ(static_cast<long>(st.f_type), kPipefsMagic)
        << "man 2 fstatfs: PIPEFS_MAGIC 0x50495045 is the f_type of a pipe; got 0x" << std::hex
        << st.f_type;
  }
}

// man 2 close, ERRORS: "EBADF fd isn't a valid open file descriptor." The
// second close of a pipe end fails so.
TEST(PipeIdentity, ClosingAnEndTwiceIsEbadfTheSecondTime) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  for (FileDescriptor* end : {&p.read_end, &p.write_end}) {
    int fd = end->release();
    ASSERT_THAT(close(fd), SyscallSucceeds());
    EXPECT_THAT(close(fd), SyscallFailsWithErrno(EBADF))
        << "man 2 close: EBADF fd isn't a valid open file descriptor (second close)";
  }
}

// man 2 pipe: "pipe() creates a pipe ... The array pipefd is used to return
// two file descriptors referring to the ends of the pipe." Exactly two new
// descriptors appear in /proc/self/fd, and they are the two returned.
TEST(PipeIdentity, PipeAddsExactlyTwoDescriptors) {
  FdCensus before, after;
  ASSERT_TRUE(TakeFdCensus(&before));
  int fds[2] = {-1, -1};
  ASSERT_THAT(pipe2(fds, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  ASSERT_TRUE(TakeFdCensus(&after));
  EXPECT_EQ(after.count, before.count + 2)
      << "man 2 pipe: pipe() returns two file descriptors (and opens no other)";
  EXPECT_NE(fds[0], fds[1]);
  EXPECT_THAT(fcntl(fds[0], F_GETFD), SyscallSucceeds());
  EXPECT_THAT(fcntl(fds[1], F_GETFD), SyscallSucceeds());
}

// man 2 pipe, ERRORS: "EFAULT pipefd is not valid." The system call is made
// directly (glibc's wrapper may fault in user space first) with an address
// in the never-mapped first page.
TEST(PipeErrors, BadPipefdAddressIsEfault) {
  FdCensus before, after;
  ASSERT_TRUE(TakeFdCensus(&before));
  EXPECT_THAT(syscall(SYS_pipe2, reinterpret_cast<int*>(8), 0), SyscallFailsWithErrno(EFAULT))
      << "man 2 pipe: EFAULT pipefd is not valid (pipe2 with address 8)";
  ASSERT_TRUE(TakeFdCensus(&after));
  EXPECT_EQ(after.count, before.count) << "the failed pipe2 left descriptors open";
}

// man 2 pipe, ERRORS: "EMFILE The per-process limit on the number of open
// file descriptors has been reached." A child with RLIMIT_NOFILE lowered
// makes pipes until EMFILE: it gets exactly (free slots)/2 of them, and a
// last odd slot is still usable by open(2).
TEST(PipeLimits, PipesCanBeMadeUntilEveryPermittedDescriptorIsOpen) {
  // calls[0]: the pipe() that failed, with the pipes made before it as
  // `extra`; calls[1]: the open() of the last slot, with the free slots as
  // `extra`.
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<2>([&](CallRecords<2>& r) {
    FdCensus c;
    if (!TakeFdCensus(&c)) return;
    const int limit = c.max_fd + 1 + 11;
    const int free_slots = limit - c.count;
    struct rlimit rl = {static_cast<rlim_t>(limit), static_cast<rlim_t>(limit)};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    long made = 0;
    for (int i = 0; i < 4096; ++i) {
      int fds[2];
      if (pipe(fds) != 0) {
        r[0] = Record("pipe", -1);
        break;
      }
      ++made;
    }
    r[0].extra = made;
    r[1] = Record("open(/dev/null) after them", open("/dev/null", O_RDONLY | O_CLOEXEC));
    r[1].extra = free_slots;
  }));
  const CallRecord& failed_pipe = calls[0];
  const CallRecord& last = calls[1];
  ASSERT_TRUE(last.reached()) << "the child did not reach the pipes (fd census or setrlimit): "
                              << ToString(calls);
  EXPECT_TRUE(failed_pipe.FailedWith(EMFILE)) << failed_pipe;
  EXPECT_EQ(failed_pipe.extra, last.extra / 2)
      << "man 2 pipe: pipe() succeeds until the limit on open file descriptors is reached; "
      << "pipes made (then) vs free slots (then): " << ToString(calls);
  EXPECT_EQ(last.extra % 2 == 1, last.ret >= 0)
      << "the odd last slot is usable by open(2), an even count leaves none: " << last;
}

// ---------------------------------------------------------------------------
// Reading and writing.

// man 7 pipe: "Data written to the write end of the pipe can be read from
// the read end of the pipe." A page written is read back whole by one read.
TEST(PipeIo, APageWrittenIsReadBackWholeByOneRead) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  auto data = Pattern(41, PageSize());
  WriteAll(p.write_end.get(), data);
  std::vector<uint8_t> buf(PageSize() + 1);
  ASSERT_THAT(read(p.read_end.get(), buf.data(), buf.size()), SyscallSucceedsWithValue(PageSize()))
      << "man 7 pipe: data written to the write end can be read from the read end (one page)";
  buf.resize(PageSize());
  EXPECT_EQ(buf, data);
}

// man 7 pipe: "the communication channel provided by a pipe is a byte
// stream"; each byte is read once. Three children read one pipe until end
// of file; their byte histograms add up to exactly what the parent wrote.
TEST(PipeIo, SeveralReadersTogetherGetEveryByteExactlyOnce) {
  constexpr int kReaders = 3;
  const size_t n = 256 * 1024;
  struct Histograms {
    uint64_t h[kReaders][256];
  };
  ASSERT_OK_AND_ASSIGN(auto hist, SharedObject<Histograms>::Create());
  memset(hist.get(), 0, sizeof(Histograms));
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  std::vector<Child> readers;
  for (int k = 0; k < kReaders; ++k) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, k] {
      p.write_end.reset();
      uint8_t buf[97 + 64 * 3];
      const size_t chunk = 97 + 64 * k;
      for (;;) {
        ssize_t got = read(p.read_end.get(), buf, chunk);
        if (got == 0) return 0;
        if (got < 0) return errno == EINTR ? 0 : 1;
        for (ssize_t i = 0; i < got; ++i) hist->h[k][buf[i]]++;
      }
    }));
    readers.push_back(std::move(c));
  }
  p.read_end.reset();
  ASSERT_THAT(fcntl(p.write_end.get(), F_SETFL, O_NONBLOCK), SyscallSucceeds());
  auto data = Pattern(42, n);
  std::vector<uint64_t> want(256, 0);
  for (uint8_t b : data) want[b]++;
  Deadline deadline = Deadline::Default();
  for (size_t off = 0; off < n;) {
    struct pollfd pfd = {p.write_end.get(), POLLOUT, 0};
    ASSERT_THAT(poll(&pfd, 1, deadline.RemainingMs()), SyscallSucceeds());
    ASSERT_FALSE(deadline.Expired()) << "the readers stopped reading";
    ssize_t put = write(p.write_end.get(), data.data() + off, n - off);
    if (put < 0 && errno == EAGAIN) continue;
    ASSERT_THAT(put, SyscallSucceeds());
    off += put;
  }
  p.write_end.reset();
  for (auto& c : readers) {
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    EXPECT_TRUE(st.ExitedWith(0)) << st;
  }
  std::vector<uint64_t> got(256, 0);
  for (int k = 0; k < kReaders; ++k)
    for (int b = 0; b < 256; ++b) got[b] += hist->h[k][b];
  EXPECT_EQ(got, want) << "man 7 pipe: a byte stream; readers together must receive every byte "
                          "written exactly once";
}

// man 7 pipe: "If all file descriptors referring to the write end of a pipe
// have been closed, then an attempt to read(2) from the pipe will see
// end-of-file (read(2) will return 0)." Three readers blocked on an empty
// pipe all wake with 0 when the last of two write descriptors closes.
TEST(PipeIo, TheLastWritersCloseWakesEveryBlockedReader) {
  constexpr int kReaders = 3;
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  int second = fcntl(p.write_end.get(), F_DUPFD_CLOEXEC, 0);
  ASSERT_THAT(second, SyscallSucceeds());
  FileDescriptor second_writer(second);
  std::vector<Child> readers;
  for (int k = 0; k < kReaders; ++k) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
      p.write_end.reset();
      second_writer.reset();
      char c1;
      ssize_t got = read(p.read_end.get(), &c1, 1);
      return got == 0 ? 0 : (got < 0 ? 2 : 3);
    }));
    readers.push_back(std::move(c));
  }
  for (auto& c : readers)
    ASSERT_THAT(WaitUntilBlocked(c.pid(), {SYS_read}), SyscallSucceeds())
        << "a reader of an empty pipe must block";
  p.write_end.reset();  // one writer left: still no end of file
  for (auto& c : readers)
    ASSERT_THAT(WaitUntilBlocked(c.pid(), {SYS_read}), SyscallSucceeds())
        << "a reader must stay blocked while a write descriptor is open";
  second_writer.reset();
  for (auto& c : readers) {
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    EXPECT_TRUE(st.ExitedWith(0))
        << st << ": man 7 pipe: when all write descriptors are closed, read(2) returns 0 "
        << "(2: read failed, 3: read returned data)";
  }
}

// gVisor's PipeTest.ReadFromClosedFd; man 2 close: "If a file descriptor
// being closed is in use by a system call in another thread ... on Linux
// (and possibly some other systems), the behavior is different: the
// blocking I/O system call holds a reference to the underlying open file
// description, and this reference keeps the description open until the I/O
// system call completes." A read blocked in a thread keeps working after
// another thread closes its descriptor and gets the data written later.
TEST(PipeIo, AReadBlockedInAThreadSurvivesACloseOfItsDescriptor) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  std::atomic<pid_t> tid{0};
  std::atomic<long> got{-2};
  std::atomic<int> err{0};
  char byte = 0;
  const int rfd = p.read_end.get();
  std::thread reader([&] {
    tid = static_cast<pid_t>(syscall(SYS_gettid));
    long r = read(rfd, &byte, 1);
    err = errno;
    got = r;
  });
  struct Joiner {
    std::thread* t;
    FileDescriptor* w;
    ~Joiner() {
      w->reset();  // end of file wakes the reader on any failure path
      t->join();
    }
  } joiner{&reader, &p.write_end};
  ASSERT_TRUE(PollUntil([&] { return tid.load() != 0; }, Deadline::Default()));
  ASSERT_THAT(WaitUntilBlocked(tid.load(), {SYS_read}), SyscallSucceeds());
  ASSERT_THAT(close(p.read_end.release()), SyscallSucceeds());
  const char x = 'x';
  ASSERT_THAT(write(p.write_end.get(), &x, 1), SyscallSucceedsWithValue(1));
  ASSERT_TRUE(PollUntil([&] { return got.load() != -2; }, Deadline::Default()))
      << "the blocked read never returned";
  EXPECT_EQ(got.load(), 1) << "man 2 close: on Linux the blocked call keeps the open file "
                              "description and completes; errno "
                           << err.load();
  EXPECT_EQ(byte, 'x');
}

// ---------------------------------------------------------------------------
// Blocked writers.

// man 7 pipe: "If all file descriptors referring to the read end of a pipe
// have been closed, then a write(2) will cause a SIGPIPE signal to be
// generated for the calling process. If the calling process is ignoring this
// signal, then write(2) fails with the error EPIPE." A writer blocked on a
// full pipe having written nothing gets EPIPE when the reader closes.
TEST(PipeWrite, BlockedWriterWithNothingWrittenGetsEpipeWhenTheReaderCloses) {
  auto p = FullOnePagePipe();
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, nullptr);
    p.read_end.reset();
    char c = 'w';
    *res = Record("write", write(p.write_end.get(), &c, 1));
    return 0;
  }));
  p.write_end.reset();
  ASSERT_THAT(WaitUntilBlocked(writer.pid(), {SYS_write}), SyscallSucceeds())
      << "a write to a full pipe must block";
  p.read_end.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(res->ret == -1 && res->err == EPIPE)
      << "man 7 pipe: with the read end closed and SIGPIPE ignored, write(2) fails with EPIPE: "
      << res->ToString();
}

// man 7 signal: SIGKILL "cannot be caught, blocked, or ignored"; a writer
// asleep in write(2) on a full pipe (man 7 pipe: "If a process attempts to
// write to a full pipe ..., then write(2) blocks") is killed by it.
TEST(PipeWrite, AWriterBlockedOnAFullPipeIsKilledBySigkill) {
  auto p = FullOnePagePipe();
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    char c = 'w';
    write(p.write_end.get(), &c, 1);
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(writer.pid(), {SYS_write}), SyscallSucceeds())
      << "man 7 pipe: a write to a full pipe blocks";
  ASSERT_THAT(writer.Signal(SIGKILL), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.KilledBy(SIGKILL))
      << st << ": man 7 signal: SIGKILL cannot be caught, blocked or ignored";
  ASSERT_OK_AND_ASSIGN(int held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, PageSize()) << "the killed writer added nothing";
}

// ---------------------------------------------------------------------------
// Capacity.

// man 2 fcntl, F_SETPIPE_SZ: "Attempts by an unprivileged process to set the
// pipe capacity above the limit in /proc/sys/fs/pipe-max-size yield the
// error EPERM"; the limit itself is allowed. Setting exactly pipe-max-size
// succeeds and F_GETPIPE_SZ reports it.
TEST(PipeSetSize, ExactlyPipeMaxSizeSucceeds) {
  IPCSPEC_NEEDS(Need::SysctlAtLeast(kPipeMaxSizeFile, 4096),
                Need::SysctlBelow(kPipeMaxSizeFile, 1UL << 31));
  ASSERT_OK_AND_ASSIGN(long max_l, ReadProcLong(kPipeMaxSizeFile));
  const unsigned long max = static_cast<unsigned long>(max_l);
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(max)),
              SyscallSucceedsWithValue(static_cast<int>(max)))
      << "man 2 fcntl: F_SETPIPE_SZ up to /proc/sys/fs/pipe-max-size is allowed";
  ASSERT_OK_AND_ASSIGN(int size, GetPipeSize(p.read_end.get()));
  EXPECT_EQ(static_cast<unsigned long>(size), max);
}

// ---------------------------------------------------------------------------
// O_CLOEXEC across execve.

// man 2 pipe: "O_CLOEXEC Set the close-on-exec (FD_CLOEXEC) flag on the two
// new file descriptors."; man 2 open: close-on-exec closes them on execve.
// A child execs /bin/sh, which checks /proc/self/fd: both pipe2(O_CLOEXEC)
// ends are gone, a descriptor without the flag is still there.
TEST(Pipe2Exec, OCloexecEndsAreClosedAcrossExecve) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_CLOEXEC, /*exact=*/true));
  int kept = fcntl(p.read_end.get(), F_DUPFD, 0);  // no FD_CLOEXEC
  ASSERT_THAT(kept, SyscallSucceeds());
  FileDescriptor keep(kept);
  const std::string cmd = "test ! -e /proc/self/fd/" + std::to_string(p.read_end.get()) +
                          " || exit 1; test ! -e /proc/self/fd/" +
                          std::to_string(p.write_end.get()) +
                          " || exit 2; test -e /proc/self/fd/" + std::to_string(kept) +
                          " || exit 3; exit 0";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    return 127;
  }));
  EXPECT_TRUE(st.ExitedWith(0))
      << st << ": man 2 pipe: O_CLOEXEC sets close-on-exec on the two new descriptors "
      << "(1: read end open after execve, 2: write end open, 3: control fd closed, 127: no exec)";
}

// ---------------------------------------------------------------------------
// splice, tee, vmsplice.

// man 2 splice: "If off_in is not NULL, then off_in must point to a buffer
// which specifies the starting offset"; the page lists no error for a
// negative offset. Linux rejects it with EINVAL (fs/splice.c checks the
// offset through rw_verify_area), in both directions. This tests Linux.
TEST(SpliceOffsets, NegativeFileOffsetIsEinval) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  WriteAll(p.write_end.get(), Pattern(43, 64));
  int mfd = memfd_create("ipcspec-more", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  loff_t off = -1;
  EXPECT_THAT(splice(p.read_end.get(), nullptr, file.get(), &off, 2, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EINVAL))
      << "Linux: splice to a file at a negative offset is EINVAL (pipe to file)";
  ASSERT_THAT(write(file.get(), "abcdef", 6), SyscallSucceedsWithValue(6));
  off = -1;
  EXPECT_THAT(splice(file.get(), &off, p.write_end.get(), nullptr, 5, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EINVAL))
      << "Linux: splice from a file at a negative offset is EINVAL (file to pipe)";
  ASSERT_OK_AND_ASSIGN(int held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, 64) << "a failed splice moved data";
}

// Linux: a file offset plus length beyond the largest loff_t is EINVAL
// (rw_verify_area: "if (pos + count < 0) return -EINVAL" style overflow
// check); man 2 splice does not list it. This tests Linux.
TEST(SpliceOffsets, OffsetPlusLengthPastTheMaximumIsEinval) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  WriteAll(p.write_end.get(), Pattern(44, 64));
  int mfd = memfd_create("ipcspec-more", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  loff_t off = LLONG_MAX - 1;
  EXPECT_THAT(splice(p.read_end.get(), nullptr, file.get(), &off, 3, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EINVAL))
      << "Linux: splice to a file where offset+len overflows loff_t is EINVAL";
}

// man 2 write (which splice's file side follows; man 2 splice does not list
// it): "EFBIG An attempt was made to write a file that exceeds the
// implementation-defined maximum file size or the process's file size
// limit". A child with RLIMIT_FSIZE of 1 MiB and SIGXFSZ ignored splices
// from a pipe to a file at that size and gets EFBIG.
TEST(SpliceOffsets, PastTheFileSizeLimitIsEfbig) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  WriteAll(p.write_end.get(), Pattern(45, 100));
  int mfd = memfd_create("ipcspec-more", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  constexpr off_t kLimit = 1 << 20;
  ASSERT_THAT(ftruncate(file.get(), kLimit), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGXFSZ, &sa, nullptr);
    struct rlimit rl = {static_cast<rlim_t>(kLimit), static_cast<rlim_t>(kLimit)};
    if (setrlimit(RLIMIT_FSIZE, &rl) != 0) return 10;
    loff_t off = kLimit;
    *res = Record("splice",
                  splice(p.read_end.get(), nullptr, file.get(), &off, 7, SPLICE_F_NONBLOCK));
    return 0;
  }));
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(res->ret == -1 && res->err == EFBIG)
      << "man 2 write: EFBIG past the process's file size limit (splice at RLIMIT_FSIZE): "
      << res->ToString();
}

// man 2 splice: "splice() moves data between two file descriptors"; RETURN
// VALUE: "the number of bytes spliced"; it may be less than asked. With a
// destination of one page (one buffer slot) and a source of two page
// buffers, one page moves and the other stays in the source.
TEST(SplicePartial, PipeToPipeWithRoomForOnePageMovesOnePage) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe(O_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe(O_NONBLOCK));
  ASSERT_THAT(fcntl(b.write_end.get(), F_SETPIPE_SZ, static_cast<int>(PageSize())), SyscallSucceeds());
  auto data = Pattern(46, 2 * PageSize());
  WriteAll(a.write_end.get(), data);
  EXPECT_THAT(splice(a.read_end.get(), nullptr, b.write_end.get(), nullptr, 2 * PageSize(),
                     SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(PageSize()))
      << "man 2 splice: returns the number of bytes spliced: what fits (partial splice)";
  EXPECT_EQ(ReadExactly(b.read_end.get(), PageSize()),
            std::vector<uint8_t>(data.begin(), data.begin() + PageSize()));
  EXPECT_EQ(ReadExactly(a.read_end.get(), PageSize()),
            std::vector<uint8_t>(data.begin() + PageSize(), data.end()));
}

// man 2 tee: "tee() duplicates up to len bytes of data from the pipe
// referred to by the file descriptor fd_in to the pipe referred to by the
// file descriptor fd_out. It does not consume the data". With room for one
// page of two, tee copies one page and the source keeps both.
TEST(TeePartial, WithRoomForOnePageCopiesOnePage) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe(O_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe(O_NONBLOCK));
  ASSERT_THAT(fcntl(b.write_end.get(), F_SETPIPE_SZ, static_cast<int>(PageSize())), SyscallSucceeds());
  auto data = Pattern(47, 2 * PageSize());
  WriteAll(a.write_end.get(), data);
  EXPECT_THAT(tee(a.read_end.get(), b.write_end.get(), 2 * PageSize(), SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(PageSize()))
      << "man 2 tee: duplicates up to len bytes: what fits (partial tee)";
  EXPECT_EQ(ReadExactly(b.read_end.get(), PageSize()),
            std::vector<uint8_t>(data.begin(), data.begin() + PageSize()));
  ASSERT_OK_AND_ASSIGN(int held, Fionread(a.read_end.get()));
  EXPECT_EQ(held, 2 * PageSize()) << "man 2 tee: It does not consume the data";
}

// man 2 tee: "tee() duplicates up to len bytes". Eight pages in eight
// buffers are all copied by one call and all stay in the source.
TEST(TeeMultiPage, EightPagesAreCopiedByOneCall) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe(O_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe(O_NONBLOCK));
  auto data = Pattern(48, 8 * PageSize());
  WriteAll(a.write_end.get(), data);
  EXPECT_THAT(tee(a.read_end.get(), b.write_end.get(), 8 * PageSize(), SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(8 * PageSize()))
      << "man 2 tee: duplicates up to len bytes (eight pages)";
  EXPECT_EQ(ReadExactly(b.read_end.get(), 8 * PageSize()), data);
  EXPECT_EQ(ReadExactly(a.read_end.get(), 8 * PageSize()), data);
}

// A child makes `call` on blocking pipes and reports its result; the
// parent sees it blocked in `nr`, runs `unblock`, and gets the result.
template <typename Call, typename Unblock>
void ExpectBlocksUntil(long nr, Call call, Unblock unblock, long want, const char* what) {
  auto res_or = SharedObject<CallRecord>::Create();
  ASSERT_TRUE(res_or.ok()) << res_or.error();
  auto res = std::move(res_or).value();
  auto* r = res.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([&] {
    *r = Record(nullptr, call());
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(child.pid(), {nr}), SyscallSucceeds())
      << what << ": the call must block";
  unblock();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(r->ret, want) << what << ": " << r->ToString();
}

// man 2 splice: SPLICE_F_NONBLOCK "Do not block on I/O"; without it, a
// splice from an empty pipe blocks (like read(2), man 7 pipe: "If a process
// attempts to read from an empty pipe, then read(2) will block until data is
// available") and completes when data arrives.
TEST(SpliceBlocking, FromAnEmptyPipeBlocksUntilDataArrives) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe());
  auto data = Pattern(49, 123);
  ExpectBlocksUntil(
      SYS_splice,
      [&] { return splice(a.read_end.get(), nullptr, b.write_end.get(), nullptr, 1000, 0); },
      [&] { WriteAll(a.write_end.get(), data); }, 123,
      "man 2 splice without SPLICE_F_NONBLOCK blocks on an empty pipe until data arrives");
  EXPECT_EQ(ReadExactly(b.read_end.get(), 123), data);
}

// man 2 tee: "SPLICE_F_NONBLOCK ... has the same meaning as for splice(2)";
// without it, tee from an empty pipe blocks until data arrives.
TEST(TeeBlocking, FromAnEmptyPipeBlocksUntilDataArrives) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe());
  auto data = Pattern(50, 77);
  ExpectBlocksUntil(
      SYS_tee, [&] { return tee(a.read_end.get(), b.write_end.get(), 1000, 0); },
      [&] { WriteAll(a.write_end.get(), data); }, 77,
      "man 2 tee without SPLICE_F_NONBLOCK blocks on an empty pipe until data arrives");
  EXPECT_EQ(ReadExactly(b.read_end.get(), 77), data);
  EXPECT_EQ(ReadExactly(a.read_end.get(), 77), data);
}

// man 2 tee: without SPLICE_F_NONBLOCK, tee into a full pipe blocks until
// room appears (a read of the destination).
TEST(TeeBlocking, IntoAFullPipeBlocksUntilRoomAppears) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe());
  auto b = FullOnePagePipe();
  auto data = Pattern(51, PageSize());
  WriteAll(a.write_end.get(), data);
  ExpectBlocksUntil(
      SYS_tee, [&] { return tee(a.read_end.get(), b.write_end.get(), PageSize(), 0); },
      [&] { ReadExactly(b.read_end.get(), PageSize()); }, PageSize(),
      "man 2 tee without SPLICE_F_NONBLOCK blocks on a full pipe until room appears");
  EXPECT_EQ(ReadExactly(b.read_end.get(), PageSize()), data);
}

// man 2 vmsplice: "SPLICE_F_NONBLOCK Do not block on I/O; see splice(2)";
// ERRORS: "EAGAIN SPLICE_F_NONBLOCK was specified in flags, and the
// operation would block." With the flag, vmsplice into a full pipe fails
// EAGAIN; without it, it blocks until room appears.
TEST(VmspliceBlocking, IntoAFullPipeBlocksUntilRoomAppears) {
  IPCSPEC_NEEDS(VmspliceWorks());
  auto b = FullOnePagePipe();
  auto data = Pattern(52, 200);
  struct iovec nb_iov = {data.data(), data.size()};
  EXPECT_THAT(vmsplice(b.write_end.get(), &nb_iov, 1, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "man 2 vmsplice: EAGAIN SPLICE_F_NONBLOCK was specified and the operation would block";
  ExpectBlocksUntil(
      SYS_vmsplice,
      [&] {
        struct iovec iov = {data.data(), data.size()};
        return vmsplice(b.write_end.get(), &iov, 1, 0);
      },
      [&] { ReadExactly(b.read_end.get(), PageSize()); }, 200,
      "man 2 vmsplice without SPLICE_F_NONBLOCK blocks on a full pipe until room appears");
  EXPECT_EQ(ReadExactly(b.read_end.get(), 200), data);
}

// man 2 splice: "splice() moves data between two file descriptors"; RETURN
// VALUE: "Upon successful completion, splice() returns the number of bytes
// spliced to or from the pipe." A byte in a pipe whose writer is still open
// is spliced to /dev/null (1) and consumed: a second non-blocking splice
// finds the pipe empty, EAGAIN ("SPLICE_F_NONBLOCK was specified in flags
// or one of the file descriptors had been marked as nonblocking, and the
// operation would block").
TEST(SpliceDevNull, ConsumesTheDataWhileTheWriterIsOpen) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  int nfd = open("/dev/null", O_WRONLY | O_CLOEXEC);
  ASSERT_THAT(nfd, SyscallSucceeds());
  FileDescriptor devnull(nfd);
  const char c = '.';
  ASSERT_THAT(write(p.write_end.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(splice(p.read_end.get(), nullptr, devnull.get(), nullptr, 11, SPLICE_F_NONBLOCK),
              SyscallSucceedsWithValue(1))
      << "man 2 splice: returns the number of bytes spliced (pipe to /dev/null)";
  EXPECT_THAT(splice(p.read_end.get(), nullptr, devnull.get(), nullptr, 11, SPLICE_F_NONBLOCK),
              SyscallFailsWithErrno(EAGAIN))
      << "man 2 splice: EAGAIN with SPLICE_F_NONBLOCK on the now empty pipe (data consumed)";
}

volatile sig_atomic_t g_usr1_seen = 0;
void OnUsr1(int) { g_usr1_seen = 1; }

// man 7 pipe: "If a process attempts to write to a full pipe (see below),
// then write(2) blocks until sufficient data has been read from the pipe";
// splice into a pipe waits the same way, asleep (not spinning): a one-page
// pipe holding all but 128 bytes cannot take a page from a file, the
// splicing child is seen asleep in splice, and a signal without SA_RESTART
// ends the wait with EINTR (man 7 signal: "EINTR ... if the handler was
// established without SA_RESTART"; man 2 splice does not list EINTR, Linux
// returns it).
TEST(SpliceBlocking, IntoANearlyFullOnePagePipeSleepsUntilASignal) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(PageSize())), SyscallSucceeds());
  WriteAll(p.write_end.get(), Pattern(53, PageSize() - 128));
  int mfd = memfd_create("ipcspec-more", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  WriteAll(file.get(), Pattern(54, PageSize()));
  ASSERT_THAT(lseek(file.get(), 0, SEEK_SET), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([&] {
    struct sigaction sa = {};
    sa.sa_handler = OnUsr1;
    sa.sa_flags = 0;  // no SA_RESTART
    sigaction(SIGUSR1, &sa, nullptr);
    *res = Record("splice", splice(file.get(), nullptr, p.write_end.get(), nullptr, PageSize(), 0));
    res->extra = g_usr1_seen;
    return 0;
  }));
  ASSERT_THAT(WaitUntilBlocked(child.pid(), {SYS_splice}), SyscallSucceeds())
      << "man 7 pipe: a splice into a pipe without room must sleep, not spin";
  ASSERT_THAT(child.Signal(SIGUSR1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(res->ret == -1 && res->err == EINTR && res->extra == 1)
      << "man 7 signal: a blocked call interrupted by a handler without SA_RESTART fails "
      << "EINTR (splice into a full pipe): " << res->ToString();
  ASSERT_OK_AND_ASSIGN(int held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, PageSize() - 128) << "the interrupted splice moved data";
}

// man 2 splice moves data between a pipe and another descriptor; two
// processes splicing one byte at a time in opposite directions between two
// pipes (blocking) both finish, and no byte is lost or duplicated: the
// pipes hold the 16 bytes they started with.
TEST(SpliceConcurrent, TwoPipesSplicedIntoEachOtherDoNotDeadlock) {
  ASSERT_OK_AND_ASSIGN(auto a, MakePipe());
  ASSERT_OK_AND_ASSIGN(auto b, MakePipe());
  WriteAll(a.write_end.get(), Pattern(55, 8));
  WriteAll(b.write_end.get(), Pattern(56, 8));
  auto shuttle = [](int from, int to) {
    return [from, to] {
      for (int i = 0; i < 1000; ++i)
        if (splice(from, nullptr, to, nullptr, 1, 0) != 1) return 1;
      return 0;
    };
  };
  ASSERT_OK_AND_ASSIGN(Child ab, Child::Fork(shuttle(a.read_end.get(), b.write_end.get())));
  ASSERT_OK_AND_ASSIGN(Child ba, Child::Fork(shuttle(b.read_end.get(), a.write_end.get())));
  ASSERT_OK_AND_ASSIGN(WaitStatus s1, ab.Wait());
  ASSERT_OK_AND_ASSIGN(WaitStatus s2, ba.Wait());
  EXPECT_TRUE(s1.ExitedWith(0) && s2.ExitedWith(0))
      << s1 << ", " << s2 << ": man 2 splice: each 1-byte splice between the two pipes moves 1 byte";
  ASSERT_OK_AND_ASSIGN(int in_a, Fionread(a.read_end.get()));
  ASSERT_OK_AND_ASSIGN(int in_b, Fionread(b.read_end.get()));
  EXPECT_EQ(in_a + in_b, 16) << "bytes lost or duplicated by the circular splices";
}

// man 2 splice: the file side uses "the file offset ... adjusted
// appropriately" when off_in is NULL. A process splices one byte of a
// two-byte file into a pipe 500 times (lseek back each time) while a
// second process lseeks and reads the same open file and a third reads the
// pipe: the splicer finishes (a splice that starts at the end of the file,
// the reader having moved the shared offset, returns 0 and is retried) and
// the pipe reader gets exactly the 500 bytes spliced, all the file's byte.
TEST(SpliceConcurrent, FromAFileWithConcurrentReadsLosesNothing) {
  int mfd = memfd_create("ipcspec-more", MFD_CLOEXEC);
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor file(mfd);
  ASSERT_THAT(write(file.get(), "\x01\x01", 2), SyscallSucceedsWithValue(2));
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  constexpr int kIterations = 500;
  ASSERT_OK_AND_ASSIGN(Child file_reader, Child::Fork([&] {
    p.read_end.reset();
    p.write_end.reset();
    char c;
    for (;;) {
      lseek(file.get(), 0, SEEK_SET);
      if (read(file.get(), &c, 1) == 1 && c != 1) return 1;
    }
  }));
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child pipe_reader, Child::Fork([&] {
    p.write_end.reset();
    long total = 0;
    char buf[64];
    for (;;) {
      ssize_t n = read(p.read_end.get(), buf, sizeof buf);
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i)
        if (buf[i] != 1) return 1;
      total += n;
    }
    res->ret = total;
    return 0;
  }));
  ASSERT_OK_AND_ASSIGN(WaitStatus sst, ForkAndWait([&] {
    // The reader's lseek and read move the shared offset too: a splice
    // may start at the end of the file and return 0; it is retried.
    int moved = 0;
    for (int attempt = 0; moved < kIterations && attempt < 100 * kIterations; ++attempt) {
      lseek(file.get(), 0, SEEK_SET);
      ssize_t n = splice(file.get(), nullptr, p.write_end.get(), nullptr, 1, 0);
      if (n < 0 || n > 1) return 1;
      moved += static_cast<int>(n);
    }
    return moved == kIterations ? 0 : 2;
  }));
  EXPECT_TRUE(sst.ExitedWith(0)) << sst << ": man 2 splice: every 1-byte splice moves at most 1 byte "
      << "(1: an error or more, 2: 500 bytes not moved in 50000 tries)";
  p.write_end.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus rst, pipe_reader.Wait());
  EXPECT_TRUE(rst.ExitedWith(0)) << rst << " (1: a byte not the file's)";
  EXPECT_EQ(res->ret, kIterations) << "man 2 splice: the pipe reader must get every spliced byte";
  ASSERT_OK_AND_ASSIGN(WaitStatus fst, file_reader.KillAndWait());
  EXPECT_TRUE(fst.KilledBy(SIGKILL)) << fst << " (1: the file reader read a wrong byte)";
}

// man 2 splice: "splice() moves data between two file descriptors ...
// where one of the file descriptors must refer to a pipe"; ERRORS: "EBADF
// One or both file descriptors are not valid, or do not have proper
// read-write mode." and "EINVAL The target filesystem doesn't support
// splicing." / "Neither of the file descriptors refers to a pipe." Every
// pairing of descriptor kinds in which splice has no valid use (no pipe
// end, a pipe end in the wrong direction, a kind without splice support, a
// closed number) fails EBADF or EINVAL. Fourteen kinds are always made;
// eleven more (pidfd, TCP socket, io_uring, userfaultfd, memfd_secret,
// open_tree, fsopen, fspick, fanotify, perf event, BPF map) join when the
// environment lets this process make them, and the test's `kinds` property
// names those that joined. The pairings splice supports (a pipe's read end
// to a file, /dev/zero, socket or pipe; a file, /dev/zero, /proc file or
// socket to a pipe's write end) are left out: they would move data or wait
// for it. The calls run in a child under a deadline, with
// SPLICE_F_NONBLOCK and non-blocking descriptors.
TEST(SpliceErrors, EveryInvalidPairingOfDescriptorKindsIsEbadfOrEinval) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  enum Role { kOther, kFile, kZero, kProcFile, kPipeR, kPipeW, kSocket };
  struct KindFd {
    std::string name;
    int fd;
    Role role;
  };
  std::vector<KindFd> kinds;
  std::vector<FileDescriptor> owned;
  auto must = [&](const char* name, int fd, Role role) {
    EXPECT_THAT(fd, SyscallSucceeds()) << name;
    owned.emplace_back(fd);
    kinds.push_back({name, fd, role});
  };
  auto maybe = [&](const char* name, long fd, Role role) {
    if (fd < 0) return;
    owned.emplace_back(static_cast<int>(fd));
    kinds.push_back({name, static_cast<int>(fd), role});
  };
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  int sv[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv),
              SyscallSucceeds());
  FileDescriptor s1(sv[1]);
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGUSR2);
  must("memfd", memfd_create("ipcspec-more", MFD_CLOEXEC), kFile);
  must("O_PATH fd", open("/dev/null", O_PATH | O_CLOEXEC), kOther);
  must("directory", open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC), kOther);
  must("/dev/zero", open("/dev/zero", O_RDWR | O_CLOEXEC), kZero);
  must("/proc/self/maps", open("/proc/self/maps", O_RDONLY | O_CLOEXEC), kProcFile);
  kinds.push_back({"pipe read end", p.read_end.get(), kPipeR});
  kinds.push_back({"pipe write end", p.write_end.get(), kPipeW});
  must("unix stream socket", sv[0], kSocket);
  must("eventfd", eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC), kOther);
  must("epoll", epoll_create1(EPOLL_CLOEXEC), kOther);
  must("timerfd", timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC), kOther);
  must("signalfd", signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC), kOther);
  must("inotify", inotify_init1(IN_NONBLOCK | IN_CLOEXEC), kOther);
  const size_t always = kinds.size();
  maybe("pidfd", syscall(SYS_pidfd_open, getpid(), 0), kOther);
  maybe("TCP socket", socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), kSocket);
  {
    struct io_uring_params params;
    memset(&params, 0, sizeof params);
    maybe("io_uring", syscall(SYS_io_uring_setup, 1, &params), kOther);
  }
  maybe("userfaultfd", syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), kOther);
  maybe("memfd_secret", syscall(SYS_memfd_secret, O_CLOEXEC), kFile);
  maybe("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLOEXEC), kOther);
  maybe("fsopen", syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC), kOther);
  maybe("fspick", syscall(SYS_fspick, AT_FDCWD, "/", FSPICK_CLOEXEC), kOther);
  maybe("fanotify",
        syscall(SYS_fanotify_init, FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK, O_RDONLY),
        kOther);
  {
    struct perf_event_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.size = sizeof attr;
    attr.type = PERF_TYPE_SOFTWARE;
    attr.config = PERF_COUNT_SW_DUMMY;
    attr.disabled = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    maybe("perf event", syscall(SYS_perf_event_open, &attr, 0, -1, -1, PERF_FLAG_FD_CLOEXEC),
          kOther);
  }
  {
    union bpf_attr attr;
    memset(&attr, 0, sizeof attr);
    attr.map_type = BPF_MAP_TYPE_ARRAY;
    attr.key_size = 4;
    attr.value_size = 4;
    attr.max_entries = 1;
    maybe("BPF map", syscall(SYS_bpf, BPF_MAP_CREATE, &attr, sizeof attr), kOther);
  }
  {
    // Made last, so that no later descriptor takes its number.
    int closed = fcntl(kinds[0].fd, F_DUPFD_CLOEXEC, 0);
    ASSERT_THAT(closed, SyscallSucceeds());
    ASSERT_THAT(close(closed), SyscallSucceeds());
    kinds.push_back({"closed fd", closed, kOther});
  }
  std::string joined;
  for (size_t i = always; i + 1 < kinds.size(); ++i)
    joined += (joined.empty() ? "" : ",") + kinds[i].name;
  ::testing::Test::RecordProperty("kinds", joined);

  auto supported = [](Role in, Role out) {
    if (in == kPipeR && (out == kFile || out == kZero || out == kPipeW || out == kSocket))
      return true;
    if (out == kPipeW && (in == kFile || in == kZero || in == kProcFile || in == kSocket))
      return true;
    return false;
  };
  constexpr size_t kMax = 32;
  ASSERT_LE(kinds.size(), kMax);
  struct Outcome {
    long ret[kMax][kMax];
    int err[kMax][kMax];
  };
  ASSERT_OK_AND_ASSIGN(auto out, SharedObject<Outcome>::Create());
  const size_t n = kinds.size();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        out->ret[i][j] = -2;
        if (supported(kinds[i].role, kinds[j].role)) continue;
        out->ret[i][j] = splice(kinds[i].fd, nullptr, kinds[j].fd, nullptr, 1, SPLICE_F_NONBLOCK);
        out->err[i][j] = errno;
      }
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  int checked = 0;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      if (supported(kinds[i].role, kinds[j].role)) continue;
      ++checked;
      const long r = out->ret[i][j];
      const int e = out->err[i][j];
      EXPECT_TRUE(r == -1 && (e == EBADF || e == EINVAL))
          << "man 2 splice: EBADF or EINVAL for an invalid pairing: splice(" << kinds[i].name
          << " -> " << kinds[j].name << ") returned " << r << " errno " << e << " ("
          << strerror(e) << ")";
    }
  EXPECT_GE(checked, 14 * 14 - 8);
}

// man 7 pipe, /proc/sys/fs/pipe-user-pages-soft: "The soft limit on the
// total size (in pages) of all pipes created or set by a single
// unprivileged user ... When this limit is reached, new pipes created by
// this user will be limited to 1 page in size"; since Linux 5.14 the floor
// is 2 pages (the kernel's fix for a hang the one-page pipes caused; the
// page still says 1). A child running as a fresh user makes pipes until
// one comes out below the default capacity, within the number the soft
// limit allows plus two. On that pipe, writing its whole capacity, reading
// all but one byte and writing one more byte all complete (non-blocking:
// EAGAIN would be the hang).
TEST(PipeLimits, AUserAtPipeUserPagesSoftGetsSmallPipesThatDoNotHang) {
  constexpr char kSoft[] = "/proc/sys/fs/pipe-user-pages-soft";
  // Enough descriptors for the pipes the soft limit allows at the default
  // 16 pages each (the soft limit is at most 65536 pages: 4098 pipes).
  constexpr rlim_t kFds = 2 * (65536 / 16 + 2) + 64;
  IPCSPEC_NEEDS(Need::SecondUid(), Need::SysctlAtLeast(kSoft, 1),
                Need::SysctlBelow(kSoft, 65537),
                Need::Feature("rlimit-nofile-hard>=8260", []() -> std::optional<std::string> {
                  struct rlimit rl;
                  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return std::nullopt;
                  if (rl.rlim_max >= kFds) return std::nullopt;
                  return "RLIMIT_NOFILE hard limit " + std::to_string(rl.rlim_max);
                }));
  ASSERT_OK_AND_ASSIGN(long soft, ReadProcLong(kSoft));
  ASSERT_OK_AND_ASSIGN(auto probe, MakePipe());
  ASSERT_OK_AND_ASSIGN(int def, GetPipeSize(probe.write_end.get()));
  probe.read_end.reset();
  probe.write_end.reset();
  const long def_pages = def / PageSize();
  const long max_pipes = soft / def_pages + 2;
  const uid_t uid = UnusedUid();
  std::vector<uint8_t> buf(def);
  // The child's calls, each recorded: setrlimit, the ids, the last pipe2
  // (`extra`: the pipes made), F_GETPIPE_SZ of the last pipe, filling it,
  // reading all but a byte, and the last 1-byte write that must not block.
  enum { kRlimit, kIds, kPipe2, kSize, kFill, kRead, kLastWrite, kCalls };
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<kCalls>([&](CallRecords<kCalls>& r) {
    struct rlimit rl;
    r[kRlimit] = Record("getrlimit(RLIMIT_NOFILE)", getrlimit(RLIMIT_NOFILE, &rl));
    if (r[kRlimit].failed()) return;
    rl.rlim_cur = static_cast<rlim_t>(2 * max_pipes + 64);  // the hard limit allows it
    r[kRlimit] = Record("setrlimit(RLIMIT_NOFILE)", setrlimit(RLIMIT_NOFILE, &rl));
    if (r[kRlimit].failed()) return;
    r[kIds] = Record("setresgid", setresgid(uid, uid, uid));
    if (r[kIds].failed()) return;
    r[kIds] = Record("setresuid", setresuid(uid, uid, uid));
    if (r[kIds].failed()) return;
    int fds[2] = {-1, -1};
    long made = 0;
    int cap = def;
    while (made < max_pipes) {
      r[kPipe2] = Record("pipe2(O_NONBLOCK)", pipe2(fds, O_NONBLOCK));
      r[kPipe2].extra = made;
      if (r[kPipe2].failed()) return;
      r[kPipe2].extra = ++made;
      r[kSize] = Record("fcntl(F_GETPIPE_SZ)", cap = fcntl(fds[1], F_GETPIPE_SZ));
      if (cap < def) break;
    }
    if (cap >= def) return;
    r[kFill] = Record("write(the whole pipe)", write(fds[1], buf.data(), cap));
    if (r[kFill].ret != cap) return;
    r[kRead] = Record("read(all but a byte)", read(fds[0], buf.data(), cap - 1));
    if (r[kRead].ret != cap - 1) return;
    r[kLastWrite] = Record("write(1 byte)", write(fds[1], buf.data(), 1));
  }));
  const long small = calls[kSize].ret;
  EXPECT_EQ(calls[kLastWrite].ret, 1)
      << "man 7 pipe: at pipe-user-pages-soft new pipes are small, and they must still work "
      << "(pipe2 failed, no small pipe, or the last 1-byte write after reading all but a "
      << "byte would block): "
      << ToString(calls);
  RecordProperty("pipes_made", std::to_string(calls[kPipe2].extra));
  RecordProperty("small_pipe_bytes", std::to_string(small));
  EXPECT_GE(small, PageSize()) << "a soft-limited pipe holds at least a page: " << calls[kSize];
  EXPECT_LT(small, def) << "man 7 pipe: new pipes of a user at the soft limit are smaller: "
                        << ToString(calls);
}

}  // namespace
}  // namespace ipcspec
