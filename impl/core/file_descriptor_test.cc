#include "impl/core/file_descriptor.h"

#include <fcntl.h>

#include "gtest/gtest.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(FileDescriptor, ClosesOnDestruction) {
  int raw;
  {
    FileDescriptor fd(open("/dev/null", O_RDONLY));
    ASSERT_TRUE(fd.valid());
    raw = fd.get();
  }
  EXPECT_THAT(fcntl(raw, F_GETFD), SyscallFailsWithErrno(EBADF));
}

TEST(FileDescriptor, MoveAndReleaseKeepOneOwner) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  int raw = a.get();
  FileDescriptor b(std::move(a));
  EXPECT_FALSE(a.valid());
  EXPECT_EQ(b.get(), raw);
  int released = b.release();
  EXPECT_FALSE(b.valid());
  EXPECT_THAT(fcntl(released, F_GETFD), SyscallSucceeds());
  EXPECT_THAT(close(released), SyscallSucceeds());
}

TEST(FileDescriptor, ResetClosesTheOldFd) {
  FileDescriptor a(open("/dev/null", O_RDONLY));
  int old = a.get();
  EXPECT_EQ(a.reset(open("/dev/null", O_RDONLY)), 0);
  EXPECT_THAT(fcntl(old, F_GETFD), SyscallFailsWithErrno(EBADF));
}

}  // namespace
}  // namespace ipcspec
