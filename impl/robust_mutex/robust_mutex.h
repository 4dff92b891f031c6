// Process-shared pthread mutexes in shared memory, as Lock Kinds
// (impl/api/lock.h), and the pieces the robust_mutex suite builds on.
//
//   robust_mutex        PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ROBUST
//                       (man 3 pthread_mutexattr_setrobust,
//                       man 3 pthread_mutexattr_setpshared)
//   robust_pi_mutex     the same with PTHREAD_PRIO_INHERIT (the kernel's
//                       FUTEX_LOCK_PI path)
//   errorcheck_mutex    PTHREAD_PROCESS_SHARED, PTHREAD_MUTEX_ERRORCHECK,
//                       PTHREAD_MUTEX_STALLED: NOT released when its holder
//                       dies ("the mutex remains locked afterwards")
//
// The mutex lives in its own MAP_SHARED | MAP_ANONYMOUS mapping, made before
// fork, so every forked child sees it; a handle is just access to it.
//
// Never pthread_cond_destroy() a condition variable a killed process waited
// on: glibc's destroy waits for every waiter to leave, and a SIGKILLed one
// never does. SharedCond only unmaps.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <string>

#include "impl/api/lock.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct MutexConfig {
  bool robust = true;                   // PTHREAD_MUTEX_ROBUST, else _STALLED
  int type = PTHREAD_MUTEX_NORMAL;      // NORMAL, ERRORCHECK, RECURSIVE
  int protocol = PTHREAD_PRIO_NONE;     // or PTHREAD_PRIO_INHERIT
  std::string Describe() const;         // "robust normal pshared mutex"
};

// A PTHREAD_PROCESS_SHARED mutex in its own shared anonymous mapping. The
// destructor unlocks it if the calling thread holds it (so no unmapped mutex
// stays on this thread's robust list) and unmaps it.
class SharedMutex {
 public:
  static PosixErrorOr<SharedMutex> Create(const MutexConfig& config);
  SharedMutex(SharedMutex&& o) noexcept;
  SharedMutex& operator=(SharedMutex&& o) noexcept;
  SharedMutex(const SharedMutex&) = delete;
  SharedMutex& operator=(const SharedMutex&) = delete;
  ~SharedMutex();

  pthread_mutex_t* get() const { return m_; }
  const MutexConfig& config() const { return config_; }

  // Each returns the pthread function's result (0 or an error number).
  // pthread_mutex_timedlock with the deadline as an absolute CLOCK_REALTIME
  // time: ETIMEDOUT at the deadline.
  int LockUntil(const Deadline& deadline) const;
  int TryLock() const;
  int Unlock() const;
  int Consistent() const;
  // True when the calling thread holds it (glibc's owner field).
  bool HeldByMe() const;
  // The thread id in the mutex's futex word (glibc's __lock, without the
  // FUTEX_WAITERS / FUTEX_OWNER_DIED bits): who the kernel thinks holds it.
  // For diagnostics of library behaviour only.
  pid_t FutexWordTid() const;

 private:
  SharedMutex(pthread_mutex_t* m, MutexConfig c) : m_(m), config_(c) {}
  void Reset();
  pthread_mutex_t* m_ = nullptr;
  MutexConfig config_;
};

// A PTHREAD_PROCESS_SHARED condition variable on CLOCK_MONOTONIC, in its own
// shared anonymous mapping. Unmapped, never destroyed (see above).
class SharedCond {
 public:
  static PosixErrorOr<SharedCond> Create();
  SharedCond(SharedCond&& o) noexcept;
  SharedCond& operator=(SharedCond&& o) noexcept;
  SharedCond(const SharedCond&) = delete;
  SharedCond& operator=(const SharedCond&) = delete;
  ~SharedCond();

  pthread_cond_t* get() const { return c_; }
  // pthread_cond_timedwait with the deadline (CLOCK_MONOTONIC): ETIMEDOUT at
  // the deadline. `m` must be held by the caller.
  int WaitUntil(const SharedMutex& m, const Deadline& deadline) const;
  int Signal() const;
  int Broadcast() const;

 private:
  explicit SharedCond(pthread_cond_t* c) : c_(c) {}
  void Reset();
  pthread_cond_t* c_ = nullptr;
};

// "EOWNERDEAD" etc. for a pthread result code (0: "0 (success)").
std::string PthreadResultName(int r);

// An instance of a mutex Lock Kind.
PosixErrorOr<LockInstance> OpenMutexLock(const MutexConfig& config);

}  // namespace ipcspec
