// Pipe limits and identity: F_SETPIPE_SZ with a size no pipe can have,
// pread/pwrite on a pipe, what fstat says about the two ends, reopening an
// end through /proc/self/fd, and EMFILE from pipe(2) (man 2 pipe, man 2
// fcntl, man 2 pread, man 7 pipe, man 5 proc).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {

// man 2 fcntl, "Changing the capacity of a pipe" documents EBUSY and EPERM
// for F_SETPIPE_SZ but no error for a size no pipe can take. Linux rejects a
// request above 2^31 bytes with EINVAL whatever the caller's privilege
// (fs/pipe.c: round_pipe_size() returns 0 above 1U<<31 and pipe_set_size()
// turns a zero slot count into -EINVAL before the pipe-max-size check); LTP
// fcntl37 asserts the same. This tests Linux, not the page.
TEST(PipeSetSize, AboveTwoGibibytesIsEinval) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  ASSERT_OK_AND_ASSIGN(int before, GetPipeSize(p.write_end.get()));
  const unsigned int absurd = (1U << 31) + 1;
  EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, absurd), SyscallFailsWithErrno(EINVAL));
  ASSERT_OK_AND_ASSIGN(int after, GetPipeSize(p.write_end.get()));
  EXPECT_EQ(after, before) << "a rejected F_SETPIPE_SZ changes nothing";
}

// man 2 pread: "The file referenced by fd must be capable of seeking." and
// pread/pwrite "can fail and set errno to any error specified for read(2)
// or lseek(2)"; man 2 lseek: "ESPIPE fd is associated with a pipe, socket,
// or FIFO." The same holds for preadv/pwritev (man 2 readv).
TEST(PipeOffsets, PreadPwriteAndTheirVectorFormsAreEspipe) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  char buf[8] = "abcdefg";
  struct iovec iov = {buf, sizeof buf};
  EXPECT_THAT(pwrite(p.write_end.get(), buf, sizeof buf, 0), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(pwritev(p.write_end.get(), &iov, 1, 0), SyscallFailsWithErrno(ESPIPE));
  ASSERT_THAT(write(p.write_end.get(), buf, sizeof buf), SyscallSucceedsWithValue(sizeof buf));
  EXPECT_THAT(pread(p.read_end.get(), buf, sizeof buf, 0), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(preadv(p.read_end.get(), &iov, 1, 0), SyscallFailsWithErrno(ESPIPE));
  ASSERT_OK_AND_ASSIGN(int left, Fionread(p.read_end.get()));
  EXPECT_EQ(left, static_cast<int>(sizeof buf)) << "the failed preads consumed nothing";
}

// man 2 pipe: "pipefd[0] refers to the read end of the pipe. pipefd[1]
// refers to the write end of the pipe." man 7 inode: "S_IFIFO FIFO". Both
// ends are one pipe object: one inode of type FIFO, the read end open
// O_RDONLY and the write end O_WRONLY.
TEST(PipeEnds, BothEndsAreOneFifoInodeOpenForReadingAndForWriting) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  struct stat r = {}, w = {};
  ASSERT_THAT(fstat(p.read_end.get(), &r), SyscallSucceeds());
  ASSERT_THAT(fstat(p.write_end.get(), &w), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(r.st_mode)) << std::oct << r.st_mode;
  EXPECT_TRUE(S_ISFIFO(w.st_mode)) << std::oct << w.st_mode;
  EXPECT_EQ(r.st_ino, w.st_ino);
  EXPECT_EQ(r.st_dev, w.st_dev);
  int rfl = fcntl(p.read_end.get(), F_GETFL);
  int wfl = fcntl(p.write_end.get(), F_GETFL);
  ASSERT_THAT(rfl, SyscallSucceeds());
  ASSERT_THAT(wfl, SyscallSucceeds());
  EXPECT_EQ(rfl & O_ACCMODE, O_RDONLY);
  EXPECT_EQ(wfl & O_ACCMODE, O_WRONLY);
}

// man 5 proc_pid_fd: "/proc/pid/fd/ This is a subdirectory containing one
// entry for each file which the process has open ... For file descriptors
// for pipes and sockets, the entries will be symbolic links whose content is
// the file type with the inode." Opening such an entry on Linux opens the
// same pipe (the FIFO open path), so data written through the reopened
// write end is read from the original read end.
TEST(PipeProcFd, ReopeningAnEndGivesTheSamePipe) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  std::string path = "/proc/self/fd/" + std::to_string(p.write_end.get());
  int fd = open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  ASSERT_THAT(fd, SyscallSucceeds()) << path;
  FileDescriptor reopened(fd);
  const char msg[] = "via proc";
  ASSERT_THAT(write(reopened.get(), msg, sizeof msg), SyscallSucceedsWithValue(sizeof msg));
  char got[sizeof msg] = {};
  ASSERT_THAT(read(p.read_end.get(), got, sizeof got), SyscallSucceedsWithValue(sizeof msg));
  EXPECT_EQ(std::string(got, sizeof got), std::string(msg, sizeof msg));
  // The reopened end counts as a writer: with the original write end closed
  // the read end does not see end of file yet.
  p.write_end.reset();
  EXPECT_THAT(read(p.read_end.get(), got, sizeof got), SyscallFailsWithErrno(EAGAIN));
  reopened.reset();
  EXPECT_THAT(read(p.read_end.get(), got, sizeof got), SyscallSucceedsWithValue(0));
}

