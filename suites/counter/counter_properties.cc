// The Counter properties.
//
// The model is one unsigned 64-bit value and the Kind's maximum. Every call
// has exactly one allowed outcome, so the model is exact.
//
// What is checked, with its source (man 2 eventfd):
//   write(2): "A write(2) call adds the 8-byte integer value supplied in its
//     buffer to the counter. The maximum value that may be stored in the
//     counter is the largest unsigned 64-bit value minus 1 (i.e.,
//     0xfffffffffffffffe). If the addition would cause the counter's value to
//     exceed the maximum, then the write(2) either blocks until a read(2) is
//     performed on the file descriptor, or fails with the error EAGAIN if the
//     file descriptor has been made nonblocking." / "A write(2) fails with the
//     error EINVAL if ... an attempt is made to write the value
//     0xffffffffffffffff."
//   read(2): "If EFD_SEMAPHORE was not specified and the eventfd counter has
//     a nonzero value, then a read(2) returns 8 bytes containing that value,
//     and the counter's value is reset to zero." / "If EFD_SEMAPHORE was
//     specified and the eventfd counter has a nonzero value, then a read(2)
//     returns 8 bytes containing the value 1, and the counter's value is
//     decremented by 1." / "If the eventfd counter is zero at the time of the
//     call to read(2), then the call either blocks until the counter becomes
//     nonzero (at which time, the read(2) proceeds as described above) or
//     fails with the error EAGAIN if the file descriptor has been made
//     nonblocking."
//   poll(2): "The file descriptor is readable ... if the counter has a value
//     greater than 0." / "The file descriptor is writable ... if it is
//     possible to write a value of at least "1" without blocking."
//   eventfd(2): "This counter is initialized with the value specified in the
//     argument initval."
#include "suites/counter/counter_properties.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <limits>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/watchdog.h"
#include "impl/repro/repro.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

constexpr const char* kWriteRule =
    "man 2 eventfd: \"If the addition would cause the counter's value to exceed the maximum, "
    "then the write(2) either blocks until a read(2) is performed on the file descriptor, or "
    "fails with the error EAGAIN if the file descriptor has been made nonblocking.\"";
constexpr const char* kAddRule =
    "man 2 eventfd: \"A write(2) call adds the 8-byte integer value supplied in its buffer to "
    "the counter.\"";
constexpr const char* kAllOnesRule =
    "man 2 eventfd: \"A write(2) fails with the error EINVAL if ... an attempt is made to write "
    "the value 0xffffffffffffffff.\"";
constexpr const char* kReadPlainRule =
    "man 2 eventfd: \"If EFD_SEMAPHORE was not specified and the eventfd counter has a nonzero "
    "value, then a read(2) returns 8 bytes containing that value, and the counter's value is "
    "reset to zero.\"";
constexpr const char* kReadSemRule =
    "man 2 eventfd: \"If EFD_SEMAPHORE was specified and the eventfd counter has a nonzero "
    "value, then a read(2) returns 8 bytes containing the value 1, and the counter's value is "
    "decremented by 1.\"";
constexpr const char* kReadZeroRule =
    "man 2 eventfd: \"If the eventfd counter is zero at the time of the call to read(2), then "
    "the call either blocks until the counter becomes nonzero ... or fails with the error EAGAIN "
    "if the file descriptor has been made nonblocking.\"";


// For a blocking call the model says completes at once: a Kind that blocks
// there is interrupted after this long. Kept short (while shrinking, a broken
// Kind hits it many times); a correct call never sleeps, so the watchdog can
// never interrupt it, however late it fires: only an EINTR counts.
Deadline NoBlockDeadline() { return Deadline::In(std::chrono::milliseconds(5)); }
// For a child the man page says is woken now: it has this long to finish.
Deadline WokenDeadline() { return Deadline::In(std::chrono::seconds(1)); }

std::string Hex(uint64_t v) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%llx", static_cast<unsigned long long>(v));
  return b;
}

std::string Result(const PosixError& e) { return e.ok() ? "success" : e.ToString(); }
std::string Result(const PosixErrorOr<uint64_t>& r) {
  return r.ok() ? "the value " + Hex(r.value()) : r.error().ToString();
}

