// Every Datagram Kind against every Datagram property.
//   bazel test //suites/datagram:datagram_test --test_filter='*/udp_loopback'
#include "gtest/gtest.h"
#include "suites/datagram/datagram_properties.h"

namespace ipcspec {
namespace {

class DatagramSuite : public ::testing::TestWithParam<DatagramKind> {};

// man 7 unix, man 7 udp, man 2 send, man 2 recv: see datagram_properties.cc.
TEST_P(DatagramSuite, ModelSequences) {
  RunSuiteProperty(DatagramProperties(), "ModelSequences", GetParam());
}

// man 2 recv, MSG_TRUNC; man 7 unix; man 7 udp.
TEST_P(DatagramSuite, TruncationReportsTheRealLength) {
  RunSuiteProperty(DatagramProperties(), "TruncationReportsTheRealLength", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, DatagramSuite,
                         ::testing::ValuesIn(KindRegistry<DatagramInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(DatagramSuite);

}  // namespace
}  // namespace ipcspec
