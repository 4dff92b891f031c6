#include "suites/lock/lock_work.h"

#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <memory>

namespace ipcspec {
namespace {

// The order's fields (CrewOrder::arg).
constexpr int kRounds = 0, kMode = 1, kDeadlineMs = 2;

bool IsBusy(int e, const std::vector<int>& busy) {
  return std::find(busy.begin(), busy.end(), e) != busy.end();
}

void CriticalSectionBody(CriticalSection& cs) {
  const int32_t me = static_cast<int32_t>(getpid());
  const int32_t inside = cs.owner.exchange(me, std::memory_order_acq_rel);
  if (inside != 0) {
    if (cs.violations.fetch_add(1) == 0) {
      cs.first_inside.store(inside);
      cs.first_intruder.store(me);
    }
  }
  // A load and a store apart, with a chance for another process to run in
  // between: two processes inside at once lose an increment.
  const uint64_t c = cs.counter.load(std::memory_order_relaxed);
  sched_yield();
  cs.counter.store(c + 1, std::memory_order_relaxed);
  int32_t expected = me;
  if (!cs.owner.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) {
    if (cs.violations.fetch_add(1) == 0) {
      cs.first_inside.store(me);
      cs.first_intruder.store(expected);
    }
  }
}

PosixError TrySpin(LockHandle& h, const std::vector<int>& busy, const Deadline& d) {
  for (;;) {
    PosixError e = h.TryAcquire();
    if (e.ok() || !IsBusy(e.errno_value(), busy)) return e;
    if (d.Expired()) return PosixError(ETIMEDOUT, "TryAcquire() never succeeded");
    sched_yield();
  }
}

int Contend(LockHandle& h, CriticalSection& cs, uint32_t rounds, ContendMode mode,
            const std::vector<int>& busy, uint32_t deadline_ms) {
  for (uint32_t i = 0; i < rounds; ++i) {
    Deadline d = Deadline::In(std::chrono::milliseconds(deadline_ms));
    PosixError e = mode == ContendMode::kTrySpin ? TrySpin(h, busy, d) : h.Acquire(d);
    if (!e.ok()) return e.errno_value();
    CriticalSectionBody(cs);
    e = h.Release();
    if (!e.ok()) return e.errno_value();
  }
  return 0;
}

// One order, in the member. Async-signal-safe: the handle's thin wrappers,
// atomics, sched_yield.
int Execute(LockHandle& h, const CrewOrder& o, CriticalSection& cs, const std::vector<int>& busy) {
  const auto deadline_ms = static_cast<uint32_t>(o.arg[kDeadlineMs]);
  switch (static_cast<WorkerOp>(o.op)) {
    case WorkerOp::kAcquire:
      return h.Acquire(Deadline::In(std::chrono::milliseconds(deadline_ms))).errno_value();
    case WorkerOp::kTryAcquire:
      return h.TryAcquire().errno_value();
    case WorkerOp::kRelease:
      return h.Release().errno_value();
    case WorkerOp::kMakeConsistent:
      return h.MakeConsistent().errno_value();
    case WorkerOp::kContend:
      return Contend(h, cs, static_cast<uint32_t>(o.arg[kRounds]),
                     static_cast<ContendMode>(o.arg[kMode]), busy, deadline_ms);
  }
  return EINVAL;
}

}  // namespace

std::ostream& operator<<(std::ostream& os, ContendMode m) {
  return os << (m == ContendMode::kTrySpin ? "TryAcquire() until it succeeds" : "Acquire()");
}

const char* ToString(WorkerOp op) {
  switch (op) {
    case WorkerOp::kAcquire:
      return "Acquire()";
    case WorkerOp::kTryAcquire:
      return "TryAcquire()";
    case WorkerOp::kRelease:
      return "Release()";
    case WorkerOp::kMakeConsistent:
      return "MakeConsistent()";
    case WorkerOp::kContend:
      return "contend";
  }
  return "?";
}

CrewOrder LockOrder(WorkerOp op, uint32_t rounds, ContendMode mode, uint32_t deadline_ms) {
  CrewOrder o;
  o.op = static_cast<int32_t>(op);
  o.arg[kRounds] = static_cast<int32_t>(rounds);
  o.arg[kMode] = static_cast<int32_t>(mode);
  o.arg[kDeadlineMs] = static_cast<int32_t>(deadline_ms);
  return o;
}

Crew::Hire LockWork(Lock* lock, CriticalSection* cs, std::vector<int> busy) {
  return [lock, cs, busy = std::move(busy)](int) -> PosixErrorOr<Crew::Work> {
    IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<LockHandle> h, lock->NewHandle());
    std::shared_ptr<LockHandle> handle = std::move(h);
    return Crew::Work([handle, cs, busy](const CrewOrder& o) {
      return Execute(*handle, o, *cs, busy);
    });
  };
}

PosixErrorOr<int> RunLockOrder(Crew& crew, int w, WorkerOp op, uint32_t deadline_ms) {
  IPCSPEC_RETURN_IF_ERROR(crew.Send(w, LockOrder(op, 0, ContendMode::kBlocking, deadline_ms)));
  return crew.Await(w, Deadline::In(std::chrono::milliseconds(deadline_ms) + std::chrono::seconds(5)));
}

}  // namespace ipcspec