// The commands as C (impl/repro), for the Kinds that print themselves.
void CounterPrelude() {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  rec->Include("<poll.h>");
  rec->Helper("counter_io", R"C(/* One write(2) or read(2) of 8 bytes, as ipcspec makes it: O_NONBLOCK set
   or cleared on the open file description for the one call when it differs
   from the counter's default, then the flags restored. Returns 0 or errno. */
static int counter_io(int is_write, uint64_t *v, int nonblock) {
  int fl = -1, e = 0;
  ssize_t n;
  if (nonblock != c_default_nonblock) {
    fl = fcntl(cfd, F_GETFL);
    if (fl < 0 || fcntl(cfd, F_SETFL, nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) != 0)
      setup_failed("fcntl");
  }
  n = is_write ? write(cfd, v, sizeof *v) : read(cfd, v, sizeof *v);
  if (n < 0) e = errno;
  else if (n != (ssize_t)sizeof *v) e = EIO;
  if (fl >= 0 && fcntl(cfd, F_SETFL, fl) != 0) setup_failed("fcntl");
  return e;
}
static const char *ename(int e) { return e == 0 ? "success" : e == EAGAIN ? "EAGAIN" : e == EINVAL ? "EINVAL" : strerror(e); }
)C");
}

std::string U64(uint64_t v) {
  char b[40];
  std::snprintf(b, sizeof b, "0x%llxull", static_cast<unsigned long long>(v));
  return b;
}

// The blocked-call properties' steps as C (impl/repro): one add or take of
// counter_io with its expected outcome (errno `want_err`; for a take that
// succeeds, the value `want_v`).
std::string AddC(uint64_t v, bool nonblock, int want_err, const char* rule,
                  const std::string& what) {
  std::ostringstream c;
  c << "{\n  uint64_t v = " << U64(v) << ";\n"
    << "  int e = counter_io(1, &v, " << (nonblock ? 1 : 0) << ");\n"
    << "  if (e != " << (want_err == 0 ? std::string("0") : ErrnoName(want_err)) << ")\n    broken(" << repro::Lit(rule) << ",\n           "
    << repro::Lit(what + ": expected " + (want_err == 0 ? "success" : ErrnoName(want_err)) +
                  ", got %s")
    << ", ename(e));\n}\n";
  return c.str();
}
std::string TakeC(bool nonblock, int want_err, uint64_t want_v, const char* rule,
                  const std::string& what) {
  std::ostringstream c;
  c << "{\n  uint64_t v = 0;\n"
    << "  int e = counter_io(0, &v, " << (nonblock ? 1 : 0) << ");\n";
  if (want_err != 0) {
    c << "  if (e != " << ErrnoName(want_err) << ")\n";
  } else {
    c << "  if (e != 0 || v != " << U64(want_v) << ")\n";
  }
  c << "    broken(" << repro::Lit(rule) << ",\n           "
    << repro::Lit(what + ": expected " +
                  (want_err == 0 ? "the value " + Hex(want_v) : ErrnoName(want_err)) +
                  ", got %s (value 0x%llx)")
    << ", ename(e), (unsigned long long)v);\n}\n";
  return c.str();
}

struct CounterModel {
  uint64_t value = 0;
  uint64_t max = 0;
  bool semaphore = false;
  bool pollable = false;
  bool Fits(uint64_t v) const { return v <= max && v <= max - value; }
};

struct CounterSut {
  Counter* c = nullptr;
};

using CounterCommand = rc::state::Command<CounterModel, CounterSut>;

rc::Gen<Blocking> AnyBlocking() {
  return rc::gen::element(Blocking::kBlock, Blocking::kNonBlock);
}

