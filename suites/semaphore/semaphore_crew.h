// The semaphore's crew (suites/common/crew.h): members that each make ONE
// blocking call on the semaphore when told to -- Wait(), or Apply() of a
// few deltas with kBlock -- so that the properties can have several
// processes blocked at once. CrewFixture keeps a semaphore and its crew from
// case to case.
#pragma once

#include <array>
#include <memory>

#include "impl/api/semaphore.h"
#include "impl/core/posix_error.h"
#include "suites/common/crew.h"

namespace ipcspec {
namespace semaphore_suite {

// The orders: Wait(), or Apply({delta}, kBlock).
CrewOrder WaitOrder();
CrewOrder ApplyOrder(int delta);

// What a member does with an order, on `sem` (inherited across fork).
Crew::Hire SemaphoreWork(Semaphore* sem);

// One semaphore and a crew, kept from case to case.
class CrewFixture {
 public:
  CrewFixture(const SemaphoreKind& kind, int crew_size) : kind_(kind), crew_size_(crew_size) {}
  ~CrewFixture() { Teardown(); }

  // A semaphore at value 0 and an idle crew. Kept from the previous case if
  // it ended cleanly; made anew after a failed case and every kRenew cases
  // (so that SEM_UNDO adjustments stay far from their limit).
  PosixError Prepare();
  void CaseEndedCleanly() { dirty_ = false; }

  Semaphore& sem() { return *sem_; }
  Crew& crew() { return *crew_; }

 private:
  static constexpr int kRenew = 50;
  void Teardown() {
    crew_.reset();  // SIGKILL and reap the children first
    sem_.reset();   // then remove the semaphore
  }
  const SemaphoreKind& kind_;
  int crew_size_;
  SemaphoreInstance sem_;
  std::unique_ptr<Crew> crew_;
  bool dirty_ = true;
  int uses_ = 0;
};

// What the parent expects of each crew child (counts since the crew began).
struct CrewLedger {
  std::array<uint32_t, kMaxCrew> sent{};  // orders sent
  uint32_t completions = 0;               // completions expected in all

  void Reset(const Crew& c) {
    for (int i = 0; i < c.size(); ++i) sent[i] = c.finished(i);
    completions = c.completions();
  }
};

}  // namespace semaphore_suite
}  // namespace ipcspec
