// The MessageQueue suite: model-based properties run against every Kind.
//
// The model (message_queue_model.h) is a list of messages in arrival order;
// a receive takes the oldest message of the highest priority (POSIX, man 3
// mq_receive) or the message msgtyp selects (System V, man 2 msgop), and the
// queue is full when the count (mq_maxmsg, msg_qbytes) or the bytes
// (msg_qbytes) would be exceeded. Each property is a rapidcheck state machine
// over the same commands with a different mix (message_queue_generators.h);
// every command prints itself, so a counterexample reads as a short script.
// The fault scenarios are in message_queue_fault_properties.h.
#pragma once

#include <vector>

#include "impl/api/message_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

// FreshQueueAttributes, MessageBoundaries, PriorityOrder, TypeSelection,
// CapacityLimits, HighWaterMark, BlockedCallsWake, ModelSequences.
std::vector<SuiteProperty<MessageQueueInterface>> MessageQueueProperties();

}  // namespace ipcspec
