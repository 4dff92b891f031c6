// The SignalQueue properties.
//
// The model is exact. Standard signals pending for the process are a set, and
// a standard signal generated while it is already pending is lost, the
// pending one keeping its first siginfo. Each real-time signal has a FIFO of
// instances, each with its si_code and value. The next signal received is a
// pending standard signal when one is receivable (Linux; which one is
// unspecified, so a Receive takes all the receivable standard signals and
// accepts them in any order), else the head of the lowest-numbered real-time
// queue. For Kinds that deliver at once (a handler), a signal that is not
// held is delivered when generated or released, and Receive returns the
// deliveries in order.
//
// What is checked, with its source:
//   man 7 signal, "Queueing and delivery semantics for standard signals":
//     "Standard signals do not queue. If multiple instances of a standard
//     signal are generated while that signal is blocked, then only one
//     instance of the signal is marked as pending (and the signal will be
//     delivered just once when it is unblocked). In the case where a standard
//     signal is already pending, the siginfo_t structure ... associated with
//     that signal is not overwritten on arrival of subsequent instances of the
//     same signal." / "If multiple standard signals are pending for a
//     process, the order in which the signals are delivered is unspecified."
//   man 7 signal, "Real-time signals": "Multiple instances of real-time
//     signals can be queued." / "If the signal is sent using sigqueue(3), an
//     accompanying value (either an integer or a pointer) can be sent with
//     the signal." / "the si_pid and si_uid fields of this structure can be
//     used to obtain the PID and real user ID of the process sending the
//     signal." / "Multiple real-time signals of the same type are delivered
//     in the order they were sent. If different real-time signals are sent to
//     a process, they are delivered starting with the lowest-numbered signal."
//     / "If both standard and real-time signals are pending for a process,
//     POSIX leaves it unspecified which is delivered first. Linux, like many
//     other implementations, gives priority to standard signals in this case."
//     (Linux behaviour, checked as such.)
//   man 7 signal, "Signal mask and pending signals": "A signal may be
//     blocked, which means that it will not be delivered until it is later
//     unblocked. Between the time when it is generated and when it is
//     delivered a signal is said to be pending."
//   man 2 sigpending: "sigpending() returns the set of signals that are
//     pending for delivery to the calling thread (i.e., the signals which have
//     been raised while blocked)."
//   man 2 sigaction, si_code: "SI_USER kill(2)", "SI_QUEUE sigqueue(3)".
//   man 2 sigtimedwait: "EAGAIN No signal in set became pending within the
//     timeout period"; "If both fields of this structure are specified as 0,
//     a poll is performed"; the interval "will be rounded up".
//   man 7 signal, "Execution of signal handlers": on "return from a system
//     call ... the kernel checks whether there is a pending unblocked signal
//     for which the process has established a signal handler".
#include "suites/signal_queue/signal_queue_properties.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <map>
#include <set>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/repro/repro.h"
#include "impl/signal/signal_state.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

constexpr const char* kStandardCoalesce =
    "man 7 signal: \"Standard signals do not queue. If multiple instances of a standard signal "
    "are generated while that signal is blocked, then only one instance of the signal is marked "
    "as pending\"";
constexpr const char* kFirstInfo =
    "man 7 signal: \"In the case where a standard signal is already pending, the siginfo_t "
    "structure ... associated with that signal is not overwritten on arrival of subsequent "
    "instances of the same signal.\"";
constexpr const char* kRtOrder =
    "man 7 signal: \"Multiple real-time signals of the same type are delivered in the order they "
    "were sent. If different real-time signals are sent to a process, they are delivered starting "
    "with the lowest-numbered signal.\"";
constexpr const char* kStdFirst =
    "man 7 signal: \"Linux, like many other implementations, gives priority to standard signals "
    "in this case.\"";
constexpr const char* kBlocked =
    "man 7 signal: \"A signal may be blocked, which means that it will not be delivered until it "
    "is later unblocked.\"";
constexpr const char* kSiginfo =
    "man 7 signal: \"If the signal is sent using sigqueue(3), an accompanying value ... can be "
    "sent with the signal\" and \"the si_pid and si_uid fields ... obtain the PID and real user "
    "ID of the process sending the signal\"; man 2 sigaction: SI_USER kill(2), SI_QUEUE "
    "sigqueue(3)";


// ---------------------------------------------------------------------------
// The model.

enum class Sender : uint8_t { kSelf, kHelper };

struct Sent {
  int signo = 0;
  bool queued = false;  // sigqueue (SI_QUEUE, value) or kill (SI_USER)
  int value = 0;
  Sender sender = Sender::kSelf;
};

std::string Describe(const Sent& s) {
  std::string d = SignalName(s.signo) + (s.queued ? " SI_QUEUE value=" + std::to_string(s.value)
                                                  : std::string(" SI_USER"));
  return d + (s.sender == Sender::kSelf ? " from this process" : " from the helper");
}

// At most this many signals pending at once in the model: POSIX's minimum
// for SIGQUEUE_MAX, _POSIX_SIGQUEUE_MAX (32; <limits.h>, "Maximum number of
// queued signals that a process may send and have pending at the
// receiver(s) at any time"), which every conforming system allows. Linux
// allows RLIMIT_SIGPENDING per user (man 2 getrlimit), thousands by default:
// suites/signal's RealTimeQueueHoldsMoreThanPosixMinimum checks that part on
// its own, so that a system with a smaller limit (gVisor: 32 per signal
// number) fails that one test, not these properties at random depths.
constexpr size_t kMaxQueued = _POSIX_SIGQUEUE_MAX;

struct SigModel {
  std::map<int, Sent> std_pending;             // standard signals: the first instance
  std::map<int, std::deque<Sent>> rt_pending;  // real-time signals: every instance
  std::set<int> held;
  std::deque<Sent> delivered;  // caps.delivers_when_unblocked: delivered, not yet received
  bool eager = false;
  bool info = true;
  bool pending_observable = true;

