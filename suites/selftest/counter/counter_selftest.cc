// The Counter suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/eventfd must be caught by exactly the properties its MustCatch
// entry names, and every real Counter Kind must pass the same properties
// with the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/counter/counter_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<CounterInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<CounterInterface>();
    s->properties = CounterProperties();
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        {"mutant_all_ones_ignored", {"ModelSequences"}},
        {"mutant_empty_take_returns_zero", {"ModelSequences", "BlockedTakeWokenByAdd"}},
        {"mutant_saturates", {"ModelSequences", "BlockedAddWokenByTake"}},
        {"mutant_semaphore_takes_all", {"ModelSequences", "BlockedAddWokenByTake", "BlockedTakeWokenByAdd"}},
        // BlockedAddWokenByTake catches it only when the mutant's write-back
        // (it reads, which resets the counter, then adds the value again)
        // runs before the woken adder: a race, seen lost once in CI, so that
        // catch is optional; the other two are deterministic.
        {"mutant_take_keeps_value", {"ModelSequences", "BlockedAddWokenByTake?", "BlockedTakeWokenByAdd"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Counter, CounterInterface, Spec());

}  // namespace
}  // namespace ipcspec
