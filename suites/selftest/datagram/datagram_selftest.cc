// The Datagram suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/datagram must be caught by exactly the properties its MustCatch
// entry names, and every real Datagram Kind must pass the same properties
// with the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/datagram/datagram_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<DatagramInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<DatagramInterface>();
    s->properties = DatagramProperties();
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        {"mutant_dgram_duplicates_every_7th", {"ModelSequences"}},
        {"mutant_dgram_keeps_truncated_tail", {"ModelSequences", "TruncationReportsTheRealLength"}},
        {"mutant_dgram_merges_small", {"ModelSequences"}},
        {"mutant_dgram_swaps_pairs", {"ModelSequences", "TruncationReportsTheRealLength"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Datagram, DatagramInterface, Spec());

}  // namespace
}  // namespace ipcspec
