// Fault scenarios for MessageQueue Kinds whose queue another process reaches
// by an address (MessageQueueCaps::open_sender: ZeroMQ, nng), where a forked
// child cannot use the parent's queue and the ptrace scenario of
// suites/message_queue/message_queue_fault_properties.h does not apply.
#pragma once

#include <vector>

#include "impl/api/message_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "KilledRemoteSenderLeavesWholeMessages": a sender in another process sends
//   numbered messages of random sizes (up to 256 KiB where the Kind sets no
//   maximum), the receiver takes the first few and SIGKILLs the sender at
//   once, mid-transfer; then drains the queue. Every message received is
//   whole, none twice, and they are 0, 1, 2, ... in order: a prefix of what
//   was sent.
const std::vector<SuiteProperty<MessageQueueInterface>>& QueueAddressScenarios();

}  // namespace ipcspec
