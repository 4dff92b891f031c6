// The ByteStream suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/stream must be caught by exactly the properties its MustCatch
// entry names, and every real ByteStream Kind must pass the same properties
// with the same pinned seed and number of cases.
//
// The properties include the stream fault scenarios: a mutant that only
// misbehaves under faults (a broken retry loop) must be caught too.
#include "gtest/gtest.h"
#include "faults/stream_scenarios.h"
#include "suites/stream/stream_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<ByteStreamInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<ByteStreamInterface>();
    s->properties = StreamProperties();
    for (const auto& p : StreamFaultScenarios()) s->properties.push_back(p);
    s->max_success = 50;
    s->must_catch = {
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Stream, ByteStreamInterface, Spec());

}  // namespace
}  // namespace ipcspec
