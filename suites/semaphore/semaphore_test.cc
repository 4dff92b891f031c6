// Every Semaphore Kind against every Semaphore property.
//   bazel test //suites/semaphore:semaphore_test --test_filter='*/sysv_sem_undo'
#include "gtest/gtest.h"
#include "suites/semaphore/semaphore_properties.h"

namespace ipcspec {
namespace {

class SemaphoreSuite : public ::testing::TestWithParam<SemaphoreKind> {};

TEST_P(SemaphoreSuite, CounterNeverNegative) {
  RunSuiteProperty(SemaphoreProperties(), "CounterNeverNegative", GetParam());
}

TEST_P(SemaphoreSuite, EveryWakeupMatchesAPost) {
  RunSuiteProperty(SemaphoreProperties(), "EveryWakeupMatchesAPost", GetParam());
}

TEST_P(SemaphoreSuite, MultiOpAllOrNothing) {
  RunSuiteProperty(SemaphoreProperties(), "MultiOpAllOrNothing", GetParam());
}

TEST_P(SemaphoreSuite, WaitersWokenAsDocumented) {
  RunSuiteProperty(SemaphoreProperties(), "WaitersWokenAsDocumented", GetParam());
}

TEST_P(SemaphoreSuite, UndoOnExitAsClaimed) {
  RunSuiteProperty(SemaphoreProperties(), "UndoOnExitAsClaimed", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, SemaphoreSuite,
                         ::testing::ValuesIn(KindRegistry<SemaphoreInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(SemaphoreSuite);

}  // namespace
}  // namespace ipcspec
