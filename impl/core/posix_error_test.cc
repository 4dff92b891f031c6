#include "impl/core/posix_error.h"

#include <fcntl.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(PosixError, NamesTheCallAndTheErrno) {
  PosixError e(EAGAIN, "write(fd=4, n=512)");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.ToString(), "write(fd=4, n=512): EAGAIN (Resource temporarily unavailable)");
  EXPECT_TRUE(NoError().ok());
}

TEST(PosixErrorOr, HoldsValueOrError) {
  PosixErrorOr<int> v = 3;
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v.value(), 3);
  PosixErrorOr<int> e = PosixError(EBADF, "read(fd=99)");
  EXPECT_FALSE(e.ok());
  EXPECT_EQ(e.errno_value(), EBADF);
  EXPECT_DEATH((void)e.value(), "read\\(fd=99\\): EBADF");
}

PosixErrorOr<int> Twice(PosixErrorOr<int> in) {
  IPCSPEC_ASSIGN_OR_RETURN(int x, std::move(in));
  return 2 * x;
}

TEST(PosixErrorOr, AssignOrReturnPropagates) {
  EXPECT_EQ(Twice(21).value(), 42);
  EXPECT_EQ(Twice(PosixError(EINTR, "x")).errno_value(), EINTR);
}

TEST(SyscallMatchers, RawReturnValues) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  EXPECT_THAT(write(fds[1], "abc", 3), SyscallSucceedsWithValue(3));
  EXPECT_THAT(write(fds[0], "abc", 3), SyscallFailsWithErrno(EBADF));
  EXPECT_THAT(lseek(fds[0], 0, SEEK_SET), SyscallFailsWithErrno(ESPIPE));
  EXPECT_THAT(write(fds[1], "abc", 3), Not(SyscallSucceedsWithValue(2)));
  EXPECT_THAT(write(fds[1], "abc", 3), Not(SyscallFails()));
  close(fds[0]);
  close(fds[1]);
}

TEST(SyscallMatchers, PosixErrorOrValues) {
  EXPECT_THAT(PosixErrorOr<size_t>(size_t{5}), SyscallSucceedsWithValue(5));
  EXPECT_THAT(PosixErrorOr<size_t>(PosixError(EPIPE, "write")), SyscallFailsWithErrno(EPIPE));
  EXPECT_THAT(PosixError(), SyscallSucceeds());
  EXPECT_THAT(PosixError(ENOENT, "open"), Not(SyscallFailsWithErrno(EEXIST)));
}

TEST(SyscallMatchers, FailureMessageSaysWhatHappened) {
  int r = close(-1);
  ::testing::StringMatchResultListener l;
  auto m = SyscallSucceeds();
  errno = EBADF;
  EXPECT_FALSE(::testing::ExplainMatchResult(m, r, &l));
  EXPECT_THAT(l.str(), HasSubstr("EBADF"));
}

}  // namespace
}  // namespace ipcspec
