// I/O through FIFOs: no data on disk, truncate, order, end of file, SIGPIPE,
// one pipe object per FIFO, and unlinking a FIFO while it is open (man 7
// fifo, man 7 pipe, man 2 open, man 2 truncate, man 2 unlink).
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/sigpipe.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "impl/fifo/fifo.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {

class FifoIo : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeFifoDir();
    ASSERT_TRUE(d.ok()) << d.error();
    dir_ = d.value().first;
    cleanup_ = d.value().second;
    path_ = dir_ + "/fifo";
    ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  }
  // open(path_, flags | O_CLOEXEC), which must not block.
  // errno is that of the open when it fails.
  FileDescriptor Open(int flags) {
    int fd, err;
    {
      Watchdog wd(Deadline::Default());
      fd = open(path_.c_str(), flags | O_CLOEXEC);
      err = errno;
    }
    errno = err;
    return FileDescriptor(fd);
  }
  std::string dir_;
  std::string path_;
  std::shared_ptr<Cleanup> cleanup_;
};

// man 7 fifo: "When processes are exchanging data via the FIFO, the kernel
// passes all data internally without writing it to the filesystem.  Thus,
// the FIFO special file has no contents on the filesystem". man 7 pipe:
// "I/O on FIFOs does not involve operations on the underlying device".
TEST_F(FifoIo, HoldsNoDataOnTheFilesystem) {
  const char* cite =
      "man 7 fifo: \"the kernel passes all data internally without writing it to the "
      "filesystem.  Thus, the FIFO special file has no contents on the filesystem\"";
  FileDescriptor rw = Open(O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(rw.valid()) << ErrnoName(errno);
  const std::vector<uint8_t> data = Pattern(31, 1000);
  ASSERT_THAT(write(rw.get(), data.data(), data.size()), SyscallSucceedsWithValue(1000));
  struct stat by_path, by_fd;
  ASSERT_THAT(stat(path_.c_str(), &by_path), SyscallSucceeds());
  ASSERT_THAT(fstat(rw.get(), &by_fd), SyscallSucceeds());
  EXPECT_EQ(by_path.st_size, 0) << cite << ": stat(path).st_size with 1000 bytes in the FIFO";
  EXPECT_EQ(by_fd.st_size, 0) << cite << ": fstat(fd).st_size with 1000 bytes in the FIFO";
  EXPECT_EQ(by_path.st_blocks, 0) << cite << ": st_blocks";
  EXPECT_TRUE(S_ISFIFO(by_fd.st_mode)) << cite;
  // The data is in the kernel's pipe, not lost.
  EXPECT_THAT(Fionread(rw.get()), SyscallSucceedsWithValue(1000)) << cite;
}

// man 2 truncate, ERRORS for ftruncate(): "EINVAL fd does not reference a
// regular file or a POSIX shared memory object." For truncate() on a path
// the page lists no error for a FIFO; Linux gives EINVAL for any non-regular
// file that is not a directory (a directory is EISDIR): this checks Linux.
// man 2 open: "If the file is a FIFO or terminal device file, the O_TRUNC
// flag is ignored."
TEST_F(FifoIo, TruncateIsEinvalAndOTruncIsIgnored) {
  const char* fcite =
      "man 2 truncate: \"EINVAL fd does not reference a regular file or a POSIX shared memory "
      "object.\"";
  FileDescriptor rw = Open(O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(rw.valid()) << ErrnoName(errno);
  ASSERT_THAT(write(rw.get(), "12345", 5), SyscallSucceedsWithValue(5));
  EXPECT_THAT(ftruncate(rw.get(), 0), SyscallFailsWithErrno(EINVAL)) << fcite << " (length 0)";
  EXPECT_THAT(ftruncate(rw.get(), 100), SyscallFailsWithErrno(EINVAL))
      << fcite << " (length 100)";
  EXPECT_THAT(truncate(path_.c_str(), 0), SyscallFailsWithErrno(EINVAL))
      << "man 2 truncate lists no truncate() error for a FIFO path; Linux returns EINVAL for a "
         "non-regular file (as ftruncate(): \"EINVAL fd does not reference a regular file\")";
  EXPECT_THAT(Fionread(rw.get()), SyscallSucceedsWithValue(5))
      << fcite << ": the failed truncations must not drop data";
  FileDescriptor again = Open(O_RDWR | O_TRUNC | O_NONBLOCK);
  EXPECT_TRUE(again.valid())
      << "man 2 open: \"If the file is a FIFO or terminal device file, the O_TRUNC flag is "
         "ignored.\": "
      << ErrnoName(errno);
  EXPECT_THAT(Fionread(rw.get()), SyscallSucceedsWithValue(5))
      << "man 2 open: \"If the file is a FIFO or terminal device file, the O_TRUNC flag is "
         "ignored.\": the data must still be there";
}

// man 7 pipe, "I/O on pipes and FIFOs": "Once these tasks have been
// accomplished, I/O on pipes and FIFOs has exactly the same semantics." A
// FIFO reports the default pipe capacity, 16 pages ("Pipe capacity").
TEST_F(FifoIo, HasTheDefaultPipeCapacity) {
  const char* cite =
      "man 7 pipe: \"I/O on pipes and FIFOs has exactly the same semantics.\" and \"Since Linux "
      "2.6.35, the default pipe capacity is 16 pages\"";
  IPCSPEC_NEEDS(DefaultCapacityNeeds());
  const size_t cap = DocumentedDefaultCapacity();
  FileDescriptor rw = Open(O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(rw.valid()) << ErrnoName(errno);
  EXPECT_THAT(fcntl(rw.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(cap)) << cite;
  ASSERT_OK_AND_ASSIGN(size_t filled, FillNonBlocking(rw.get(), 512, 4 * cap));
  EXPECT_EQ(filled, cap) << cite << ": exactly the capacity must fit";
}

// man 7 fifo: "The kernel maintains exactly one pipe object for each FIFO
// special file that is opened by at least one process." Two separate opens
// share one pipe; once no process has the FIFO open there is no pipe object,
// so data left in it does not survive to the next open (Linux frees the
// pipe on the last close).
TEST_F(FifoIo, AllOpensShareOnePipeObjectThatEndsWithTheLastClose) {
  const char* cite =
      "man 7 fifo: \"The kernel maintains exactly one pipe object for each FIFO special file "
      "that is opened by at least one process.\"";
  FileDescriptor a = Open(O_RDWR | O_NONBLOCK);
  FileDescriptor b = Open(O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(a.valid() && b.valid()) << ErrnoName(errno);
  ASSERT_THAT(write(a.get(), "shared", 6), SyscallSucceedsWithValue(6));
  EXPECT_THAT(Fionread(b.get()), SyscallSucceedsWithValue(6)) << cite;
  char buf[16];
  EXPECT_THAT(read(b.get(), buf, 3), SyscallSucceedsWithValue(3)) << cite;
  EXPECT_THAT(read(a.get(), buf + 3, sizeof buf - 3), SyscallSucceedsWithValue(3)) << cite;
  EXPECT_EQ(std::string(buf, 6), "shared") << cite;
  ASSERT_THAT(write(a.get(), "left over", 9), SyscallSucceedsWithValue(9));
  a.reset();
  b.reset();
  FileDescriptor c = Open(O_RDWR | O_NONBLOCK);
  ASSERT_TRUE(c.valid()) << ErrnoName(errno);
  EXPECT_THAT(Fionread(c.get()), SyscallSucceedsWithValue(0))
      << cite << ": after the last close there was no pipe object; the data left in it must "
      << "be gone";
  EXPECT_THAT(read(c.get(), buf, sizeof buf), SyscallFailsWithErrno(EAGAIN)) << cite;
}

// man 7 pipe: "Data written to the write end of a pipe can be read from the
// read end of the pipe." and "The communication channel provided by a pipe
// is a byte stream" (man 7 fifo: "For details of the semantics of I/O on
// FIFOs, see pipe(7)"); "If all file descriptors referring to the write end
// of a pipe have been closed, then an attempt to read(2) from the pipe will
// see end-of-file". A writer process opened by path sends four times the
// capacity in uneven chunks; the reader gets it all in order, then end of
// file when the writer exits.
TEST_F(FifoIo, DataArrivesInOrderThenEndOfFileWhenTheWriterExits) {
  const char* cite =
      "man 7 pipe: \"The communication channel provided by a pipe is a byte stream\" and \"If "
      "all file descriptors referring to the write end of a pipe have been closed, then an "
      "attempt to read(2) from the pipe will see end-of-file\"";
  FileDescriptor r = Open(O_RDONLY | O_NONBLOCK);
  ASSERT_TRUE(r.valid()) << ErrnoName(errno);
  const size_t total = 4 * DocumentedDefaultCapacity();
  const std::vector<uint8_t> data = Pattern(41, total);
  ASSERT_OK_AND_ASSIGN(Checkpoint opened, Checkpoint::Create());
  const char* path = path_.c_str();
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    r.reset();
    int w = open(path, O_WRONLY | O_CLOEXEC);  // a reader exists: does not block
    if (w < 0) return 1;
    opened.Signal(1);
    size_t off = 0, chunk = 1;
    while (off < total) {
      size_t n = std::min(total - off, chunk);
      ssize_t k = write(w, data.data() + off, n);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) return 2;
      off += static_cast<size_t>(k);
      chunk = chunk * 3 % 9001 + 1;  // uneven sizes, some above PIPE_BUF
    }
    return 0;
  }));
  ASSERT_NO_ERRNO(opened.WaitFor(1, Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(std::vector<uint8_t> got,
                       ReadToEof(r.get(), total, Deadline::Default()));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(got.size(), total) << cite << ": end of file came after " << got.size() << " bytes";
  EXPECT_TRUE(got == data) << cite << ": the bytes arrived changed or out of order";
}

// man 7 pipe (as above): end of file only once ALL write ends are closed;
// with one writer left, a non-blocking read of the empty FIFO is EAGAIN.
TEST_F(FifoIo, EndOfFileOnlyAfterTheLastWriterCloses) {
  const char* cite =
      "man 7 pipe: \"If all file descriptors referring to the write end of a pipe have been "
      "closed, then an attempt to read(2) from the pipe will see end-of-file (read(2) will "
      "return 0).\"";
  FileDescriptor r = Open(O_RDONLY | O_NONBLOCK);
  ASSERT_TRUE(r.valid()) << ErrnoName(errno);
  FileDescriptor w1 = Open(O_WRONLY);
  FileDescriptor w2 = Open(O_WRONLY);
  ASSERT_TRUE(w1.valid() && w2.valid()) << ErrnoName(errno);
  ASSERT_THAT(write(w1.get(), "one,", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(write(w2.get(), "two,", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(write(w1.get(), "three", 5), SyscallSucceedsWithValue(5));
  w1.reset();
  char b[32];
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(13)) << cite;
  EXPECT_EQ(std::string(b, 13), "one,two,three")
      << "man 7 pipe: \"Data written to the write end of a pipe can be read from the read end\" "
         "(in the order written)";
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN))
      << cite << ": one writer is still open, so no end of file";
  w2.reset();
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(0))
      << cite << ": the last writer closed";
}

// man 7 fifo, NOTES: "When a process tries to write to a FIFO that is not
// opened for read on the other side, the process is sent a SIGPIPE signal."
// man 2 write: "EPIPE fd is connected to a pipe or socket whose reading end
// is closed." With two readers, closing one changes nothing; closing the
// last gives EPIPE and SIGPIPE (blocked here, so it stays pending).
TEST_F(FifoIo, EpipeAndSigpipeAfterTheLastReaderCloses) {
  const char* cite =
      "man 7 fifo: \"When a process tries to write to a FIFO that is not opened for read on the "
      "other side, the process is sent a SIGPIPE signal.\"; man 2 write: \"EPIPE fd is "
      "connected to a pipe or socket whose reading end is closed.\"";
  FileDescriptor r1 = Open(O_RDONLY | O_NONBLOCK);
  FileDescriptor r2 = Open(O_RDONLY | O_NONBLOCK);
  ASSERT_TRUE(r1.valid() && r2.valid()) << ErrnoName(errno);
  FileDescriptor w = Open(O_WRONLY | O_NONBLOCK);
  ASSERT_TRUE(w.valid()) << ErrnoName(errno);
  ScopedBlockSigpipe blocked;
  ASSERT_FALSE(blocked.ConsumePending());
  r1.reset();
  EXPECT_THAT(write(w.get(), "a", 1), SyscallSucceedsWithValue(1))
      << cite << ": a reader is still open";
  EXPECT_FALSE(blocked.ConsumePending()) << cite << ": SIGPIPE with a reader still open";
  r2.reset();
  EXPECT_THAT(write(w.get(), "b", 1), SyscallFailsWithErrno(EPIPE)) << cite;
  EXPECT_TRUE(blocked.ConsumePending()) << cite << ": no SIGPIPE pending";
}

// Unlinking a FIFO while it is open. man 2 unlink: "If the name was the last
// link to a file but any processes still have the file open, the file will
// remain in existence until the last file descriptor referring to it is
// closed." So the open ends keep working; man 2 open: "ENOENT O_CREAT is not
// set and the named file does not exist." for a new open by the path; and a
// new mkfifo on the path (man 3 mkfifo: "mkfifo() makes a FIFO special file
// with name pathname") is a new FIFO, whose pipe object is its own (man 7
// fifo: "exactly one pipe object for each FIFO special file"): data does not
// cross between the two.
TEST_F(FifoIo, UnlinkedWhileOpenTheEndsKeepWorkingAndANewFifoIsSeparate) {
  const char* unlink_cite =
      "man 2 unlink: \"If the name was the last link to a file but any processes still have "
      "the file open, the file will remain in existence until the last file descriptor "
      "referring to it is closed.\"";
  const char* new_cite =
      "man 7 fifo: \"The kernel maintains exactly one pipe object for each FIFO special file "
      "that is opened by at least one process.\" (a new mkfifo is a new FIFO special file)";
  FileDescriptor r = Open(O_RDONLY | O_NONBLOCK);
  FileDescriptor w = Open(O_WRONLY | O_NONBLOCK);
  ASSERT_TRUE(r.valid() && w.valid()) << ErrnoName(errno);
  struct stat old_st;
  ASSERT_THAT(fstat(r.get(), &old_st), SyscallSucceeds());
  ASSERT_THAT(unlink(path_.c_str()), SyscallSucceeds());

  char b[32];
  ASSERT_THAT(write(w.get(), "old1", 4), SyscallSucceedsWithValue(4)) << unlink_cite;
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(4)) << unlink_cite;
  EXPECT_EQ(std::string(b, 4), "old1") << unlink_cite;

  FileDescriptor by_path = Open(O_RDONLY | O_NONBLOCK);
  const int open_err = errno;
  EXPECT_FALSE(by_path.valid())
      << "man 2 open: \"ENOENT O_CREAT is not set and the named file does not exist.\"";
  EXPECT_EQ(open_err, ENOENT) << "man 2 open: \"ENOENT O_CREAT is not set and the named file "
                                 "does not exist.\": got "
                              << ErrnoName(open_err);
  by_path.reset();

  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds())
      << "man 3 mkfifo: the name is free again after unlink";
  FileDescriptor r2 = Open(O_RDONLY | O_NONBLOCK);
  FileDescriptor w2 = Open(O_WRONLY | O_NONBLOCK);
  ASSERT_TRUE(r2.valid() && w2.valid()) << ErrnoName(errno);
  struct stat new_st;
  ASSERT_THAT(fstat(r2.get(), &new_st), SyscallSucceeds());
  EXPECT_FALSE(new_st.st_ino == old_st.st_ino && new_st.st_dev == old_st.st_dev)
      << new_cite << ": the new FIFO has the unlinked one's inode " << old_st.st_ino;

  ASSERT_THAT(write(w.get(), "old2", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(write(w2.get(), "new!!", 5), SyscallSucceedsWithValue(5));
  EXPECT_THAT(Fionread(r.get()), SyscallSucceedsWithValue(4))
      << new_cite << ": the old FIFO holds only the old writer's bytes";
  EXPECT_THAT(Fionread(r2.get()), SyscallSucceedsWithValue(5))
      << new_cite << ": the new FIFO holds only the new writer's bytes";
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(4)) << new_cite;
  EXPECT_EQ(std::string(b, 4), "old2") << new_cite;
  EXPECT_THAT(read(r2.get(), b, sizeof b), SyscallSucceedsWithValue(5)) << new_cite;
  EXPECT_EQ(std::string(b, 5), "new!!") << new_cite;

  // The old FIFO's end of file still follows its own writers only.
  w.reset();
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(0))
      << unlink_cite << "; man 7 pipe: end of file when all write ends are closed";
  EXPECT_THAT(read(r2.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN))
      << new_cite << ": closing the old FIFO's writer must not end the new FIFO";
}

}  // namespace
}  // namespace ipcspec
