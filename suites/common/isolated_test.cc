// The adapter harness itself: isolated properties (a crash, a hang, an
// exception or a gtest failure inside the child fails the property with the
// reason) and the divergence tables' parser and matcher.
#include "suites/common/isolated.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;
using Status = IsolatedOutcome::Status;

constexpr std::chrono::milliseconds kDeadline{5000};

TEST(RunIsolated, PassingBodyPassesWithItsCaseCount) {
  IsolatedOutcome o = RunIsolated([] { return PropertyOutcome{true, 7, ""}; }, kDeadline);
  EXPECT_EQ(o.status, Status::kPassed) << o.outcome.message;
  EXPECT_EQ(o.outcome.cases, 7);
}

TEST(RunIsolated, FailingBodyFailsWithItsMessage) {
  IsolatedOutcome o =
      RunIsolated([] { return PropertyOutcome{false, 3, "counterexample: x = 4"}; }, kDeadline);
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("counterexample: x = 4"));
}

// SIGABRT, not SIGSEGV: under ASan a SIGSEGV is caught by the sanitizer,
// which reports and exits 1 (still "crashed", but with no signal to name).
TEST(RunIsolated, CrashFailsAndNamesTheSignal) {
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome {
        raise(SIGABRT);
        return {true, 0, ""};
      },
      kDeadline);
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("crashed"));
  EXPECT_THAT(o.outcome.message, HasSubstr("Aborted"));
}

TEST(RunIsolated, HangFailsAtTheDeadlineAndTheChildIsKilled) {
  auto start = std::chrono::steady_clock::now();
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome {
        for (;;) pause();
      },
      std::chrono::milliseconds(300));
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("hung"));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  // The leak audit after this test checks that the child was reaped.
}

TEST(RunIsolated, ExceptionFailsWithWhat) {
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome { throw std::runtime_error("library said no"); }, kDeadline);
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("library said no"));
}

TEST(RunIsolated, GtestFailureInsideTheChildFails) {
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome {
        ADD_FAILURE() << "checked inside the property";
        return {true, 1, ""};
      },
      kDeadline);
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("checked inside the property"));
}

TEST(RunIsolated, GtestSkipInsideTheChildSkips) {
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome {
        [] { GTEST_SKIP() << "needs CAP_SYS_RESOURCE"; }();
        return {true, 0, ""};
      },
      kDeadline);
  EXPECT_EQ(o.status, Status::kSkipped);
  EXPECT_THAT(o.skip_message, HasSubstr("needs CAP_SYS_RESOURCE"));
}

TEST(RunIsolated, ExitWithoutReportFails) {
  IsolatedOutcome o = RunIsolated(
      []() -> PropertyOutcome {
        _exit(9);
      },
      kDeadline);
  EXPECT_EQ(o.status, Status::kFailed);
  EXPECT_THAT(o.outcome.message, HasSubstr("before it reported"));
}

}  // namespace
}  // namespace ipcspec
