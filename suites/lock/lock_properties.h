// The Lock suite: properties every inter-process lock Kind must have.
#pragma once

#include <vector>

#include "impl/api/lock.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "MutualExclusion": several processes acquire, run a critical section that
//   checks a shared owner word and counter, and release, many times over;
//   never two inside at once, no increment lost.
// "TryAcquireFailsWhileHeld": a state machine of acquire, try-acquire,
//   release, a release by a non-holder and a blocked acquire handed the lock
//   on release, across processes, against a model of who holds the lock.
// "ReleasedWhenHolderDies": SIGKILL the holder (with or without a process
//   blocked waiting); the lock goes to the next acquirer (with EOWNERDEAD for
//   a robust mutex, which is then made consistent and usable).
const std::vector<SuiteProperty<LockInterface>>& LockProperties();

}  // namespace ipcspec
