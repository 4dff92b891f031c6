#include "impl/core/watchdog.h"

#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(Watchdog, InterruptsAHungBlockingCall) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  char b;
  Watchdog dog(Deadline::In(std::chrono::milliseconds(20)));
  EXPECT_THAT(read(r.get(), &b, 1), SyscallFailsWithErrno(EINTR));
  EXPECT_TRUE(dog.fired());
}

TEST(Watchdog, DoesNotFireBeforeTheDeadline) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  char b;
  Watchdog dog(Deadline::Default());
  EXPECT_THAT(read(r.get(), &b, 1), SyscallSucceedsWithValue(1));
  EXPECT_FALSE(dog.fired());
}

}  // namespace
}  // namespace ipcspec
