// The MessageQueue fault scenarios, as suite properties: the MessageQueue
// selftest runs them with the model properties (message_queue_properties.h),
// and //faults:queue_faults_test runs them against every Kind.
#pragma once

#include <vector>

#include "impl/api/message_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "KilledSenderLeavesWholeMessages": a sender is SIGKILLed at the entry of its
//   Nth send, for every N of the case (the kill points are swept, with the
//   ptrace injector of impl/inject/injector.h); the queue then holds exactly the
//   N-1 messages sent before, each whole.
// "SignalIntoBlockedReceiveLosesNothing": a signal with a handler reaches a
//   thread blocked in the Kind's receive, with and without SA_RESTART, then
//   the message that wakes it is sent (suites/common/interrupt.h): it is
//   received exactly once, whether the receive restarts or fails EINTR.
// "CrashedOpenerLeavesOnlyFindableObjects": a process that opened the queue
//   is SIGKILLed; the orphan finder reports and reaps all it left
//   (suites/common/crashed_opener.h).
const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueFaultProperties();

}  // namespace ipcspec
