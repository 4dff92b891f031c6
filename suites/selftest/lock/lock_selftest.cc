// The Lock suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/lock must be caught by exactly the properties its MustCatch
// entry names, and every real Lock Kind must pass the same properties
// with the same pinned seed and number of cases.
#include "gtest/gtest.h"
#include "suites/lock/lock_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<LockInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<LockInterface>();
    s->properties = LockProperties();
    s->max_success = 100;
    s->must_catch = {
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Lock, LockInterface, Spec());

}  // namespace
}  // namespace ipcspec
