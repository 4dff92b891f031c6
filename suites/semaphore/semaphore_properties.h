// The Semaphore suite: model-based properties every Semaphore Kind must have,
// each a rapidcheck state machine against a counter model.
//
// "CounterNeverNegative": posts, trywaits, waits and timed waits of one
//   process against a counter; the value never falls below zero and a take
//   at zero fails (EAGAIN / the timeout errno) instead of going through.
// "EveryWakeupMatchesAPost": crew children blocked in Wait() are woken one
//   per post, never more, and a wait at zero does not return on its own.
// "MultiOpAllOrNothing" (caps.multi_op): a non-blocking semop with several
//   operations changes nothing when one of them cannot proceed.
// "WaitersWokenAsDocumented" (caps.multi_op): children blocked taking k units
//   or waiting for zero proceed exactly when the value allows, and GETNCNT /
//   GETZCNT count the sleepers (caps.counts_waiters).
// "UndoOnExitAsClaimed" (caps.fork_shared): what a child did to the value is
//   undone when it exits or is killed if and only if caps.undo_on_exit.
#pragma once

#include <vector>

#include "impl/api/semaphore.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreProperties();

}  // namespace ipcspec
