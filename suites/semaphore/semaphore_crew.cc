#include "suites/semaphore/semaphore_crew.h"

#include <span>

namespace ipcspec {
namespace semaphore_suite {
namespace {

enum SemaphoreOp : int32_t { kWait = 1, kApply = 2 };

// The order's call, in the member. Async-signal-safe: the Kind's wrappers.
int Carry(Semaphore* sem, const CrewOrder& o) {
  if (o.op == kWait) return sem->Wait().errno_value();
  // arg[0]: how many deltas (at most 4), arg[1..4]: the deltas.
  const size_t n = o.arg[0] < 0 ? 0 : (o.arg[0] > 4 ? 4 : static_cast<size_t>(o.arg[0]));
  return sem->Apply(std::span<const int>(&o.arg[1], n), Blocking::kBlock).errno_value();
}

}  // namespace

CrewOrder WaitOrder() {
  CrewOrder o;
  o.op = kWait;
  return o;
}

CrewOrder ApplyOrder(int delta) {
  CrewOrder o;
  o.op = kApply;
  o.arg[0] = 1;
  o.arg[1] = delta;
  return o;
}

Crew::Hire SemaphoreWork(Semaphore* sem) {
  return [sem](int) -> PosixErrorOr<Crew::Work> {
    return Crew::Work([sem](const CrewOrder& o) { return Carry(sem, o); });
  };
}

PosixError CrewFixture::Prepare() {
  if (!dirty_ && uses_ < kRenew) {
    ++uses_;
    dirty_ = true;
    return NoError();
  }
  Teardown();
  auto inst = kind_.Open();
  if (!inst.ok()) return inst.error();
  sem_ = std::move(inst).ValueOrDie();
  auto crew = Crew::Start(crew_size_, SemaphoreWork(sem_.get()));
  if (!crew.ok()) return crew.error();
  crew_ = std::move(crew).ValueOrDie();
  uses_ = 1;
  dirty_ = true;
  return NoError();
}

}  // namespace semaphore_suite
}  // namespace ipcspec
