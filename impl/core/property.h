// Running a rapidcheck property inside a GoogleTest test, with a failure that
// reads well and says how to reproduce it.
//
//   TEST_P(StreamModel, Sequences) {
//     CheckProperty("random sequences against a byte-deque model (man 7 pipe)",
//                   [&] { ... RC_ASSERT(...); });
//   }
//
// On failure the test fails with the counterexample (each step of a state
// machine prints as a line), the seed, and the RC_PARAMS line that replays
// exactly that case. The number of cases run is counted for the figures.
#pragma once

#include <algorithm>
#include <cstdint>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/deadline.h"
#include "rapidcheck.h"
#include "rapidcheck/detail/TestListener.h"

namespace ipcspec {

struct PropertyOutcome {
  bool passed = false;
  int cases = 0;              // successful cases run
  std::string message;        // counterexample and reproduction, on failure
  // Why a failure may not be a property violation (the selftest counts such
  // a failure as a catch only when told to; see suites/common/selftest.h):
  // broken: the property could not run its cases (rapidcheck gave up after
  //   too many discarded cases, or reported an error of its own);
  // hang: a harness deadline passed (HarnessDeadlinesPassed(): a child
  //   Wait/WaitPid gave up on, a Checkpoint never reached) during the failing
  //   case. Exact when shrinking is off (the selftest): the failing case is
  //   then the last one run.
  bool broken = false;
  bool hang = false;
};

// "Suite.Test" of the running gtest test: the id `reproduce=` entries use.
std::string CurrentTestId();

// Overrides the rapidcheck parameters of RunProperty while in scope (the
// selftest uses a fixed seed so that its verdicts are reproducible).
class ScopedPropertyParams {
 public:
  ScopedPropertyParams(uint64_t seed, int max_success, bool shrink = true);
  ~ScopedPropertyParams();
  static const ScopedPropertyParams* Current();
  uint64_t seed() const { return seed_; }
  int max_success() const { return max_success_; }
  bool shrink() const { return shrink_; }

 private:
  uint64_t seed_;
  int max_success_;
  bool shrink_;
  const ScopedPropertyParams* previous_;
};

// Cases per property: RC_PARAMS's max_success when it sets one, otherwise
// kDefaultCases. The per-commit run has a budget of 30 s for the whole
// `bazel test //...` on a 2-core machine (ci/bench.sh); 25 cases keep it
// (50 took 40 s), and every run draws a new seed, so commit after commit the
// cases add up. --config=deep runs 500 with a new seed (nightly); the
// selftests pin their own seeds and counts.
inline constexpr int kDefaultCases = 25;
int DefaultMaxSuccess();

// Runs the property with the global rapidcheck configuration (RC_PARAMS).
// `id` keys `reproduce=` entries; by default the current gtest test's name.
template <typename Testable>
PropertyOutcome RunProperty(const std::string& id, Testable&& testable);
// The same with at most `max_cases` cases: for properties whose every case
// forks many processes (a sweep of kill points), so that they stay fast.
template <typename Testable>
PropertyOutcome RunProperty(const std::string& id, Testable&& testable, int max_cases,
                            bool shrink = true);

// A property that forks per case and may wait out a deadline when it fails:
// at most `max_cases` cases under the current test's name, and no shrinking
// (each smaller case would wait for the deadline again).
template <typename Testable>
PropertyOutcome RunForkingProperty(int max_cases, Testable&& testable) {
  return RunProperty(CurrentTestId(), std::forward<Testable>(testable), max_cases, false);
}

// RunProperty under the current test's name, failing the test on failure.
template <typename Testable>
void CheckProperty(const std::string& description, Testable&& testable);

// Total rapidcheck cases this process has run (for ci/bench.sh).
uint64_t& RapidcheckCasesRun();
std::string ReproduceHint(const std::string& id, uint64_t seed,
                          const std::string& reproduce_params);

namespace property_internal {
// A silent listener (the failure is reported once, through gtest, with our
// own reproduction line, not rapidcheck's at-exit message) that counts the
// harness deadlines passed during the failing case (PropertyOutcome::hang).
class CaseListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription& d) override;
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
  // Harness deadlines passed in the failing case (or, if rapidcheck did not
  // report it, since the last successful one).
  uint64_t FailingCaseDeadlines() const;

 private:
  uint64_t at_case_start_ = HarnessDeadlinesPassed();
  bool failure_seen_ = false;
  uint64_t failing_case_deadlines_ = 0;
};
PropertyOutcome Summarise(const std::string& id, const rc::detail::TestResult& r,
                          const rc::detail::TestParams& params);
// Sets o.hang for a failure in whose failing case `deadlines` harness
// deadlines passed, and says so first in its message ("ipcspec hang: ..."),
// so that the verdict engine sees the same thing as the selftest: the failure
// shows signature `hang` (impl/verdict/table.cc, SignaturesSeen), whatever
// the property made of the ETIMEDOUT it got (a property that reports
// "waitpid: ETIMEDOUT" or a Checkpoint never reached as a plain violation).
void MarkHang(PropertyOutcome& o, uint64_t deadlines);
}  // namespace property_internal

template <typename Testable>
PropertyOutcome RunProperty(const std::string& id, Testable&& testable) {
  return RunProperty(id, std::forward<Testable>(testable), 1 << 30);
}

template <typename Testable>
PropertyOutcome RunProperty(const std::string& id, Testable&& testable, int max_cases,
                            bool shrink) {
  rc::detail::TestMetadata md;
  md.id = id;
  md.description = id;
  const auto& config = rc::detail::configuration();
  rc::detail::TestParams params = config.testParams;
  params.maxSuccess = DefaultMaxSuccess();
  if (const auto* o = ScopedPropertyParams::Current()) {
    params.seed = o->seed();
    params.maxSuccess = o->max_success();
    params.disableShrinking = !o->shrink();
  }
  params.maxSuccess = std::min(params.maxSuccess, max_cases);
  if (!shrink) params.disableShrinking = true;
  property_internal::CaseListener listener;
  auto result = rc::detail::checkProperty(
      rc::detail::toProperty(std::forward<Testable>(testable)), md, params, listener,
      config.reproduce);
  PropertyOutcome o = property_internal::Summarise(id, result, params);
  property_internal::MarkHang(o, listener.FailingCaseDeadlines());
  return o;
}

template <typename Testable>
void CheckProperty(const std::string& description, Testable&& testable) {
  PropertyOutcome o = RunProperty(CurrentTestId(), std::forward<Testable>(testable));
  if (!o.passed) {
    ADD_FAILURE() << "Property: " << description << "\n" << o.message;
  }
}

}  // namespace ipcspec

// Inside a rapidcheck property: fails the case with a streamed message unless
// `cond` holds ("check failed: COND" and the message).
#define IPCSPEC_RC_CHECK(cond, msg)                          \
  do {                                                       \
    if (!(cond)) {                                           \
      std::ostringstream ipcspec_rc_os_;                     \
      ipcspec_rc_os_ << "check failed: " #cond "\n" << msg;  \
      RC_FAIL(ipcspec_rc_os_.str());                         \
    }                                                        \
  } while (0)
