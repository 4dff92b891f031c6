// The shape shared by every interface suite, and the selftest over mutants.
//
// An interface suite (suites/stream, suites/message_queue, ...) is a list of
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

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/api/kind.h"
#include "impl/core/property.h"

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

// Body of one `TEST_P(Suite, Property)`: runs it against GetParam().
template <typename Interface>
void RunSuiteProperty(const std::vector<SuiteProperty<Interface>>& ps, const std::string& name,
                      const Kind<Interface>& kind) {
  const SuiteProperty<Interface>* p = FindProperty(ps, name);
  ASSERT_NE(p, nullptr) << "no property named " << name;
  if (p->skip_reason) {
    if (auto why = p->skip_reason(kind)) GTEST_SKIP() << kind.name << ": " << *why;
  }
  PropertyOutcome o = p->run(kind);
  if (!o.passed) {
    ADD_FAILURE() << "Kind " << kind.name << " (" << kind.description << ")\n"
                  << "violates " << p->name << ": " << p->cites << "\n"
                  << o.message;
  }
}

struct MutantVerdict {
  std::string mutant;
  std::string bug;
  std::vector<std::string> caught_by;  // property names
  std::string first_message;           // the first catching property's message
};

// Runs every applicable property against `mutant`.
template <typename Interface>
MutantVerdict JudgeMutant(const std::vector<SuiteProperty<Interface>>& ps,
                          const Kind<Interface>& mutant) {
  MutantVerdict v{mutant.name, mutant.mutant_bug, {}, ""};
  for (const auto& p : ps) {
    if (p.skip_reason && p.skip_reason(mutant)) continue;
    PropertyOutcome o = p.run(mutant);
    if (!o.passed) {
      v.caught_by.push_back(p.name);
      if (v.first_message.empty()) v.first_message = o.message;
    }
  }
  return v;
}

}  // namespace ipcspec
