// Boost.Interprocess mutexes and file locks as Lock Kinds.
//
// Boost.Interprocess documentation, "Synchronization mechanisms" > "Mutexes":
// interprocess_mutex ("anonymous", placed in shared memory) and named_mutex;
// "File Locks": file_lock. Every lock offers lock(), try_lock() (false when
// held), timed_lock(abs_time) (false when the time ran out) and unlock(),
// whose documented precondition is that the caller owns it ("Precondition:
// The thread must have exclusive ownership of the mutex"): a release by a
// non-owner is undefined (caps.foreign_release_defined false).
//
// None of them is robust in Boost 1.74 on Linux (no owner_dead handling in
// the POSIX implementations, boost/interprocess/sync/posix/):
//   interprocess_mutex = posix_mutex: pthread_mutex_init with
//     PTHREAD_PROCESS_SHARED only (pthread_helpers.hpp mutexattr_wrapper), a
//     PTHREAD_MUTEX_STALLED default-type mutex;
//   named_mutex = posix_named_mutex = a POSIX named semaphore with count 1
//     (workaround.hpp BOOST_INTERPROCESS_NAMED_MUTEX_USES_POSIX_SEMAPHORES):
//     no owner at all;
//   file_lock = fcntl(2) F_SETLK/F_SETLKW record locks (os_file_functions.hpp),
//     released by the kernel when the holder exits; its timed_lock() polls
//     try_lock() with sched_yield/nanosleep (common_algorithms.hpp
//     try_based_timed_lock).
// So the mutexes claim released_on_holder_death = false: the lock suite then
// checks that a dead holder's mutex stays held (a waiter times out).
//
// Acquire(deadline) is timed_lock(now + remaining): false becomes ETIMEDOUT;
// for file_lock it is lock() (see BoostLockHandle::Acquire).
// TryAcquire() is try_lock(): false becomes EBUSY (the adapter's errno; the
// library returns no errno).
#include <fcntl.h>

#include <type_traits>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <new>
#include <optional>

#include "boost/interprocess/sync/file_lock.hpp"
#include "boost/interprocess/sync/interprocess_mutex.hpp"
#include "boost/interprocess/sync/named_mutex.hpp"
#include "impl/adapters/boost_interprocess/boost_common.h"
#include "impl/api/lock.h"

namespace ipcspec {
namespace {

namespace bi = boost::interprocess;
using boost_ipc::Guard;

std::chrono::nanoseconds Remaining(const Deadline& d) {
  struct timespec t = d.RemainingTimespec();
  return std::chrono::seconds(t.tv_sec) + std::chrono::nanoseconds(t.tv_nsec);
}

// One contender on any of the library's lock types (a pointer to it).
template <typename L>
class BoostLockHandle : public LockHandle {
 public:
  BoostLockHandle(L* l, std::string desc) : l_(l), desc_(std::move(desc)) {}

  PosixError Acquire(const Deadline& deadline) override {
    if constexpr (std::is_same_v<L, bi::file_lock>) {
      // file_lock's timed_lock() polls try_lock with sched_yield and
      // nanosleep, so a waiter is not reliably seen asleep in time on a slow
      // build (ASan); its lock() is one fcntl(F_SETLKW) that sleeps in the
      // kernel. A dead holder's lock is dropped by the kernel, so it returns;
      // a hang would still be bounded by the isolated property's deadline.
      (void)deadline;
      return Guard("lock()", [&] {
        l_->lock();
        return NoError();
      });
    }
    return Guard("timed_lock()", [&] {
      if (l_->timed_lock(boost_ipc::PtimeIn(Remaining(deadline)))) return NoError();
      return PosixError(ETIMEDOUT, "timed_lock(" + desc_ + ") returned false at the deadline");
    });
  }
  PosixError TryAcquire() override {
    return Guard("try_lock()", [&] {
      if (l_->try_lock()) return NoError();
      return PosixError(EBUSY, "try_lock(" + desc_ + ") returned false");
    });
  }
  PosixError Release() override {
    return Guard("unlock()", [&] {
      l_->unlock();
      return NoError();
    });
  }
  std::string Describe() const override { return desc_; }

 protected:
  L* l_;
  std::string desc_;
};

// A handle that owns the library object it locks through (named_mutex and
// file_lock open the name or file per process).
template <typename L>
class OwningHandle : public BoostLockHandle<L> {
 public:
  OwningHandle(std::unique_ptr<L> own, std::string desc)
      : BoostLockHandle<L>(own.get(), std::move(desc)), own_(std::move(own)) {}
  int fd() const override { return -1; }

 private:
  std::unique_ptr<L> own_;
};

// ---------------------------------------------------------------------------
// interprocess_mutex in a MAP_SHARED mapping

class AnonMutexLock : public Lock {
 public:
  static PosixErrorOr<LockInstance> Create() {
    void* p = mmap(nullptr, sizeof(bi::interprocess_mutex), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ErrnoError("mmap(MAP_SHARED|MAP_ANONYMOUS) for a mutex");
    bi::interprocess_mutex* m = nullptr;
    PosixError e = Guard("interprocess_mutex()", [&] {
      m = new (p) bi::interprocess_mutex();
      return NoError();
    });
    if (!e.ok()) {
      munmap(p, sizeof(bi::interprocess_mutex));
      return e;
    }
    return LockInstance(new AnonMutexLock(m));
  }
  ~AnonMutexLock() override {
    // No destructor call: the mutex may still be held by a killed worker
    // (pthread_mutex_destroy of a locked mutex is undefined); the memory goes.
    munmap(m_, sizeof(bi::interprocess_mutex));
  }
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    return std::unique_ptr<LockHandle>(
        std::make_unique<BoostLockHandle<bi::interprocess_mutex>>(m_, Describe()));
  }
  std::string Describe() const override {
    return "boost interprocess_mutex in a MAP_SHARED anonymous mapping";
  }

