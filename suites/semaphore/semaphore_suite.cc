#include "suites/semaphore/semaphore_suite.h"

#include <sstream>

namespace ipcspec {
namespace semaphore_suite {
namespace {

thread_local ValueReading t_value_reading = ValueReading::kValue;

}  // namespace

std::string Errno(int e) { return e == 0 ? std::string("success") : ErrnoName(e); }

PropertyOutcome SetupFailure(const std::string& what, const PosixError& e) {
  PropertyOutcome o;
  o.passed = false;
  o.message = "setup failed: " + what + ": " + e.ToString() + "\n";
  return o;
}

ValueReadingScope::ValueReadingScope(const SemaphoreKind& kind, bool alone)
    : saved_(t_value_reading) {
  t_value_reading = kind.caps.reports_value ? ValueReading::kValue
                    : alone                  ? ValueReading::kDrain
                                             : ValueReading::kNone;
}

ValueReadingScope::~ValueReadingScope() { t_value_reading = saved_; }

PosixErrorOr<long> DrainValue(Semaphore& sem, long limit) {
  long n = 0;
  for (; n < limit; ++n) {
    PosixError e = sem.TryWait();
    if (e.errno_value() == EAGAIN) break;
    if (!e.ok()) return e;
  }
  for (long i = 0; i < n; ++i) {
    PosixError e = sem.Post();
    if (!e.ok()) return e;
  }
  return n;
}

void CheckValue(Semaphore& sem, long expect, const std::string& after) {
  if (t_value_reading == ValueReading::kNone) return;
  auto v = t_value_reading == ValueReading::kDrain ? DrainValue(sem, expect + 2) : sem.Value();
  SEM_EXPECT(v.ok(), "reading the value after " << after << ": " << v.error());
  SEM_EXPECT(v.value() >= 0, "the value is " << v.value() << " after " << after
                                             << "; it must never fall below zero: "
                                             << kCiteNeverNegative);
  SEM_EXPECT(v.value() == expect, "after " << after << " the value is " << v.value()
                                           << ", the model says " << expect);
}

}  // namespace semaphore_suite
}  // namespace ipcspec
