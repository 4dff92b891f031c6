// The injector itself: each action does what it says, at the call it names.
#include "impl/inject/injector.h"

#include <sys/syscall.h>
#include <unistd.h>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/property.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

class Injector : public ::testing::Test {
 protected:
  void SetUp() override {
    IPCSPEC_NEEDS(Need::Ptrace());
    int fds[2];
    ASSERT_THAT(pipe(fds), SyscallSucceeds());
    r_.reset(fds[0]);
    w_.reset(fds[1]);
  }
  std::string Drain() {
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = read(r_.get(), buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    return s;
  }
  FileDescriptor r_, w_;
};

TEST_F(Injector, ErrnoAtTheNthCallAndNotBefore) {
  int w = w_.get();
  auto out = RunInjected(
      [w]() -> int {
        // Exit code: 10*(first failed?) + (second failed with EINTR?)
        ssize_t a = write(w, "a", 1);
        ssize_t b = write(w, "b", 1);
        int e = errno;
        ssize_t c = write(w, "c", 1);
        return (a == 1 ? 0 : 10) + (b == -1 && e == EINTR ? 1 : 0) + (c == 1 ? 0 : 100);
      },
      {{SYS_write, 2, InjectRule::Action::kErrno, EINTR}});
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_TRUE(out.value().status.ExitedWith(1)) << out.value().status;
  EXPECT_EQ(out.value().fired[0], 1);
  w_.reset();
  EXPECT_EQ(Drain(), "ac") << "the injected call must not reach the kernel";
}

TEST_F(Injector, SeveralRulesOnOneCallEachCountEveryEntry) {
  int w = w_.get();
  auto out = RunInjected(
      [w]() -> int {
        ssize_t a = write(w, "abcd", 4);  // #1: short, 1 byte
        ssize_t b = write(w, "e", 1);     // #2: EINTR
        int e = errno;
        return a == 1 && b == -1 && e == EINTR ? 0 : 1;
      },
      {{SYS_write, 1, InjectRule::Action::kShortCount, 0, 1},
       {SYS_write, 2, InjectRule::Action::kErrno, EINTR}});
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_TRUE(out.value().status.ExitedWith(0)) << out.value().status;
  EXPECT_EQ(out.value().fired, (std::vector<int>{1, 1}));
  w_.reset();
  EXPECT_EQ(Drain(), "a");
}

TEST_F(Injector, ShortCountMakesARealShortWrite) {
  int w = w_.get();
  auto out = RunInjected(
      [w]() -> int { return static_cast<int>(write(w, "abcdef", 6)); },
      {{SYS_write, 1, InjectRule::Action::kShortCount, 0, 2}});
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_TRUE(out.value().status.ExitedWith(2)) << out.value().status;
  w_.reset();
  EXPECT_EQ(Drain(), "ab");
}

TEST_F(Injector, KillAtEntryStopsBeforeTheCallRuns) {
  int w = w_.get();
  auto out = RunInjected(
      [w]() -> int {
        for (char c : std::string("xyz")) (void)!write(w, &c, 1);
        return 0;
      },
      {{SYS_write, 3, InjectRule::Action::kKill}});
  ASSERT_TRUE(out.ok()) << out.error();
  EXPECT_TRUE(out.value().status.KilledBy(SIGKILL)) << out.value().status;
  w_.reset();
  EXPECT_EQ(Drain(), "xy") << "killed at the entry of the third write: exactly two bytes";
}

// A traced child that never stops again (blocked in a read no one
// answers) makes RunInjected give up at its deadline with ETIMEDOUT: a
// harness deadline, so a property that fails on it is a hang
// (PropertyOutcome::hang, and signature `hang` for the verdict engine), not a
// violation of what the property checks.
TEST_F(Injector, ATracedChildPastTheDeadlineIsAHang) {
  int r = r_.get();
  const uint64_t before = HarnessDeadlinesPassed();
  PropertyOutcome o = RunProperty(
      CurrentTestId(),
      [r] {
        auto out = RunInjected(
            [r]() -> int {
              char c;
              return static_cast<int>(read(r, &c, 1));  // the writer stays open: blocks
            },
            {}, Deadline::In(std::chrono::milliseconds(50)));
        RC_ASSERT(out.ok());
      },
      /*max_cases=*/1, /*shrink=*/false);
  EXPECT_GT(HarnessDeadlinesPassed(), before);
  ASSERT_FALSE(o.passed);
  EXPECT_TRUE(o.hang) << o.message;
  EXPECT_NE(o.message.find("ipcspec hang: "), std::string::npos) << o.message;
}

}  // namespace
}  // namespace ipcspec