struct Add : CounterCommand {
  uint64_t v;
  Blocking b;
  explicit Add(const CounterModel& m)
      : v(*rc::gen::weightedOneOf<uint64_t>({
            {4, rc::gen::inRange<uint64_t>(0, 100)},
            // Near the maximum, and what is left up to it.
            {2, rc::gen::map(rc::gen::inRange<uint64_t>(0, 100),
                             [max = m.max](uint64_t d) { return max - d; })},
            {2, rc::gen::map(rc::gen::inRange<uint64_t>(0, 3),
                             [m](uint64_t d) { return m.max - m.value + d - 1; })},
            // Values that can never fit (0xffffffffffffffff for eventfd).
            {1, rc::gen::map(rc::gen::inRange<uint64_t>(0, 2),
                             [max = m.max](uint64_t d) {
                               return max == std::numeric_limits<uint64_t>::max()
                                          ? max
                                          : std::max(max + 1, std::numeric_limits<uint64_t>::max() - d);
                             })},
            {1, rc::gen::arbitrary<uint64_t>()},
        })),
        b(*AnyBlocking()) {}
  void checkPreconditions(const CounterModel& m) const override {
    // A blocking add that would block belongs to BlockedAddWokenByTake.
    const bool would_block = b == Blocking::kBlock && v <= m.max && !m.Fits(v);
    RC_PRE(!would_block);
  }
  void apply(CounterModel& m) const override {
    if (m.Fits(v)) m.value += v;
  }
  void Record(const CounterModel& m, repro::Recording& rec) const {
    std::ostringstream t, c;
    show(t);
    const int want = v > m.max ? EINVAL : m.Fits(v) ? 0 : EAGAIN;
    const char* rule = v > m.max ? kAllOnesRule : m.Fits(v) ? kAddRule : kWriteRule;
    c << "{\n  uint64_t v = " << U64(v) << ";\n"
      << "  int e = counter_io(1, &v, " << (b == Blocking::kNonBlock ? 1 : 0) << ");\n"
      << "  if (e != " << want << ")\n    broken(" << repro::Lit(rule)
      << ",\n           \"write(" << Hex(v) << ") with the counter at " << Hex(m.value)
      << " (maximum " << Hex(m.max) << "): expected " << (want == 0 ? "success" : ErrnoName(want))
      << ", got %s\", ename(e));\n}\n";
    rec.Step(t.str(), c.str(), std::string("the write returns at once: ") + rule);
  }
  void run(const CounterModel& m, CounterSut& sut) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    PosixError e;
    {
      Watchdog dog(NoBlockDeadline());
      e = sut.c->Add(v, b);
      // Only a call the watchdog interrupted blocked (one that completed
      // while the process was descheduled past the deadline did not).
      const bool interrupted = e.errno_value() == EINTR && dog.fired();
      if (interrupted) {
        RC_FAIL("Add(" + Hex(v) + ", " + ToString(b) + ") with the counter at " + Hex(m.value) +
                " blocked although the sum stays within the maximum " + Hex(m.max) + " (" +
                kAddRule + ")");
      }
    }
    const std::string what = "Add(" + Hex(v) + ", " + ToString(b) + ") with the counter at " +
                             Hex(m.value) + " (maximum " + Hex(m.max) + ")";
    if (v > m.max) {
      if (e.errno_value() != EINVAL) {
        RC_FAIL(what + ": expected EINVAL, got " + Result(e) + " (" + kAllOnesRule + ")");
      }
    } else if (m.Fits(v)) {
      if (!e.ok()) RC_FAIL(what + ": expected success, got " + Result(e) + " (" + kAddRule + ")");
    } else if (e.errno_value() != EAGAIN) {
      RC_FAIL(what + ": the sum passes the maximum; expected EAGAIN, got " + Result(e) + " (" +
              kWriteRule + ")");
    }
  }
  void show(std::ostream& os) const override {
    os << "add(" << Hex(v) << ", " << ToString(b) << ")";
  }
};

