// A lock crew: a few long-lived worker processes, each with its OWN handle on
// one Lock (made in the worker, after fork), that acquire, try, release and
// contend when told to. The properties reuse one crew across all their cases,
// so a case costs futex round trips, not forks.
//
// Orders go through a mailbox per worker in shared memory: the parent bumps
// `posted` (a futex word), the worker marks the order `started`, makes ONE
// lock call (or a contention burst), stores the errno and bumps `finished`
// (another futex word). Workers run the Kind's thin wrappers, atomics and
// futex calls only, and exit when no order comes for two minutes; the crew's
// destructor SIGKILLs and reaps them (Child).
//
// The critical section of a contention burst checks mutual exclusion itself:
// it swaps its pid into a shared owner word (anything but 0 there means
// another process is inside), increments a counter with a separate load and
// store around a sched_yield() (an overlap loses an increment), and takes its
// pid out again (anything else there means someone came in meanwhile).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <ostream>
#include <vector>

#include "impl/api/lock.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

inline constexpr int kMaxLockWorkers = 6;

enum class WorkerOp : uint32_t {
  kAcquire = 1,     // Acquire(deadline_ms)
  kTryAcquire,      // TryAcquire()
  kRelease,         // Release()
  kMakeConsistent,  // MakeConsistent()
  kContend,         // `rounds` x { acquire; critical section; Release() }
};
const char* ToString(WorkerOp op);

enum class ContendMode : uint32_t {
  kBlocking = 0,  // acquire with Acquire()
  kTrySpin = 1,   // acquire with TryAcquire() until it succeeds (sched_yield between)
};
std::ostream& operator<<(std::ostream& os, ContendMode m);

struct alignas(64) WorkerBox {
  std::atomic<uint32_t> ready{0};     // futex: 1 once the handle is made
  std::atomic<int32_t> ready_errno{0};
  std::atomic<uint32_t> posted{0};    // futex: number of the latest order
  std::atomic<uint32_t> started{0};   // number of the order being carried out
  std::atomic<uint32_t> finished{0};  // futex: number of the latest finished order
  std::atomic<uint32_t> op{0};
  std::atomic<uint32_t> rounds{0};
  std::atomic<uint32_t> mode{0};
  std::atomic<uint32_t> deadline_ms{0};
  std::atomic<int32_t> result{0};     // errno of the order (0: success)
};

struct CriticalSection {
  std::atomic<int32_t> owner{0};       // pid inside, 0 when nobody is
  std::atomic<uint64_t> counter{0};    // increments, a load and a store apart
  std::atomic<uint32_t> violations{0};
  std::atomic<int32_t> first_inside{0};   // the first overlap seen: who was inside
  std::atomic<int32_t> first_intruder{0}; // and who came in
};

struct CrewBoard {
  WorkerBox box[kMaxLockWorkers];
  CriticalSection cs;
};

class LockCrew {
 public:
  // Forks n (<= kMaxLockWorkers) workers on `lock`, each making its handle.
  // `busy` are the errnos of a try-acquire that found the lock held (for
  // ContendMode::kTrySpin).
  static PosixErrorOr<std::unique_ptr<LockCrew>> Start(Lock* lock, int n,
                                                       std::vector<int> busy);
  ~LockCrew() = default;

  int size() const { return static_cast<int>(workers_.size()); }
  pid_t pid(int w) const { return workers_[static_cast<size_t>(w)].pid(); }
  CriticalSection& cs() const { return board_->cs; }

  // Posts an order to worker w, which must have finished its previous one.
  PosixError Post(int w, WorkerOp op, uint32_t rounds = 0,
                  ContendMode mode = ContendMode::kBlocking, uint32_t deadline_ms = 10000);
  // Waits for worker w's latest order; returns its errno (0: success).
  // ETIMEDOUT at the deadline; ECHILD if the worker died (with its status).
  PosixErrorOr<int> Await(int w, const Deadline& deadline);
  // Post + Await(Deadline::Default()).
  PosixErrorOr<int> Run(int w, WorkerOp op, uint32_t deadline_ms = 10000);
  bool Finished(int w) const;

  enum class Progress { kFinished, kBlocked };
  // Waits until worker w finished its latest order, or has started it and
  // sleeps in one of `syscalls` (in any call where the kernel does not say).
  PosixErrorOr<Progress> FinishedOrBlocked(int w, const std::vector<long>& syscalls,
                                           const Deadline& deadline);

  // SIGKILLs worker w and reaps it.
  PosixErrorOr<WaitStatus> Kill(int w);
  // Forks a new worker in slot w (after Kill), with a new handle.
  PosixError Respawn(int w);

 private:
  explicit LockCrew(SharedObject<CrewBoard> board) : board_(std::move(board)) {}
  PosixError Spawn(int w);
  Lock* lock_ = nullptr;
  std::vector<int> busy_;
  SharedObject<CrewBoard> board_;
  std::vector<Child> workers_;
};

}  // namespace ipcspec
