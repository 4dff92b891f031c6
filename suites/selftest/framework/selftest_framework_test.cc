// The selftest's judgement of a mutant's catches (CheckMustCatch in
// suites/common/selftest.h): on the pinned seed the MustCatch list holds
// exactly; on any seed no property outside the list may catch the mutant;
// on an exploration seed a listed property that does not catch is a note.
#include "gtest/gtest.h"
#include "gmock/gmock.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

constexpr bool kPinned = true;
constexpr bool kExploration = false;

TEST(MustCatch, ExactCatchPassesOnAnySeed) {
  for (bool pinned : {kPinned, kExploration}) {
    auto c = CheckMustCatch({"A", "B:hang", "C?"}, {"A", "B:hang"}, pinned);
    EXPECT_THAT(c.failures, IsEmpty()) << pinned;
    EXPECT_THAT(c.notes, IsEmpty()) << pinned;
    // "B:hang" is also met by a violation, and "C?" may catch.
    c = CheckMustCatch({"A", "B:hang", "C?"}, {"A", "B", "C"}, pinned);
    EXPECT_THAT(c.failures, IsEmpty()) << pinned;
  }
}

TEST(MustCatch, AListedPropertyThatMissesFailsOnThePinnedSeedOnly) {
  auto c = CheckMustCatch({"A", "B"}, {"A"}, kPinned);
  ASSERT_THAT(c.failures, SizeIs(1));
  EXPECT_THAT(c.failures[0], HasSubstr("MustCatch says B catches it, but B passed it"));
  c = CheckMustCatch({"A", "B"}, {"A"}, kExploration);
  EXPECT_THAT(c.failures, IsEmpty());
  ASSERT_THAT(c.notes, SizeIs(1));
  EXPECT_THAT(c.notes[0], HasSubstr("required on the pinned seed only"));
}

TEST(MustCatch, ACatchOutsideTheListFailsOnEverySeed) {
  for (bool pinned : {kPinned, kExploration}) {
    auto c = CheckMustCatch({"A", "C?"}, {"A", "D"}, pinned);
    ASSERT_THAT(c.failures, SizeIs(1)) << pinned;
    EXPECT_THAT(c.failures[0], HasSubstr("D caught it, which its MustCatch list (A, C?)"));
    // A hang of a property listed as a plain violation is not that catch.
    c = CheckMustCatch({"A"}, {"A:hang"}, pinned);
    EXPECT_THAT(c.failures, ::testing::Contains(HasSubstr("A:hang caught it by a hang")))
        << pinned;
  }
  // On the pinned seed the hang also leaves the listed violation unmet.
  auto c = CheckMustCatch({"A"}, {"A:hang"}, kPinned);
  EXPECT_THAT(c.failures, ::testing::Contains(HasSubstr("caught it only by a hang")));
}

TEST(MustCatch, OnlyThePinnedSeedIsPinned) {
  EXPECT_EQ(SelftestSeedIsPinned(), std::getenv("IPCSPEC_SELFTEST_SEED") == nullptr ||
                                        SelftestSeed() == kSelftestSeed);
  auto p = PinnedSelftestParams(7);
  ASSERT_NE(ScopedPropertyParams::Current(), nullptr);
  EXPECT_EQ(ScopedPropertyParams::Current()->seed(), SelftestSeed());
  EXPECT_EQ(ScopedPropertyParams::Current()->max_success(), 7);
  EXPECT_FALSE(ScopedPropertyParams::Current()->shrink());
}

}  // namespace
}  // namespace ipcspec
