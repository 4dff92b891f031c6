// Generation and running of the MessageQueue model's command sequences: a
// Mix weighs the commands (message_queue_model.h, message_queue_blocking.h)
// for one property, and RunModel runs a rapidcheck state machine of them
// against a Kind.
#pragma once

#include <climits>

#include "impl/api/message_queue.h"
#include "impl/core/coverage.h"
#include "impl/core/property.h"
#include "rapidcheck.h"
#include "suites/message_queue/message_queue_model.h"

namespace ipcspec {
namespace message_queue_internal {

// ---------------------------------------------------------------------------
// Generation.

struct Mix {
  int send = 4;
  int receive = 3;
  int status = 1;
  int blocked = 0;            // forked blocked send / receive at the limits
  bool waits = true;          // blocking and timed calls, not only non-blocking ones
  bool buffers = true;        // short, exact and larger receive buffers; MSG_NOERROR
  bool types = true;          // msgtyp selection (System V Kinds)
  bool bad_inputs = true;     // oversized messages, tags out of range
  bool fill = false;          // sizes that fill the queue exactly, many zero-length messages
  bool few_tags = false;      // tags from a small set (ties)
};

// A uniform draw from [lo, hi): rapidcheck's inRange scales the range with
// the case's size, which would starve the choices below in early cases.
template <typename T>
T Uniform(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

// A tag for a send: mostly few and small, sometimes large or the maximum;
// out of range (bad input) when `allow_bad` and the mix has bad inputs.
long GenTag(const Model& m, const Mix& mix, bool allow_bad);

// Runs the property's state machine against a fresh instance of the Kind per
// case. With mix.blocked, every case is a random prefix without forks and
// then one forked blocked call at a limit (GenBlockedEnding).
PropertyOutcome RunModel(const MessageQueueKind& kind, const Mix& mix,
                         Coverage* coverage = nullptr, int max_cases = 1 << 30);

}  // namespace message_queue_internal
}  // namespace ipcspec
