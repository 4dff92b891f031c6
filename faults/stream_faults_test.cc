// Every ByteStream Kind under the fault scenarios.
#include "suites/byte_stream/byte_stream_fault_properties.h"
#include "gtest/gtest.h"

namespace ipcspec {
namespace {

class StreamFaults : public ::testing::TestWithParam<ByteStreamKind> {};

TEST_P(StreamFaults, WriteAllIsExactUnderInjectedFaults) {
  RunSuiteProperty(ByteStreamFaultProperties(), "WriteAllIsExactUnderInjectedFaults", GetParam());
}
TEST_P(StreamFaults, KilledWriterLeavesAPrefix) {
  RunSuiteProperty(ByteStreamFaultProperties(), "KilledWriterLeavesAPrefix", GetParam());
}

TEST_P(StreamFaults, FullStreamBlocksUntilDrained) {
  RunSuiteProperty(ByteStreamFaultProperties(), "FullStreamBlocksUntilDrained", GetParam());
}
TEST_P(StreamFaults, ReadBlocksUntilDataOrEof) {
  RunSuiteProperty(ByteStreamFaultProperties(), "ReadBlocksUntilDataOrEof", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, StreamFaults,
                         ::testing::ValuesIn(KindRegistry<ByteStreamInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StreamFaults);

}  // namespace
}  // namespace ipcspec
