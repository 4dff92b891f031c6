// Every SharedRegion Kind under the fault scenarios.
#include "faults/orphan_scenarios.h"
#include "gtest/gtest.h"

namespace ipcspec {
namespace {

class RegionFaults : public ::testing::TestWithParam<Kind<SharedRegionInterface>> {};

TEST_P(RegionFaults, CrashedOpenerLeavesOnlyFindableObjects) {
  RunSuiteProperty(RegionOrphanScenarios(), "CrashedOpenerLeavesOnlyFindableObjects", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, RegionFaults,
                         ::testing::ValuesIn(KindRegistry<SharedRegionInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RegionFaults);

}  // namespace
}  // namespace ipcspec