  size_t Queued() const {
    size_t n = std_pending.size() + delivered.size();
    for (const auto& [s, q] : rt_pending) n += q.size();
    return n;
  }
  void Generate(const Sent& s) {
    if (eager && !held.count(s.signo)) {
      delivered.push_back(s);
      return;
    }
    if (IsRealTimeSignal(s.signo)) {
      rt_pending[s.signo].push_back(s);
    } else if (!std_pending.count(s.signo)) {
      std_pending[s.signo] = s;  // a later instance is lost
    }
  }
  void Release(int signo) {
    held.erase(signo);
    if (!eager) return;
    if (auto it = std_pending.find(signo); it != std_pending.end()) {
      delivered.push_back(it->second);
      std_pending.erase(it);
    }
    if (auto it = rt_pending.find(signo); it != rt_pending.end()) {
      for (const Sent& s : it->second) delivered.push_back(s);
      rt_pending.erase(it);
    }
  }
  // Pending for the process (sigpending), ascending.
  std::vector<int> Pending() const {
    std::set<int> p;
    for (const auto& [s, i] : std_pending) p.insert(s);
    for (const auto& [s, q] : rt_pending) {
      if (!q.empty()) p.insert(s);
    }
    return std::vector<int>(p.begin(), p.end());
  }
  // Not eager: the standard signals a Receive may take now.
  std::vector<int> ReceivableStandard() const {
    std::vector<int> r;
    for (const auto& [s, i] : std_pending) {
      if (!held.count(s)) r.push_back(s);
    }
    return r;
  }
  // Not eager: the lowest-numbered real-time signal a Receive may take now.
  std::optional<int> ReceivableRealTime() const {
    for (const auto& [s, q] : rt_pending) {
      if (!q.empty() && !held.count(s)) return s;
    }
    return std::nullopt;
  }
  bool AnythingReceivable() const {
    if (eager) return !delivered.empty();
    return !ReceivableStandard().empty() || ReceivableRealTime().has_value();
  }
};

// ---------------------------------------------------------------------------
// The system: the queue, and a helper child that sends to this process on
// request (so that signals also come from another process, with its pid).

struct HelperCmd {
  int32_t signo;
  int32_t queued;
  int32_t value;
};

struct Helper {
  Child child;
  FileDescriptor ctl;
  FileDescriptor reply;
};

struct SigSut {
  SignalQueue* q = nullptr;
  pid_t self = 0;
  uid_t uid = 0;
  // One helper serves every case of a property run (a fork per case would
  // cost more than the case): made on first use, with that case's queue
  // (its copy in the helper stays valid: the helper frees nothing).
  std::unique_ptr<Helper>* helper = nullptr;
  // impl/repro: this case's reproducer has forked its helper child; the
  // rules its steps cite, each declared once in the C file.
  bool repro_helper = false;
  std::vector<std::string> repro_rules;
  pid_t helper_pid() const { return *helper ? (*helper)->child.pid() : -1; }
};

PosixError StartHelper(SigSut& sut) {
  int c[2], r[2];
  if (pipe2(c, O_CLOEXEC) != 0) return ErrnoError("pipe2(helper control)");
  FileDescriptor ctl_r(c[0]), ctl_w(c[1]);
  if (pipe2(r, O_CLOEXEC) != 0) return ErrnoError("pipe2(helper reply)");
  FileDescriptor rep_r(r[0]), rep_w(r[1]);
  SignalQueue* q = sut.q;
  pid_t parent = sut.self;
  int in = ctl_r.get(), out = rep_w.get();
  auto child = Child::Fork([q, parent, in, out]() -> int {
    for (;;) {
      HelperCmd cmd;
      ssize_t n = read(in, &cmd, sizeof cmd);
      if (n == 0) return 0;
      if (n != static_cast<ssize_t>(sizeof cmd)) return 10;
      PosixError e = q->Send(parent, cmd.signo,
                             cmd.queued ? std::optional<int>(cmd.value) : std::nullopt);
      int32_t err = e.errno_value();
      if (write(out, &err, sizeof err) != static_cast<ssize_t>(sizeof err)) return 11;
    }
  });
  if (!child.ok()) return child.error();
  auto h = std::make_unique<Helper>();
  h->child = std::move(child).ValueOrDie();
  h->ctl = std::move(ctl_w);
  h->reply = std::move(rep_r);
  *sut.helper = std::move(h);
  return NoError();
}

PosixError HelperSend(SigSut& sut, const Sent& s) {
  if (!*sut.helper) IPCSPEC_RETURN_IF_ERROR(StartHelper(sut));
  Helper& helper = **sut.helper;
  HelperCmd cmd{s.signo, s.queued ? 1 : 0, s.value};
  if (write(helper.ctl.get(), &cmd, sizeof cmd) != static_cast<ssize_t>(sizeof cmd)) {
    return ErrnoError("write(helper control)");
  }
  Deadline d = Deadline::Default();
  for (;;) {
    struct pollfd p = {helper.reply.get(), POLLIN, 0};
    int n = poll(&p, 1, d.RemainingMs());
    // A handler Kind's handler may run during the poll: EINTR, poll again.
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("poll(helper reply)");
    if (n == 0) return PosixError(ETIMEDOUT, "the helper did not answer by the deadline");
    break;
  }
  int32_t err = 0;
  if (read(helper.reply.get(), &err, sizeof err) != static_cast<ssize_t>(sizeof err)) {
    return ErrnoError("read(helper reply)");
  }
  if (err != 0) return PosixError(err, "the helper's Send(" + Describe(s) + ")");
  return NoError();
}

// Checks a received signal against the instance the model expects.
void CheckInfo(const SignalInfo& got, const Sent& want, const SigModel& m, const SigSut& sut,
               const char* rule) {
  if (got.signo != want.signo) {
    std::string why = rule;
    if (m.held.count(got.signo)) {
      why = std::string("it is held: ") + kBlocked;
    } else if (!IsRealTimeSignal(got.signo) && !m.std_pending.count(got.signo)) {
      why = std::string("no instance of it was pending: received twice or invented; ") +
            kStandardCoalesce;
    } else if (IsRealTimeSignal(got.signo) && !IsRealTimeSignal(want.signo)) {
      why = kStdFirst;
    }
    RC_FAIL("received " + got.ToString() + ", expected " + Describe(want) + " (" + why + ")");
  }
  if (!m.info) return;
  const int code = want.queued ? SI_QUEUE : SI_USER;
  const pid_t pid = want.sender == Sender::kSelf ? sut.self : sut.helper_pid();
  const bool value_ok = !want.queued || got.value == want.value;
  if (got.code != code || !value_ok || got.pid != pid || got.uid != sut.uid) {
    RC_FAIL("received " + got.ToString() + ", expected the instance " + Describe(want) +
            " (si_code " + SiCodeName(code) + ", pid " + std::to_string(pid) + ", uid " +
            std::to_string(sut.uid) + "): " + kSiginfo +
            (IsRealTimeSignal(want.signo) ? "" : std::string("; ") + kFirstInfo));
  }
}

