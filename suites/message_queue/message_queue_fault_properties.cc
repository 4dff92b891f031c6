#include "suites/message_queue/message_queue_fault_properties.h"

#include <signal.h>
#include <sys/syscall.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <string>

#include "impl/inject/injector.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"
#include "suites/common/crashed_opener.h"
#include "suites/common/interrupt.h"
#include "suites/message_queue/message_queue_cites.h"

namespace ipcspec {
namespace {

// ---------------------------------------------------------------------------
// As C (impl/repro), for the POSIX queues' Kinds (q, q_nb, q_msgsize: impl/
// posix_mq); another queue's Kind says why not.

bool PosixMq(const MessageQueueCaps& c) {
  return std::find(c.send_syscalls.begin(), c.send_syscalls.end(), SYS_mq_timedsend) !=
         c.send_syscalls.end();
}

void MqFaultPrelude(repro::Recording& rec) {
  rec.Include("<mqueue.h>");
  rec.Link("-lrt");
  rec.Helper("mq_fault_helpers", R"C(/* Message i of n bytes, as ipcspec's fault properties send it: byte 0 is i. */
static const unsigned char *kmsg(size_t i, size_t n) {
  static unsigned char m[1 << 16];
  size_t k;
  for (k = 0; k < n && k < sizeof m; ++k)
    m[k] = (unsigned char)(k == 0 ? i : i * 31 + k * 7 + 3);
  return m;
}

static const char *mq_errname(int e) {
  return e == 0 ? "success" : e == EAGAIN ? "EAGAIN" : e == EINTR ? "EINTR" : strerror(e);
}

/* mq_getattr: the queue holds `count` messages. */
static void mq_holds(long count, const char *promise, const char *when) {
  struct mq_attr a;
  if (mq_getattr(q, &a) != 0) setup_failed("mq_getattr");
  if (a.mq_curmsgs != count)
    broken(promise, "mq_getattr %s: mq_curmsgs is %ld; expected %ld", when, (long)a.mq_curmsgs,
           count);
}
)C");
}

// ---------------------------------------------------------------------------
// SIGKILL at the entry of the Nth send (the ptrace injector, impl/inject/injector.h).

// Message i of a case: its index in the first byte (so a received message
// says which it claims to be), then a pattern.
std::vector<uint8_t> Message(size_t i, size_t n) {
  std::vector<uint8_t> m(n);
  for (size_t k = 0; k < n; ++k) m[k] = static_cast<uint8_t>(k == 0 ? i : i * 31 + k * 7 + 3);
  return m;
}

std::optional<std::string> NeedsForkAndPtrace(const MessageQueueKind& k) {
  if (!k.caps.fork_shares) return "the queue cannot be used from a forked (traced) sender";
  if (k.caps.send_syscalls.empty()) return "it names no send system call to stop at";
  if (!k.caps.send_is_syscall) return "an uncontended send makes no system call to stop at";
  // Where ptrace is denied the scenario is not "not applicable" to the Kind:
  // it is skipped for the unmet need `ptrace`, counted as such.
  return PtraceUnmetNeed();
}

constexpr const char* kKilledSenderCites =
    "a message is sent whole by one call or not at all (man 3 mq_send: \"adds the message "
    "pointed to by msg_ptr to the message queue\"; man 2 msgop: msgsnd \"appends a copy of "
    "the message\"), so a sender killed between sends leaves whole messages only";
constexpr const char* kKillAfterMessages = "the sender was killed after queuing whole messages";

PropertyOutcome KilledSenderLeavesWholeMessages(const MessageQueueKind& kind) {
  Coverage cov("KilledSenderLeavesWholeMessages", kKilledSenderCites, {{kKillAfterMessages, 40}});
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&kind, &cov] {
    Coverage::Case counted(cov);
    const auto& c = kind.caps;
    size_t max_count = c.limits_count && c.capacity_count ? c.capacity_count : 8;
    // Uniform (not scaled by the case's size): most cases send two or more
    // messages, so that most kills land after whole messages were queued.
    // Each case sweeps every kill point (a traced fork each): 50 cases.
    size_t count = *rc::gen::resize(
        100, rc::gen::inRange<size_t>(1, std::min<size_t>(max_count, 6) + 1));
    size_t max_size = std::max<size_t>(1, std::min<size_t>(c.max_message ? c.max_message : 64, 64));
    if (c.limits_bytes && c.capacity_bytes) {
      // The whole case must fit, so that no send ever waits for room.
      count = std::min(count, c.capacity_bytes);
      max_size = std::max<size_t>(1, std::min(max_size, c.capacity_bytes / count));
    }
    std::vector<size_t> sizes = *rc::gen::container<std::vector<size_t>>(
        count, rc::gen::inRange<size_t>(1, max_size + 1));
    long tag = std::max<long>(c.min_tag, 1);
    // Sweep every kill point: the entry of send #1 .. #count.
    for (size_t kill_at = 1; kill_at <= count; ++kill_at) {
      auto q = kind.Open();
      if (!q.ok()) RC_FAIL("opening a " + kind.name + ": " + q.error().ToString());
      MessageQueueInstance inst = std::move(q).ValueOrDie();
      if (auto* rec = repro::Active()) {
        if (!PosixMq(c)) {
          rec->Unprintable("a killed sender on a queue other than POSIX");
        } else {
          // This kill point alone (each is a fresh queue). ipcspec kills the
          // sender (ptrace) at the entry of its send #kill_at; the C sender
          // makes its first kill_at - 1 sends, says so, and is killed there:
          // the same messages are queued when SIGKILL lands.
          rec->DropSteps();
          MqFaultPrelude(*rec);
          rec->Fork(0, "fork the sender", "");
          if (kill_at > 1) {
            std::ostringstream w;
            w << "{\n  static const size_t sizes[] = {";
            for (size_t i = 0; i + 1 < kill_at; ++i) w << (i ? ", " : "") << sizes[i] << "u";
            w << "};\n  size_t i;\n  for (i = 0; i < " << kill_at - 1 << "u; ++i)\n"
              << "    if (mq_send(q_nb, (const char *)kmsg(i, sizes[i]), sizes[i], " << tag
              << "u) != 0)\n      broken(\"man 3 mq_send: a send into a queue with room "
                 "succeeds\", \"the sender's send #%zu failed %s\", i + 1, "
                 "mq_errname(errno));\n}\n";
            rec->ChildStep(0, "child: sends #1.." + std::to_string(kill_at - 1) +
                                  " (non-blocking; the queue has room)",
                           w.str(), "sends into a queue with room return at once");
          }
          rec->Kill(0, SIGKILL, "SIGKILL the sender at the entry of its send #" +
                                    std::to_string(kill_at) + " of " + std::to_string(count));
          std::ostringstream r;
          r << "{\n  static const size_t sizes[] = {";
          for (size_t i = 0; i < count; ++i) r << (i ? ", " : "") << sizes[i] << "u";
          r << "};\n  char *buf = malloc(q_msgsize + 1);\n  size_t got = 0, i;\n"
            << "  unsigned prio;\n  ssize_t n;\n"
            << "  if (buf == NULL) setup_failed(\"malloc\");\n"
            << "  while ((n = mq_receive(q_nb, buf, q_msgsize, &prio)) >= 0) {\n"
            << "    ++got;\n    i = n > 0 ? (unsigned char)buf[0] : " << count << "u;\n"
            << "    if (i >= " << kill_at - 1 << "u || (size_t)n != sizes[i] || "
               "memcmp(buf, kmsg(i, sizes[i]), (size_t)n) != 0)\n"
            << "      broken(" << repro::Lit(kKilledSenderCites)
            << ", \"a received message of %zd bytes is not one of the whole messages sent "
               "before the kill: a torn message\", n);\n"
            << "    if (got > " << count << "u) broken(" << repro::Lit(kKilledSenderCites)
            << ", \"more messages than were sent\");\n  }\n"
            << "  if (errno != EAGAIN) setup_failed(\"mq_receive\");\n"
            << "  if (got != " << kill_at - 1 << "u)\n    broken("
            << repro::Lit(kKilledSenderCites)
            << ", \"the queue holds %zu messages, expected exactly the " << kill_at - 1
            << " sent before the kill\", got);\n  free(buf);\n}\n";
          rec->Step("receive everything left (non-blocking): exactly the " +
                        std::to_string(kill_at - 1) + " whole message(s) sent before the kill",
                    r.str(), "non-blocking receives return at once");
        }
      }
      std::vector<InjectRule> rules;
      for (long nr : c.send_syscalls) rules.push_back({nr, static_cast<int>(kill_at), InjectRule::Action::kKill});
      auto out = RunInjected(
          [&]() -> int {
            for (size_t i = 0; i < count; ++i) {
              auto m = Message(i, sizes[i]);
              // The case never fills the queue: a non-blocking send cannot fail EAGAIN.
              if (!inst->Send(tag, m.data(), m.size(), MqWait::NonBlock()).ok()) return 2;
            }
            return 0;
          },
          rules);
      if (!out.ok()) RC_FAIL("running the traced sender: " + out.error().ToString());
      if (!out.value().status.KilledBy(SIGKILL)) {
        RC_FAIL("the sender was to be killed at its send #" + std::to_string(kill_at) + " but " +
                out.value().status.ToString());
      }
      // Receive everything left, without blocking.
      std::vector<MqMessage> got;
      for (;;) {
        auto r = inst->Receive(MqReceiveOptions{}, MqWait::NonBlock());
        if (!r.ok()) {
          if (r.errno_value() == c.empty_errno || r.errno_value() == EAGAIN || r.errno_value() == ENOMSG) break;
          RC_FAIL("receiving after the kill: " + r.error().ToString());
        }
        got.push_back(std::move(r).ValueOrDie());
        if (got.size() > count) RC_FAIL("more messages than were sent");
      }
      std::ostringstream ctx;
      ctx << "sender killed at the entry of send #" << kill_at << " of " << count
          << " (sizes";
      for (size_t s : sizes) ctx << " " << s;
      ctx << "): ";
      if (got.size() != kill_at - 1) {
        RC_FAIL(ctx.str() + "the queue holds " + std::to_string(got.size()) +
                " messages, expected exactly the " + std::to_string(kill_at - 1) +
                " sent before the kill (man 7 mq_overview / man 2 msgop: a message is queued "
                "whole by one call, or not at all)");
      }
      Coverage::ReachedIf(!got.empty(), kKillAfterMessages);
      for (const MqMessage& m : got) {
        size_t i = m.data.empty() ? count : m.data[0];
        if (i >= kill_at - 1 || m.data != Message(i, sizes[i])) {
          RC_FAIL(ctx.str() + "a received message of " + std::to_string(m.data.size()) +
                  " bytes is not one of the whole messages sent: a torn message");
        }
      }
    }
  }), /*max_cases=*/50));
}

