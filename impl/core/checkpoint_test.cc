#include "impl/core/checkpoint.h"

#include "gtest/gtest.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

TEST(Checkpoint, ChildAndParentMeetInOrder) {
  auto cp_or = Checkpoint::Create();
  ASSERT_TRUE(cp_or.ok());
  Checkpoint cp = std::move(cp_or).ValueOrDie();
  auto c = Child::Fork([&] {
    cp.Signal(1);
    // Wait for the parent's stage 2 before going on to 3.
    if (!cp.WaitFor(2, Deadline::Default()).ok()) return 1;
    cp.Signal(3);
    return 0;
  });
  ASSERT_TRUE(c.ok());
  ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
  EXPECT_LT(cp.stage(), 3u);
  cp.Signal(2);
  ASSERT_NO_ERRNO(cp.WaitFor(3, Deadline::Default()));
  auto st = c.value().Wait();
  ASSERT_TRUE(st.ok());
  EXPECT_TRUE(st.value().ExitedWith(0)) << st.value();
}

TEST(Checkpoint, WaitTimesOutAtTheDeadline) {
  auto cp = Checkpoint::Create();
  ASSERT_TRUE(cp.ok());
  PosixError e = cp.value().WaitFor(1, Deadline::In(std::chrono::milliseconds(20)));
  EXPECT_THAT(e, SyscallFailsWithErrno(ETIMEDOUT));
  EXPECT_NE(e.ToString().find("still at stage 0"), std::string::npos) << e;
}

TEST(Checkpoint, StagesOnlyGoUp) {
  auto cp = Checkpoint::Create();
  ASSERT_TRUE(cp.ok());
  cp.value().Signal(5);
  cp.value().Signal(2);
  EXPECT_EQ(cp.value().stage(), 5u);
}

}  // namespace
}  // namespace ipcspec
