// Lock: mutual exclusion between processes. fcntl(2) record locks, open file
// description locks (F_OFD_SETLK), flock(2), process-shared pthread mutexes in
// shared memory (robust or not), and any library that excludes processes.
//
// A Lock instance owns the lock object (a file it created and removes, or a
// MAP_SHARED mapping holding the mutex). Contenders are handles: each process
// that wants the lock makes its OWN handle with NewHandle(), in that process
// (after fork). For locks that belong to an open file description (OFD locks,
// flock) a handle is a new open(2) of the file; an inherited handle would be
// the parent's contender, not a new one (man 2 flock: "duplicate file
// descriptors (created by, for example, fork(2) or dup(2)) refer to the same
// lock").
//
// Each call is ONE system or library call (fcntl F_SETLK, flock LOCK_NB,
// pthread_mutex_trylock, ...), except Acquire(), which also arms a deadline
// (a timer signal, or an absolute timeout) so that it never hangs. Nothing is
// retried; failures come back as the call failed.
//
// Handles are usable in children made by fork() (plain system calls and
// shared memory). A child _exit()s without running the Lock's destructor, so
// only the parent's copy removes the lock object.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// Who holds a lock once it is acquired.
enum class LockOwner {
  // The process (fcntl record locks, man 2 fcntl: "The record locks
  // described above are associated with the process").
  kProcess,
  // The open file description: OFD locks and flock(2). Shared by dup(2)ed
  // fds and across fork(2).
  kOpenFileDescription,
  // The thread that locked it (pthread mutexes). In these single-threaded
  // test processes, the same as the process.
  kThread,
};
const char* ToString(LockOwner o);

struct LockCaps {
  LockOwner owner = LockOwner::kProcess;
  // What TryAcquire() fails with while another contender holds the lock
  // (man 2 fcntl F_SETLK: "EACCES or EAGAIN"; F_OFD_SETLK: EAGAIN; man 2
  // flock: EWOULDBLOCK; pthread_mutex_trylock: EBUSY).
  std::vector<int> busy_errnos;
  // The lock is let go when its holder dies (every kernel lock: the holder's
  // files are closed at exit; a robust mutex is handed on with EOWNERDEAD).
  // False for a PTHREAD_MUTEX_STALLED mutex, which stays locked.
  bool released_on_holder_death = true;
  // After the holder died, the next Acquire()/TryAcquire() acquires and
  // reports EOWNERDEAD; the new holder calls MakeConsistent()
  // (man 3 pthread_mutexattr_setrobust, PTHREAD_MUTEX_ROBUST).
  bool robust = false;
  // Release() by a contender that does not hold the lock: whether that is
  // defined, and then the errno it fails with (0: it succeeds and changes
  // nothing, as F_UNLCK / LOCK_UN of a lock one does not hold; EPERM for
  // robust and error-checking mutexes). Undefined for a normal mutex.
  bool foreign_release_defined = true;
  int foreign_release_errno = 0;
  // The system calls a blocked Acquire() sleeps in (for WaitUntilBlocked):
  // SYS_fcntl, SYS_flock, SYS_futex.
  std::vector<long> wait_syscalls;
  // The lock lives in a file, Lock::Path().
  bool file_based = false;
};

// One contender. Not thread-safe; one per process.
class LockHandle {
 public:
  virtual ~LockHandle() = default;
  // Blocks until this handle holds the lock, or fails ETIMEDOUT at the
  // deadline (not acquired). For robust Kinds, EOWNERDEAD means ACQUIRED,
  // and the previous holder died holding it. Any other error: not acquired.
  virtual PosixError Acquire(const Deadline& deadline) = 0;
  // Acquires without blocking, or fails with one of caps.busy_errnos when
  // another contender holds it. EOWNERDEAD as for Acquire().
  virtual PosixError TryAcquire() = 0;
  virtual PosixError Release() = 0;
  // Robust Kinds only (else ENOTSUP): pthread_mutex_consistent(3).
  virtual PosixError MakeConsistent();
  // The fd behind the handle, -1 if none.
  virtual int fd() const { return -1; }
  virtual std::string Describe() const = 0;
};

class Lock {
 public:
  virtual ~Lock() = default;
  // A new contender for the calling process (see above: call it in the
  // process that uses it).
  virtual PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() = 0;
  // The lock file, "" when the lock is not a file.
  virtual std::string Path() const { return ""; }
  // "fcntl F_SETLK on /tmp/.../ipcspec_lock_XXXX", "robust pshared mutex at 0x7f..."
  virtual std::string Describe() const = 0;
};

// One Kind's lock, owned: destroying it removes the lock object.
using LockInstance = std::unique_ptr<Lock>;

struct LockInterface {
  using Caps = LockCaps;
  using Instance = LockInstance;
  static constexpr const char* kName = "Lock";
};

using LockKind = Kind<LockInterface>;

// "EAGAIN or EACCES"
std::string FormatErrnos(const std::vector<int>& errnos);
bool ErrnoIn(int e, const std::vector<int>& errnos);

// A directory for lock files: $TEST_TMPDIR when set, else /tmp.
std::string LockFileDir();

}  // namespace ipcspec