using SigCommand = rc::state::Command<SigModel, SigSut>;

// ---------------------------------------------------------------------------
// The commands as C (impl/repro). The Kind's C (impl/signal/signal_queues.cc)
// gives q_hold, q_release, q_receive, qsig[] and q_signame; the helper that
// sends from another process is a forked child (child 0), forked at the
// first send of the case that needs it.

std::string CInt(int v) {
  return v == INT_MIN ? std::string("(-2147483647 - 1)") : std::to_string(v);
}
std::string CSig(int s) { return "(" + SignalName(s) + ")"; }

void SigPrelude() {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  rec->Include("<limits.h>");
  rec->Include("<time.h>");
  rec->Helper("q_want", R"C(/* One instance the model expects: the signal, sent with kill(2) (SI_USER)
   or sigqueue(3) (SI_QUEUE, with its value), and the sender's pid. */
struct q_want { int signo, queued, value; pid_t pid; };
/* Checks the siginfo of a received instance (when the Kind reports it). */
static void q_check_info(const char *rule, const struct q_info *got, const struct q_want *w,
                         int info) {
  if (!info) return;
  if (got->code != (w->queued ? SI_QUEUE : SI_USER) || (w->queued && got->value != w->value) ||
      got->pid != w->pid || got->uid != getuid())
    broken(rule,
           "received %s si_code %d value %d pid %d uid %d; sent: %s %s value %d from pid %d "
           "(uid %d)",
           q_signame(got->signo), got->code, got->value, (int)got->pid, (int)got->uid,
           q_signame(w->signo), w->queued ? "SI_QUEUE" : "SI_USER", w->value, (int)w->pid,
           (int)getuid());
}
/* Checks a received instance: its signal, then its siginfo. */
static void q_expect(const char *rule, const char *info_rule, int e, const struct q_info *got,
                     const struct q_want *w, int info) {
  if (e != 0) broken(rule, "expected %s, got %s", q_signame(w->signo), strerror(e));
  if (got->signo != w->signo)
    broken(rule, "received %s, expected %s", q_signame(got->signo), q_signame(w->signo));
  q_check_info(info_rule, got, w, info);
}
)C");
}

// The C name of a rule's text, declared once per case.
std::string RuleC(SigSut& sut, repro::Recording& rec, const std::string& text) {
  for (size_t i = 0; i < sut.repro_rules.size(); ++i) {
    if (sut.repro_rules[i] == text) return "rule_" + std::to_string(i);
  }
  const std::string name = "rule_" + std::to_string(sut.repro_rules.size());
  sut.repro_rules.push_back(text);
  rec.Helper(name, "static const char " + name + "[] = " + repro::Lit(text) + ";\n");
  return name;
}

std::string PidOf(Sender s) { return s == Sender::kSelf ? "parent_pid" : "child_pid[0]"; }

std::string WantC(const Sent& s) {
  return "{" + CSig(s.signo) + ", " + (s.queued ? "1" : "0") + ", " + CInt(s.value) + ", " +
         PidOf(s.sender) + "}";
}

std::string InfoRule(const Sent& s) {
  return std::string(kSiginfo) + (IsRealTimeSignal(s.signo) ? "" : std::string("; ") + kFirstInfo);
}

// One kill(2) or sigqueue(3) to `to`, with its check.
std::string SendC(const Sent& s, const std::string& to) {
  std::ostringstream c;
  if (s.queued) {
    c << "{\n  union sigval v;\n  v.sival_int = " << CInt(s.value) << ";\n"
      << "  if (sigqueue(" << to << ", " << CSig(s.signo) << ", v) != 0)\n"
      << "    broken(\"man 3 sigqueue: \\\"On success, sigqueue() returns 0, indicating that the "
         "signal was successfully queued to the receiving process.\\\"\",\n"
      << "           \"sigqueue(" << SignalName(s.signo) << ", value " << s.value
      << ") failed: %s\", strerror(errno));\n}\n";
  } else {
    c << "if (kill(" << to << ", " << CSig(s.signo) << ") != 0)\n"
      << "  broken(\"man 2 kill: \\\"On success (at least one signal was sent), zero is "
         "returned.\\\"\",\n"
      << "         \"kill(" << SignalName(s.signo) << ") failed: %s\", strerror(errno));\n";
  }
  return c.str();
}

rc::Gen<int> AnySignal() { return rc::gen::elementOf(QueueSignals()); }

std::vector<int> RealTimeSignals() {
  std::vector<int> r;
  for (int s : QueueSignals()) {
    if (IsRealTimeSignal(s)) r.push_back(s);
  }
  return r;
}

rc::Gen<std::optional<int>> AnyValue() {
  return rc::gen::weightedOneOf<std::optional<int>>({
      {1, rc::gen::just(std::optional<int>())},
      {2, rc::gen::map(rc::gen::inRange(-1000, 1000), [](int v) { return std::optional<int>(v); })},
      {1, rc::gen::map(rc::gen::arbitrary<int>(), [](int v) { return std::optional<int>(v); })},
  });
}

struct Send : SigCommand {
  Sent s;
  explicit Send(const SigModel&) {
    s.signo = *AnySignal();
    std::optional<int> v = *AnyValue();
    s.queued = v.has_value();
    s.value = v.value_or(0);
    s.sender = Sender::kSelf;
  }
  void checkPreconditions(const SigModel& m) const override {
    const bool room = m.Queued() < kMaxQueued;
    RC_PRE(room);
  }
  void apply(SigModel& m) const override { m.Generate(s); }
  void run(const SigModel&, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      rec->Step(t.str(), SendC(s, "getpid()"), "kill(2)/sigqueue(3) return at once");
    }
    PosixError e = sut.q->Send(sut.self, s.signo, s.queued ? std::optional<int>(s.value)
                                                           : std::nullopt);
    if (!e.ok()) RC_FAIL("Send(" + Describe(s) + "): " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "send " << Describe(s); }
};