struct Take : CounterCommand {
  Blocking b;
  explicit Take(const CounterModel&) : b(*AnyBlocking()) {}
  void checkPreconditions(const CounterModel& m) const override {
    const bool would_block = b == Blocking::kBlock && m.value == 0;
    RC_PRE(!would_block);
  }
  void apply(CounterModel& m) const override {
    if (m.value == 0) return;
    m.value = m.semaphore ? m.value - 1 : 0;
  }
  void Record(const CounterModel& m, repro::Recording& rec) const {
    std::ostringstream t, c;
    show(t);
    const char* what = m.value == 0 ? kReadZeroRule : m.semaphore ? kReadSemRule : kReadPlainRule;
    c << "{\n  uint64_t v = 0;\n"
      << "  int e = counter_io(0, &v, " << (b == Blocking::kNonBlock ? 1 : 0) << ");\n";
    if (m.value == 0) {
      c << "  if (e != EAGAIN)\n    broken(" << repro::Lit(what)
        << ",\n           \"read with the counter at 0: expected EAGAIN, got %s (value "
           "0x%llx)\", ename(e), (unsigned long long)v);\n";
    } else {
      const uint64_t want = m.semaphore ? 1 : m.value;
      c << "  if (e != 0 || v != " << U64(want) << ")\n    broken(" << repro::Lit(what)
        << ",\n           \"read with the counter at " << Hex(m.value) << ": expected "
        << Hex(want) << ", got %s (value 0x%llx)\", ename(e), (unsigned long long)v);\n";
    }
    c << "}\n";
    rec.Step(t.str(), c.str(), std::string("the read returns at once: ") + what);
  }
  void run(const CounterModel& m, CounterSut& sut) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    PosixErrorOr<uint64_t> r = PosixError(EINTR, "not run");
    {
      Watchdog dog(NoBlockDeadline());
      r = sut.c->Take(b);
      const bool interrupted = !r.ok() && r.errno_value() == EINTR && dog.fired();
      if (interrupted) RC_FAIL("Take(blocking) blocked with the counter at " + Hex(m.value));
    }
    const std::string what = "Take(" + std::string(ToString(b)) + ") with the counter at " +
                             Hex(m.value);
    if (m.value == 0) {
      if (r.ok() || r.errno_value() != EAGAIN) {
        RC_FAIL(what + ": expected EAGAIN, got " + Result(r) + " (" + kReadZeroRule + ")");
      }
      return;
    }
    const uint64_t want = m.semaphore ? 1 : m.value;
    if (!r.ok() || r.value() != want) {
      RC_FAIL(what + ": expected " + Hex(want) + ", got " + Result(r) + " (" +
              (m.semaphore ? kReadSemRule : kReadPlainRule) + ")");
    }
  }
  void show(std::ostream& os) const override { os << "take(" << ToString(b) << ")"; }
};

struct Poll : CounterCommand {
  explicit Poll(const CounterModel&) {}
  void checkPreconditions(const CounterModel& m) const override { RC_PRE(m.pollable); }
  void run(const CounterModel& m, CounterSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream c;
      c << "{\n  struct pollfd p = {cfd, POLLIN | POLLOUT, 0};\n"
        << "  if (poll(&p, 1, 0) < 0) setup_failed(\"poll\");\n"
        << "  if (((p.revents & POLLIN) != 0) != " << (m.value > 0 ? 1 : 0) << ")\n"
        << "    broken(\"man 2 eventfd: \\\"The file descriptor is readable ... if the counter "
           "has a value greater than 0.\\\"\", \"poll with the counter at "
        << Hex(m.value) << ": POLLIN %s\", (p.revents & POLLIN) ? \"set\" : \"clear\");\n"
        << "  if (((p.revents & POLLOUT) != 0) != " << (m.value < m.max ? 1 : 0) << ")\n"
        << "    broken(\"man 2 eventfd: \\\"The file descriptor is writable ... if it is "
           "possible to write a value of at least 1 without blocking.\\\"\", \"poll with the "
           "counter at " << Hex(m.value) << ": POLLOUT %s\", (p.revents & POLLOUT) ? \"set\" : "
           "\"clear\");\n}\n";
      rec->Step("poll(POLLIN|POLLOUT)", c.str(), "poll with a zero timeout returns at once");
    }
    struct pollfd p = {sut.c->fd(), POLLIN | POLLOUT, 0};
    int n = poll(&p, 1, 0);
    if (n < 0) RC_FAIL("poll(" + sut.c->Describe() + "): " + ErrnoName(errno));
    const bool in = (p.revents & POLLIN) != 0, out = (p.revents & POLLOUT) != 0;
    if (in != (m.value > 0)) {
      RC_FAIL("poll with the counter at " + Hex(m.value) + ": POLLIN " +
              (in ? "set" : "clear") +
              " (man 2 eventfd: \"The file descriptor is readable ... if the counter has a value "
              "greater than 0.\")");
    }
    if (out != (m.value < m.max)) {
      RC_FAIL("poll with the counter at " + Hex(m.value) + " (maximum " + Hex(m.max) +
              "): POLLOUT " + (out ? "set" : "clear") +
              " (man 2 eventfd: \"The file descriptor is writable ... if it is possible to write "
              "a value of at least \"1\" without blocking.\")");
    }
  }
  void show(std::ostream& os) const override { os << "poll(POLLIN|POLLOUT)"; }
};

