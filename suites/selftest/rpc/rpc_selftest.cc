// The Rpc suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/rpc must be caught by exactly the properties its MustCatch
// entry names, and every real Rpc Kind must pass the same properties
// with the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/rpc/rpc_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<RpcInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<RpcInterface>();
    s->properties = RpcProperties();
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        {"mutant_rpc_exits_on_malformed", {"MalformedRequestsGetErrorReplies"}},
        {"mutant_rpc_shared_connection", {"RepliesMatchRequests:hang"}},
        {"mutant_rpc_waits_past_eof", {"ServerDeathGivesAnError"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Rpc, RpcInterface, Spec());

}  // namespace
}  // namespace ipcspec
