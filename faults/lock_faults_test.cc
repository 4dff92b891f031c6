// Every Lock Kind under the fault scenarios.
#include "faults/orphan_scenarios.h"
#include "gtest/gtest.h"

namespace ipcspec {
namespace {

class LockFaults : public ::testing::TestWithParam<Kind<LockInterface>> {};

TEST_P(LockFaults, CrashedOpenerLeavesOnlyFindableObjects) {
  RunSuiteProperty(LockOrphanScenarios(), "CrashedOpenerLeavesOnlyFindableObjects", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, LockFaults,
                         ::testing::ValuesIn(KindRegistry<LockInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LockFaults);

}  // namespace
}  // namespace ipcspec
