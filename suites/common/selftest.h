// The selftest of an interface suite: every mutant must be caught.
//
//   TEST(StreamSelftest, EveryMutantIsCaught) {
//     ExpectEveryMutantCaught(StreamProperties());
//   }
//
// Runs each property against each mutant with a fixed seed (so the verdict is
// reproducible) and fails, naming the mutant and its bug, when no property
// catches it. The table of catches is printed and written to the test's
// undeclared outputs (selftest_<interface>.txt) for the report.
#pragma once

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "suites/common/suite.h"

namespace ipcspec {

inline constexpr uint64_t kSelftestSeed = 20261121;

// The seed the selftest uses: kSelftestSeed, or IPCSPEC_SELFTEST_SEED to
// check that the catches do not hang on one lucky seed.
inline uint64_t SelftestSeed() {
  const char* s = std::getenv("IPCSPEC_SELFTEST_SEED");
  return s ? std::strtoull(s, nullptr, 10) : kSelftestSeed;
}

template <typename Interface>
void ExpectEveryMutantCaught(const std::vector<SuiteProperty<Interface>>& props,
                             int max_success = 100) {
  auto mutants = KindRegistry<Interface>::Get().Mutants();
  ASSERT_GE(mutants.size(), 2u) << "an interface suite needs at least two mutants";
  // No shrinking: the verdict needs only whether a property fails, and a
  // mutant that hangs a call would make every shrink step wait a deadline.
  ScopedPropertyParams fixed(SelftestSeed(), max_success, /*shrink=*/false);
  std::string table;
  for (const auto& m : mutants) {
    auto t0 = std::chrono::steady_clock::now();
    MutantVerdict v = JudgeMutant(props, m);
    long ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::steady_clock::now() - t0)
                                    .count());
    std::string caught;
    for (const auto& p : v.caught_by) caught += (caught.empty() ? "" : ", ") + p;
    table += "mutant " + v.mutant + " (" + v.bug + "): " +
             (caught.empty() ? "NOT CAUGHT" : "caught by " + caught) + " [" + std::to_string(ms) +
             " ms]\n";
    EXPECT_FALSE(v.caught_by.empty())
        << "The " << Interface::kName << " suite does not catch mutant " << v.mutant
        << ", whose bug is: " << v.bug << ". That is a hole in the suite: add a property "
        << "that this mutant violates.";
    if (!v.caught_by.empty()) {
      // Show how the first catch reads, as a user would see it.
      std::printf("---- %s, first caught by %s:\n%s\n", v.mutant.c_str(), v.caught_by[0].c_str(),
                  v.first_message.c_str());
    }
  }
  std::printf("%s selftest (seed %llu):\n%s", Interface::kName,
              static_cast<unsigned long long>(SelftestSeed()), table.c_str());
  if (const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR")) {
    std::ofstream(std::string(dir) + "/selftest_" + Interface::kName + ".txt") << table;
  }
}

}  // namespace ipcspec
