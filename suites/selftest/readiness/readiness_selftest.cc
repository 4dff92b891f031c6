// The readiness suite's self-test (suites/common/selftest.h): every readiness
// mutant (readiness_mutants.cc: a pipe whose polled descriptor misreports)
// must be caught by exactly the readiness properties its MustCatch entry
// names, and every real ByteStream Kind must pass the same properties with
// the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/readiness/readiness_properties.h"

namespace ipcspec {
namespace {

const SelftestSpec<ByteStreamInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<ByteStreamInterface>();
    s->properties = StreamReadinessProperties();
    // The readiness properties run at most 8 cases (kModelCases) whatever
    // is asked: the pin says so.
    s->max_success = 8;
    s->must_catch = {
        {"mutant_readable_when_empty", {"ReadinessModelSequences", "ReadinessWaiterWakes", "ReadinessExclusiveWakesOne"}},
        {"mutant_drops_edge", {"ReadinessModelSequences"}},
        {"mutant_same_edge_twice", {"ReadinessModelSequences"}},
        {"mutant_never_hangup", {"ReadinessModelSequences", "ReadinessHangupWaiter"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Readiness, ByteStreamInterface, Spec());

}  // namespace
}  // namespace ipcspec
