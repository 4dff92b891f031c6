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
    // Measured with kSelftestSeed (the test prints each mutant's measured
    // entry); see the file comment for the other seeds checked.
    s->must_catch = {
        {"mutant_buffers_small_writes", {"ModelSequences", "ConcurrentWritersAreAtomic", "WriteAllIsExactUnderInjectedFaults", "KilledWriterLeavesAPrefix", "FullStreamBlocksUntilDrained", "ReadBlocksUntilDataOrEof:hang"}},
        {"mutant_drops_one_byte", {"ModelSequences", "ConcurrentWritersAreAtomic", "WriteAllIsExactUnderInjectedFaults", "KilledWriterLeavesAPrefix", "FullStreamBlocksUntilDrained"}},
        {"mutant_early_eof", {"ModelSequences"}},
        {"mutant_repeats_a_byte", {"ModelSequences", "ConcurrentWritersAreAtomic"}},
        {"mutant_split_small_writes", {"ConcurrentWritersAreAtomic", "KilledWriterLeavesAPrefix"}},
        {"mutant_writeall_duplicates_after_eintr", {"WriteAllIsExactUnderInjectedFaults"}},
        {"mutant_writeall_gives_up_on_eintr", {"WriteAllIsExactUnderInjectedFaults"}},
        {"mutant_writeall_restarts_on_short_write", {"WriteAllIsExactUnderInjectedFaults"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Stream, ByteStreamInterface, Spec());

}  // namespace
}  // namespace ipcspec
