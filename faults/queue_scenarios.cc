#include "faults/queue_scenarios.h"

#include <algorithm>
#include <sstream>

#include "faults/injector.h"
#include "impl/core/coverage.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

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

constexpr const char* kCites =
    "a message is sent whole by one call or not at all (man 3 mq_send: \"adds the message "
    "pointed to by msg_ptr to the message queue\"; man 2 msgop: msgsnd \"appends a copy of "
    "the message\"), so a sender killed between sends leaves whole messages only";
constexpr const char* kKillAfterMessages = "the sender was killed after queuing whole messages";

PropertyOutcome KilledSenderLeavesWholeMessages(const MessageQueueKind& kind) {
  Coverage cov("KilledSenderLeavesWholeMessages", kCites, {{kKillAfterMessages, 40}});
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

}  // namespace

const std::vector<SuiteProperty<MessageQueueInterface>>& QueueFaultScenarios() {
  static const auto* props = new std::vector<SuiteProperty<MessageQueueInterface>>{
      {"KilledSenderLeavesWholeMessages", kCites,
       NeedsForkAndPtrace, KilledSenderLeavesWholeMessages},
  };
  return *props;
}

}  // namespace ipcspec
