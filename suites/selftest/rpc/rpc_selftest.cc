// The RPC suite tests itself: every broken RPC Kind in impl/mutants/rpc must
// be caught by some RPC property.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/rpc/rpc_properties.h"

namespace ipcspec {
namespace {

TEST(RpcSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(RpcProperties()); }

}  // namespace
}  // namespace ipcspec