struct HelperSends : SigCommand {
  Sent s;
  explicit HelperSends(const SigModel&) {
    s.signo = *AnySignal();
    std::optional<int> v = *AnyValue();
    s.queued = v.has_value();
    s.value = v.value_or(0);
    s.sender = Sender::kHelper;
  }
  void checkPreconditions(const SigModel& m) const override {
    const bool room = m.Queued() < kMaxQueued;
    RC_PRE(room);
  }
  void apply(SigModel& m) const override { m.Generate(s); }
  void run(const SigModel&, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      if (!sut.repro_helper) {
        rec->Fork(0, "fork the helper: a child that sends to this process on request", "");
        sut.repro_helper = true;
      }
      std::ostringstream t;
      show(t);
      rec->ChildStep(0, t.str(), SendC(s, "parent_pid"), "kill(2)/sigqueue(3) return at once");
    }
    PosixError e = HelperSend(sut, s);
    if (!e.ok()) {
      sut.helper->reset();  // out of step with us: the next case makes a new one
      RC_FAIL("the helper's Send(" + Describe(s) + "): " + e.ToString());
    }
  }
  void show(std::ostream& os) const override { os << "send " << Describe(s); }
};

// Several instances of one real-time signal in a row, with values 0, 1, ...
// (plus a base), so that deep queues are common.
struct Burst : SigCommand {
  int signo;
  int n;
  int base;
  explicit Burst(const SigModel&)
      : signo(*rc::gen::elementOf(RealTimeSignals())),
        n(*rc::gen::inRange(2, 12)),
        base(*rc::gen::inRange(0, 1000) * 100) {}
  void checkPreconditions(const SigModel& m) const override {
    const bool room = m.Queued() + static_cast<size_t>(n) <= kMaxQueued;
    RC_PRE(room);
  }
  void apply(SigModel& m) const override {
    for (int i = 0; i < n; ++i) m.Generate(Sent{signo, true, base + i, Sender::kSelf});
  }
  void run(const SigModel&, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t, c;
      show(t);
      c << "{\n  int i;\n  for (i = 0; i < " << n << "; i++) {\n    union sigval v;\n"
        << "    v.sival_int = " << base << " + i;\n"
        << "    if (sigqueue(getpid(), " << CSig(signo) << ", v) != 0)\n"
        << "      broken(\"man 3 sigqueue: \\\"On success, sigqueue() returns 0, indicating that "
           "the signal was successfully queued to the receiving process.\\\"\",\n"
        << "             \"sigqueue(" << SignalName(signo)
        << ", value %d) failed: %s\", " << base << " + i, strerror(errno));\n  }\n}\n";
      rec->Step(t.str(), c.str(), "sigqueue(3) returns at once");
    }
    for (int i = 0; i < n; ++i) {
      PosixError e = sut.q->Send(sut.self, signo, base + i);
      if (!e.ok()) RC_FAIL("Send(" + SignalName(signo) + ", value " + std::to_string(base + i) +
                           "): " + e.ToString());
    }
  }
  void show(std::ostream& os) const override {
    os << "send " << SignalName(signo) << " " << n << " times, values " << base << ".."
       << base + n - 1;
  }
};

struct Hold : SigCommand {
  int signo;
  explicit Hold(const SigModel&) : signo(*AnySignal()) {}
  void checkPreconditions(const SigModel& m) const override {
    const bool free = !m.held.count(signo);
    RC_PRE(free);
  }
  void apply(SigModel& m) const override { m.held.insert(signo); }
  void run(const SigModel&, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      rec->Step(t.str(), "q_hold(" + CSig(signo) + ");\n", "holding a signal returns at once");
    }
    PosixError e = sut.q->Hold(signo);
    if (!e.ok()) RC_FAIL("Hold(" + SignalName(signo) + "): " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "hold (block) " << SignalName(signo); }
};

struct Release : SigCommand {
  int signo;
  explicit Release(const SigModel& m) {
    RC_PRE(!m.held.empty());
    signo = *rc::gen::elementOf(std::vector<int>(m.held.begin(), m.held.end()));
  }
  void checkPreconditions(const SigModel& m) const override {
    const bool held = m.held.count(signo) > 0;
    RC_PRE(held);
  }
  void apply(SigModel& m) const override { m.Release(signo); }
  void run(const SigModel&, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      rec->Step(t.str(), "q_release(" + CSig(signo) + ");\n",
                "releasing a signal returns at once");
    }
    PosixError e = sut.q->Release(signo);
    if (!e.ok()) RC_FAIL("Release(" + SignalName(signo) + "): " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "release (unblock) " << SignalName(signo); }
};

enum class Wait { kNow, kLong, kShort };