PropertyOutcome ModelSequences(const CounterKind& kind) {
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    CounterPrelude();
    CounterInstance c = std::move(opened).ValueOrDie();
    CounterSut sut{c.get()};
    CounterModel m0;
    m0.value = kind.caps.initial_value;
    m0.max = kind.caps.max_value;
    m0.semaphore = kind.caps.semaphore;
    m0.pollable = kind.caps.pollable && c->fd() >= 0;
    rc::state::check(m0, sut,
                     rc::state::gen::execOneOfWithArgs<Add, Add, Add, Take, Take, Poll>());
  }));
}

// Takes the counter down to zero (one take, or one per unit in semaphore
// mode); for the blocking properties, which start from zero.
void TakeToZero(Counter& c, const CounterKind& kind) {
  uint64_t n = kind.caps.semaphore ? kind.caps.initial_value : (kind.caps.initial_value ? 1 : 0);
  for (uint64_t i = 0; i < n; ++i) {
    if (auto* rec = repro::Active()) {
      const uint64_t at = kind.caps.initial_value - (kind.caps.semaphore ? i : 0);
      rec->Step("take(nonblocking): down to zero",
                TakeC(true, 0, kind.caps.semaphore ? 1 : at,
                      kind.caps.semaphore ? kReadSemRule : kReadPlainRule,
                      "read with the counter at " + Hex(at)),
                "a read of a nonzero counter returns at once");
    }
    auto r = c.Take(Blocking::kNonBlock);
    if (!r.ok()) RC_FAIL("taking the initial value: " + r.error().ToString());
  }
}

struct ChildReport {
  int32_t err;
  uint64_t value;
};

