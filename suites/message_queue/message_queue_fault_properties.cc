#include "suites/message_queue/message_queue_fault_properties.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <sstream>
#include <string>

#include "impl/inject/injector.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "rapidcheck.h"
#include "suites/common/crashed_opener.h"
#include "suites/common/interrupt.h"

namespace ipcspec {
namespace {

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
  return cov.Judge(RunProperty(CurrentTestId(), [&kind, &cov] {
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
  }, /*max_cases=*/50));
}

// ---------------------------------------------------------------------------
// EINTR into a blocked receive (suites/common/interrupt.h).

PropertyOutcome SignalIntoBlockedReceiveLosesNothing(const MessageQueueKind& kind) {
  const auto& c = kind.caps;
  std::ostringstream log;
  bool ok = true;
  int rounds = 0;
  for (bool restart : {false, true}) {
    auto q = kind.Open();
    if (!q.ok()) return {false, rounds, "opening a " + kind.name + ": " + q.error().ToString()};
    MessageQueueInstance inst = std::move(q).value();
    const long tag = std::max<long>(c.min_tag, 1) <= c.max_tag ? std::max<long>(c.min_tag, 1)
                                                               : c.min_tag;
    const std::vector<uint8_t> payload = {'i', 'n', 't', 'r'};
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
