// Orphaned objects after a crash, at the interface level: a process opens a
// Kind's object and is killed (SIGKILL, so no destructor and no atexit
// handler runs). Whatever it leaves must be found by ipcspec's orphan finder
// (impl/inject/orphans.h, `bazel run //faults:orphans`) and be removable, so that
// an operator can clean up after a crashed user of the Kind. A socket or FIFO
// left on disk is reported too: no IPC tool lists those.
//
// The check prints what was left ("ipcspec-orphans: KIND left: ...") so that
// the log and the report say which Kinds leave what behind. Each interface
// takes the property into its own list (MessageQueue:
// suites/message_queue/message_queue_fault_properties.cc; SharedRegion,
// Semaphore, Lock: faults/orphan_scenarios.cc).
#pragma once

#include <functional>
#include <string>
#include <utility>

#include "impl/core/property.h"
#include "suites/common/suite.h"

namespace ipcspec {

// The sentence the property checks (man 7 sysvipc, shm_overview, ...).
extern const char* const kCrashedOpenerCite;

// Forks a process that runs `open_and_keep` (open the Kind's object and keep
// it past the kill; false: it could not be opened) and SIGKILLs itself; then
// checks that the orphan finder reports everything it left, reaps it, and
// removes what the finder missed.
PropertyOutcome CheckCrashedOpener(const std::string& kind_name,
                                   const std::function<bool()>& open_and_keep);

// "CrashedOpenerLeavesOnlyFindableObjects" for every Kind of Interface.
// `use` is what the process does with its fresh instance before it dies
// (a shared region is created and attached); by default, nothing: Open()
// already makes the object.
template <typename Interface>
SuiteProperty<Interface> CrashedOpenerProperty(
    std::function<void(typename Interface::Instance&)> use = nullptr) {
  return {"CrashedOpenerLeavesOnlyFindableObjects", kCrashedOpenerCite, nullptr,
          [use](const Kind<Interface>& kind) {
            return CheckCrashedOpener(kind.name, [&kind, &use]() -> bool {
              auto inst = kind.Open();
              if (!inst.ok()) return false;
              // Keep it alive past the kill: no destructor may run.
              auto* kept = new typename Interface::Instance(std::move(inst).value());
              if (use) use(*kept);
              return true;
            });
          }};
}

}  // namespace ipcspec
