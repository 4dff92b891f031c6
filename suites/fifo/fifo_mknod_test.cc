// FIFOs made by mknod(2)/mknodat(2), and the calls a FIFO refuses: mknodat
// relative to a directory descriptor, no CAP_MKNOD needed, EACCES in a
// directory without write permission, ELOOP through a symbolic-link loop,
// lseek(2) ESPIPE, and a blocking open for writing interrupted by a handler.
// Each test cites the sentence of the man page it checks.
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "impl/fifo/fifo.h"

namespace ipcspec {
namespace {

// A fresh directory from MakeFifoDir() (its Cleanup removes what is made in
// it) and a descriptor for it.
class FifoMknod : public ::testing::Test {
 protected:
  void SetUp() override {
    auto d = MakeFifoDir();
    ASSERT_TRUE(d.ok()) << d.error();
    dir_ = d.value().first;
    cleanup_ = d.value().second;
    dirfd_.reset(open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    ASSERT_TRUE(dirfd_.valid()) << "open(" << dir_ << ", O_DIRECTORY): " << ErrnoName(errno);
  }
  std::string dir_;
  std::shared_ptr<Cleanup> cleanup_;
  FileDescriptor dirfd_;
};

// man 2 mknod: "If the pathname given in pathname is relative, then it is
// interpreted relative to the directory referred to by the file descriptor
// dirfd" (mknodat) and "The file mode is modified by the process's umask in
// the usual way: ... the permissions of the created node are (mode &
// ~umask)." The directory is named only by its descriptor: the FIFO is made
// in it, whatever the working directory is.
TEST_F(FifoMknod, MknodatRelativeToADirectoryDescriptorMakesAFifo) {
  const char* cite =
      "man 2 mknod: mknodat: \"If the pathname given in pathname is relative, then it is "
      "interpreted relative to the directory referred to by the file descriptor dirfd\"";
  mode_t old = umask(022);
  Cleanup restore([old] { umask(old); });
  ASSERT_THAT(mknodat(dirfd_.get(), "node", S_IFIFO | 0666, 0), SyscallSucceeds()) << cite;
  restore.Run();
  struct stat st;
  ASSERT_THAT(stat((dir_ + "/node").c_str(), &st), SyscallSucceeds())
      << cite << ": the FIFO is not in the directory dirfd names";
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "man 2 mknod: \"S_IFIFO\" makes a FIFO (named pipe); "
                                    << "st_mode 0" << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0644u)
      << "man 2 mknod: \"the permissions of the created node are (mode & ~umask)\": 0666 & "
      << "~022; st_mode 0" << std::oct << st.st_mode;
}

// man 2 mknod: "EPERM mode requested creation of something other than a
// regular file, FIFO (named pipe), or UNIX domain socket, and the caller is
// not privileged (Linux: does not have the CAP_MKNOD capability)". A FIFO is
// not among those: a child without CAP_MKNOD makes one.
TEST_F(FifoMknod, AFifoNeedsNoCapMknod) {
  const int dfd = dirfd_.get();
  enum { kDrop, kMknod, kCalls };
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<kCalls>([dfd](CallRecords<kCalls>& r) {
    r[kDrop] = Record("drop CAP_MKNOD", DropCapability(CAP_MKNOD) == 0 ? 0 : -1);
    if (r[kDrop].failed()) return;
    r[kMknod] = Record("mknodat(S_IFIFO)", mknodat(dfd, "nocap", S_IFIFO | 0600, 0));
  }));
  ASSERT_EQ(calls[kDrop].ret, 0) << ToString(calls);
  EXPECT_EQ(calls[kMknod].ret, 0)
      << "mknod of a FIFO without CAP_MKNOD: " << ToString(calls) << "; man 2 mknod: EPERM only "
      << "for \"something other than a regular file, FIFO (named pipe), or UNIX domain socket\"";
  struct stat st;
  ASSERT_THAT(fstatat(dfd, "nocap", &st, AT_SYMLINK_NOFOLLOW), SyscallSucceeds());
  EXPECT_TRUE(S_ISFIFO(st.st_mode)) << "st_mode 0" << std::oct << st.st_mode;
}

// man 2 mknod: "EACCES The parent directory does not allow write permission to
// the process". A child with a user ID of its own makes the FIFO through the
// inherited directory descriptor (so only the directory itself is checked)
// in a directory of mode 0555: EACCES. A privileged caller (CAP_DAC_OVERRIDE,
// man 7 capabilities: "Bypass file read, write, and execute permission
// checks") makes it.
TEST_F(FifoMknod, NoWritePermissionOnTheDirectoryIsEacces) {
  IPCSPEC_NEEDS(Need::SecondUid());
  ASSERT_THAT(fchmod(dirfd_.get(), 0555), SyscallSucceeds());
  Cleanup writable([this] { fchmod(dirfd_.get(), 0700); });
  const int dfd = dirfd_.get();
  const uid_t uid = UnusedUid();
  enum { kGid, kUid, kMknod, kCalls };
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<kCalls>([dfd, uid](CallRecords<kCalls>& r) {
    r[kGid] = Record("setresgid", setresgid(uid, uid, uid));
    if (r[kGid].failed()) return;
    r[kUid] = Record("setresuid", setresuid(uid, uid, uid));
    if (r[kUid].failed()) return;
    r[kMknod] = Record("mknodat(S_IFIFO)", mknodat(dfd, "denied", S_IFIFO | 0600, 0));
  }));
  ASSERT_TRUE(calls[kUid].ret == 0) << ToString(calls);
  EXPECT_TRUE(calls[kMknod].FailedWith(EACCES))
      << "mknod of a FIFO in a directory of mode 0555, as another user: " << ToString(calls)
      << "; man 2 mknod: \"EACCES The parent directory does not allow write permission to the "
      << "process\"";
  if (HasEffectiveCapability(CAP_DAC_OVERRIDE)) {
    EXPECT_THAT(mknodat(dfd, "privileged", S_IFIFO | 0600, 0), SyscallSucceeds())
        << "man 7 capabilities: CAP_DAC_OVERRIDE \"Bypass file read, write, and execute "
           "permission checks\": the same mknod as a privileged caller";
  }
}

