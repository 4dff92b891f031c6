// The SignalQueue suite: properties every SignalQueue Kind must have.
#pragma once

#include <vector>

#include "impl/api/signal_queue.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "ModelSequences": random sends (kill and sigqueue, from this process and
//   from a forked helper), holds, releases, receives and sigpending checks
//   against a model of the pending standard signals (a set: they coalesce,
//   keeping the first instance's siginfo) and the real-time queues (in order,
//   each instance with its value; lowest-numbered signal first; standard
//   signals before real-time ones).
// "WakesBlockedReceiver": a forked receiver blocked in Receive() wakes for a
//   signal sent to it, not for a held one, and learns who sent it and what.
const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueProperties();

}  // namespace ipcspec
