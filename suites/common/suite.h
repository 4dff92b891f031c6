// The shape shared by every interface suite, and the selftest over mutants.
//
// An interface suite (suites/byte_stream, suites/message_queue, ...) is a list of
// named properties. Each property cites the man page sentence it checks,
// says whether it applies to a Kind (from the Kind's capabilities: a Kind
// without the capability is skipped with that reason), and runs against one
// Kind, returning a PropertyOutcome (rapidcheck's, or a plain check's).
//
// The gtest file of the suite runs every property against every Kind
// (`Kinds/<Suite>.<Property>/<kind>`); the selftest runs every property
// against every mutant and passes only when each mutant is caught by at least
// one property, naming it.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/api/kind.h"
#include "impl/core/property.h"
#include "impl/repro/repro.h"
#include "impl/verdict/table.h"
#include "impl/verdict/verdict.h"
#include "suites/common/isolated.h"

namespace ipcspec {

template <typename Interface>
struct SuiteProperty {
  std::string name;   // "ModelSequences": a gtest name
  std::string cites;  // "man 7 pipe, \"I/O on pipes and FIFOs\": ..."
  // nullopt: applies. A string: why it does not apply to this Kind.
  std::function<std::optional<std::string>(const Kind<Interface>&)> skip_reason;
  std::function<PropertyOutcome(const Kind<Interface>&)> run;
};

template <typename Interface>
const SuiteProperty<Interface>* FindProperty(const std::vector<SuiteProperty<Interface>>& ps,
                                             const std::string& name) {
  for (const auto& p : ps) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

// How a property ended for a Kind, after isolation (external libraries'
// Kinds run in a child with a deadline) and before the divergence table.
struct SuiteVerdict {
  bool skipped = false;
  std::string skip_message;
  PropertyOutcome outcome;
};

// Runs the property with a reproducer Session (impl/repro): on failure the
// message ends with the path of a standalone C file that replays the shrunk
// counterexample (or says why there is none).
template <typename Interface>
PropertyOutcome RunWithReproducer(const SuiteProperty<Interface>& p, const Kind<Interface>& kind) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string test = info == nullptr ? CurrentTestId()
                                     : std::string(info->test_suite_name()) + "." + info->name();
  const char* target = std::getenv("TEST_TARGET");
  repro::Recording::Header h{test,
                             kind.name,
                             kind.description,
                             std::string(Interface::kName) + "." + p.name,
                             p.cites,
                             "",
                             std::string("bazel test ") + (target ? target : "<target>") +
                                 " --test_filter='" + test + "'"};
  repro::Session session(h, kind.c);
  PropertyOutcome o = p.run(kind);
  if (!o.broken) {
    std::string line = session.Finish(o.passed, o.message);
    if (!line.empty()) {
      if (o.passed) {
        std::printf("ipcspec: %s\n", line.c_str());
      } else {
        o.message += (o.message.empty() || o.message.back() == '\n' ? "" : "\n") + line + "\n";
      }
    }
  }
  return o;
}

template <typename Interface>
SuiteVerdict RunPropertyFor(const SuiteProperty<Interface>& p, const Kind<Interface>& kind) {
  SuiteVerdict v;
  if (kind.library.empty() && !IsolateEveryKind()) {
    v.outcome = RunWithReproducer(p, kind);
    return v;
  }
  IsolatedOutcome io =
      RunIsolated([&]() { return RunWithReproducer(p, kind); }, IsolatedPropertyDeadline());
  v.skipped = io.status == IsolatedOutcome::Status::kSkipped;
  v.skip_message = io.skip_message;
  v.outcome = io.outcome;
  // The child's count of rapidcheck cases ends with it: the run's figure
  // (ipcspec-stats, ci/bench.sh) counts them here.
  RapidcheckCasesRun() += static_cast<uint64_t>(io.outcome.cases);
  return v;
}

// Reports a verdict to gtest as it is: pass, fail with the message, or the
// isolated child's skip. The verdict engine (impl/verdict, installed by
// test_main) then judges it against the tables in force (the library's for a
// library's Kind, the environment's): an expected failure must match its
// entry's signature, and a tabled property that passes is a stale entry.
template <typename Interface>
void ReportSuiteVerdict(const SuiteProperty<Interface>& p, const Kind<Interface>& kind,
                        const SuiteVerdict& v) {
  if (v.skipped) GTEST_SKIP() << v.skip_message;
  if (!v.outcome.passed) {
    ADD_FAILURE() << "Kind " << kind.name << " (" << kind.description << ")\n"
                  << "violates " << Interface::kName << "." << p.name << ": " << p.cites << "\n"
                  << v.outcome.message;
  }
}

// Body of one `TEST_P(Suite, Property)`: runs it against GetParam().
template <typename Interface>
void RunSuiteProperty(const std::vector<SuiteProperty<Interface>>& ps, const std::string& name,
                      const Kind<Interface>& kind) {
  const SuiteProperty<Interface>* p = FindProperty(ps, name);
  ASSERT_NE(p, nullptr) << "no property named " << name;
  AnnotateTest(std::string(Interface::kName) + "." + name, kind.name, kind.library, p->cites);
  if (p->skip_reason) {
    if (auto why = p->skip_reason(kind)) {
      // A reason that is an unmet need ("unmet need: ptrace: ...") is a
      // counted skip; any other says the property does not apply to the Kind.
      if (why->rfind(kUnmetNeedPrefix, 0) == 0) GTEST_SKIP() << *why;
      GTEST_SKIP() << kNotApplicablePrefix << kind.name << ": " << *why;
    }
  }
  ReportSuiteVerdict(*p, kind, RunPropertyFor(*p, kind));
}

// Skips a test that checks the reference suite's own wiring (every property
// has a TEST_P, the reference Kinds are linked) in an adapter's test binary,
// which links the suites against one library's Kinds only.
#define IPCSPEC_SKIP_IN_ADAPTER_BINARY()                                              \
  do {                                                                                \
    if (::ipcspec::AdapterBinary())                                                   \
      GTEST_SKIP() << ::ipcspec::kNotApplicablePrefix                                \
                   << "an adapter's test binary: the reference suite checks this";   \
  } while (0)

struct MutantVerdict {
  std::string mutant;
  std::string bug;
  // The properties that caught it: "<Property>" for a property violation,
  // "<Property>:hang" when a harness deadline passed in the failing case
  // (PropertyOutcome::hang).
  std::vector<std::string> caught_by;
  std::string first_message;           // the first catching property's message
  // Non-empty: the Kind could not be judged, and why (it failed to open, or
  // a property could not run its cases: PropertyOutcome::broken). A broken
  // mutant is not caught (suites/common/selftest.h).
  std::string broken;
};

// Runs every applicable property against `mutant` (or a real Kind: the same
// verdict, which must then be empty). The Kind is first opened once: a Kind
// that cannot open is broken, and no property runs.
template <typename Interface>
MutantVerdict JudgeMutant(const std::vector<SuiteProperty<Interface>>& ps,
                          const Kind<Interface>& mutant) {
  MutantVerdict v{mutant.name, mutant.mutant_bug, {}, "", ""};
  {
    auto opened = mutant.Open();
    if (!opened.ok()) {
      v.broken = "Open() fails: " + opened.error().ToString();
      return v;
    }
  }
  for (const auto& p : ps) {
    if (p.skip_reason && p.skip_reason(mutant)) continue;
    PropertyOutcome o = p.run(mutant);
    if (o.passed) continue;
    if (o.broken) {
      v.broken += (v.broken.empty() ? "" : "\n") + p.name + " could not run: " + o.message;
      continue;
    }
    v.caught_by.push_back(o.hang ? p.name + ":hang" : p.name);
    if (v.first_message.empty()) v.first_message = o.message;
  }
  return v;
}

}  // namespace ipcspec
