// Every Counter Kind against every Counter property.
//   bazel test //suites/counter:counter_test --test_filter='*/eventfd_semaphore'
#include "gtest/gtest.h"
#include "suites/counter/counter_properties.h"

namespace ipcspec {
namespace {

class CounterSuite : public ::testing::TestWithParam<CounterKind> {};

TEST_P(CounterSuite, ModelSequences) {
  RunSuiteProperty(CounterProperties(), "ModelSequences", GetParam());
}

TEST_P(CounterSuite, BlockedAddWokenByTake) {
  RunSuiteProperty(CounterProperties(), "BlockedAddWokenByTake", GetParam());
}

TEST_P(CounterSuite, BlockedTakeWokenByAdd) {
  RunSuiteProperty(CounterProperties(), "BlockedTakeWokenByAdd", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, CounterSuite,
                         ::testing::ValuesIn(KindRegistry<CounterInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(CounterSuite);

}  // namespace
}  // namespace ipcspec
