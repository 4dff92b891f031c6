// EINTR delivered into a Kind's blocking calls, at the interface level: a
// signal with a handler reaches a thread blocked in the Kind's receive (or
// wait), with and without SA_RESTART, and then the data that wakes it is
// sent. The call may restart or fail EINTR, as the Kind's man page (or
// library manual) says, but nothing may be lost or delivered twice.
//
// These run against every Kind of the interface, an external library's
// included: a thread, not a forked child, blocks (a library may forbid use
// across fork()).
#pragma once

#include <vector>

#include "impl/api/message_queue.h"
#include "impl/api/semaphore.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<MessageQueueInterface>>& QueueInterruptScenarios();
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreInterruptScenarios();

}  // namespace ipcspec
