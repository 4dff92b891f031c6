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

INSTANTIATE_TEST_SUITE_P(Kinds, LockSuite,
                         ::testing::ValuesIn(KindRegistry<LockInterface>::Get().Kinds()),
                         KindName());

}  // namespace
}  // namespace ipcspec
