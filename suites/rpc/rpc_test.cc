// Every RPC Kind against every RPC property.
#include "gtest/gtest.h"
#include "suites/rpc/rpc_properties.h"

namespace ipcspec {
namespace {

class RpcSuite : public ::testing::TestWithParam<RpcKind> {};

TEST_P(RpcSuite, RepliesMatchRequests) {
  RunSuiteProperty(RpcProperties(), "RepliesMatchRequests", GetParam());
}
TEST_P(RpcSuite, ServerDeathGivesAnError) {
  RunSuiteProperty(RpcProperties(), "ServerDeathGivesAnError", GetParam());
}
TEST_P(RpcSuite, MalformedRequestsGetErrorReplies) {
  RunSuiteProperty(RpcProperties(), "MalformedRequestsGetErrorReplies", GetParam());
}

INSTANTIATE_TEST_SUITE_P(Kinds, RpcSuite,
                         ::testing::ValuesIn(KindRegistry<RpcInterface>::Get().Kinds()),
                         KindName());
// An adapter's test (bazel/adapter.bzl) may have no Kind of this interface.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RpcSuite);

}  // namespace
}  // namespace ipcspec
