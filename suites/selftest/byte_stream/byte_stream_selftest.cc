// The ByteStream suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/stream must be caught by exactly the properties its MustCatch
// entry names, and every real ByteStream Kind must pass the same properties
// with the same pinned seed and number of cases.
//
// The properties include the stream fault scenarios: a mutant that only
// misbehaves under faults (a broken retry loop) must be caught too.
#include "gtest/gtest.h"
#include "suites/byte_stream/byte_stream_fault_properties.h"
#include "suites/byte_stream/byte_stream_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<ByteStreamInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<ByteStreamInterface>();
    s->properties = ByteStreamProperties();
    for (const auto& p : ByteStreamFaultProperties()) s->properties.push_back(p);
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        {"mutant_buffers_small_writes", {"ModelSequences", "ConcurrentWritersAreAtomic", "WriteAllIsExactUnderInjectedFaults", "KilledWriterLeavesAPrefix", "FullStreamBlocksUntilDrained", "ReadBlocksUntilDataOrEof:hang"}},
        {"mutant_drops_one_byte", {"ModelSequences", "ConcurrentWritersAreAtomic", "WriteAllIsExactUnderInjectedFaults", "KilledWriterLeavesAPrefix", "FullStreamBlocksUntilDrained"}},
        {"mutant_early_eof", {"ModelSequences"}},
        // ModelSequences: pinned seed, seeds 1 and 3, not seed 2.
        {"mutant_repeats_a_byte", {"ConcurrentWritersAreAtomic", "ModelSequences?"}},
        // ModelSequences: seeds 1 and 3, not the pinned seed or seed 2.
        {"mutant_split_small_writes", {"ConcurrentWritersAreAtomic", "KilledWriterLeavesAPrefix", "ModelSequences?"}},
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
