// Every ByteStream Kind against every ByteStream property.
//   bazel test //suites/byte_stream:byte_stream_test --test_filter='*/fifo_nonblock'
#include "gtest/gtest.h"
#include "suites/byte_stream/byte_stream_properties.h"

namespace ipcspec {
namespace {

class StreamSuite : public ::testing::TestWithParam<ByteStreamKind> {};

TEST_P(StreamSuite, ModelSequences) {
  RunSuiteProperty(ByteStreamProperties(), "ModelSequences", GetParam());
}

TEST_P(StreamSuite, ConcurrentWritersAreAtomic) {
  RunSuiteProperty(ByteStreamProperties(), "ConcurrentWritersAreAtomic", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, StreamSuite,
                         ::testing::ValuesIn(KindRegistry<ByteStreamInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(StreamSuite);

}  // namespace
}  // namespace ipcspec
