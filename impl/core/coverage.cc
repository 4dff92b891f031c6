#include "impl/core/coverage.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <sstream>

namespace ipcspec {

namespace {
// The case running on this thread (a property runs on one thread).
thread_local Coverage::Case* g_case = nullptr;

uint64_t SeedOfThisRun() {
  if (const auto* p = ScopedPropertyParams::Current()) return p->seed();
  return rc::detail::configuration().testParams.seed;
}
}  // namespace

Coverage::Coverage(std::string property, std::string cites, std::vector<CoverageMinimum> minimums,
                   int min_cases_judged)
    : property_(std::move(property)),
      cites_(std::move(cites)),
      minimums_(std::move(minimums)),
      min_cases_judged_(min_cases_judged) {
  for (const auto& m : minimums_) counts_[m.state] = 0;
}

Coverage::Case::Case(Coverage& c)
    : coverage_(c), uncaught_(std::uncaught_exceptions()), previous_(g_case) {
  g_case = this;
}

Coverage::Case::~Case() {
  g_case = previous_;
  // Unwinding: the case was discarded (RC_PRE) or failed; it does not count.
  if (std::uncaught_exceptions() > uncaught_) return;
  ++coverage_.cases_;
  for (const auto& s : reached_) ++coverage_.counts_[s];
}

void Coverage::Reached(const std::string& state) {
  if (g_case != nullptr) g_case->reached_.insert(state);
}

bool Coverage::ReachedIf(bool condition, const std::string& state) {
  if (condition) Reached(state);
  return condition;
}

int Coverage::reached(const std::string& state) const {
  auto it = counts_.find(state);
  return it == counts_.end() ? 0 : it->second;
}

std::string Coverage::Summary() const {
  std::ostringstream os;
  bool first = true;
  for (const auto& [state, n] : counts_) {
    os << (first ? "" : ", ") << state << " " << n << "/" << cases_;
    first = false;
  }
  return os.str();
}

std::string CoverageShortfall(const std::string& property, const std::string& cites,
                              const std::string& state, int reached, int of, int minimum_percent,
                              const std::string& unit) {
  std::ostringstream os;
  os << "generator coverage: " << property << " reached \"" << state << "\" in " << reached
     << " of " << of << " " << unit << ", fewer than its declared minimum of " << minimum_percent
     << "%: the " << unit << " do not exercise what the property checks (" << cites << ")\n";
  return os.str();
}

std::string Coverage::Shortfall() const {
  if (cases_ < min_cases_judged_) return "";
  std::string out;
  for (const auto& m : minimums_) {
    int n = reached(m.state);
    if (static_cast<long>(n) * 100 < static_cast<long>(m.percent) * cases_) {
      out += CoverageShortfall(property_, cites_, m.state, n, cases_, m.percent);
    }
  }
  return out;
}

PropertyOutcome Coverage::Judge(PropertyOutcome o) const {
  if (std::getenv("IPCSPEC_COVERAGE_VERBOSE") != nullptr) {
    std::fprintf(stderr, "ipcspec coverage: %s: %d case(s): %s\n", property_.c_str(), cases_,
                 Summary().c_str());
  }
  if (!o.passed) return o;
  std::string s = Shortfall();
  if (s.empty()) return o;
  o.passed = false;
  o.message = s + "States reached: " + Summary() + "\n" +
              ReproduceHint(CurrentTestId(), SeedOfThisRun(), "");
  return o;
}

}  // namespace ipcspec
