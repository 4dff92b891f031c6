// What a Lock crew member (suites/common/crew.h) does: each member makes its
// OWN handle on one Lock (in the member, after fork), then acquires, tries,
// releases and contends when told to, one order at a time. The properties
// reuse one crew across all their cases, so a case costs round trips to the
// members, not forks.
//
// The critical section of a contention burst checks mutual exclusion itself:
// it swaps its pid into a shared owner word (anything but 0 there means
// another process is inside), increments a counter with a separate load and
// store around a sched_yield() (an overlap loses an increment), and takes its
// pid out again (anything else there means someone came in meanwhile).
#pragma once

#include <atomic>
#include <cstdint>
#include <ostream>
#include <vector>

#include "impl/api/lock.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "suites/common/crew.h"

namespace ipcspec {

enum class WorkerOp : int32_t {
  kAcquire = 1,     // Acquire(deadline_ms)
  kTryAcquire,      // TryAcquire()
  kRelease,         // Release()
  kMakeConsistent,  // MakeConsistent()
  kContend,         // `rounds` x { acquire; critical section; Release() }
};
const char* ToString(WorkerOp op);

enum class ContendMode : int32_t {
  kBlocking = 0,  // acquire with Acquire()
  kTrySpin = 1,   // acquire with TryAcquire() until it succeeds (sched_yield between)
};
std::ostream& operator<<(std::ostream& os, ContendMode m);

// In shared memory: what the members' critical sections saw.
struct CriticalSection {
  std::atomic<int32_t> owner{0};       // pid inside, 0 when nobody is
  std::atomic<uint64_t> counter{0};    // increments, a load and a store apart
  std::atomic<uint32_t> violations{0};
  std::atomic<int32_t> first_inside{0};   // the first overlap seen: who was inside
  std::atomic<int32_t> first_intruder{0}; // and who came in
};

CrewOrder LockOrder(WorkerOp op, uint32_t rounds = 0, ContendMode mode = ContendMode::kBlocking,
                    uint32_t deadline_ms = 10000);

// Each member makes its handle on `lock` and carries out LockOrders;
// contention bursts go through `cs` (shared memory that outlives the crew).
// `busy` are the errnos of a try-acquire that found the lock held (for
// ContendMode::kTrySpin).
Crew::Hire LockWork(Lock* lock, CriticalSection* cs, std::vector<int> busy);

// Send + Await(deadline_ms + 5 s): the order's errno (0: success).
PosixErrorOr<int> RunLockOrder(Crew& crew, int w, WorkerOp op, uint32_t deadline_ms = 10000);

}  // namespace ipcspec
