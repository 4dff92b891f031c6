// Every Lock Kind against every Lock property.
//   bazel test //suites/lock:lock_test --test_filter='*/flock_ex'
#include "gtest/gtest.h"
#include "suites/lock/lock_properties.h"

namespace ipcspec {
namespace {

class LockSuite : public ::testing::TestWithParam<LockKind> {};

TEST_P(LockSuite, MutualExclusion) {
  RunSuiteProperty(LockProperties(), "MutualExclusion", GetParam());
}

TEST_P(LockSuite, TryAcquireFailsWhileHeld) {
  RunSuiteProperty(LockProperties(), "TryAcquireFailsWhileHeld", GetParam());
}

TEST_P(LockSuite, ReleasedWhenHolderDies) {
  RunSuiteProperty(LockProperties(), "ReleasedWhenHolderDies", GetParam());
}

TEST_P(LockSuite, StaysHeldWhenHolderDies) {
  RunSuiteProperty(LockProperties(), "StaysHeldWhenHolderDies", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, LockSuite,
                         ::testing::ValuesIn(KindRegistry<LockInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(LockSuite);

}  // namespace
}  // namespace ipcspec