// ---------------------------------------------------------------------------
// EINTR into a blocked receive (suites/common/interrupt.h).

// The round as C: a forked child (the property blocks a thread: a kernel
// queue behaves the same for a process) installs the SIGUSR2 handler, blocks
// in mq_receive, is signalled, and a message is sent; it either fails EINTR
// (then the message must be in the queue, once) or returns that message (then
// the queue must be empty); nothing else.
void RecordInterruptRound(repro::Recording& rec, const MessageQueueCaps& c, bool restart,
                          long tag) {
  const std::string promise = kInterruptedCallCite;
  const unsigned prio = static_cast<unsigned>(tag);
  const int b = rec.NextBlocked();
  std::ostringstream child;
  child << "install_handler(SIGUSR2, " << (restart ? 1 : 0) << ");  /* "
        << SaRestartText(restart) << " */\n"
        << "{\n  char *buf = malloc(q_msgsize + 1);\n  unsigned prio = 0;\n  ssize_t n;\n"
        << "  char outcome;\n"
        << "  if (buf == NULL) setup_failed(\"malloc\");\n"
        << "  n = mq_receive(q, buf, q_msgsize, &prio);\n"
        << "  if (n < 0 && errno != EINTR)\n    broken(" << repro::Lit(promise)
        << ",\n           \"the interrupted mq_receive failed %s, neither EINTR nor a restart\", "
           "mq_errname(errno));\n"
        << "  if (n >= 0 && (n != 4 || prio != " << prio << "u || memcmp(buf, \"intr\", 4) != 0))\n"
        << "    broken(" << repro::Lit(promise)
        << ",\n           \"the interrupted mq_receive returned %zd bytes of priority %u, not the "
           "message sent (\\\"intr\\\", priority " << prio << ")\", n, prio);\n"
        << "  outcome = n < 0 ? 'E' : 'M';  /* tell the parent: failed EINTR, or the message */\n"
        << "  if (write(sig_ack[1], &outcome, 1) != 1) setup_failed(\"write\");\n"
        << "  free(buf);\n}\n";
  rec.ForkBlocked(b, std::string("child: SIGUSR2 handler ") + SaRestartText(restart) +
                         "; blocking mq_receive from the empty queue: it blocks",
                  child.str(), c.receive_syscalls, message_queue_internal::CiteBlocks(c, false),
                  "the interrupted mq_receive fails EINTR or returns the message sent after the "
                  "signal: " + promise);
  rec.SignalBlocked(b, SIGUSR2, "SIGUSR2 into the blocked mq_receive; its handler runs");
  std::ostringstream send;
  send << "if (mq_send(q_nb, \"intr\", 4, " << prio << "u) != 0)\n"
       << "  broken(\"man 3 mq_send: a send into a queue with room succeeds\", \"the send after "
          "the signal failed %s\", mq_errname(errno));\n";
  rec.Step("send(\"intr\", priority " + std::to_string(prio) + ") after the signal", send.str(),
           "a send into a queue with room returns at once");
  rec.AwaitChild(b, "the interrupted mq_receive returns",
                 "the interrupted mq_receive fails EINTR or returns the message sent after the "
                 "signal: " + promise);
  std::ostringstream after;
  after << "{\n  char outcome = 0, buf2[64];\n  char *buf = malloc(q_msgsize + 1);\n"
        << "  unsigned prio = 0;\n  ssize_t n;\n"
        << "  if (buf == NULL) setup_failed(\"malloc\");\n"
        << "  if (read(sig_ack[0], &outcome, 1) != 1) setup_failed(\"read(the child's outcome)\");\n"
        << "  if (outcome == 'E') {\n"
        << "    mq_holds(1, " << repro::Lit(promise)
        << ", \"after the receive failed EINTR and one message was sent\");\n"
        << "    n = mq_receive(q_nb, buf, q_msgsize, &prio);\n"
        << "    if (n != 4 || memcmp(buf, \"intr\", 4) != 0)\n      broken("
        << repro::Lit(promise)
        << ", \"the receive failed EINTR, and the message sent after it is lost: %s\", "
           "n < 0 ? mq_errname(errno) : \"a different message\");\n"
        << "  }\n"
        << "  n = mq_receive(q_nb, buf, q_msgsize, &prio);\n"
        << "  if (n >= 0)\n    broken(" << repro::Lit(promise)
        << ", \"the message was delivered twice (the queue still held %zd bytes)\", n);\n"
        << "  (void)buf2;\n  free(buf);\n}\n";
  rec.Step("the message was received exactly once", after.str(),
           "non-blocking receives return at once");
}

