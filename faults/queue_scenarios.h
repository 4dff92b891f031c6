// Fault scenarios for every MessageQueue Kind, as suite properties (the
// MessageQueue selftest runs them with the model properties).
#pragma once

#include <vector>

#include "impl/api/message_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "KilledSenderLeavesWholeMessages": a sender is SIGKILLed at the entry of its
//   Nth send, for every N of the case (the kill points are swept); the queue
//   then holds exactly the N-1 messages sent before, each whole.
const std::vector<SuiteProperty<MessageQueueInterface>>& QueueFaultScenarios();

}  // namespace ipcspec
