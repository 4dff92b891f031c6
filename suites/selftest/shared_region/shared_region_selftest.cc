// The SharedRegion suite's self-test.
//
// Mutants/SharedRegionMutants.IsCaught/<mutant>: every property of
// //suites/shared_region runs against the mutant (JudgeMutant); the test
// passes only when at least one property rejects it, and when the properties
// that must see its bug (kMustCatch) all do. It prints
//   mutant <name> (<bug>) caught by <P1>, <P2>
// and the first counterexample.
//
// Kinds/SharedRegionRealKinds.PassEveryProperty/<kind>: the same properties
// accept every real Kind (so a catch is the mutant's bug, not a suite bug).
//
// The rapidcheck seed is fixed (SelftestSeed(): kSelftestSeed, or
// IPCSPEC_SELFTEST_SEED to try others), so the verdicts are reproducible run
// after run; mutants get 100 cases per property whatever RC_PARAMS says.
// Every MustCatch entry held on 100 other seeds (IPCSPEC_SELFTEST_SEED=1..100).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/api/shared_region.h"
#include "suites/common/selftest.h"
#include "suites/common/suite.h"
#include "suites/shared_region/shared_region_properties.h"

namespace ipcspec {
namespace {

// Which properties must reject each mutant, and why.
const std::map<std::string, std::vector<std::string>>& MustCatch() {
  static const auto* m = new std::map<std::string, std::vector<std::string>>{
      // A private copy is not the shared object: in one process (two
      // attachments), across fork (the child's attachment is its second),
      // and after Remove (attachment #1 is private).
      {"mutant_private_second_attach",
       {"AttachmentsAlias", "CrossProcessSharing", "RemoveKeepsAttachments"}},
      // Only writes to page 9 are lost: regions of 10+ pages and an offset
      // in that page, in one process or across processes.
      {"mutant_lost_page", {"AttachmentsAlias", "CrossProcessSharing"}},
      // Only the reported size is wrong (also once adopted by another
      // process).
      {"mutant_sysv_size_rounded", {"SizeAndRounding", "OutlivesItsCreator"}},
      // st_size is wrong and the last partial page faults.
      {"mutant_file_size_rounded_down", {"SizeAndRounding", "CrossProcessSharing"}},
      // The name is gone at once: nobody else can find it, it does not
      // outlive its creator, and Remove() has nothing to remove.
      {"mutant_posix_shm_unlinked_early",
       {"AttachByHandle", "OutlivesItsCreator", "RemoveKeepsAttachments"}},
  };
  return *m;
}

// The verdicts so far, also written to the undeclared outputs
// (selftest_SharedRegion.txt) like the other selftests' tables.
std::string& Table() {
  static std::string* t = new std::string();
  return *t;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s.empty() ? "(nothing)" : s;
}

class SharedRegionMutants : public ::testing::TestWithParam<SharedRegionKind> {};

TEST_P(SharedRegionMutants, IsCaught) {
  const SharedRegionKind& mutant = GetParam();
  ASSERT_TRUE(mutant.mutant);
  ScopedPropertyParams fixed(SelftestSeed(), 100);
  MutantVerdict v = JudgeMutant(SharedRegionProperties(), mutant);
  std::string line = "mutant " + v.mutant + " (" + v.bug + ") caught by " + Join(v.caught_by);
  std::printf("%s  [seed %llu]\n", line.c_str(), static_cast<unsigned long long>(SelftestSeed()));
  Table() += line + "\n";
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::string(dir) + "/selftest_SharedRegion.txt") << Table();
  }
  if (!v.first_message.empty()) {
    std::printf("first counterexample (%s):\n%s\n", v.caught_by.front().c_str(),
                v.first_message.c_str());
  }
  EXPECT_FALSE(v.caught_by.empty())
      << "mutant " << v.mutant << " (" << v.bug << ") survived every SharedRegion property";
  auto it = MustCatch().find(mutant.name);
  ASSERT_NE(it, MustCatch().end())
      << "mutant " << mutant.name << " has no entry in MustCatch(): say which properties "
      << "must see its bug";
  std::set<std::string> caught(v.caught_by.begin(), v.caught_by.end());
  for (const auto& p : it->second) {
    EXPECT_EQ(caught.count(p), 1u) << "property " << p << " should reject " << mutant.name
                                   << " (" << mutant.mutant_bug << ") but passed it";
  }
}

INSTANTIATE_TEST_SUITE_P(Mutants, SharedRegionMutants,
                         ::testing::ValuesIn(KindRegistry<SharedRegionInterface>::Get().Mutants()),
                         KindName());

class SharedRegionRealKinds : public ::testing::TestWithParam<SharedRegionKind> {};

// 25 cases per property with the selftest's seed: a cheap demonstration; the
// full check of the real Kinds is //suites/shared_region (100 cases, a fresh
// seed every run).
TEST_P(SharedRegionRealKinds, PassEveryProperty) {
  ScopedPropertyParams fixed(SelftestSeed(), 25);
  MutantVerdict v = JudgeMutant(SharedRegionProperties(), GetParam());
  std::printf("kind %s: rejected by %s\n", GetParam().name.c_str(), Join(v.caught_by).c_str());
  EXPECT_TRUE(v.caught_by.empty()) << "the real Kind " << GetParam().name << " fails "
                                   << Join(v.caught_by) << ":\n"
                                   << v.first_message;
}

INSTANTIATE_TEST_SUITE_P(Kinds, SharedRegionRealKinds,
                         ::testing::ValuesIn(KindRegistry<SharedRegionInterface>::Get().Kinds()),
                         KindName());

TEST(SharedRegionSelftest, EnoughMutantsAreLinked) {
  auto mutants = KindRegistry<SharedRegionInterface>::Get().Mutants();
  EXPECT_GE(mutants.size(), 2u);
  for (const auto& [name, props] : MustCatch()) {
    EXPECT_NE(KindRegistry<SharedRegionInterface>::Get().Find(name), nullptr)
        << "mutant " << name << " is not linked in";
  }
}

}  // namespace
}  // namespace ipcspec
