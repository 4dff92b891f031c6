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

}  // namespace
}  // namespace ipcspec
