// Semaphore: a counter that processes take from and give to, and wait on.
// System V semaphores (man 7 sysvipc, man 2 semop: one semaphore of a set,
// with or without SEM_UNDO), POSIX semaphores (man 7 sem_overview: named with
// sem_open(3), unnamed process-shared with sem_init(3)), and any library that
// counts and blocks.
//
// Each call is ONE system or library call (one semop(2), one sem_post(3),
// ...): nothing is retried (EINTR included), a failure is returned as the call
// failed, so suites check exactly what the man pages promise for that call.
//
// An instance is usable in a child made by fork() after Open() when the caps
// say so (fork_shared). Only the parent's copy removes the semaphore: a child
// _exit()s and runs no destructor.
#pragma once

#include <chrono>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "impl/api/byte_stream.h"  // Blocking
#include "impl/api/kind.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct SemaphoreCaps {
  // The largest value the semaphore may hold: SEMVMX (32767, man 2 semop) for
  // System V, SEM_VALUE_MAX (man 3 sem_post) for POSIX.
  long max_value = 0;
  // errno of an increment past max_value: ERANGE (man 2 semop) or EOVERFLOW
  // (man 3 sem_post).
  int overflow_errno = 0;
  // What a process did to the value is undone when it terminates (SEM_UNDO,
  // man 2 semop: "it will be automatically undone when the process
  // terminates").
  bool undo_on_exit = false;
  // Apply(): several operations (add, take, wait-for-zero) done in one call,
  // in array order and atomically (man 2 semop with several sembufs).
  bool multi_op = false;
  // Waiters(): the number of blocked waiters is observable (GETNCNT and
  // GETZCNT, man 2 semctl).
  bool counts_waiters = false;
  // TimedWait() exists; errno when the time runs out: EAGAIN (man 2
  // semtimedop) or ETIMEDOUT (man 3 sem_timedwait).
  bool timed_wait = false;
  int timeout_errno = 0;
  // The instance works in a child forked after Open() (an id, or a mapping
  // the child inherits).
  bool fork_shared = true;
  // An unrelated process can open the same semaphore by its name or key
  // (sem_open(3), semget(2) with a key); Semaphore::Name() gives it.
  bool by_name = false;
  // Value() reads the count (GETVAL, sem_getvalue(3)). False for a library
  // with no such call (Boost.Interprocess semaphores: post, wait, try_wait,
  // timed_wait only): Value() fails ENOTSUP, and the properties check the
  // count through the results of the operations alone.
  bool reports_value = true;
  // The system calls a blocked waiter sleeps in (for WaitUntilBlocked):
  // SYS_futex for POSIX semaphores, SYS_semop / SYS_semtimedop for System V.
  std::vector<long> wait_syscalls;
};

enum class WaiterSort {
  kIncrease,  // waiting for the value to increase (semncnt, GETNCNT)
  kZero,      // waiting for the value to become zero (semzcnt, GETZCNT)
};
const char* ToString(WaiterSort s);

class Semaphore {
 public:
  virtual ~Semaphore() = default;

  // Adds one (semop +1 / sem_post).
  virtual PosixError Post() = 0;
  // Takes one, blocking while the value is zero (semop -1 / sem_wait).
  virtual PosixError Wait() = 0;
  // Takes one or fails EAGAIN at once (IPC_NOWAIT / sem_trywait).
  virtual PosixError TryWait() = 0;
  // Takes one, waiting at most `timeout` (semtimedop / sem_clockwait). Only
  // when caps.timed_wait; otherwise ENOTSUP.
  virtual PosixError TimedWait(std::chrono::nanoseconds timeout) = 0;
  // The current value (GETVAL / sem_getvalue). Linux reports 0, never a
  // negative count, while processes wait (man 3 sem_getvalue).
  virtual PosixErrorOr<long> Value() = 0;

  // caps.multi_op only (else ENOTSUP): one call doing deltas[0], deltas[1],
  // ... in order and atomically; a delta > 0 adds, < 0 takes, 0 waits for
  // zero (man 2 semop). kNonBlock puts IPC_NOWAIT on every operation.
  virtual PosixError Apply(std::span<const int> deltas, Blocking b);
  // caps.counts_waiters only (else ENOTSUP): semncnt / semzcnt.
  virtual PosixErrorOr<long> Waiters(WaiterSort s);

  // The name or key another process opens it by ("" if none).
  virtual std::string Name() const { return ""; }
  // "SysV semid 32768 semnum 0, SEM_UNDO", "POSIX named /ipcspec_sem_12_3"
  virtual std::string Describe() const = 0;

  // Removes the semaphore (IPC_RMID / sem_close + sem_unlink / sem_destroy +
  // munmap). The destructor does it when not done. Once only.
  virtual PosixError Remove() = 0;
};

// One Kind's semaphore, owned: destroying it removes the semaphore.
using SemaphoreInstance = std::unique_ptr<Semaphore>;

struct SemaphoreInterface {
  using Caps = SemaphoreCaps;
  using Instance = SemaphoreInstance;
  static constexpr const char* kName = "Semaphore";
};

using SemaphoreKind = Kind<SemaphoreInterface>;

// "{+2, -1, 0}"
std::string FormatDeltas(std::span<const int> deltas);

}  // namespace ipcspec
