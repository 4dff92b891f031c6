// HighWaterMark: the MessageQueue property for Kinds with no exact capacity
// (libraries: ZeroMQ, nng), which fill up to a high-water mark instead.
#pragma once

#include "impl/api/message_queue.h"
#include "impl/core/property.h"

namespace ipcspec {
namespace message_queue_internal {

// A queue with no exact capacity is filled with non-blocking sends of
// numbered messages until it refuses, then drained. kBlocks: it must refuse
// (full_errno) before high_water_bound_bytes, and give back every message,
// whole and in order; afterwards it is empty and takes a send again.
// kDrops: what arrives is whole and in order, with gaps allowed.
PropertyOutcome RunHighWaterMark(const MessageQueueKind& kind);

}  // namespace message_queue_internal
}  // namespace ipcspec
