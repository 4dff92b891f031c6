#include "faults/orphan_scenarios.h"

#include <memory>

#include "suites/common/crashed_opener.h"

namespace ipcspec {

const std::vector<SuiteProperty<SharedRegionInterface>>& RegionOrphanScenarios() {
  // A shared region's Open() makes no object: the process creates one page
  // and attaches it before it dies.
  static const auto* p = new std::vector<SuiteProperty<SharedRegionInterface>>{
      CrashedOpenerProperty<SharedRegionInterface>([](std::unique_ptr<SharedRegion>& r) {
        if (r->Create(4096).ok()) (void)r->Attach(RegionAccess::kReadWrite);
      }),
  };
  return *p;
}
const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreOrphanScenarios() {
  static const auto* p = new std::vector<SuiteProperty<SemaphoreInterface>>{
      CrashedOpenerProperty<SemaphoreInterface>(),
  };
  return *p;
}
const std::vector<SuiteProperty<LockInterface>>& LockOrphanScenarios() {
  static const auto* p = new std::vector<SuiteProperty<LockInterface>>{
      CrashedOpenerProperty<LockInterface>(),
  };
  return *p;
}

}  // namespace ipcspec