 private:
  explicit AnonMutexLock(bi::interprocess_mutex* m) : m_(m) {}
  bi::interprocess_mutex* m_;
};

// ---------------------------------------------------------------------------
// named_mutex

class NamedMutexLock : public Lock {
 public:
  static PosixErrorOr<LockInstance> Create() {
    std::string name = boost_ipc::NewBoostName("mutex");
    std::unique_ptr<NamedMutexLock> l(new NamedMutexLock(name));
    PosixError e = Guard("named_mutex(create_only, " + name + ")", [&] {
      l->m_.emplace(bi::create_only, name.c_str());
      return NoError();
    });
    if (!e.ok()) return e;
    return LockInstance(std::move(l));
  }
  ~NamedMutexLock() override {
    m_.reset();
    bi::named_mutex::remove(name_.c_str());
  }
  // Each contender opens the mutex by name in its own process.
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    std::unique_ptr<bi::named_mutex> m;
    PosixError e = Guard("named_mutex(open_only, " + name_ + ")", [&] {
      m = std::make_unique<bi::named_mutex>(bi::open_only, name_.c_str());
      return NoError();
    });
    if (!e.ok()) return e;
    return std::unique_ptr<LockHandle>(
        std::make_unique<OwningHandle<bi::named_mutex>>(std::move(m), Describe()));
  }
  std::string Describe() const override { return "boost named_mutex " + name_; }

 private:
  explicit NamedMutexLock(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::optional<bi::named_mutex> m_;
};

// ---------------------------------------------------------------------------
// file_lock

class FileLockLock : public Lock {
 public:
  static PosixErrorOr<LockInstance> Create() {
    std::string tmpl = LockFileDir() + "/ipcspec_boost_lock_XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return ErrnoError("mkstemp(" + tmpl + ")");
    close(fd);
    std::unique_ptr<FileLockLock> l(new FileLockLock(tmpl));
    return LockInstance(std::move(l));
  }
  ~FileLockLock() override { unlink(path_.c_str()); }
  // Each contender is a file_lock of its own (its own open(2)), in its own
  // process: record locks belong to the process.
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    std::unique_ptr<bi::file_lock> f;
    PosixError e = Guard("file_lock(" + path_ + ")", [&] {
      f = std::make_unique<bi::file_lock>(path_.c_str());
      return NoError();
    });
    if (!e.ok()) return e;
    return std::unique_ptr<LockHandle>(
        std::make_unique<OwningHandle<bi::file_lock>>(std::move(f), Describe()));
  }
  std::string Path() const override { return path_; }
  std::string Describe() const override { return "boost file_lock on " + path_; }

 private:
  explicit FileLockLock(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

LockCaps MutexCaps() {
  LockCaps c;
  c.owner = LockOwner::kThread;
  c.busy_errnos = {EBUSY};  // try_lock() returned false
  // Not robust (see the top of the file): a dead holder's mutex stays held.
  c.released_on_holder_death = false;
  c.robust = false;
  c.foreign_release_defined = false;  // "Precondition: The thread must have exclusive ownership"
  c.foreign_release_errno = 0;
  c.wait_syscalls = {SYS_futex};
  c.file_based = false;
  return c;
}

LockCaps FileLockCaps() {
  LockCaps c;
  // "File Locks": "file locks are process-oriented" (fcntl record locks).
  c.owner = LockOwner::kProcess;
  c.busy_errnos = {EBUSY};  // try_lock() returned false
  c.released_on_holder_death = true;  // the kernel drops a dead process's record locks
  c.robust = false;
  c.foreign_release_defined = false;  // unlock()'s precondition: the caller owns it
  c.foreign_release_errno = 0;
  // Acquire is lock(): fcntl(2) F_SETLKW.
  c.wait_syscalls = {SYS_fcntl};
  c.file_based = true;
  return c;
}

IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC((LockKind{"boost_interprocess_mutex", "boost_interprocess_mutex",
                                "boost::interprocess::interprocess_mutex (a PTHREAD_PROCESS_SHARED "
                                "pthread mutex, not robust) in a MAP_SHARED anonymous mapping",
                                MutexCaps(), AnonMutexLock::Create, false, "",
                                "",
                                "boost_interprocess"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are Boost.Interprocess's "
                                  "C++ templates, which a standalone C file cannot call";
                              return c;
                            }()));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC((LockKind{"boost_interprocess_named_mutex", "boost_named_mutex",
                                "boost::interprocess::named_mutex (a POSIX named semaphore of "
                                "count 1 on Linux), opened by name in each contender",
                                MutexCaps(), NamedMutexLock::Create, false, "",
                                "",
                                "boost_interprocess"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are Boost.Interprocess's "
                                  "C++ templates, which a standalone C file cannot call";
                              return c;
                            }()));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC((LockKind{"boost_interprocess_file_lock", "boost_file_lock",
                                "boost::interprocess::file_lock (fcntl record locks), one "
                                "file_lock per contender",
                                FileLockCaps(), FileLockLock::Create, false, "",
                                "",
                                "boost_interprocess"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are Boost.Interprocess's "
                                  "C++ templates, which a standalone C file cannot call";
                              return c;
                            }()));

}  // namespace
}  // namespace ipcspec