// man 7 pipe: "If all file descriptors referring to the read end of a pipe
// have been closed, then a write(2) will cause a SIGPIPE signal to be
// generated for the calling process. If the calling process is ignoring this
// signal, then write(2) fails with the error EPIPE." A writer blocked in the
// middle of a large write when the last reader closes: Linux returns the
// bytes already written (fs/pipe.c, pipe_write: -EPIPE only when nothing was
// written; gVisor's PipeTest.BlockPartialWriteClosed asserts the same), and
// the next write fails EPIPE. The page does not describe the partial count.
TEST(PipeWrite, BlockedWriterGetsThePartialCountThenEpipeWhenTheReaderCloses) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  const int page = static_cast<int>(sysconf(_SC_PAGESIZE));
  ASSERT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, page), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(int cap, GetPipeSize(p.write_end.get()));
  const size_t n = static_cast<size_t>(cap) * 3;
  const std::vector<uint8_t> big = Pattern(16, n);
  ASSERT_OK_AND_ASSIGN(auto result, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    struct sigaction sa = {};
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, nullptr);
    p.read_end.reset();
    *result = Record("write", write(p.write_end.get(), big.data(), n));
    char c = 0;
    result->extra = write(p.write_end.get(), &c, 1) == -1 ? errno : 0;
    return 0;
  }));
  p.write_end.reset();
  ASSERT_THAT(WaitUntilBlocked(writer.pid(), {SYS_write}), SyscallSucceeds())
      << "a write of three times the capacity must block";
  ASSERT_OK_AND_ASSIGN(int held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, cap);
  p.read_end.reset();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(result->ret, static_cast<long>(cap)) << result->ToString();
  EXPECT_EQ(result->extra, EPIPE) << "the next write: " << result->ToString();
}

// man 2 pipe does not give the mode of the pipe's inode. Linux makes it
// S_IFIFO | 0600 owned by the caller's effective ids (fs/pipe.c,
// get_pipe_inode: S_IFIFO | S_IRUSR | S_IWUSR, current_fsuid/fsgid);
// gVisor's PipeTest.Permissions asserts the same. This tests Linux.
TEST(PipeEnds, InodeModeIsFifo0600OwnedByTheCaller) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe());
  struct stat st = {};
  ASSERT_THAT(fstat(p.read_end.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode, static_cast<mode_t>(S_IFIFO | 0600)) << std::oct << st.st_mode;
  EXPECT_EQ(st.st_uid, geteuid());
  EXPECT_EQ(st.st_gid, getegid());
}

// man 2 read: "If count is zero, read() may detect the errors described
// below. In the absence of any errors, or if read() does not check for
// errors, a read() with a count of 0 returns zero and has no other
// effects." man 2 write: "If count is zero and fd refers to a file
// other than a regular file, the results are not specified." On a Linux
// pipe a zero-length write returns 0 and adds nothing (fs/pipe.c,
// pipe_write: "if (unlikely(total_len == 0)) return 0;").
TEST(PipeZeroLength, ZeroLengthReadAndWriteReturnZeroAndMoveNothing) {
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  char c = 'x';
  EXPECT_THAT(write(p.write_end.get(), &c, 0), SyscallSucceedsWithValue(0));
  ASSERT_OK_AND_ASSIGN(int held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, 0);
  ASSERT_THAT(write(p.write_end.get(), &c, 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(p.read_end.get(), &c, 0), SyscallSucceedsWithValue(0));
  ASSERT_OK_AND_ASSIGN(held, Fionread(p.read_end.get()));
  EXPECT_EQ(held, 1) << "a zero-length read consumed data";
}

// man 2 pipe, ERRORS: "EMFILE The per-process limit on the number of open
// file descriptors has been reached." A child lowers RLIMIT_NOFILE so that
// exactly one descriptor slot is free: pipe needs two and fails EMFILE;
// with two slots it succeeds. The child reports by exit code.
TEST(PipeLimits, PipeFailsEmfileWithOneFreeDescriptorSlot) {
  auto run = [](int free_slots) {
    return ForkAndWait([free_slots] {
      int probe = open("/dev/null", O_RDONLY | O_CLOEXEC);  // the lowest free slot
      if (probe < 0) return 10;
      close(probe);
      struct rlimit rl = {static_cast<rlim_t>(probe + free_slots),
                          static_cast<rlim_t>(probe + free_slots)};
      if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return 11;
      int fds[2];
      if (pipe(fds) == 0) return 0;
      return errno == EMFILE ? 1 : 12;
    });
  };
  ASSERT_OK_AND_ASSIGN(WaitStatus one, run(1));
  EXPECT_TRUE(one.ExitedWith(1)) << "one free slot: want EMFILE (exit 1), got " << one;
  ASSERT_OK_AND_ASSIGN(WaitStatus two, run(2));
  EXPECT_TRUE(two.ExitedWith(0)) << "two free slots: want success (exit 0), got " << two;
}

}  // namespace
}  // namespace ipcspec
