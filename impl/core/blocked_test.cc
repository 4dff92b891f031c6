#include "impl/core/blocked.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(WaitUntilBlocked, SeesAReaderAsleepInRead) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  auto c = Child::Fork([&] {
    char b;
    return read(r.get(), &b, 1) == 1 ? 0 : 1;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.value().pid(), {SYS_read}));
  auto snap = SnapshotTask(c.value().pid());
  ASSERT_TRUE(snap.ok());
  EXPECT_EQ(snap.value().state, 'S');
  ASSERT_THAT(write(w.get(), "x", 1), SyscallSucceedsWithValue(1));
  auto st = c.value().Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st.value().ExitedWith(0)) << st.value();
}

TEST(WaitUntilBlocked, TimesOutWhenBlockedInAnotherCall) {
  IPCSPEC_NEEDS(Need::ProcPidSyscall());
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  FileDescriptor r(fds[0]), w(fds[1]);
  auto c = Child::Fork([&] {
    char b;
    return static_cast<int>(read(r.get(), &b, 1));
  });
  ASSERT_TRUE(c.ok());
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.value().pid(), {SYS_read}));
  PosixError e = WaitUntilBlocked(c.value().pid(), {SYS_msgrcv},
                                  Deadline::In(std::chrono::milliseconds(30)));
  EXPECT_THAT(e, SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_NE(e.ToString().find("in read"), std::string::npos) << e;
}

TEST(WaitUntilBlocked, ReportsAProcessThatExitedInstead) {
  auto c = Child::Fork([] { return 0; });
  ASSERT_TRUE(c.ok());
  PosixError e = WaitUntilBlocked(c.value().pid(), {SYS_read});
  EXPECT_THAT(e, SyscallFailsWithErrno(ESRCH));
}

}  // namespace
}  // namespace ipcspec