// One Receive, or (when standard signals are receivable) as many Receives as
// there are receivable standard signals, in whatever order they come.
struct Receive : SigCommand {
  Wait wait;
  explicit Receive(const SigModel& m)
      : wait(*rc::gen::weightedOneOf<Wait>({{6, rc::gen::just(Wait::kNow)},
                                             {2, rc::gen::just(Wait::kLong)},
                                             {1, rc::gen::just(Wait::kShort)}})) {}
  void checkPreconditions(const SigModel& m) const override {
    // A long wait only when something is there (it must return at once); a
    // short timed wait only when nothing is (it must time out).
    const bool some = m.AnythingReceivable();
    const bool ok = wait == Wait::kNow || (wait == Wait::kLong) == some;
    RC_PRE(ok);
  }
  void apply(SigModel& m) const override {
    if (m.eager) {
      if (!m.delivered.empty()) m.delivered.pop_front();
      return;
    }
    std::vector<int> std_sigs = m.ReceivableStandard();
    if (!std_sigs.empty()) {
      for (int s : std_sigs) m.std_pending.erase(s);
      return;
    }
    if (auto rt = m.ReceivableRealTime()) {
      auto& q = m.rt_pending[*rt];
      q.pop_front();
      if (q.empty()) m.rt_pending.erase(*rt);
    }
  }
  std::chrono::nanoseconds Timeout() const {
    switch (wait) {
      case Wait::kNow:
        return std::chrono::nanoseconds(0);
      case Wait::kLong:
        // Something is pending: the call returns at once. (Kept short so
        // that a broken Kind, which makes it wait, fails quickly.)
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::milliseconds(50) * TimeoutScale());
      case Wait::kShort:
        return std::chrono::milliseconds(2);
    }
    return std::chrono::nanoseconds(0);
  }
  PosixErrorOr<SignalInfo> One(SigSut& sut) const { return sut.q->Receive(Timeout()); }
  void Record(const SigModel& m, SigSut& sut, repro::Recording& rec) const {
    std::ostringstream t, c;
    show(t);
    auto rule = [&](const std::string& text) { return RuleC(sut, rec, text); };
    const long long ns = static_cast<long long>(Timeout().count());
    const std::string info = m.info ? "1" : "0";
    c << "{\n  struct q_info got;\n  int e;\n";
    if (!m.AnythingReceivable()) {
      std::string held = FormatSignals(std::vector<int>(m.held.begin(), m.held.end()));
      c << "  struct timespec t0, t1;\n  long spent;\n"
        << "  clock_gettime(CLOCK_MONOTONIC, &t0);\n"
        << "  e = q_receive(" << ns << "L, &got);\n"
        << "  clock_gettime(CLOCK_MONOTONIC, &t1);\n"
        << "  spent = (t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec);\n"
        << "  if (e == 0)\n    broken("
        << rule(std::string(kBlocked) + "; " + kStandardCoalesce) << ",\n"
        << "           \"received %s although nothing is receivable (held: "
        << held << ", pending: " << FormatSignals(m.Pending())
        << "): a signal duplicated, invented, or taken while blocked\", q_signame(got.signo));\n"
        << "  if (e != EAGAIN)\n    broken(\"man 2 sigtimedwait: \\\"EAGAIN No signal in set "
           "became pending within the timeout period\\\"\",\n"
        << "           \"nothing receivable: expected EAGAIN, got %s\", strerror(e));\n";
      if (wait == Wait::kShort) {
        c << "  if (spent < " << ns << "L)\n    broken(\"man 2 sigtimedwait: the interval \\\"will "
             "be rounded up\\\"\",\n"
          << "           \"a wait of " << ns << " ns gave EAGAIN after %ld ns\", spent);\n";
      } else {
        c << "  (void)spent;\n";
      }
    } else if (m.eager) {
      const Sent& w = m.delivered.front();
      const char* why = IsRealTimeSignal(w.signo) ? kRtOrder : kStandardCoalesce;
      c << "  struct q_want w = " << WantC(w) << ";\n"
        << "  e = q_receive(" << ns << "L, &got);\n"
        << "  q_expect(" << rule(std::string(why) +
                                 "; man 7 signal, \"Execution of signal handlers\"")
        << ", " << rule(InfoRule(w)) << ", e, &got, &w, " << info << ");\n";
    } else if (std::vector<int> std_sigs = m.ReceivableStandard(); !std_sigs.empty()) {
      // Every receivable standard signal, in whatever order they come.
      c << "  int k, j, taken[" << std_sigs.size() << "] = {0};\n"
        << "  struct q_want w[" << std_sigs.size() << "] = {";
      for (size_t i = 0; i < std_sigs.size(); ++i) {
        c << (i ? ", " : "") << WantC(m.std_pending.at(std_sigs[i]));
      }
      c << "};\n"
        << "  for (k = 0; k < " << std_sigs.size() << "; k++) {\n"
        << "    e = q_receive(" << ns << "L, &got);\n"
        << "    if (e != 0)\n      broken(" << rule(kStandardCoalesce) << ",\n"
        << "             \"expected one of the pending standard signals "
        << FormatSignals(std_sigs) << ", got %s\", strerror(e));\n"
        << "    for (j = 0; j < " << std_sigs.size()
        << " && (w[j].signo != got.signo || taken[j]); j++) {}\n"
        << "    if (j == " << std_sigs.size() << ")\n      broken(got.signo >= SIGRTMIN ? "
        << rule(kStdFirst) << " : " << rule(std::string(kStandardCoalesce) + "; " + kBlocked)
        << ",\n             \"received %s while the receivable standard signals were "
        << FormatSignals(std_sigs) << " (%d taken)\", q_signame(got.signo), k);\n"
        << "    taken[j] = 1;\n"
        << "    q_check_info(" << rule(std::string(kSiginfo) + "; " + kFirstInfo)
        << ", &got, &w[j], " << info << ");\n  }\n";
    } else {
      const Sent& w = m.rt_pending.at(*m.ReceivableRealTime()).front();
      c << "  struct q_want w = " << WantC(w) << ";\n"
        << "  e = q_receive(" << ns << "L, &got);\n"
        << "  q_expect(" << rule(kRtOrder) << ", " << rule(InfoRule(w)) << ", e, &got, &w, "
        << info << ");\n";
    }
    c << "}\n";
    rec.Step(t.str(), c.str(), "a receive with something pending, or a timeout, returns at once");
  }
  void run(const SigModel& m, SigSut& sut) const override {
    if (auto* rec = repro::Active()) Record(m, sut, *rec);
    if (!m.AnythingReceivable()) {
      auto t0 = std::chrono::steady_clock::now();
      auto got = One(sut);
      auto spent = std::chrono::steady_clock::now() - t0;
      if (got.ok()) {
        std::string held = FormatSignals(std::vector<int>(m.held.begin(), m.held.end()));
        RC_FAIL("Receive returned " + got.value().ToString() +
                " although the model has nothing receivable (held: " + held + ", pending: " +
                FormatSignals(m.Pending()) + "): a signal duplicated, invented, or taken while "
                "blocked (" + kBlocked + "; " + kStandardCoalesce + ")");
      }
      if (got.errno_value() != EAGAIN) {
        RC_FAIL("Receive with nothing receivable: expected EAGAIN, got " + got.error().ToString() +
                " (man 2 sigtimedwait: \"EAGAIN No signal in set became pending within the "
                "timeout period\")");
      }
      if (wait == Wait::kShort && spent < Timeout()) {
        RC_FAIL("Receive(2 ms) gave EAGAIN after " +
                std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(spent)
                                   .count()) +
                " us, before its timeout (man 2 sigtimedwait: the interval \"will be rounded "
                "up\")");
      }
      return;
    }
    if (m.eager) {
      auto got = One(sut);
      if (!got.ok()) {
        RC_FAIL("Receive: expected the delivered " + Describe(m.delivered.front()) + ", got " +
                got.error().ToString() + " (man 7 signal, \"Execution of signal handlers\")");
      }
      CheckInfo(got.value(), m.delivered.front(), m, sut,
                IsRealTimeSignal(m.delivered.front().signo) ? kRtOrder : kStandardCoalesce);
      return;
    }
    std::vector<int> std_sigs = m.ReceivableStandard();
    if (!std_sigs.empty()) {
      std::set<int> left(std_sigs.begin(), std_sigs.end());
      while (!left.empty()) {
        auto got = One(sut);
        if (!got.ok()) {
          RC_FAIL("Receive: expected one of the pending standard signals " +
                  FormatSignals(std::vector<int>(left.begin(), left.end())) + ", got " +
                  got.error().ToString() + " (" + kStandardCoalesce + ")");
        }
        int s = got.value().signo;
        if (!left.count(s)) {
          std::string why = std_sigs.end() != std::find(std_sigs.begin(), std_sigs.end(), s)
                                ? std::string("a second time: ") + kStandardCoalesce
                                : IsRealTimeSignal(s) ? std::string(kStdFirst)
                                                      : std::string(kBlocked);
          RC_FAIL("Receive returned " + got.value().ToString() +
                  " while the receivable standard signals were " +
                  FormatSignals(std::vector<int>(left.begin(), left.end())) + " (" + why + ")");
        }
        CheckInfo(got.value(), m.std_pending.at(s), m, sut, kStandardCoalesce);
        left.erase(s);
      }
      return;
    }
    int rt = *m.ReceivableRealTime();
    const Sent& want = m.rt_pending.at(rt).front();
    auto got = One(sut);
    if (!got.ok()) {
      RC_FAIL("Receive: expected " + Describe(want) + ", got " + got.error().ToString() + " (" +
              kRtOrder + ")");
    }
    CheckInfo(got.value(), want, m, sut, kRtOrder);
  }
  void show(std::ostream& os) const override {
    os << (wait == Wait::kNow    ? "receive (zero timeout)"
           : wait == Wait::kLong ? "receive (50 ms timeout, something is there)"
                                 : "receive (2 ms timeout, nothing is there)");
  }
};

