// The MessageQueue suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/message_queue must be caught by exactly the properties its MustCatch
// entry names, and every real MessageQueue Kind must pass the same properties
// with the same pinned seed and number of cases.
//
// The properties include the queue fault scenarios: a mutant that only
// misbehaves when a sender dies, is interrupted or crashes must be caught too.
#include "gtest/gtest.h"
#include "suites/message_queue/message_queue_fault_properties.h"
#include "suites/message_queue/message_queue_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<MessageQueueInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<MessageQueueInterface>();
    s->properties = MessageQueueProperties();
    for (const auto& p : MessageQueueFaultProperties()) s->properties.push_back(p);
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        // KilledSenderLeavesWholeMessages also sees the lost message on seeds 1
        // and 3, not on the pinned seed or seed 2.
        {"mutant_posix_mq_drops_at_mark", {"MessageBoundaries", "PriorityOrder", "HighWaterMark", "BlockedCallsWake", "ModelSequences", "KilledSenderLeavesWholeMessages?"}},
        {"mutant_posix_mq_fifo", {"MessageBoundaries", "PriorityOrder", "CapacityLimits", "BlockedCallsWake", "ModelSequences"}},
        {"mutant_posix_mq_leaves_socket", {"CrashedOpenerLeavesOnlyFindableObjects"}},
        {"mutant_posix_mq_loses_after_eintr", {"SignalIntoBlockedReceiveLosesNothing"}},
        {"mutant_posix_mq_timeout_eagain", {"CapacityLimits", "BlockedCallsWake", "ModelSequences"}},
        {"mutant_posix_mq_torn", {"FreshQueueAttributes", "MessageBoundaries", "PriorityOrder", "CapacityLimits", "BlockedCallsWake", "ModelSequences", "KilledSenderLeavesWholeMessages"}},
        {"mutant_sysv_msg_except_ignored", {"TypeSelection", "CapacityLimits", "BlockedCallsWake", "ModelSequences"}},
        // KilledSenderLeavesWholeMessages: on seeds 2 and 3, not 1 or pinned.
        {"mutant_sysv_msg_lossy", {"MessageBoundaries", "TypeSelection", "CapacityLimits", "BlockedCallsWake", "ModelSequences", "KilledSenderLeavesWholeMessages?"}},
        {"mutant_sysv_msg_sender_never_waits", {"BlockedCallsWake"}},
        {"mutant_sysv_msg_truncating", {"MessageBoundaries", "ModelSequences"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(MessageQueue, MessageQueueInterface, Spec());

}  // namespace
}  // namespace ipcspec
