#include "suites/message_queue/message_queue_properties.h"

#include <optional>
#include <string>

#include "impl/core/coverage.h"
#include "impl/core/property.h"
#include "rapidcheck.h"
#include "suites/message_queue/message_queue_generators.h"
#include "suites/message_queue/message_queue_high_water_mark.h"
#include "suites/message_queue/message_queue_model.h"

namespace ipcspec {
namespace {

using message_queue_internal::kForkedCallBlocked;
using message_queue_internal::kReceiveBlockedEmpty;
using message_queue_internal::kReceiveMetEmpty;
using message_queue_internal::kSendBlockedFull;
using message_queue_internal::kSendMetFull;
using message_queue_internal::Mix;
using message_queue_internal::RunHighWaterMark;
using message_queue_internal::RunModel;

const char* kCapacityLimitsCites =
    "man 2 msgop: full when bytes or count would exceed msg_qbytes, EAGAIN with IPC_NOWAIT; "
    "man 3 mq_send: full at mq_maxmsg, EAGAIN with O_NONBLOCK, ETIMEDOUT for mq_timedsend, "
    "EINVAL for an invalid timeout when the call would block; the receive side likewise "
    "(ENOMSG / EAGAIN / ETIMEDOUT)";
const char* kBlockedCallsWakeCites =
    "man 2 msgop: \"the default behavior of msgsnd() is to block until space becomes "
    "available\", msgrcv blocks until \"A message of the desired type is placed in the "
    "queue\"; man 3 mq_send / mq_receive: block until space / a message is available (a "
    "forked child is seen asleep in the call, and wakes when the parent makes it possible)";

std::optional<std::string> NoSkip(const MessageQueueKind&) { return std::nullopt; }

}  // namespace

std::vector<SuiteProperty<MessageQueueInterface>> MessageQueueProperties() {
  std::vector<SuiteProperty<MessageQueueInterface>> ps;

  ps.push_back(
      {"FreshQueueAttributes",
       "man 3 mq_getattr: \"The mq_maxmsg and mq_msgsize fields are set when the message queue "
       "is created by mq_open(3)\"; man 2 msgctl: msg_qnum, msg_cbytes, msg_qbytes (a new queue "
       "is empty and has the limits the Kind says it set)",
       NoSkip, [](const MessageQueueKind& kind) {
         return RunProperty(CurrentTestId(), [&kind] {
           auto inst = kind.Open();
           if (!inst.ok()) RC_FAIL("open: " + inst.error().ToString());
           auto st = inst.value()->Status();
           if (!st.ok()) RC_FAIL("Status(): " + st.error().ToString());
           const MqStatus& s = st.value();
           const MessageQueueCaps& c = kind.caps;
           RC_LOG() << inst.value()->Describe() << ": " << s.ToString() << "\n";
           if (c.reports_count) RC_ASSERT(s.count == 0u);
           if (c.reports_bytes) RC_ASSERT(s.bytes.value_or(1) == 0u);
           if (c.max_message) RC_ASSERT(s.max_message == c.max_message);
           if (c.capacity_count) RC_ASSERT(s.max_count == c.capacity_count);
           if (c.capacity_bytes) RC_ASSERT(s.max_bytes == c.capacity_bytes);
           if (c.limits_count) RC_ASSERT(s.max_count > 0u);
           if (c.limits_bytes) RC_ASSERT(s.max_bytes > 0u);
           RC_ASSERT(s.max_message > 0u);
           RC_ASSERT(s.nonblocking == c.nonblocking_by_default);
         });
       }});

  ps.push_back({"MessageBoundaries",
                "man 3 mq_receive / man 2 msgop: a receive returns one whole message, its "
                "length and tag, as sent (zero-length and maximum-size messages included); "
                "msgrcv E2BIG without MSG_NOERROR, truncation with it; mq_receive EMSGSIZE for "
                "a buffer shorter than mq_msgsize; EMSGSIZE/EINVAL for a message above the "
                "maximum",
                NoSkip, [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 4;
                  mix.receive = 4;
                  mix.status = 1;
                  mix.waits = false;
                  mix.types = false;
                  return RunModel(kind, mix);
                }});

  ps.push_back({"PriorityOrder",
                "man 3 mq_receive: \"mq_receive() removes the oldest message with the highest "
                "priority\"; man 3 mq_send: \"newer messages of the same priority being placed "
                "after older messages with the same priority\"",
                [](const MessageQueueKind& k) -> std::optional<std::string> {
                  if (k.caps.ordering != MqOrdering::kPriority) {
                    return std::string("delivers in arrival order, not by priority");
                  }
                  return std::nullopt;
                },
                [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 5;
                  mix.receive = 3;
                  mix.status = 0;
                  mix.waits = false;
                  mix.buffers = false;
                  mix.bad_inputs = false;
                  mix.few_tags = true;
                  return RunModel(kind, mix);
                }});

  ps.push_back({"TypeSelection",
                "man 2 msgop: msgtyp 0 reads the first message, > 0 the first of that type "
                "(MSG_EXCEPT: of another type), < 0 the first of the lowest type <= |msgtyp|; "
                "ENOMSG with IPC_NOWAIT when none matches",
                [](const MessageQueueKind& k) -> std::optional<std::string> {
                  if (!k.caps.type_selection) return std::string("no msgtyp selection");
                  return std::nullopt;
                },
                [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 4;
                  mix.receive = 4;
                  mix.status = 0;
                  mix.waits = false;
                  mix.buffers = false;
                  mix.bad_inputs = false;
                  mix.few_tags = true;
                  return RunModel(kind, mix);
                }});

  ps.push_back(
      {"CapacityLimits", kCapacityLimitsCites,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (!k.caps.limits_count && !k.caps.limits_bytes) {
           return std::string("no capacity the model can predict (limits_count and "
                              "limits_bytes are both false)");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) {
         Mix mix;
         mix.send = 6;
         mix.receive = 3;
         mix.status = 1;
         mix.buffers = false;
         mix.bad_inputs = false;
         mix.fill = true;
         // Most cases fill the queue; some drain it back to empty.
         Coverage cov("CapacityLimits", kCapacityLimitsCites,
                      {{kSendMetFull, 10}, {kReceiveMetEmpty, 15}});
         return RunModel(kind, mix, &cov);
       }});

  ps.push_back(
      {"HighWaterMark",
       "man zmq_socket: ZMQ_PAIR and ZMQ_PUSH \"Action in mute state: Block\", ZMQ_PUB "
       "\"Drop\"; man zmq_setsockopt ZMQ_SNDHWM: a non-blocking send at the mark fails EAGAIN; "
       "nng_pair(7): \"this pattern will block when attempting to send a message if no peer is "
       "able to receive the message\" (a queue with no exact capacity fills, refuses with "
       "EAGAIN, and gives back every message whole and in order)",
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (k.caps.limits_count || k.caps.limits_bytes) {
           return std::string("exact capacity: CapacityLimits checks where it fills");
         }
         if (k.caps.nonblocking_by_default) {
           return std::string("the descriptor is O_NONBLOCK: calls never block");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) { return RunHighWaterMark(kind); }});

  ps.push_back(
      {"BlockedCallsWake", kBlockedCallsWakeCites,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shares) return std::string("not usable from a forked child");
         if (k.caps.nonblocking_by_default) {
           return std::string("the descriptor is O_NONBLOCK: calls never block");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) {
         Mix mix;
         mix.send = 3;
         mix.receive = 2;
         mix.status = 0;
         mix.blocked = 3;
         mix.buffers = false;
         mix.bad_inputs = false;
         mix.fill = true;
         // Every case ends with one forked blocked call (GenBlockedEnding):
         // a send on a full queue or a receive on an empty one, about half
         // each. A fork per case: 30 cases (before, about one case in three
         // of 100 might fork, and fewer did), judged from 30, with minimums
         // safe at that count (a share near 45% falls under 10% of 30 cases
         // about once in 10^5 runs).
         constexpr int kCases = 30;
         Coverage cov("BlockedCallsWake", kBlockedCallsWakeCites,
                      {{kForkedCallBlocked, 100},
                       {kSendBlockedFull, 10},
                       {kReceiveBlockedEmpty, 10}},
                      kCases);
         return RunModel(kind, mix, &cov, kCases);
       }});

  ps.push_back({"ModelSequences",
                "man 7 mq_overview, man 3 mq_send, man 3 mq_receive, man 2 msgop, man 2 msgctl: "
                "random sequences of every operation against the model (per-priority FIFO "
                "queues / a typed list with msgtyp selection, byte and count limits)",
                NoSkip, [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 5;
                  mix.receive = 4;
                  mix.status = 1;
                  return RunModel(kind, mix);
                }});
  return ps;
}

}  // namespace ipcspec
