// Orphaned objects after a crash (suites/common/crashed_opener.h), for the
// interfaces whose selftests do not take it into their property list:
// SharedRegion, Semaphore and Lock. The MessageQueue one is in
// suites/message_queue/message_queue_fault_properties.h.
#pragma once

#include <vector>

#include "impl/api/lock.h"
#include "impl/api/semaphore.h"
#include "impl/api/shared_region.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<SharedRegionInterface>>& RegionOrphanScenarios();
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreOrphanScenarios();
const std::vector<SuiteProperty<LockInterface>>& LockOrphanScenarios();

}  // namespace ipcspec
