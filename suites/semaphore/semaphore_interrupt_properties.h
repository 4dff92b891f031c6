// EINTR into a Semaphore Kind's blocking wait, as a suite property: the
// Semaphore selftest runs it with the semaphore properties, and
// //faults:semaphore_faults_test runs it against every Kind.
#pragma once

#include <vector>

#include "impl/api/semaphore.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "SignalIntoBlockedWaitLosesNoPost": a signal with a handler reaches a
//   thread blocked in the Kind's wait, with and without SA_RESTART, then one
//   post arrives (suites/common/interrupt.h): a restarted wait takes it, a
//   wait that failed EINTR leaves it, exactly one.
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreInterruptProperties();

}  // namespace ipcspec
