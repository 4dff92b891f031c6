// Making and opening FIFOs: mkfifo(3), the blocking and non-blocking open
// rules of man 7 fifo and man 2 open.
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/cleanup.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "impl/fifo/fifo.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {

// Each test gets a fresh directory from MakeFifoDir(); its Cleanup removes
// every FIFO made in it.
class FifoOpen : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeFifoDir();
    ASSERT_TRUE(d.ok()) << d.error();
    dir_ = d.value().first;
    cleanup_ = d.value().second;
    path_ = dir_ + "/fifo";
  }
  // open(path_, flags | O_CLOEXEC) under a Watchdog, for an open that must
  // not block: it cannot hang the test. *fired says whether the deadline
  // passed (the open blocked); errno is the open's.
  FileDescriptor OpenNoHang(int flags, bool* fired) {
    int fd, err;
    {
      Watchdog wd(Deadline::Default());
      fd = open(path_.c_str(), flags | O_CLOEXEC);
      err = errno;
      *fired = wd.fired();
    }
    errno = err;
    return FileDescriptor(fd);
  }
  std::string dir_;
  std::string path_;
  std::shared_ptr<Cleanup> cleanup_;
};

// man 3 mkfifo: "mkfifo() makes a FIFO special file with name pathname.
// mode specifies the FIFO's permissions.  It is modified by the process's
// umask in the usual way: the permissions of the created file are (mode &
// ~umask)."
TEST_F(FifoOpen, MkfifoMakesAFifoWithModeMaskedByUmask) {
  const char* cite =
      "man 3 mkfifo: \"mkfifo() makes a FIFO special file with name pathname.  mode specifies "
      "the FIFO's permissions.  It is modified by the process's umask in the usual way: the "
      "permissions of the created file are (mode & ~umask).\"";
  mode_t old = umask(027);
  Cleanup restore([old] { umask(old); });
  ASSERT_THAT(mkfifo(path_.c_str(), 0666), SyscallSucceeds()) << cite;
  restore.Run();
  struct stat st;
  ASSERT_THAT(stat(path_.c_str(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << cite << ": st_mode 0" << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0640u) << cite << ": 0666 & ~027; st_mode 0" << std::oct
                                       << st.st_mode;
}

// man 3 mkfifo, ERRORS: "EEXIST pathname already exists.  This includes the
// case where pathname is a symbolic link, dangling or not."
TEST_F(FifoOpen, MkfifoOnAnExistingPathIsEexist) {
  const char* cite =
      "man 3 mkfifo: \"EEXIST pathname already exists.  This includes the case where pathname "
      "is a symbolic link, dangling or not.\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  EXPECT_THAT(mkfifo(path_.c_str(), 0600), SyscallFailsWithErrno(EEXIST)) << cite << " (a FIFO)";
  const std::string regular = dir_ + "/regular";
  {
    FileDescriptor f(open(regular.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
    ASSERT_TRUE(f.valid()) << "open(" << regular << ", O_CREAT): " << ErrnoName(errno);
  }
  EXPECT_THAT(mkfifo(regular.c_str(), 0600), SyscallFailsWithErrno(EEXIST))
      << cite << " (a regular file)";
  const std::string dangling = dir_ + "/dangling";
  ASSERT_THAT(symlink((dir_ + "/nowhere").c_str(), dangling.c_str()), SyscallSucceeds());
  EXPECT_THAT(mkfifo(dangling.c_str(), 0600), SyscallFailsWithErrno(EEXIST))
      << cite << " (a dangling symbolic link)";
  struct stat st;
  ASSERT_THAT(lstat((dir_ + "/nowhere").c_str(), &st), SyscallFailsWithErrno(ENOENT))
      << cite << ": mkfifo must not create the dangling link's target";
}

// man 3 mkfifo, ERRORS: "ENOENT A directory component in pathname does not
// exist or is a dangling symbolic link."
TEST_F(FifoOpen, MkfifoInAMissingDirectoryIsEnoent) {
  EXPECT_THAT(mkfifo((dir_ + "/missing/fifo").c_str(), 0600), SyscallFailsWithErrno(ENOENT))
      << "man 3 mkfifo: \"ENOENT A directory component in pathname does not exist or is a "
         "dangling symbolic link.\"";
}

// man 7 fifo: "The FIFO must be opened on both ends (reading and writing)
// before data can be passed.  Normally, opening the FIFO blocks until the
// other end is opened also." (man 3 mkfifo: "Opening a FIFO for reading
// normally blocks until some other process opens the same FIFO for writing,
// and vice versa.") A reader's open blocks in openat until the parent opens
// for writing.
TEST_F(FifoOpen, ReadOnlyOpenBlocksUntilAWriterOpens) {
  const char* cite =
      "man 3 mkfifo: \"Opening a FIFO for reading normally blocks until some other process "
      "opens the same FIFO for writing\"; man 7 fifo: \"Normally, opening the FIFO blocks until "
      "the other end is opened also.\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto opened, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(auto got, SharedObject<CallRecord>::Create());
  const char* path = path_.c_str();
  ASSERT_OK_AND_ASSIGN(Child reader, Child::Fork([&] {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    *opened = Record("open(O_RDONLY)", fd);
    if (fd < 0) return 0;
    char b[8];
    *got = Record("read", read(fd, b, sizeof b));
    got->extra = got->ret == 5 && memcmp(b, "hello", 5) == 0;  // 1: it read "hello"
    return 0;
  }));
  ASSERT_THAT((WaitUntilBlocked(reader.pid(), {SYS_openat, SYS_open})), SyscallSucceeds())
      << cite;
  EXPECT_EQ(opened->ret, -2) << cite << ": the read-only open returned with no writer: "
                             << opened->ToString();
  bool hung = false;
  FileDescriptor w = OpenNoHang(O_WRONLY, &hung);
  ASSERT_TRUE(w.valid()) << "open(O_WRONLY) with a reader waiting: " << ErrnoName(errno)
                         << (hung ? " (it blocked)" : "") << "; " << cite;
  ASSERT_THAT(write(w.get(), "hello", 5), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, reader.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st << "; " << *opened << ", " << *got << "; " << cite;
  EXPECT_GE(opened->ret, 0) << *opened << "; " << cite;
  EXPECT_EQ(got->extra, 1) << *got << " (then 1: the bytes were \"hello\"); " << cite;
}

// man 7 fifo (as above), the other way round: a writer's open blocks until a
// reader opens.
TEST_F(FifoOpen, WriteOnlyOpenBlocksUntilAReaderOpens) {
  const char* cite =
      "man 3 mkfifo: \"Opening a FIFO for reading normally blocks until some other process "
      "opens the same FIFO for writing, and vice versa.\"; man 7 fifo: \"Normally, opening the "
      "FIFO blocks until the other end is opened also.\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto opened, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(auto wrote, SharedObject<CallRecord>::Create());
  const char* path = path_.c_str();
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    *opened = Record("open(O_WRONLY)", fd);
    if (fd >= 0) *wrote = Record("write", write(fd, "hello", 5));
    return 0;
  }));
  ASSERT_THAT((WaitUntilBlocked(writer.pid(), {SYS_openat, SYS_open})), SyscallSucceeds())
      << cite;
  EXPECT_EQ(opened->ret, -2) << cite << ": the write-only open returned with no reader: "
                             << opened->ToString();
  bool hung = false;
  FileDescriptor r = OpenNoHang(O_RDONLY, &hung);
  ASSERT_TRUE(r.valid()) << "open(O_RDONLY) with a writer waiting: " << ErrnoName(errno)
                         << (hung ? " (it blocked)" : "") << "; " << cite;
  char b[8] = {};
  ASSERT_OK_AND_ASSIGN(size_t n, ReadWithDeadline(
                                     r.get(), reinterpret_cast<uint8_t*>(b), 5,
                                     Deadline::Default()));
  EXPECT_EQ(std::string(b, n), "hello") << cite;
  ASSERT_OK_AND_ASSIGN(WaitStatus st, writer.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st << "; " << *opened << ", " << *wrote << "; " << cite;
  EXPECT_EQ(wrote->ret, 5) << *opened << ", " << *wrote << "; " << cite;
}

// man 7 fifo: "A process can open a FIFO in nonblocking mode.  In this case,
// ... opening for write-only fails with ENXIO (no such device or address)
// unless the other end has already been opened." man 2 open, ERRORS: "ENXIO
// O_NONBLOCK | O_WRONLY is set, the named file is a FIFO, and no process has
// the FIFO open for reading."
TEST_F(FifoOpen, NonBlockingWriteOnlyOpenWithoutAReaderIsEnxio) {
  const char* cite =
      "man 2 open: \"ENXIO O_NONBLOCK | O_WRONLY is set, the named file is a FIFO, and no "
      "process has the FIFO open for reading.\"; man 7 fifo: \"opening for write-only fails "
      "with ENXIO (no such device or address) unless the other end has already been opened.\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  FileDescriptor w(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  int err = errno;
  EXPECT_EQ(w.get(), -1) << cite;
  EXPECT_EQ(err, ENXIO) << cite << ": got " << ErrnoName(err);
  // Once a reader has it open, the same open succeeds.
  FileDescriptor r(open(path_.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(r.valid()) << ErrnoName(errno);
  w.reset(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_TRUE(w.valid()) << cite << " (\"unless the other end has already been opened\"): "
                         << ErrnoName(errno);
  // And once the reader is gone again, ENXIO again.
  w.reset();
  r.reset();
  w.reset(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  err = errno;
  EXPECT_EQ(w.get(), -1) << cite << " (the reader closed)";
  EXPECT_EQ(err, ENXIO) << cite << ": got " << ErrnoName(err);
}

// man 7 fifo: "A process can open a FIFO in nonblocking mode.  In this case,
// opening for read-only succeeds even if no one has opened on the write side
// yet". man 7 fifo sends read semantics to man 7 pipe ("For details of the
// semantics of I/O on FIFOs, see pipe(7)"), which says: "If all file
// descriptors referring to the write end of a pipe have been closed, then an
// attempt to read(2) from the pipe will see end-of-file (read(2) will return
// 0)." With no writer at all, a read returns 0 (not EAGAIN); with a writer
// and no data it is EAGAIN (man 2 read); after the writer closes, 0 again.
TEST_F(FifoOpen, NonBlockingReadOnlyOpenSucceedsWithoutAWriterAndReadsEndOfFile) {
  const char* open_cite =
      "man 7 fifo: \"opening for read-only succeeds even if no one has opened on the write "
      "side yet\"";
  const char* eof_cite =
      "man 7 pipe: \"If all file descriptors referring to the write end of a pipe have been "
      "closed, then an attempt to read(2) from the pipe will see end-of-file (read(2) will "
      "return 0).\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  bool hung = false;
  FileDescriptor r = OpenNoHang(O_RDONLY | O_NONBLOCK, &hung);
  ASSERT_TRUE(r.valid()) << open_cite << ": " << ErrnoName(errno);
  EXPECT_FALSE(hung) << open_cite << ": the open blocked";
  char b[8];
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(0)) << eof_cite
                                                                        << " (no writer yet)";
  FileDescriptor w(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(w.valid()) << ErrnoName(errno);
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallFailsWithErrno(EAGAIN))
      << "man 2 read: \"EAGAIN ... has been marked nonblocking (O_NONBLOCK), and the read "
         "would block.\" (a writer is open, no data)";
  ASSERT_THAT(write(w.get(), "z", 1), SyscallSucceedsWithValue(1));
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(1));
  w.reset();
  EXPECT_THAT(read(r.get(), b, sizeof b), SyscallSucceedsWithValue(0))
      << eof_cite << " (the writer closed)";
}

// man 7 fifo: "Under Linux, opening a FIFO for read and write will succeed
// both in blocking and nonblocking mode.  POSIX leaves this behavior
// undefined.  This can be used to open a FIFO for writing while there are no
// readers available." This checks the Linux behaviour (POSIX leaves it
// undefined).
TEST_F(FifoOpen, ReadWriteOpenDoesNotBlockOnLinux) {
  const char* cite =
      "man 7 fifo: \"Under Linux, opening a FIFO for read and write will succeed both in "
      "blocking and nonblocking mode.  POSIX leaves this behavior undefined.\"";
  ASSERT_THAT(mkfifo(path_.c_str(), 0600), SyscallSucceeds());
  bool hung = false;
  FileDescriptor rw = OpenNoHang(O_RDWR, &hung);
  ASSERT_TRUE(rw.valid()) << cite << ": " << ErrnoName(errno)
                          << (hung ? " (the blocking O_RDWR open blocked)" : "");
  EXPECT_FALSE(hung) << cite << ": the blocking O_RDWR open blocked";
  FileDescriptor rw_nb = OpenNoHang(O_RDWR | O_NONBLOCK, &hung);
  EXPECT_TRUE(rw_nb.valid()) << cite << " (nonblocking mode): " << ErrnoName(errno);
  // "This can be used to open a FIFO for writing while there are no readers
  // available": a write-only non-blocking open now finds a reader.
  FileDescriptor w(open(path_.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  EXPECT_TRUE(w.valid()) << "man 7 fifo: \"This can be used to open a FIFO for writing while "
                            "there are no readers available.\": "
                         << ErrnoName(errno);
  // The one descriptor both writes and reads.
  ASSERT_THAT(write(rw.get(), "loop", 4), SyscallSucceedsWithValue(4));
  char b[8];
  {
    Watchdog wd(Deadline::Default());
    EXPECT_THAT(read(rw.get(), b, sizeof b), SyscallSucceedsWithValue(4)) << cite;
  }
  EXPECT_EQ(std::string(b, 4), "loop") << cite;
}

}  // namespace
}  // namespace ipcspec
