// The forked blocked calls of the MessageQueue model (BlockedCallsWake): at a
// limit of the queue, a forked child's blocking send or receive is seen
// asleep in the kernel, and wakes when this process makes room or sends.
#pragma once

#include "suites/message_queue/message_queue_generators.h"
#include "suites/message_queue/message_queue_model.h"

namespace ipcspec {
namespace message_queue_internal {

// A forked blocked call, where the model is at a limit; nullptr when no such
// call can be made in this state.
std::shared_ptr<const MqCommand> GenBlocked(const Model& m, const Mix& mix);

// The end of a BlockedCallsWake case: from the state the random prefix left,
// drive the queue to a limit and fork one blocked call there. Either a
// blocked receive (the queue is drained with non-blocking receives, then
// empty) or a blocked send (the queue is filled with non-blocking sends, then
// full); half the cases each where both are possible. The model must have a
// fork left.
rc::Gen<MqCommands> GenBlockedEnding(const Model& start, const Mix& mix);

}  // namespace message_queue_internal
}  // namespace ipcspec
