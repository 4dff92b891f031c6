// POCO's NamedMutex as a Lock Kind.
//
// Poco/NamedMutex.h: "A NamedMutex (mutual exclusion) is a global
// synchronization mechanism used to control access to a shared resource in a
// concurrent (multi process) scenario." lock(): "Blocks if the mutex is held
// by another process or thread." tryLock(): "Returns false immediately if the
// mutex is already held by another process or thread." unlock(): "Unlocks the
// mutex so that it can be acquired by other threads." "There should not be
// more than one instance of NamedMutex for a given name in a process."
//
// On Linux (POCO 1.11.0, Foundation/src/NamedMutex_UNIX.cpp) it is one System V
// semaphore keyed by ftok("/tmp/NAME.mutex", 'p'), created with value 1; lock()
// is semop(-1, SEM_UNDO) retried on EINTR, tryLock() semop(-1,
// SEM_UNDO|IPC_NOWAIT), unlock() semop(+1, SEM_UNDO). So a holder's death
// gives the lock back (the kernel applies the SEM_UNDO adjustment: man 2
// semop), with no EOWNERDEAD: released_on_holder_death, not robust. The
// semaphore has no owner: unlock() by a process that does not hold it adds 1
// and lets two processes in (POCO states no precondition; the Kind claims
// foreign_release_defined = false, and FINDINGS.md records what happens).
// The instance that created the set removes it in its destructor
// (IPC_RMID), whoever else still uses it; nobody removes the file.
//
// Acquire(deadline) is lock(): POCO has no timed lock, and lock() retries
// EINTR, so no timer can break it; a hang is bounded by the isolated
// property's deadline. TryAcquire() is tryLock(): false becomes EBUSY (the
// adapter's errno). The process that made the Lock uses its own NamedMutex;
// every other process opens the name (its own NamedMutex), one per process as
// the header asks.
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "Poco/NamedMutex.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/adapters/poco/poco_kinds.h"
#include "impl/api/lock.h"

namespace ipcspec {
namespace {

using poco::Guard;

class PocoMutexHandle : public LockHandle {
 public:
  PocoMutexHandle(Poco::NamedMutex* m, std::unique_ptr<Poco::NamedMutex> own, std::string desc)
      : m_(m), own_(std::move(own)), desc_(std::move(desc)) {}

  PosixError Acquire(const Deadline& deadline) override {
    (void)deadline;  // no timed lock in POCO (see the top of the file)
    return Guard("NamedMutex::lock()", [&] {
      m_->lock();
      return NoError();
    });
  }
  PosixError TryAcquire() override {
    return Guard("NamedMutex::tryLock()", [&] {
      if (m_->tryLock()) return NoError();
      return PosixError(EBUSY, "NamedMutex::tryLock(" + desc_ + ") returned false");
    });
  }
  PosixError Release() override {
    return Guard("NamedMutex::unlock()", [&] {
      m_->unlock();
      return NoError();
    });
  }
  std::string Describe() const override { return desc_; }

 private:
  Poco::NamedMutex* m_;
  std::unique_ptr<Poco::NamedMutex> own_;
  std::string desc_;
};

class PocoNamedMutexLock : public Lock {
 public:
  static PosixErrorOr<LockInstance> Create() {
    std::string name = poco::NewPocoName("mutex");
    std::unique_ptr<PocoNamedMutexLock> l(new PocoNamedMutexLock(name));
    PosixError e = Guard("NamedMutex(" + name + ")", [&] {
      l->m_ = std::make_unique<Poco::NamedMutex>(name);
      return NoError();
    });
    if (!e.ok()) return e;
    return LockInstance(std::move(l));
  }
  ~PocoNamedMutexLock() override {
    if (getpid() != creator_) return;  // a child's copy: the parent removes
    m_.reset();  // the creator's instance: IPC_RMID in POCO 1.11
    poco::RemovePocoObject(poco::MutexFile(name_));  // the file, and the set if still there
  }
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    if (getpid() == creator_) {
      return std::unique_ptr<LockHandle>(
          std::make_unique<PocoMutexHandle>(m_.get(), nullptr, Describe()));
    }
    std::unique_ptr<Poco::NamedMutex> m;
    PosixError e = Guard("NamedMutex(" + name_ + ")", [&] {
      m = std::make_unique<Poco::NamedMutex>(name_);
      return NoError();
    });
    if (!e.ok()) return e;
    Poco::NamedMutex* p = m.get();
    return std::unique_ptr<LockHandle>(
        std::make_unique<PocoMutexHandle>(p, std::move(m), Describe()));
  }
  std::string Describe() const override {
    return "Poco::NamedMutex " + name_ + " (SysV semaphore keyed by " + poco::MutexFile(name_) +
           ")";
  }

 private:
  explicit PocoNamedMutexLock(std::string name) : name_(std::move(name)), creator_(getpid()) {}
  std::string name_;
  pid_t creator_;
  std::unique_ptr<Poco::NamedMutex> m_;
};

}  // namespace

LockCaps poco::NamedMutexCaps() {
  LockCaps c;
  // A semaphore has no owner; the SEM_UNDO adjustment is per process.
  c.owner = LockOwner::kProcess;
  c.busy_errnos = {EBUSY};  // tryLock() returned false
  c.released_on_holder_death = true;  // SEM_UNDO: the kernel adds the 1 back at exit
  c.robust = false;                   // nobody is told the holder died
  c.foreign_release_defined = false;  // unlock() of an unheld mutex: undocumented
  c.foreign_release_errno = 0;
  c.wait_syscalls = {SYS_semop, SYS_semtimedop};  // glibc's semop is semtimedop(2)
  c.file_based = false;
  return c;
}

namespace {

IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC((LockKind{"poco_named_mutex", "poco_named_mutex",
                                "Poco::NamedMutex (a System V semaphore keyed by "
                                "ftok(/tmp/NAME.mutex), SEM_UNDO), opened by name in each "
                                "contender process",
                                poco::NamedMutexCaps(), PocoNamedMutexLock::Create, false, "", "", "poco"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are POCO's, which a "
                                  "standalone C file cannot make without the library";
                              return c;
                            }()));

}  // namespace
}  // namespace ipcspec
