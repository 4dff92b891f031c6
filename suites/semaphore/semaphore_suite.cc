#include "suites/semaphore/semaphore_suite.h"

#include <sstream>

namespace ipcspec {
namespace semaphore_suite {
namespace {

thread_local ValueReading t_value_reading = ValueReading::kValue;
thread_local bool t_record_value = true;

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

namespace {

struct CiteName {
  const char* text;
  const char* name;
};
constexpr CiteName kCiteNames[] = {
    {kCiteNeverNegative, "CITE_NEVER_NEGATIVE"}, {kCiteTimeout, "CITE_TIMEOUT"},
    {kCiteWakeup, "CITE_WAKEUP"},                {kCiteAtomic, "CITE_ATOMIC"},
    {kCiteWaiters, "CITE_WAITERS"},              {kCiteUndo, "CITE_UNDO"},
    {kCitePost, "CITE_POST"},                    {kCiteOverflow, "CITE_OVERFLOW"},
    {kCiteTake, "CITE_TAKE"},
};

// The C expression for a promise: a CITE_ macro when it is one of the cites.
std::string PromiseC(const char* cite) {
  for (const auto& c : kCiteNames) {
    if (c.text == cite) return c.name;
  }
  return repro::Lit(cite);
}

}  // namespace

void SemPrelude() {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  {
    std::string defs = "/* What the steps check, in the man pages' words. */\n";
    for (const auto& c : kCiteNames) {
      defs += "#define " + std::string(c.name) + " " + repro::Lit(c.text) + "\n";
    }
    rec->Helper("sem_cites", defs);
  }
  rec->Helper("value_is", R"C(/* The value must be `want` (`promise`), and never negative, after `after`. */
#define CITE_VALUE "the value is what the documented operations before left (man 3 sem_getvalue, man 2 semctl GETVAL)"
static void value_is(long want, const char *after, const char *promise) {
  long v = -1;
  int e = sem_c_value(&v);
  if (e != 0) { errno = e; setup_failed("reading the value"); }
  if (v < 0) broken(CITE_NEVER_NEGATIVE, "the value is %ld after %s", v, after);
  if (v != want) broken(promise, "after %s the value is %ld, expected %ld", after, v, want);
}
)C");
  rec->Helper("sem_ename", R"C(/* errno's name, for the messages. */
static const char *sem_ename(int e) {
  switch (e) {
    case 0: return "success";
    case EAGAIN: return "EAGAIN";
    case ETIMEDOUT: return "ETIMEDOUT";
    case EOVERFLOW: return "EOVERFLOW";
    case ERANGE: return "ERANGE";
    case EINTR: return "EINTR";
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    default: return strerror(e);
  }
}
)C");
}

namespace {

std::string CCallC(const std::string& call, int want, const std::string& promise_c,
                   const std::string& what) {
  if (repro::Active() == nullptr) return "";  // nothing records: no cost
  return "{\n  int e = " + call + ";\n  if (e != " + (want == 0 ? std::string("0") : ErrnoName(want)) +
         ")\n    broken(" + promise_c + ",\n           " +
         repro::Lit(what + ": expected " + Errno(want) + ", got %s") + ", sem_ename(e));\n}\n";
}

}  // namespace

std::string CCall(const std::string& call, int want, const std::string& promise,
                  const std::string& what) {
  return CCallC(call, want, repro::Lit(promise), what);
}

std::string CCall(const std::string& call, int want, const char* cite, const std::string& what) {
  return CCallC(call, want, PromiseC(cite), what);
}

void RecordStep(const std::string& title, const std::string& code, const std::string& hang) {
  if (repro::Recording* rec = repro::Active()) rec->Step(title, code, hang);
}

UnrecordedValueCheck::UnrecordedValueCheck() : saved_(t_record_value) { t_record_value = false; }
UnrecordedValueCheck::~UnrecordedValueCheck() { t_record_value = saved_; }

void RecordValueCheck(long expect, const std::string& after, const char* promise_c) {
  if (t_value_reading == ValueReading::kNone) return;
  repro::Recording* rec = repro::Active();
  if (rec != nullptr) {
    if (t_value_reading != ValueReading::kValue) {
      rec->Unprintable("the value is read by draining it with trywaits (the Kind reports none)");
    } else {
      // Plain concatenation, the promises as macros: this runs for every
      // command of every case, so it is kept cheap.
      const std::string want = std::to_string(expect);
      rec->Step("check the value (" + want + ")",
                "value_is(" + want + ", " + repro::Lit(after) + ", " + promise_c + ");\n",
                "reading the value returns at once");
    }
  }
}

void CheckValue(Semaphore& sem, long expect, const std::string& after) {
  if (t_value_reading == ValueReading::kNone) return;
  if (t_record_value) RecordValueCheck(expect, after);
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
