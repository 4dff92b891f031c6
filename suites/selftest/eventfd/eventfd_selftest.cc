// The Counter suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/eventfd must be caught by exactly the properties its MustCatch
// entry names, and every real Counter Kind must pass the same properties
// with the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/eventfd/counter_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<CounterInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<CounterInterface>();
    s->properties = CounterProperties();
    s->max_success = 100;
    s->must_catch = {
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Counter, CounterInterface, Spec());

}  // namespace
}  // namespace ipcspec