// man 2 mknod: "ELOOP Too many symbolic links were encountered in resolving
// pathname." Two links that name each other, as a directory component.
TEST_F(FifoMknod, ASymbolicLinkLoopIsEloop) {
  ASSERT_THAT(symlinkat("b", dirfd_.get(), "a"), SyscallSucceeds());
  ASSERT_THAT(symlinkat("a", dirfd_.get(), "b"), SyscallSucceeds());
  EXPECT_THAT(mknodat(dirfd_.get(), "a/fifo", S_IFIFO | 0600, 0), SyscallFailsWithErrno(ELOOP))
      << "mknod of a FIFO through a loop of two symbolic links; man 2 mknod: \"ELOOP Too many "
         "symbolic links were encountered in resolving pathname.\"";
  EXPECT_THAT(mknod((dir_ + "/b/fifo").c_str(), S_IFIFO | 0600, 0), SyscallFailsWithErrno(ELOOP))
      << "mknod by path through the loop; man 2 mknod: \"ELOOP Too many symbolic links were "
         "encountered in resolving pathname.\"";
}

// man 2 lseek: "ESPIPE fd is associated with a pipe, socket, or FIFO." Both
// ends of a FIFO opened by name.
TEST_F(FifoMknod, LseekOnAFifoIsEspipe) {
  ASSERT_THAT(mknodat(dirfd_.get(), "seek", S_IFIFO | 0600, 0), SyscallSucceeds());
  const std::string path = dir_ + "/seek";
  FileDescriptor r(open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(r.valid()) << "open(FIFO, O_RDONLY|O_NONBLOCK): " << ErrnoName(errno);
  FileDescriptor w(open(path.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  ASSERT_TRUE(w.valid()) << "open(FIFO, O_WRONLY|O_NONBLOCK): " << ErrnoName(errno);
  ASSERT_THAT(write(w.get(), "ab", 2), SyscallSucceedsWithValue(2));
  const char* cite = "man 2 lseek: \"ESPIPE fd is associated with a pipe, socket, or FIFO.\"";
  for (int whence : {SEEK_SET, SEEK_CUR, SEEK_END}) {
    EXPECT_THAT(lseek(r.get(), 0, whence), SyscallFailsWithErrno(ESPIPE))
        << "lseek(whence " << whence << ") on a FIFO's read end; " << cite;
    EXPECT_THAT(lseek(w.get(), 0, whence), SyscallFailsWithErrno(ESPIPE))
        << "lseek(whence " << whence << ") on a FIFO's write end; " << cite;
  }
  char buf[2];
  EXPECT_THAT(read(r.get(), buf, 2), SyscallSucceedsWithValue(2)) << "the failed lseeks moved data";
}

volatile sig_atomic_t g_handled = 0;
void OnUsr1(int) { g_handled = 1; }

// man 7 fifo: "Normally, opening the FIFO blocks until the other end is
// opened also." man 7 signal: "If a blocked call
// to one of the following interfaces is interrupted by a signal handler,
// then the call is automatically restarted after the signal handler returns
// if the SA_RESTART flag was used; otherwise the call fails with the error
// EINTR: ... open(2), if it can block (e.g., when opening a FIFO; see
// fifo(7))." Without SA_RESTART the handler makes the open fail EINTR.
TEST_F(FifoMknod, BlockedOpenForWritingFailsEintrWhenAHandlerRuns) {
  ASSERT_THAT(mknodat(dirfd_.get(), "wr", S_IFIFO | 0600, 0), SyscallSucceeds());
  const std::string path = dir_ + "/wr";
  const char* p = path.c_str();
  enum { kSigaction, kOpen, kCalls };
  ASSERT_OK_AND_ASSIGN(auto shared, SharedObject<CallRecords<kCalls>>::Create());
  CallRecords<kCalls>* r = shared.get();
  ASSERT_OK_AND_ASSIGN(Child child, Child::Fork([p, r]() -> int {
    struct sigaction sa = {};
    sa.sa_handler = OnUsr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART
    (*r)[kSigaction] =
        Record("sigaction(SIGUSR1, no SA_RESTART)", sigaction(SIGUSR1, &sa, nullptr));
    if ((*r)[kSigaction].failed()) return 0;
    int fd = open(p, O_WRONLY | O_CLOEXEC);
    (*r)[kOpen] = Record("open(FIFO, O_WRONLY)", fd);
    (*r)[kOpen].extra = g_handled;
    if (fd >= 0) close(fd);
    return 0;
  }));
  PosixError blocked = WaitUntilBlocked(child.pid(), {SYS_open, SYS_openat});
  if (!blocked.ok()) {
    // Never blocked: the open returned (an error of the kernel) or the
    // sigaction failed; unblock a stuck child with a reader and report.
    FileDescriptor reader(open(p, O_RDONLY | O_NONBLOCK | O_CLOEXEC));
    ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
    FAIL() << blocked << "; " << st << "; " << ToString(*r)
           << "; man 7 fifo: \"Normally, opening the FIFO "
           << "blocks until the other end is opened also.\"";
  }
  ASSERT_THAT(kill(child.pid(), SIGUSR1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  ASSERT_NO_ERRNO(ReachedEnd(st)) << ToString(*r);
  EXPECT_TRUE((*r)[kOpen].FailedWith(EINTR) && (*r)[kOpen].extra == 1)
      << "a blocked open of a FIFO for writing, interrupted by a handler without SA_RESTART: "
      << ToString(*r) << "; man 7 signal: \"otherwise the call fails with the error EINTR: ... "
      << "open(2), if it can block (e.g., when opening a FIFO; see fifo(7))\"";
}

}  // namespace
}  // namespace ipcspec