struct CheckPending : SigCommand {
  explicit CheckPending(const SigModel& m) {}
  void checkPreconditions(const SigModel& m) const override { RC_PRE(m.pending_observable); }
  void run(const SigModel& m, SigSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::vector<int> want = m.Pending();
      std::ostringstream c;
      c << "{\n  sigset_t p;\n  int i, bad = 0;\n  char shows[256] = \"\";\n  const int want[8] = {";
      for (size_t i = 0; i < QueueSignals().size(); ++i) {
        const bool in = std::find(want.begin(), want.end(), QueueSignals()[i]) != want.end();
        c << (i ? ", " : "") << (in ? 1 : 0);
      }
      c << "};\n"
        << "  if (sigpending(&p) != 0) setup_failed(\"sigpending\");\n"
        << "  for (i = 0; i < 8; i++) {\n"
        << "    int in = sigismember(&p, qsig[i]) == 1;\n"
        << "    if (in) { strcat(shows, \" \"); strcat(shows, q_signame(qsig[i])); }\n"
        << "    if (in != want[i]) bad = 1;\n  }\n"
        << "  if (bad)\n    broken(\"man 2 sigpending: \\\"sigpending() returns the set of "
           "signals that are pending for delivery to the calling thread (i.e., the signals which "
           "have been raised while blocked)\\\"\",\n"
        << "           \"sigpending shows {%s }, the model says " << FormatSignals(want)
        << "\", shows);\n}\n";
      rec->Step("check sigpending", c.str(), "sigpending returns at once");
    }
    auto got = sut.q->Pending();
    if (!got.ok()) RC_FAIL("Pending(): " + got.error().ToString());
    std::vector<int> want = m.Pending();
    if (got.value() != want) {
      RC_FAIL("sigpending shows " + FormatSignals(got.value()) + ", the model says " +
              FormatSignals(want) + " (man 2 sigpending: \"returns the set of signals that are "
              "pending for delivery ... (i.e., the signals which have been raised while "
              "blocked)\")");
    }
  }
  void show(std::ostream& os) const override { os << "check sigpending"; }
};

PropertyOutcome ModelSequences(const SignalQueueKind& kind) {
  std::unique_ptr<Helper> helper;
  return RunProperty(CurrentTestId(), repro::Recorded([&kind, &helper] {
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    SigPrelude();
    SignalQueueInstance q = std::move(opened).ValueOrDie();
    SigSut sut;
    sut.q = q.get();
    sut.self = getpid();
    sut.uid = getuid();
    sut.helper = &helper;
    SigModel m0;
    m0.eager = kind.caps.delivers_when_unblocked;
    m0.info = kind.caps.reports_info;
    m0.pending_observable = kind.caps.reports_pending;
    rc::state::check(m0, sut,
                     rc::state::gen::execOneOfWithArgs<Send, Send, Send, HelperSends, Burst,
                                                       Hold, Hold, Release, Release, Receive,
                                                       Receive, Receive, Receive, CheckPending>());
    // The queue takes whatever is still pending.
    PosixError closed = q->Close();
    if (!closed.ok()) RC_FAIL("Close(): " + closed.ToString());
  }));
}

// ---------------------------------------------------------------------------
// A forked receiver blocked in Receive() wakes for a signal sent to it. One
// receiver per case takes several rounds: each round the parent waits until
// it is asleep in Receive(), sends it one signal, and waits for its report.

constexpr int kMaxRounds = 5;

struct ReceiverReport {
  int32_t err[kMaxRounds];
  SignalInfo info[kMaxRounds];
};

struct Round {
  int signo;
  std::optional<int> value;
};

// The C of one case (impl/repro): the receiver is a forked child that makes
// its n Receive calls and writes each result to a pipe; the parent waits for
// it to sleep in one of the Kind's wait calls by polling /proc/PID/stat
// (state S) and /proc/PID/syscall (the call, where the system shows it)
// under the step's alarm, sends, and checks the report.
std::string SyscallC(long nr) {
  if (nr == SYS_rt_sigtimedwait) return "SYS_rt_sigtimedwait";
  if (nr == SYS_ppoll) return "SYS_ppoll";
#ifdef SYS_poll
  if (nr == SYS_poll) return "SYS_poll";
#endif
  if (nr == SYS_read) return "SYS_read";
  return std::to_string(nr);
}

