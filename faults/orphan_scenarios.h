// Orphaned objects after a crash, at the interface level: a process opens a
// Kind's object and is killed (SIGKILL, so no destructor and no atexit
// handler runs). Whatever it leaves must be found by ipcspec's orphan finder
// (faults/orphans.h, `bazel run //faults:orphans`) and be removable, so that
// an operator can clean up after a crashed user of the Kind. A socket or FIFO
// left on disk is reported too: no IPC tool lists those.
//
// The scenario prints what was left ("ipcspec-orphans: KIND left: ...") so
// that the log and the report say which Kinds leave what behind.
#pragma once

#include <vector>

#include "impl/api/lock.h"
#include "impl/api/message_queue.h"
#include "impl/api/semaphore.h"
#include "impl/api/shared_region.h"
#include "suites/common/suite.h"

namespace ipcspec {

const std::vector<SuiteProperty<MessageQueueInterface>>& QueueOrphanScenarios();
const std::vector<SuiteProperty<SharedRegionInterface>>& RegionOrphanScenarios();
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreOrphanScenarios();
const std::vector<SuiteProperty<LockInterface>>& LockOrphanScenarios();

}  // namespace ipcspec
