// Coverage: a state reached in fewer cases than declared fails the property,
// with the counts and the citation; discarded and failed cases do not count.
#include "impl/core/coverage.h"

#include "gtest/gtest.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

TEST(Coverage, MinimumMetPasses) {
  ScopedPropertyParams pin(1, 60);
  Coverage cov("P", "man 0 x: \"a sentence\"", {{"even", 25}});
  PropertyOutcome o = cov.Judge(RunProperty("P", [&] {
    Coverage::Case c(cov);
    int n = *rc::gen::inRange(0, 100);
    Coverage::ReachedIf(n % 2 == 0, "even");
    Coverage::ReachedIf(n % 2 == 0, "even");  // once per case
  }));
  EXPECT_TRUE(o.passed) << o.message;
  EXPECT_EQ(cov.cases(), 60);
  EXPECT_GT(cov.reached("even"), 15);
  EXPECT_LT(cov.reached("even"), 45);
}

TEST(Coverage, StateNeverReachedFailsWithCountsAndCitation) {
  ScopedPropertyParams pin(1, 30);
  Coverage cov("P", "man 0 x: \"a sentence\"", {{"a call blocked", 10}}, /*min_cases_judged=*/20);
  PropertyOutcome o = cov.Judge(RunProperty("P", [&] { Coverage::Case c(cov); }));
  EXPECT_FALSE(o.passed);
  EXPECT_NE(o.message.find("\"a call blocked\" in 0 of 30 cases"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("minimum of 10%"), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("man 0 x: \"a sentence\""), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("seed=1"), std::string::npos) << o.message;
}

TEST(Coverage, DiscardedCasesDoNotCount) {
  ScopedPropertyParams pin(1, 20);
  Coverage cov("P", "c", {{"s", 100}}, /*min_cases_judged=*/20);
  PropertyOutcome o = cov.Judge(RunProperty("P", [&] {
    Coverage::Case c(cov);
    bool keep = *rc::gen::arbitrary<bool>();
    Coverage::Reached("s");  // reached, then discarded: not counted
    RC_PRE(keep);
  }));
  EXPECT_TRUE(o.passed) << o.message;
  EXPECT_EQ(cov.cases(), 20);
  EXPECT_EQ(cov.reached("s"), 20);
}

TEST(Coverage, AFailingPropertyKeepsItsOwnMessage) {
  ScopedPropertyParams pin(1, 20, /*shrink=*/false);
  Coverage cov("P", "c", {{"s", 100}});
  PropertyOutcome o = cov.Judge(RunProperty("P", [&] {
    Coverage::Case c(cov);
    RC_ASSERT(false);
  }));
  EXPECT_FALSE(o.passed);
  EXPECT_EQ(o.message.find("generator coverage"), std::string::npos) << o.message;
}

TEST(Coverage, TooFewCasesAreNotJudged) {
  ScopedPropertyParams pin(1, Coverage::kMinCasesJudged - 1);
  Coverage cov("P", "c", {{"s", 50}});
  PropertyOutcome o = cov.Judge(RunProperty("P", [&] { Coverage::Case c(cov); }));
  EXPECT_TRUE(o.passed) << o.message;
}

TEST(Coverage, ReachedOutsideACaseDoesNothing) {
  Coverage::Reached("s");
  Coverage cov("P", "c", {{"s", 1}});
  EXPECT_EQ(cov.reached("s"), 0);
}

}  // namespace
}  // namespace ipcspec
