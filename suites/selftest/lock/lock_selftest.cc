// The Lock suite tests itself: every broken Lock Kind in impl/mutants/lock
// must be caught by some Lock property. The seed is fixed (kSelftestSeed);
// IPCSPEC_SELFTEST_SEED=N runs the same verdicts with another seed, to check
// that no catch depends on one lucky seed.
#include "gtest/gtest.h"
#include "suites/common/selftest.h"
#include "suites/lock/lock_properties.h"

namespace ipcspec {
namespace {

TEST(LockSelftest, EveryMutantIsCaught) { ExpectEveryMutantCaught(LockProperties()); }

}  // namespace
}  // namespace ipcspec
