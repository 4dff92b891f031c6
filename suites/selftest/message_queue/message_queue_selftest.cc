// The MessageQueue suite's self-test: every mutant (a deliberately broken
// Kind, impl/mutants/message_queue) must be caught by at least one property,
// and every real Kind must pass them all. The rapidcheck seed and case count
// are pinned here (see PinRapidcheckParams), so the verdicts are the same on
// every run and under every config.
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "impl/api/message_queue.h"
#include "suites/common/suite.h"
#include "faults/interrupt_scenarios.h"
#include "faults/orphan_scenarios.h"
#include "faults/queue_scenarios.h"
#include "suites/message_queue/properties.h"

namespace ipcspec {
namespace {

// The verdicts must not depend on the run's RC_PARAMS: the asan and quick
// configs lower max_success for every test (--test_env), and a mutant that
// only one property catches needs more cases than that to be caught every
// time. So: always 50 cases per property, and seed 1 unless RC_PARAMS names
// a seed (the reproduction hint a failure prints does) or a reproduction.
// Over seeds 1..30 every mutant was caught by the same properties at 50
// cases. Runs before rapidcheck first reads its configuration (lazily, in
// the first property).
[[maybe_unused]] const bool kRapidcheckParamsPinned = [] {
  const char* env = std::getenv("RC_PARAMS");
  std::string given = env ? env : "";
  if (given.find("reproduce=") != std::string::npos) return false;
  std::istringstream in(given);
  std::string word, pinned;
  bool has_seed = false;
  while (in >> word) {
    if (word.rfind("max_success=", 0) == 0) continue;
    if (word.rfind("seed=", 0) == 0) has_seed = true;
    pinned += word + " ";
  }
  if (!has_seed) pinned += "seed=1 ";
  pinned += "max_success=50";
  setenv("RC_PARAMS", pinned.c_str(), 1);
  return true;
}();

// The model properties and the fault scenarios together: a mutant that only
// misbehaves when a sender dies (a torn message) must be caught too.
const std::vector<SuiteProperty<MessageQueueInterface>>& AllProperties() {
  static const auto* all = [] {
    auto* v = new std::vector<SuiteProperty<MessageQueueInterface>>(MessageQueueProperties());
    const auto& f = QueueFaultScenarios();
    v->insert(v->end(), f.begin(), f.end());
    const auto& i = QueueInterruptScenarios();
    v->insert(v->end(), i.begin(), i.end());
    const auto& o = QueueOrphanScenarios();
    v->insert(v->end(), o.begin(), o.end());
    return v;
  }();
  return *all;
}

std::string Join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return s;
}

class MessageQueueMutant : public ::testing::TestWithParam<Kind<MessageQueueInterface>> {};

TEST_P(MessageQueueMutant, IsCaught) {
  const auto& mutant = GetParam();
  MutantVerdict v = JudgeMutant(AllProperties(), mutant);
  if (v.caught_by.empty()) {
    std::printf("mutant %s (%s) caught by NOTHING\n", v.mutant.c_str(), v.bug.c_str());
  } else {
    std::printf("mutant %s (%s) caught by %s\n", v.mutant.c_str(), v.bug.c_str(),
                Join(v.caught_by).c_str());
    std::printf("  first counterexample:\n%s\n", v.first_message.c_str());
  }
  EXPECT_FALSE(v.caught_by.empty())
      << "mutant " << v.mutant << " (" << v.bug
      << ") passed every MessageQueue property: the suite misses this bug";
}

INSTANTIATE_TEST_SUITE_P(
    Mutants, MessageQueueMutant,
    ::testing::ValuesIn(KindRegistry<MessageQueueInterface>::Get().Mutants()), KindName());

class MessageQueueRealKind : public ::testing::TestWithParam<Kind<MessageQueueInterface>> {};

// The same properties, same seed, against the real Kinds: all pass (so a
// mutant's verdict is about its bug, not about the property).
TEST_P(MessageQueueRealKind, PassesEveryProperty) {
  const auto& kind = GetParam();
  for (const auto& p : AllProperties()) {
    if (p.skip_reason && p.skip_reason(kind)) continue;
    PropertyOutcome o = p.run(kind);
    EXPECT_TRUE(o.passed) << kind.name << " fails " << p.name << ": " << p.cites << "\n"
                          << o.message;
  }
}

INSTANTIATE_TEST_SUITE_P(
    Kinds, MessageQueueRealKind,
    ::testing::ValuesIn(KindRegistry<MessageQueueInterface>::Get().Kinds()), KindName());

TEST(MessageQueueSelftest, HasMutants) {
  EXPECT_GE(KindRegistry<MessageQueueInterface>::Get().Mutants().size(), 2u);
}

}  // namespace
}  // namespace ipcspec
