// MultiOpAllOrNothing: non-blocking semops with several operations, posts
// and trywaits of one process against a counter model.

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include "rapidcheck.h"
#include "rapidcheck/state.h"
#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace semaphore_suite {
namespace {

struct MultiModel {
  long value = 0;
  long max = 0;
  int overflow_errno = 0;
};

struct MultiSut {
  Semaphore* sem;
};

using MultiCmd = rc::state::Command<MultiModel, MultiSut>;

struct ApplyOutcome {
  int err;
  long value;
};

// man 2 semop: in array order, on the value as the earlier operations left
// it; the first operation that cannot proceed makes the call fail and
// nothing is done.
ApplyOutcome SimulateApply(long value, const std::vector<int>& deltas, long max) {
  long t = value;
  for (int d : deltas) {
    if (d == 0) {
      if (t != 0) return {EAGAIN, value};
      continue;
    }
    t += d;
    if (t < 0) return {EAGAIN, value};
    if (t > max) return {ERANGE, value};
  }
  return {0, t};
}

struct MPost : MultiCmd {
  void apply(MultiModel& m) const override {
    if (m.value < m.max) m.value++;
  }
  void run(const MultiModel& m, MultiSut& s) const override {
    if (repro::Active() != nullptr) {
      const bool fits = m.value < m.max;
      RecordStep("post", CCall("sem_c_post()", fits ? 0 : m.overflow_errno,
                               fits ? std::string(kCitePost)
                                    : std::string(kCiteOverflow) + "; " + kCiteAtomic,
                               "post at value " + std::to_string(m.value) +
                                   (fits ? "" : " (the maximum)")),
                 "a post returns at once");
    }
    PosixError e = s.sem->Post();
    if (m.value < m.max) {
      SEM_EXPECT(e.ok(), "post at value " << m.value << ": " << e);
    } else {
      SEM_EXPECT(e.errno_value() == m.overflow_errno,
                 "post at the maximum " << m.max << ": "
                                        << (e.ok() ? std::string("succeeded") : e.ToString())
                                        << ", expected " << Errno(m.overflow_errno) << ": "
                                        << kCiteAtomic);
    }
    CheckValue(*s.sem, std::min(m.value + 1, m.max), "post");
  }
  void show(std::ostream& os) const override { os << "post"; }
};

struct MTryWait : MultiCmd {
  void apply(MultiModel& m) const override {
    if (m.value > 0) m.value--;
  }
  void run(const MultiModel& m, MultiSut& s) const override {
    if (repro::Active() != nullptr) {
      RecordStep("trywait", CCall("sem_c_trywait()", m.value > 0 ? 0 : EAGAIN,
                                  m.value > 0 ? kCiteTake : kCiteNeverNegative,
                                  "trywait at value " + std::to_string(m.value)),
                 "a trywait returns at once");
    }
    PosixError e = s.sem->TryWait();
    SEM_EXPECT(m.value > 0 ? e.ok() : e.errno_value() == EAGAIN,
               "trywait at value " << m.value << ": "
                                   << (e.ok() ? std::string("succeeded") : e.ToString()));
    CheckValue(*s.sem, m.value > 0 ? m.value - 1 : 0, "trywait");
  }
  void show(std::ostream& os) const override { os << "trywait"; }
};

struct MApply : MultiCmd {
  std::vector<int> deltas;
  explicit MApply(const MultiModel& m) {
    int big = static_cast<int>(std::min<long>(m.max, 32767));
    auto one = rc::gen::weightedOneOf<int>({
        {10, rc::gen::inRange(-3, 4)},
        {1, rc::gen::just(big)},
        {1, rc::gen::just(-big)},
        {1, rc::gen::just(big - 1)},
    });
    deltas = *rc::gen::container<std::vector<int>>(Pick(rc::gen::inRange(2, 5)),
                                                     rc::gen::resize(100, one));
  }
  void apply(MultiModel& m) const override { m.value = SimulateApply(m.value, deltas, m.max).value; }
  void run(const MultiModel& m, MultiSut& s) const override {
    ApplyOutcome want = SimulateApply(m.value, deltas, m.max);
    std::string what = "semop(" + FormatDeltas(deltas) + ", IPC_NOWAIT) at value " +
                       std::to_string(m.value);
    if (repro::Active() != nullptr) {
      std::ostringstream c;
      c << "static const int d[] = {";
      for (size_t i = 0; i < deltas.size(); ++i) c << (i ? ", " : "") << deltas[i];
      c << "};\n"
        << CCall("sem_c_apply(d, " + std::to_string(deltas.size()) + ", 1)", want.err,
                 kCiteAtomic, what);
      RecordStep("semop " + FormatDeltas(deltas) + " IPC_NOWAIT", "{\n" + c.str() + "}\n",
                 "a semop with IPC_NOWAIT returns at once");
    }
    PosixError e = s.sem->Apply(deltas, Blocking::kNonBlock);
    SEM_EXPECT(e.errno_value() == want.err,
               what << ": " << (e.ok() ? std::string("succeeded") : e.ToString())
                    << "; expected " << Errno(want.err) << ": " << kCiteAtomic);
    // As C, the cite is the step's CITE_ATOMIC: a short `after` (cheap).
    RecordValueCheck(want.value, what + (want.err ? " (which must change nothing)" : ""),
                     want.err ? "CITE_ATOMIC" : "CITE_VALUE");
    UnrecordedValueCheck recorded;
    CheckValue(*s.sem, want.value,
               what + (want.err ? " (which must change nothing: " + std::string(kCiteAtomic) + ")"
                                : std::string()));
  }
  void show(std::ostream& os) const override {
    os << "semop " << FormatDeltas(deltas) << " IPC_NOWAIT";
  }
};

}  // namespace

PropertyOutcome RunMultiOpAllOrNothing(const SemaphoreKind& kind) {
  ValueReadingScope reading(kind, /*alone=*/true);
  MultiModel m0;
  m0.max = kind.caps.max_value;
  m0.overflow_errno = kind.caps.overflow_errno;
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    auto inst = kind.Open();
    SEM_EXPECT(inst.ok(), "open " << kind.name << ": " << inst.error());
    SemPrelude();
    SemaphoreInstance sem = std::move(inst).ValueOrDie();
    MultiSut sut{sem.get()};
    rc::state::check(m0, sut, rc::state::gen::execOneOfWithArgs<MPost, MTryWait, MApply>());
  }));
}

}  // namespace semaphore_suite
}  // namespace ipcspec
