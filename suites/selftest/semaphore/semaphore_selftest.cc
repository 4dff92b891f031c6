// The Semaphore suite's self-test (suites/common/selftest.h): every mutant in
// impl/mutants/semaphore must be caught by exactly the properties its MustCatch
// entry names, and every real Semaphore Kind must pass the same properties
// with the same pinned seed and number of cases.
//
// The properties include the scenario that interrupts a wait: a mutant that
// only misbehaves after EINTR must be caught too.
#include "gtest/gtest.h"
#include "suites/semaphore/semaphore_interrupt_properties.h"
#include "suites/semaphore/semaphore_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

const SelftestSpec<SemaphoreInterface>& Spec() {
  static const auto* spec = [] {
    auto* s = new SelftestSpec<SemaphoreInterface>();
    s->properties = SemaphoreProperties();
    for (const auto& p : SemaphoreInterruptProperties()) s->properties.push_back(p);
    s->max_success = 50;
    // Required on the pinned seed (the test prints each mutant's measured
    // entry), no other catch on any seed; explored on seeds 1-3
    // (suites/common/selftest.h, "Seeds"). "P?": P catches it on some seeds.
    s->must_catch = {
        {"mutant_post_wakes_nobody", {"EveryWakeupMatchesAPost"}},
        {"mutant_sysv_greedy_take", {"WaitersWokenAsDocumented"}},
        {"mutant_sysv_late_take_after_eintr", {"SignalIntoBlockedWaitLosesNoPost"}},
        {"mutant_sysv_lost_post", {"CounterNeverNegative", "EveryWakeupMatchesAPost", "MultiOpAllOrNothing", "UndoOnExitAsClaimed"}},
        {"mutant_sysv_split_multiop", {"MultiOpAllOrNothing"}},
        {"mutant_sysv_undo_claimed", {"UndoOnExitAsClaimed"}},
        {"mutant_trywait_at_zero", {"CounterNeverNegative", "EveryWakeupMatchesAPost", "UndoOnExitAsClaimed"}},
        {"mutant_wake_all_no_recheck", {"EveryWakeupMatchesAPost"}},
    };
    return s;
  }();
  return *spec;
}

IPCSPEC_SELFTEST(Semaphore, SemaphoreInterface, Spec());

}  // namespace
}  // namespace ipcspec