PropertyOutcome SignalIntoBlockedReceiveLosesNothing(const MessageQueueKind& kind) {
  const auto& c = kind.caps;
  std::ostringstream log;
  bool ok = true;
  int rounds = 0;
  // Not a rapidcheck property: the two rounds are one case of the Session.
  repro::Session* session = repro::Session::Current();
  if (session != nullptr) session->BeginCase();
  if (auto* rec = repro::Active()) {
    if (PosixMq(c)) {
      MqFaultPrelude(*rec);
    } else {
      rec->Unprintable("a signal into a blocked receive of a queue other than POSIX");
    }
  }
  struct EndCase {
    repro::Session* s;
    const bool* ok;
    ~EndCase() {
      if (s != nullptr) s->EndCase(!*ok);
    }
  } end_case{session, &ok};
  for (bool restart : {false, true}) {
    auto q = kind.Open();
    if (!q.ok()) return {false, rounds, "opening a " + kind.name + ": " + q.error().ToString()};
    MessageQueueInstance inst = std::move(q).value();
    const long tag = std::max<long>(c.min_tag, 1) <= c.max_tag ? std::max<long>(c.min_tag, 1)
                                                               : c.min_tag;
    const std::vector<uint8_t> payload = {'i', 'n', 't', 'r'};
    if (auto* rec = repro::Active(); rec != nullptr && PosixMq(c)) {
      RecordInterruptRound(*rec, c, restart, tag);
    }
    MqMessage got;
    int first = 0;
    std::string problem = InterruptOnce(
        restart, c.receive_syscalls,
        [&]() -> int {
          auto m = inst->Receive(MqReceiveOptions{}, MqWait::Block());
          if (!m.ok()) return m.error().errno_value();
          got = m.value();
          return 0;
        },
        [&]() -> std::string {
          PosixError e = inst->Send(tag, payload.data(), payload.size(), MqWait::NonBlock());
          return e.ok() ? "" : "sending the message after the signal: " + e.ToString();
        },
        [&]() {
          for (int i = 0; i < 4; ++i) inst->Send(tag, payload.data(), payload.size(), MqWait::NonBlock());
        },
        &first);
    ++rounds;
    std::string where = kind.name + ", " + SaRestartText(restart) + ": ";
    if (problem.empty() && first != 0 && first != EINTR) {
      problem = "the interrupted receive failed with errno " + std::to_string(first) + " (" +
                strerror(first) + "), neither EINTR nor a restart";
    }
    if (problem.empty() && first == EINTR && c.reports_count && !c.asynchronous_delivery) {
      // Failed EINTR: the message must still be there, once. The send
      // returned, so a kernel queue holds it now: its counter (mq_curmsgs,
      // msg_qnum) says so at once, with no wait.
      auto st = inst->Status();
      if (!st.ok()) {
        problem = "reading the queue's counters after the EINTR: " + st.error().ToString();
      } else if (st.value().count != 1) {
        problem = "after the receive failed EINTR and one message was sent, the queue holds " +
                  std::to_string(st.value().count) + " (man 3 mq_getattr mq_curmsgs, man 2 "
                  "msgctl msg_qnum): the message is lost or doubled";
      }
    }
    if (problem.empty() && first == EINTR) {
      // Failed EINTR: the message must still be there, once. A library that
      // delivers through an I/O thread keeps it in user space, where no
      // counter shows it arriving (its Status() reports no count): retry,
      // bounded, for 1 s. Sound for a kernel queue, whose count was checked
      // above (the first receive takes it); for a library a message later
      // than that reads as lost, so the bound is generous for one message
      // on a local connection.
      Deadline d = Deadline::In(std::chrono::milliseconds(1000));
      PosixErrorOr<MqMessage> m = PosixError(EAGAIN, "not tried");
      do {
        m = inst->Receive(MqReceiveOptions{}, MqWait::NonBlock());
      } while (!m.ok() && m.error().errno_value() == c.empty_errno && !d.Expired() &&
               (BackoffSleep(8), true));
      if (!m.ok()) {
        problem = "the receive failed EINTR, and the message sent after it is lost: " +
                  m.error().ToString();
      } else {
        got = m.value();
      }
    }
    if (problem.empty() && got.data != payload) problem = "received a different message";
    if (problem.empty()) {
      auto again = inst->Receive(MqReceiveOptions{}, MqWait::NonBlock());
      if (again.ok()) problem = "the message was delivered twice";
    }
    log << where << (first == EINTR ? "failed EINTR" : "restarted/completed") << "; "
        << (problem.empty() ? "nothing lost or duplicated" : "VIOLATION: " + problem) << "\n";
    if (!problem.empty()) ok = false;
  }
  return {ok, rounds, ok ? "" : std::string(kInterruptedCallCite) + "\n" + log.str()};
}

}  // namespace

const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueFaultProperties() {
  static const auto* props = new std::vector<SuiteProperty<MessageQueueInterface>>{
      {"KilledSenderLeavesWholeMessages", kKilledSenderCites,
       NeedsForkAndPtrace, KilledSenderLeavesWholeMessages},
      {"SignalIntoBlockedReceiveLosesNothing", kInterruptedCallCite,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (k.caps.nonblocking_by_default) {
           return "the queue's descriptor is O_NONBLOCK: no receive blocks";
         }
         return std::nullopt;
       },
       SignalIntoBlockedReceiveLosesNothing},
      CrashedOpenerProperty<MessageQueueInterface>(),
  };
  return *props;
}

}  // namespace ipcspec
