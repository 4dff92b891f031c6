// The Counter suite: properties every Counter Kind (eventfd and friends) must
// have.
#pragma once

#include <vector>

#include "impl/api/counter.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "ModelSequences": random adds (small, near the maximum, the reserved
//   all-ones value) and takes, blocking and not, and poll readiness, against
//   a model counter.
// "BlockedAddWokenByTake": an add that would pass the maximum blocks (a child
//   seen asleep in it) until a take makes room, then completes.
// "BlockedTakeWokenByAdd": a take at zero blocks until an add, then returns
//   what the mode says.
const std::vector<SuiteProperty<CounterInterface>>& CounterProperties();

}  // namespace ipcspec
