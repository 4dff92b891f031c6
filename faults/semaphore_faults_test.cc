// Every Semaphore Kind under the fault scenarios: EINTR into a blocked wait.
#include "faults/orphan_scenarios.h"
#include "gtest/gtest.h"
#include "suites/semaphore/semaphore_interrupt_properties.h"

namespace ipcspec {
namespace {

class SemaphoreFaults : public ::testing::TestWithParam<SemaphoreKind> {};

TEST_P(SemaphoreFaults, SignalIntoBlockedWaitLosesNoPost) {
  RunSuiteProperty(SemaphoreInterruptProperties(), "SignalIntoBlockedWaitLosesNoPost", GetParam());
}

TEST_P(SemaphoreFaults, CrashedOpenerLeavesOnlyFindableObjects) {
  RunSuiteProperty(SemaphoreOrphanScenarios(), "CrashedOpenerLeavesOnlyFindableObjects", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SemaphoreFaults,
                         ::testing::ValuesIn(KindRegistry<SemaphoreInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SemaphoreFaults);

}  // namespace
}  // namespace ipcspec
