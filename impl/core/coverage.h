// Generator coverage: does a property's generator reach the states the
// property is about?
//
// A property that checks "a blocked call wakes" proves nothing in the cases
// where no call blocked. Each such property declares the states that matter
// and the least share of its cases that must reach each; its cases mark the
// states they reach; after the run the property FAILS when a state was
// reached in fewer cases than declared, with a message naming the state, the
// count ("in 3 of 100 cases"), the minimum and the man page sentence the
// property checks.
//
//   Coverage cov("BlockedCallsWake", kCites,
//                {{"a forked call blocked", 60}, {"the queue was full", 30}});
//   PropertyOutcome o = RunProperty(id, [&] {
//     Coverage::Case c(cov);            // one per case, first thing
//     ...
//     Coverage::Reached("a forked call blocked");   // anywhere in the case
//   });
//   return cov.Judge(o);
//
// rapidcheck's RC_CLASSIFY / RC_TAG collect a distribution that only its
// reporter prints (it is not in the result our RunProperty returns), so the
// counting is ours. A case counts when it ends normally: a case discarded by
// RC_PRE or failed by RC_ASSERT does not. Reached() outside a Case (or in a
// forked child, whose memory is its own) does nothing: mark states in the
// process that runs the property, from what it saw.
//
// IPCSPEC_COVERAGE_VERBOSE=1 (--test_env) prints every judged property's
// states and counts to stderr, to choose or review the minimums.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "impl/core/property.h"

namespace ipcspec {

struct CoverageMinimum {
  std::string state;  // "a forked call blocked": reads in "reached ... in N of M cases"
  int percent;        // the least share of the cases that must reach it
};

class Coverage {
 public:
  // Runs of fewer cases than this are not judged by default: a replay of
  // one counterexample, and the asan and quick tiers (max_success 20, 25),
  // where a share of a few cases varies too much to judge without flaking.
  // The default run (100 cases) and the selftests (50, pinned seed) judge.
  static constexpr int kMinCasesJudged = 50;

  // `min_cases_judged`: for a property that runs fewer cases by design (a
  // sweep of kill points per case); its minimums must then be safe at that
  // count (far below the share its generator reaches).
  Coverage(std::string property, std::string cites, std::vector<CoverageMinimum> minimums,
           int min_cases_judged = kMinCasesJudged);

  // One case of the property: construct it first thing in the case.
  class Case {
   public:
    explicit Case(Coverage& c);
    ~Case();
    Case(const Case&) = delete;
    Case& operator=(const Case&) = delete;

   private:
    Coverage& coverage_;
    std::set<std::string> reached_;
    int uncaught_;
    Case* previous_;
    friend class Coverage;
  };

  // Marks `state` reached by the running case (once per case however often).
  static void Reached(const std::string& state);
  // Reached(state) when `condition` holds; returns `condition`.
  static bool ReachedIf(bool condition, const std::string& state);

  int cases() const { return cases_; }
  int reached(const std::string& state) const;
  // "a forked call blocked 48/50, the queue was full 31/50".
  std::string Summary() const;
  // Empty when every minimum is met (or too few cases ran to judge);
  // else one line per state short of its minimum, and the citation.
  std::string Shortfall() const;
  // `o`, failed when a passing run fell short of a minimum.
  PropertyOutcome Judge(PropertyOutcome o) const;

 private:
  std::string property_;
  std::string cites_;
  std::vector<CoverageMinimum> minimums_;
  int min_cases_judged_;
  int cases_ = 0;
  std::map<std::string, int> counts_;
};

// The message Judge adds, for a property that counts its own rounds (no
// rapidcheck run): "reached 'x' in 1 of 2 rounds".
std::string CoverageShortfall(const std::string& property, const std::string& cites,
                              const std::string& state, int reached, int of, int minimum_percent,
                              const std::string& unit = "cases");

}  // namespace ipcspec