constexpr const char* kReceiverC = R"C(/* The receiver: a child that makes its Receive calls and reports each. */
struct rcv_report { int err; struct q_info info; };
static pid_t rcv_pid = -1;
static int rcv_pipe[2] = {-1, -1};
static void rcv_cleanup(void) {
  if (rcv_pid > 0 && getpid() == parent_pid) {
    kill(rcv_pid, SIGKILL);
    waitpid(rcv_pid, NULL, 0);
    rcv_pid = -1;
  }
}
static void rcv_start(int n) {
  if (pipe(rcv_pipe) != 0) setup_failed("pipe");
  rcv_pid = fork();
  if (rcv_pid < 0) setup_failed("fork");
  if (rcv_pid == 0) {
    int i;
    in_child = 1;
    close(rcv_pipe[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    alarm(4 * STEP_ALARM_SECONDS);  /* its own bound: every wait below ends by then */
    for (i = 0; i < n; i++) {
      struct rcv_report r;
      memset(&r, 0, sizeof r);
      r.err = q_receive(10000000000L, &r.info);  /* up to 10 s */
      if (write(rcv_pipe[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(3);
      if (r.err) _exit(1);
    }
    _exit(0);
  }
  close(rcv_pipe[1]);
  atexit(rcv_cleanup);
}
/* The receiver's state (/proc/PID/stat) and system call (/proc/PID/syscall:
   -2 when the system does not show it). */
static char rcv_state(long *nr) {
  char path[64], buf[512], st = '?', *p;
  int fd;
  ssize_t k;
  *nr = -2;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)rcv_pid);
  fd = open(path, O_RDONLY);
  if (fd < 0) return '?';
  k = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (k <= 0) return '?';
  buf[k] = 0;
  p = strrchr(buf, ')');
  if (p && p[1] == ' ') st = p[2];
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)rcv_pid);
  fd = open(path, O_RDONLY);
  if (fd >= 0) {
    k = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (k > 0) { buf[k] = 0; if (buf[0] >= '0' && buf[0] <= '9') *nr = strtol(buf, NULL, 10); else *nr = -1; }
  }
  return st;
}
/* Until the receiver sleeps in one of the calls (under the step's alarm). */
static void rcv_wait_blocked(const long *calls, int ncalls) {
  for (;;) {
    long nr;
    int i, st;
    char s = rcv_state(&nr);
    if (waitpid(rcv_pid, &st, WNOHANG) == rcv_pid) {
      struct rcv_report r;
      memset(&r, 0, sizeof r);
      if (read(rcv_pipe[0], &r, sizeof r) == (ssize_t)sizeof r && r.err)
        broken("man 2 sigtimedwait: \"sigwaitinfo() suspends execution of the calling thread "
               "until one of the signals in set is pending\"",
               "the receiver did not block with nothing pending: its Receive failed: %s",
               strerror(r.err));
      rcv_pid = -1;
      broken("man 2 sigtimedwait: \"sigwaitinfo() suspends execution of the calling thread "
             "until one of the signals in set is pending\"",
             "the receiver ended (wait status 0x%x) instead of blocking", st);
    }
    if (s == 'S') {
      if (nr == -2) return;  /* only the state is shown (gVisor) */
      for (i = 0; i < ncalls; i++) if (nr == calls[i]) return;
    }
    sched_yield();
  }
}
static void rcv_report(struct rcv_report *r) {
  for (;;) {
    ssize_t k = read(rcv_pipe[0], r, sizeof *r);
    if (k == (ssize_t)sizeof *r) return;
    if (k < 0 && errno == EINTR) continue;
    broken("man 2 sigtimedwait: it waits \"until one of the signals in set is pending\"",
           "the receiver ended without reporting (read returned %d)", (int)k);
  }
}
)C";

