// The list of Semaphore properties (semaphore_properties.h says what each
// checks). Each property lives in its own file with its model and commands:
//   semaphore_counter.cc   CounterNeverNegative
//   semaphore_wakeup.cc    EveryWakeupMatchesAPost (a crew of waiters)
//   semaphore_multi_op.cc  MultiOpAllOrNothing
//   semaphore_waiters.cc   WaitersWokenAsDocumented (a crew of waiters)
//   semaphore_undo.cc      UndoOnExitAsClaimed
// and share semaphore_suite.h (cites, value checks) and semaphore_crew.h.
#include "suites/semaphore/semaphore_properties.h"

#include <optional>
#include <string>

#include "suites/semaphore/semaphore_suite.h"

namespace ipcspec {
namespace {

using namespace semaphore_suite;  // NOLINT: the cites and the Run functions

std::optional<std::string> NeedsMultiOp(const SemaphoreKind& k) {
  if (k.caps.multi_op) return std::nullopt;
  return std::string("no multi-operation calls (only System V semop(2) has them)");
}

}  // namespace

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreProperties() {
  static const auto* props = new std::vector<SuiteProperty<SemaphoreInterface>>{
      {"CounterNeverNegative", kCiteNeverNegative, nullptr, RunCounterNeverNegative},
      {"EveryWakeupMatchesAPost", kCiteWakeup,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return std::nullopt;
       },
       RunEveryWakeupMatchesAPost},
      {"MultiOpAllOrNothing", kCiteAtomic, NeedsMultiOp, RunMultiOpAllOrNothing},
      {"WaitersWokenAsDocumented", kCiteWaiters,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return NeedsMultiOp(k);
       },
       RunWaitersWokenAsDocumented},
      {"UndoOnExitAsClaimed", kCiteUndo,
       [](const SemaphoreKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shared) return std::string("the semaphore is not usable after fork");
         return std::nullopt;
       },
       RunUndoOnExitAsClaimed},
  };
  return *props;
}

}  // namespace ipcspec