PropertyOutcome BlockedAddWokenByTake(const CounterKind& kind) {
  return RunForkingProperty(5, repro::Recorded([&kind] {
    const uint64_t max = kind.caps.max_value;
    const uint64_t k = *rc::gen::inRange<uint64_t>(0, 1000);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    CounterPrelude();
    CounterInstance c = std::move(opened).ValueOrDie();
    TakeToZero(*c, kind);
    const uint64_t want = kind.caps.semaphore ? 1 : max - k;
    if (auto* rec = repro::Active()) {
      rec->Step("add(" + Hex(max - k) + ", nonblocking) to zero",
                AddC(max - k, true, 0, kAddRule, "write(" + Hex(max - k) + ") at 0"),
                "the write returns at once");
      rec->Step("add(" + Hex(k + 1) + ", nonblocking): past the maximum",
                AddC(k + 1, true, EAGAIN, kWriteRule,
                     "non-blocking write(" + Hex(k + 1) + ") with the counter at " + Hex(max - k)),
                "a non-blocking write returns at once");
      rec->ForkBlocked(0, "child: blocking add(" + Hex(k + 1) + ") with the counter at " +
                              Hex(max - k) + ": it blocks",
                       AddC(k + 1, false, 0, kWriteRule,
                            "the blocked write(" + Hex(k + 1) + "), woken by a read"),
                       kind.caps.add_wait_syscalls, kWriteRule,
                       std::string("the blocked write completes once a read makes room: ") +
                           kWriteRule);
      rec->Step("take(nonblocking) with the adder blocked",
                TakeC(true, 0, want, kind.caps.semaphore ? kReadSemRule : kReadPlainRule,
                      "read with the counter at " + Hex(max - k) + " and an adder blocked"),
                "a read of a nonzero counter returns at once");
      rec->AwaitChild(0, "the blocked add returns",
                      std::string("the blocked write completes once a read makes room: ") +
                          kWriteRule);
      if (kind.caps.semaphore) {
        rec->Step("add(1, nonblocking): at the maximum",
                  AddC(1, true, EAGAIN, kAddRule,
                       "after the woken write the counter is at the maximum; write(1)"),
                  "a non-blocking write returns at once");
      } else {
        rec->Step("take(nonblocking): what the woken add added",
                  TakeC(true, 0, k + 1, kAddRule,
                        "after the woken write(" + Hex(k + 1) + ") on a counter reset to zero, read"),
                  "a read of a nonzero counter returns at once");
      }
    }
    // The counter at max - k: an add of k + 1 would pass the maximum.
    PosixError filled = c->Add(max - k, Blocking::kNonBlock);
    if (!filled.ok()) RC_FAIL("Add(" + Hex(max - k) + ") to zero: " + filled.ToString());
    PosixError nb = c->Add(k + 1, Blocking::kNonBlock);
    if (nb.errno_value() != EAGAIN) {
      RC_FAIL("non-blocking Add(" + Hex(k + 1) + ") with the counter at " + Hex(max - k) +
              ": expected EAGAIN, got " + Result(nb) + " (" + kWriteRule + ")");
    }
    auto report = SharedObject<ChildReport>::Create();
    if (!report.ok()) RC_FAIL(report.error().ToString());
    ChildReport* rep = report.value().get();
    Counter* cp = c.get();
    auto forked = Child::Fork([cp, rep, k]() -> int {
      PosixError e = cp->Add(k + 1, Blocking::kBlock);
      rep->err = e.errno_value();
      return e.ok() ? 0 : 1;
    });
    if (!forked.ok()) RC_FAIL("fork: " + forked.error().ToString());
    Child child = std::move(forked).ValueOrDie();
    PosixError blocked = WaitUntilBlocked(child.pid(), kind.caps.add_wait_syscalls);
    if (!blocked.ok()) {
      RC_FAIL("a blocking Add(" + Hex(k + 1) + ") with the counter at " + Hex(max - k) +
              " did not block: " + blocked.ToString() +
              (child.Wait().ok() && rep->err ? " (it failed " + ErrnoName(rep->err) + ")" : "") +
              " (" + kWriteRule + ")");
    }
    auto took = c->Take(Blocking::kNonBlock);
    if (!took.ok() || took.value() != want) {
      RC_FAIL("Take with the counter at " + Hex(max - k) + " and an adder blocked: expected " +
              Hex(want) + ", got " + Result(took));
    }
    auto st = child.Wait(WokenDeadline());
    if (!st.ok()) {
      RC_FAIL("the blocked Add(" + Hex(k + 1) + ") did not complete after a Take made room: " +
              st.error().ToString() + " (" + kWriteRule + ")");
    }
    if (!st.value().ExitedWith(0)) {
      RC_FAIL("the blocked Add, woken by a Take: " + st.value().ToString() +
              (st.value().ExitedWith(1) ? ", failed " + ErrnoName(rep->err) : ""));
    }
    if (kind.caps.semaphore) {
      // max - k - 1 + (k + 1): exactly at the maximum now.
      PosixError more = c->Add(1, Blocking::kNonBlock);
      if (more.errno_value() != EAGAIN) {
        RC_FAIL("after the woken Add the counter should be at the maximum; Add(1) gave " +
                Result(more) + " (" + kAddRule + ")");
      }
    } else {
      auto rest = c->Take(Blocking::kNonBlock);
      if (!rest.ok() || rest.value() != k + 1) {
        RC_FAIL("after the woken Add(" + Hex(k + 1) + ") on a counter reset to zero, Take gave " +
                Result(rest) + " (" + kAddRule + ")");
      }
    }
  }));
}