PropertyOutcome WakesBlockedReceiver(const SignalQueueKind& kind) {
  return RunForkingProperty(6, repro::Recorded([&kind] {
    // Maybe one held signal, sent before the first round: it must not wake
    // the receiver nor be received.
    const bool with_held = *rc::gen::arbitrary<bool>();
    const int held = *AnySignal();
    std::vector<int> free;
    for (int s : QueueSignals()) {
      if (!with_held || s != held) free.push_back(s);
    }
    const int n = *rc::gen::inRange(1, kMaxRounds + 1);
    std::vector<Round> rounds;
    for (int i = 0; i < n; ++i) rounds.push_back(Round{*rc::gen::elementOf(free), *AnyValue()});
    RC_TAG(with_held ? "a held signal first" : "no held signal");
    if (auto* rec = repro::Active()) {
      SigPrelude();
      rec->Include("<sched.h>");
      rec->Include("<sys/prctl.h>");
      rec->Include("<sys/syscall.h>");
      rec->Helper("receiver", kReceiverC);
      std::string calls = "{";
      for (size_t i = 0; i < kind.caps.wait_syscalls.size(); ++i) {
        calls += (i ? ", " : "") + SyscallC(kind.caps.wait_syscalls[i]);
      }
      calls += "}";
      const std::string wait = "{\n  static const long calls[] = " + calls +
                               ";\n  rcv_wait_blocked(calls, " +
                               std::to_string(kind.caps.wait_syscalls.size()) + ");\n}\n";
      const char* kBlocks = "the receiver blocks in Receive() with nothing pending (man 2 "
                            "sigtimedwait: \"suspends execution of the calling thread until one "
                            "of the signals in set is pending\")";
      if (with_held) rec->Step("hold (block) " + SignalName(held), "q_hold(" + CSig(held) + ");\n");
      rec->Step("fork the receiver: " + std::to_string(n) + " Receive(10 s) call(s), each reported",
                "rcv_start(" + std::to_string(n) + ");\n");
      for (int i = 0; i < n; ++i) {
        const std::string round = "round " + std::to_string(i + 1) + " of " + std::to_string(n);
        rec->Step(round + ": wait until the receiver sleeps in Receive()", wait, kBlocks);
        if (with_held && i == 0) {
          rec->Step("send the held " + SignalName(held) + " (value 99) to the receiver",
                    SendC(Sent{held, true, 99, Sender::kSelf}, "rcv_pid"));
          rec->Step("the receiver still sleeps: the held signal does not wake it", wait,
                    std::string("the held signal leaves the receiver asleep: ") + kBlocked);
        }
        const Round& r = rounds[static_cast<size_t>(i)];
        const Sent sent{r.signo, r.value.has_value(), r.value.value_or(0), Sender::kSelf};
        rec->Step(round + ": send " + Describe(sent) + " to the receiver", SendC(sent, "rcv_pid"));
        std::ostringstream c;
        c << "{\n  struct rcv_report r;\n  struct q_want w = " << WantC(sent) << ";\n"
          << "  rcv_report(&r);\n"
          << "  q_expect(\"man 2 sigtimedwait: the blocked receiver returns the signal that "
             "became pending\", "
          << repro::Lit(kSiginfo) << ", r.err, &r.info, &w, "
          << (kind.caps.reports_info ? 1 : 0) << ");\n}\n";
        rec->Step(round + ": the receiver wakes and reports it", c.str(),
                  "the blocked receiver returns once a signal in its set is pending (man 2 "
                  "sigtimedwait)");
      }
      rec->Step("the receiver exits after its last round",
                "{\n  int st;\n  if (waitpid(rcv_pid, &st, 0) != rcv_pid) setup_failed(\"waitpid\");\n"
                "  rcv_pid = -1;\n  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)\n"
                "    broken(\"the receiver exits 0 after its last round\", \"wait status 0x%x\", st);\n}\n",
                "the receiver exits after its last Receive");
    }

    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    SignalQueueInstance q = std::move(opened).ValueOrDie();
    if (with_held) {
      PosixError e = q->Hold(held);
      if (!e.ok()) RC_FAIL("Hold(" + SignalName(held) + "): " + e.ToString());
    }
    auto report = SharedObject<ReceiverReport>::Create();
    if (!report.ok()) RC_FAIL(report.error().ToString());
    auto reported = Checkpoint::Create();
    if (!reported.ok()) RC_FAIL(reported.error().ToString());
    ReceiverReport* rep = report.value().get();
    Checkpoint* cp = &reported.value();
    SignalQueue* qp = q.get();
    auto forked = Child::Fork([qp, rep, cp, n]() -> int {
      for (int i = 0; i < n; ++i) {
        auto got = qp->Receive(std::chrono::seconds(10));
        rep->err[i] = got.ok() ? 0 : got.errno_value();
        if (got.ok()) rep->info[i] = got.value();
        cp->Signal(static_cast<uint32_t>(i + 1));
        if (!got.ok()) return 1;
      }
      return 0;
    });
    if (!forked.ok()) RC_FAIL("fork: " + forked.error().ToString());
    Child child = std::move(forked).ValueOrDie();
    const pid_t parent = getpid();
    for (int i = 0; i < n; ++i) {
      const std::string round = "round " + std::to_string(i + 1) + " of " + std::to_string(n);
      PosixError blocked = WaitUntilBlocked(child.pid(), kind.caps.wait_syscalls);
      if (!blocked.ok()) {
        RC_FAIL(round + ": the receiver did not block in Receive() with nothing pending: " +
                blocked.ToString() + (cp->stage() > static_cast<uint32_t>(i) && rep->err[i]
                                          ? " (Receive failed " + ErrnoName(rep->err[i]) + ")"
                                          : "") +
                " (man 2 sigtimedwait: \"suspends execution of the calling thread until one of "
                "the signals in set is pending\")");
      }
      if (with_held && i == 0) {
        PosixError e = q->Send(child.pid(), held, 99);
        if (!e.ok()) RC_FAIL("Send(held " + SignalName(held) + "): " + e.ToString());
        PosixError still = WaitUntilBlocked(child.pid(), kind.caps.wait_syscalls);
        if (!still.ok()) {
          RC_FAIL("the receiver woke up for the held signal " + SignalName(held) + ": " +
                  still.ToString() + " (" + kBlocked + ")");
        }
      }
      const Round& r = rounds[static_cast<size_t>(i)];
      PosixError sent = q->Send(child.pid(), r.signo, r.value);
      if (!sent.ok()) {
        RC_FAIL(round + ": Send(" + SignalName(r.signo) + ") to the receiver: " + sent.ToString());
      }
      // It was woken: it has 2 s (scaled) to report.
      PosixError done = cp->WaitFor(static_cast<uint32_t>(i + 1),
                                    Deadline::In(std::chrono::seconds(2)));
      if (!done.ok()) {
        RC_FAIL(round + ": the blocked receiver did not return after " + SignalName(r.signo) +
                " was sent to it: " + done.ToString() +
                " (man 2 sigtimedwait: it waits \"until one of the signals in set is pending\")");
      }
      if (rep->err[i] != 0) {
        RC_FAIL(round + ": the blocked receiver's Receive failed " + ErrnoName(rep->err[i]) +
                " although " + SignalName(r.signo) + " was sent to it");
      }
      const SignalInfo& got = rep->info[i];
      if (got.signo != r.signo) {
        RC_FAIL(round + ": the blocked receiver got " + got.ToString() + ", not the " +
                SignalName(r.signo) + " sent to it" +
                (with_held && got.signo == held ? std::string(" but the held one (") + kBlocked +
                                                      ")"
                                                : ""));
      }
      if (kind.caps.reports_info) {
        const int code = r.value ? SI_QUEUE : SI_USER;
        const bool value_ok = !r.value || got.value == *r.value;
        if (got.code != code || !value_ok || got.pid != parent || got.uid != getuid()) {
          RC_FAIL(round + ": the blocked receiver got " + got.ToString() + "; sent: " +
                  SignalName(r.signo) + " " + SiCodeName(code) +
                  (r.value ? " value=" + std::to_string(*r.value) : "") + " from pid " +
                  std::to_string(parent) + " (" + kSiginfo + ")");
        }
      }
    }
    auto st = child.Wait(Deadline::In(std::chrono::seconds(2)));
    if (!st.ok()) RC_FAIL("the receiver did not exit after its last round: " + st.error().ToString());
    if (!st.value().ExitedWith(0)) RC_FAIL("the receiver " + st.value().ToString());
    PosixError closed = q->Close();
    if (!closed.ok()) RC_FAIL("Close(): " + closed.ToString());
  }));
}

}  // namespace

const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueProperties() {
  static const auto* props = new std::vector<SuiteProperty<SignalQueueInterface>>{
      {"ModelSequences",
       "man 7 signal \"Queueing and delivery semantics for standard signals\" (standard signals "
       "coalesce, keeping the first siginfo), \"Real-time signals\" (queued in order with their "
       "values, lowest-numbered first, standard signals first on Linux), \"Signal mask and "
       "pending signals\"; man 2 sigpending; man 2 sigtimedwait (EAGAIN)",
       nullptr, ModelSequences},
      {"WakesBlockedReceiver",
       "man 2 sigtimedwait: \"sigwaitinfo() suspends execution of the calling thread until one "
       "of the signals in set is pending\"; man 2 signalfd: a blocking wait ends when \"one of "
       "the signals in mask is generated\"; man 7 signal: a blocked signal is not delivered",
       [](const SignalQueueKind& k) -> std::optional<std::string> {
         if (k.caps.wait_syscalls.empty()) return "no blocking receive to watch";
         return std::nullopt;
       },
       WakesBlockedReceiver},
  };
  return *props;
}

}  // namespace ipcspec
