#include "impl/core/cleanup.h"

#include "gtest/gtest.h"

namespace ipcspec {
namespace {

TEST(Cleanup, RunsOnceAtScopeEnd) {
  int runs = 0;
  {
    Cleanup c([&] { ++runs; });
    EXPECT_EQ(runs, 0);
  }
  EXPECT_EQ(runs, 1);
}

TEST(Cleanup, ReleaseLeavesTheObjectOnPurpose) {
  int runs = 0;
  {
    Cleanup c([&] { ++runs; });
    c.Release();
  }
  EXPECT_EQ(runs, 0);
}

TEST(Cleanup, MoveTransfersAndRunNowRunsOnce) {
  int runs = 0;
  Cleanup outer;
  {
    Cleanup c([&] { ++runs; });
    outer = std::move(c);
  }
  EXPECT_EQ(runs, 0);
  outer.Run();
  outer.Run();
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace ipcspec