PropertyOutcome BlockedTakeWokenByAdd(const CounterKind& kind) {
  return RunForkingProperty(5, repro::Recorded([&kind] {
    const uint64_t v = *rc::gen::inRange<uint64_t>(1, 1000);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    CounterPrelude();
    CounterInstance c = std::move(opened).ValueOrDie();
    TakeToZero(*c, kind);
    if (auto* rec = repro::Active()) {
      const uint64_t got = kind.caps.semaphore ? 1 : v;
      rec->ForkBlocked(0, "child: blocking take with the counter at 0: it blocks",
                       TakeC(false, 0, got, kReadZeroRule,
                             "the blocked read, woken by write(" + Hex(v) + ")"),
                       kind.caps.take_wait_syscalls, kReadZeroRule,
                       std::string("the blocked read returns once the counter is nonzero: ") +
                           kReadZeroRule);
      rec->Step("add(" + Hex(v) + ", nonblocking) with the taker blocked",
                AddC(v, true, 0, kAddRule, "write(" + Hex(v) + ") at 0"),
                "the write returns at once");
      rec->AwaitChild(0, "the blocked take returns",
                      std::string("the blocked read returns once the counter is nonzero: ") +
                          kReadZeroRule);
      if (v - got == 0) {
        rec->Step("take(nonblocking): the counter is 0 again",
                  TakeC(true, EAGAIN, 0, kReadZeroRule, "after the woken read, read"),
                  "a non-blocking read returns at once");
      } else {
        rec->Step("take(nonblocking): the rest",
                  TakeC(true, 0, 1, kReadSemRule, "after the woken read, read"),
                  "a read of a nonzero counter returns at once");
      }
    }
    auto report = SharedObject<ChildReport>::Create();
    if (!report.ok()) RC_FAIL(report.error().ToString());
    ChildReport* rep = report.value().get();
    Counter* cp = c.get();
    auto forked = Child::Fork([cp, rep]() -> int {
      auto r = cp->Take(Blocking::kBlock);
      if (!r.ok()) {
        rep->err = r.errno_value();
        return 1;
      }
      rep->value = r.value();
      return 0;
    });
    if (!forked.ok()) RC_FAIL("fork: " + forked.error().ToString());
    Child child = std::move(forked).ValueOrDie();
    PosixError blocked = WaitUntilBlocked(child.pid(), kind.caps.take_wait_syscalls);
    if (!blocked.ok()) {
      RC_FAIL("a blocking Take at zero did not block: " + blocked.ToString() + " (" +
              kReadZeroRule + ")");
    }
    PosixError added = c->Add(v, Blocking::kNonBlock);
    if (!added.ok()) RC_FAIL("Add(" + Hex(v) + ") at zero: " + added.ToString());
    auto st = child.Wait(WokenDeadline());
    if (!st.ok()) {
      RC_FAIL("the blocked Take did not return after Add(" + Hex(v) + "): " +
              st.error().ToString() + " (" + kReadZeroRule + ")");
    }
    if (!st.value().ExitedWith(0)) {
      RC_FAIL("the blocked Take, woken by an Add: " + st.value().ToString() +
              (st.value().ExitedWith(1) ? ", failed " + ErrnoName(rep->err) : ""));
    }
    const uint64_t want = kind.caps.semaphore ? 1 : v;
    if (rep->value != want) {
      RC_FAIL("the blocked Take, woken by Add(" + Hex(v) + "), returned " + Hex(rep->value) +
              ", expected " + Hex(want) + " (" + kReadZeroRule + "; " +
              (kind.caps.semaphore ? kReadSemRule : kReadPlainRule) + ")");
    }
    auto rest = c->Take(Blocking::kNonBlock);
    if (v - want == 0) {
      if (rest.ok() || rest.errno_value() != EAGAIN) {
        RC_FAIL("after the woken Take the counter should be 0; Take gave " + Result(rest) + " (" +
                kReadZeroRule + ")");
      }
    } else if (!rest.ok() || rest.value() != 1) {
      RC_FAIL("after the woken Take the counter should be " + Hex(v - 1) + "; Take gave " +
              Result(rest) + " (" + kReadSemRule + ")");
    }
  }));
}

std::optional<std::string> NeedsFork(const CounterKind& k) {
  if (!k.caps.fork_shared) return "cannot be used from a forked child";
  return std::nullopt;
}

}  // namespace

const std::vector<SuiteProperty<CounterInterface>>& CounterProperties() {
  static const auto* props = new std::vector<SuiteProperty<CounterInterface>>{
      {"ModelSequences",
       "man 2 eventfd: write(2) adds, up to 0xfffffffffffffffe, EAGAIN past it when "
       "nonblocking, EINVAL for 0xffffffffffffffff; read(2) returns the value and resets it, or "
       "1 and decrements it with EFD_SEMAPHORE, EAGAIN at zero when nonblocking; POLLIN/POLLOUT",
       nullptr, ModelSequences},
      {"BlockedAddWokenByTake",
       "man 2 eventfd: \"If the addition would cause the counter's value to exceed the maximum, "
       "then the write(2) either blocks until a read(2) is performed on the file descriptor\"",
       NeedsFork, BlockedAddWokenByTake},
      {"BlockedTakeWokenByAdd",
       "man 2 eventfd: \"If the eventfd counter is zero at the time of the call to read(2), then "
       "the call either blocks until the counter becomes nonzero (at which time, the read(2) "
       "proceeds as described above)\"",
       NeedsFork, BlockedTakeWokenByAdd},
  };
  return *props;
}

}  // namespace ipcspec
