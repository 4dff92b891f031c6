#include "impl/core/property.h"

#include <cstdlib>
#include <sstream>
#include <string>

namespace ipcspec {

namespace {
const ScopedPropertyParams* g_params = nullptr;
}  // namespace

ScopedPropertyParams::ScopedPropertyParams(uint64_t seed, int max_success, bool shrink)
    : seed_(seed), max_success_(max_success), shrink_(shrink), previous_(g_params) {
  g_params = this;
}
ScopedPropertyParams::~ScopedPropertyParams() { g_params = previous_; }
const ScopedPropertyParams* ScopedPropertyParams::Current() { return g_params; }

int DefaultMaxSuccess() {
  static const int n = [] {
    const char* p = std::getenv("RC_PARAMS");
    if (p != nullptr && std::string(p).find("max_success") != std::string::npos) {
      return rc::detail::configuration().testParams.maxSuccess;
    }
    return kDefaultCases;
  }();
  return n;
}

uint64_t& RapidcheckCasesRun() {
  static uint64_t n = 0;
  return n;
}

std::string CurrentTestId() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  if (info == nullptr) return "ipcspec";
  return std::string(info->test_suite_name()) + "." + info->name();
}

std::string ReproduceHint(const std::string& id, uint64_t seed, const std::string& reproduce) {
  std::ostringstream os;
  const char* target = std::getenv("TEST_TARGET");
  os << "To run the same cases again (same seed):\n"
     << "  bazel test " << (target ? target : "<target>") << " --test_filter='" << id
     << "' --test_env=RC_PARAMS=\"seed=" << seed << "\"\n";
  if (!reproduce.empty()) {
    os << "To replay only the shrunk counterexample:\n"
       << "  bazel test " << (target ? target : "<target>") << " --test_filter='" << id
       << "' --test_env=RC_PARAMS=\"" << reproduce << "\"\n";
  }
  return os.str();
}

namespace property_internal {

void CaseListener::onTestCaseFinished(const rc::detail::CaseDescription& d) {
  const uint64_t now = HarnessDeadlinesPassed();
  if (d.result.type == rc::detail::CaseResult::Type::Failure && !failure_seen_) {
    failure_seen_ = true;
    failing_case_deadlines_ = now - at_case_start_;
  }
  at_case_start_ = now;
}

uint64_t CaseListener::FailingCaseDeadlines() const {
  return failure_seen_ ? failing_case_deadlines_ : HarnessDeadlinesPassed() - at_case_start_;
}

void MarkHang(PropertyOutcome& o, uint64_t deadlines) {
  o.hang = !o.passed && !o.broken && deadlines > 0;
  if (o.hang) {
    o.message = "ipcspec hang: " + std::to_string(deadlines) +
                " harness deadline(s) passed in the failing case (a child never ended, a "
                "checkpoint was never reached, a traced child never stopped)\n" + o.message;
  }
}

PropertyOutcome Summarise(const std::string& id, const rc::detail::TestResult& r,
                          const rc::detail::TestParams& params) {
  using namespace rc::detail;
  PropertyOutcome o;
  if (r.template is<SuccessResult>()) {
    o.passed = true;
    o.cases = r.template get<SuccessResult>().numSuccess;
    RapidcheckCasesRun() += static_cast<uint64_t>(o.cases);
    return o;
  }
  std::ostringstream os;
  if (r.template is<FailureResult>()) {
    const auto& f = r.template get<FailureResult>();
    o.cases = f.numSuccess;
    os << "Falsified after " << f.numSuccess << " successful case(s).\n";
    for (const auto& [type, value] : f.counterExample) {
      // A state machine's counterexample is its list of steps; its C++ type
      // says nothing to the reader.
      if (type.find("rc::state::Command") != std::string::npos ||
          type.find("Command<") != std::string::npos) {
        os << "Steps (shrunk):\n" << value << "\n";
      } else {
        os << type << ":\n" << value << "\n";
      }
    }
    os << "Failure: " << f.description << "\n";
    if (f.description == "no exceptions thrown") {
      os << "(The shrunk counterexample passed when replayed to describe it: the failure "
            "depends on timing, not only on the generated input.)\n";
    }
    Configuration repro;
    repro.testParams = params;
    repro.reproduce[id] = f.reproduce;
    os << ReproduceHint(id, params.seed, configToMinimalString(repro));
  } else if (r.template is<GaveUpResult>()) {
    const auto& g = r.template get<GaveUpResult>();
    o.cases = g.numSuccess;
    o.broken = true;
    os << "Gave up after " << g.numSuccess << " case(s): " << g.description << "\n"
       << ReproduceHint(id, params.seed, "");
  } else {
    o.broken = true;
    os << "rapidcheck error: " << r.template get<Error>().description << "\n";
  }
  RapidcheckCasesRun() += static_cast<uint64_t>(o.cases);
  o.message = os.str();
  return o;
}

}  // namespace property_internal
}  // namespace ipcspec
