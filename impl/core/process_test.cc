#include "impl/core/process.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(Child, ReportsExitCode) {
  auto st = ForkAndWait([] { return 7; });
  ASSERT_TRUE(st.ok()) << st;
  EXPECT_TRUE(st.value().ExitedWith(7)) << st.value();
}

TEST(Child, ReportsDeathBySignal) {
  auto st = ForkAndWait([] {
    raise(SIGABRT);
    return 0;
  });
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st.value().KilledBy(SIGABRT)) << st.value();
  EXPECT_NE(st.value().ToString().find("SIGABRT"), std::string::npos);
}

TEST(Child, AThrowingChildExitsWithKChildThrew) {
  auto st = ForkAndWait([]() -> int { throw 1; });
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st.value().ExitedWith(kChildThrew)) << st.value();
}

TEST(Child, WaitHasADeadline) {
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  auto c = Child::Fork([&] {
    char b;
    return static_cast<int>(read(fds[0], &b, 1));  // blocks: nobody writes
  });
  ASSERT_TRUE(c.ok());
  Child child = std::move(c).ValueOrDie();
  ASSERT_NO_ERRNO(WaitUntilBlocked(child.pid(), {SYS_read}));
  auto st = child.Wait(Deadline::In(std::chrono::milliseconds(50)));
  EXPECT_THAT(st, SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_TRUE(child.running());
  auto killed = child.KillAndWait();
  ASSERT_TRUE(killed.ok());
  EXPECT_TRUE(killed.value().KilledBy(SIGKILL));
  close(fds[0]);
  close(fds[1]);
}

TEST(Child, DestructorKillsAndReaps) {
  pid_t pid;
  {
    auto c = Child::Fork([] {
      pause();
      return 0;
    });
    ASSERT_TRUE(c.ok());
    pid = c.value().pid();
  }
  // Reaped: not our child any more.
  EXPECT_THAT(waitpid(pid, nullptr, WNOHANG), SyscallFailsWithErrno(ECHILD));
}

}  // namespace
}  // namespace ipcspec
