// Broken Lock Kinds. Each breaks one documented promise and claims the caps
// of the correct lock it imitates; the Lock suite must reject every one of
// them (suites/selftest/lock).
#include <linux/futex.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <memory>

#include "impl/api/lock.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/shared_memory.h"
#include "impl/file_lock/file_lock.h"
#include "impl/robust_mutex/robust_mutex.h"

namespace ipcspec {
namespace {

// Forwards everything to a correct handle; mutants override one operation.
class WrappedHandle : public LockHandle {
 public:
  explicit WrappedHandle(std::unique_ptr<LockHandle> inner) : inner_(std::move(inner)) {}
  PosixError Acquire(const Deadline& d) override { return inner_->Acquire(d); }
  PosixError TryAcquire() override { return inner_->TryAcquire(); }
  PosixError Release() override { return inner_->Release(); }
  PosixError MakeConsistent() override { return inner_->MakeConsistent(); }
  int fd() const override { return inner_->fd(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 protected:
  std::unique_ptr<LockHandle> inner_;
};

template <typename Handle>
class WrappedLock : public Lock {
 public:
  explicit WrappedLock(LockInstance inner) : inner_(std::move(inner)) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    IPCSPEC_ASSIGN_OR_RETURN(auto h, inner_->NewHandle());
    return std::unique_ptr<LockHandle>(std::make_unique<Handle>(std::move(h)));
  }
  std::string Path() const override { return inner_->Path(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 private:
  LockInstance inner_;
};

template <typename Handle>
PosixErrorOr<LockInstance> Wrap(PosixErrorOr<LockInstance> inner) {
  if (!inner.ok()) return inner.error();
  return LockInstance(std::make_unique<WrappedLock<Handle>>(std::move(inner).ValueOrDie()));
}

LockCaps FileCaps(LockOwner owner, std::vector<int> busy, long wait_syscall) {
  LockCaps c;
  c.owner = owner;
  c.busy_errnos = std::move(busy);
  c.released_on_holder_death = true;
  c.robust = false;
  c.foreign_release_defined = true;
  c.foreign_release_errno = 0;
  c.wait_syscalls = {wait_syscall};
  c.file_based = true;
  return c;
}

LockCaps MutexCaps(bool robust) {
  LockCaps c;
  c.owner = LockOwner::kThread;
  c.busy_errnos = {EBUSY};
  c.released_on_holder_death = robust;
  c.robust = robust;
  c.foreign_release_defined = true;
  c.foreign_release_errno = EPERM;
  c.wait_syscalls = {SYS_futex};
  c.file_based = false;
  return c;
}

// ---------------------------------------------------------------------------
// 1. A lock word in shared memory: a compare-and-swap of the owner's pid and
// a futex wait. It excludes, but nothing releases it when its holder dies:
// the word keeps the dead pid for ever.

struct Word {
  std::atomic<uint32_t> owner{0};
};

class WordHandle : public LockHandle {
 public:
  explicit WordHandle(Word* w) : w_(w) {}
  PosixError Acquire(const Deadline& d) override {
    const uint32_t me = static_cast<uint32_t>(getpid());
    for (;;) {
      uint32_t cur = 0;
      if (w_->owner.compare_exchange_strong(cur, me)) return NoError();
      if (d.Expired()) {
        return PosixError(ETIMEDOUT, "lock word: held by pid " + std::to_string(cur));
      }
      struct timespec left = d.RemainingTimespec();
      syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w_->owner), FUTEX_WAIT, cur, &left,
              nullptr, 0);
    }
  }
  PosixError TryAcquire() override {
    uint32_t cur = 0;
    if (w_->owner.compare_exchange_strong(cur, static_cast<uint32_t>(getpid()))) {
      return NoError();
    }
    return PosixError(EBUSY, "lock word: held by pid " + std::to_string(cur));
  }
  PosixError Release() override {
    uint32_t me = static_cast<uint32_t>(getpid());
    if (!w_->owner.compare_exchange_strong(me, 0)) {
      return PosixError(EPERM, "lock word: not the owner");
    }
    syscall(SYS_futex, reinterpret_cast<uint32_t*>(&w_->owner), FUTEX_WAKE, INT_MAX, nullptr,
            nullptr, 0);
    return NoError();
  }
  std::string Describe() const override { return "lock word in shared memory"; }

 private:
  Word* w_;
};

class WordLock : public Lock {
 public:
  explicit WordLock(SharedObject<Word> w) : w_(std::move(w)) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    return std::unique_ptr<LockHandle>(std::make_unique<WordHandle>(w_.get()));
  }
  std::string Describe() const override { return "lock word in shared memory"; }

 private:
  SharedObject<Word> w_;
};

// What it claims: a lock released when its holder dies, like every kernel
// lock (not robust: no EOWNERDEAD).
LockCaps WordCaps() {
  LockCaps c = MutexCaps(false);
  c.released_on_holder_death = true;
  return c;
}

PosixErrorOr<LockInstance> OpenWordLock() {
  IPCSPEC_ASSIGN_OR_RETURN(auto w, SharedObject<Word>::Create());
  return LockInstance(std::make_unique<WordLock>(std::move(w)));
}

// ---------------------------------------------------------------------------
// 2. fcntl record lock whose try-acquire lies now and then: every 4th
// F_SETLK that finds the lock held (in one process) reports success without
// holding anything.

class TryLiesRarely : public WrappedHandle {
 public:
  using WrappedHandle::WrappedHandle;
  PosixError TryAcquire() override {
    PosixError e = inner_->TryAcquire();
    if (!e.ok() && (e.errno_value() == EAGAIN || e.errno_value() == EACCES) && ++busy_ % 4 == 0) {
      return NoError();
    }
    return e;
  }

 private:
  unsigned busy_ = 0;
};

// ---------------------------------------------------------------------------
// 3. flock on ONE open file description shared by every process (the file
// opened once before fork, each handle a dup(2) of that fd): man 2 flock
// says such duplicates "refer to the same lock", so nobody is ever excluded.

class SharedDescriptionHandle : public LockHandle {
 public:
  explicit SharedDescriptionHandle(FileDescriptor fd) : fd_(std::move(fd)) {}
  PosixError Acquire(const Deadline& d) override {
    const int fd = fd_.get();
    return CallWithDeadline([fd] { return flock(fd, LOCK_EX); }, "flock(LOCK_EX)", d);
  }
  PosixError TryAcquire() override {
    if (flock(fd_.get(), LOCK_EX | LOCK_NB) == 0) return NoError();
    return ErrnoError("flock(LOCK_EX | LOCK_NB)");
  }
  PosixError Release() override {
    if (flock(fd_.get(), LOCK_UN) == 0) return NoError();
    return ErrnoError("flock(LOCK_UN)");
  }
  int fd() const override { return fd_.get(); }
  std::string Describe() const override { return "flock on a dup of one shared description"; }

 private:
  FileDescriptor fd_;
};

class SharedDescriptionLock : public Lock {
 public:
  SharedDescriptionLock(LockFile f, FileDescriptor fd) : file_(std::move(f)), fd_(std::move(fd)) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    int d = fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0);
    if (d < 0) return ErrnoError("fcntl(F_DUPFD_CLOEXEC)");
    return std::unique_ptr<LockHandle>(
        std::make_unique<SharedDescriptionHandle>(FileDescriptor(d)));
  }
  std::string Path() const override { return file_.path(); }
  std::string Describe() const override {
    return "flock on one description of " + file_.path() + " shared by all";
  }

 private:
  LockFile file_;
  FileDescriptor fd_;
};

PosixErrorOr<LockInstance> OpenSharedDescriptionLock() {
  IPCSPEC_ASSIGN_OR_RETURN(LockFile f, LockFile::Create());
  IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor fd, f.Open());
  return LockInstance(std::make_unique<SharedDescriptionLock>(std::move(f), std::move(fd)));
}

// ---------------------------------------------------------------------------
// 4. A process-shared mutex of the NORMAL type (not robust, not
// error-checking), claiming the caps of an error-checking one: an unlock by
// a process that does not own it is not refused with EPERM; glibc simply
// unlocks, taking the lock away from its holder.

MutexConfig NormalStalled() {
  MutexConfig c;
  c.robust = false;
  c.type = PTHREAD_MUTEX_NORMAL;
  c.protocol = PTHREAD_PRIO_NONE;
  return c;
}

// ---------------------------------------------------------------------------
// 5. A robust mutex whose acquire hides the owner's death: on EOWNERDEAD it
// calls pthread_mutex_consistent itself and reports a plain success, so the
// caller never learns that the protected state may be half-updated.

class HidesOwnerDead : public WrappedHandle {
 public:
  using WrappedHandle::WrappedHandle;
  PosixError Acquire(const Deadline& d) override { return Hide(inner_->Acquire(d)); }
  PosixError TryAcquire() override { return Hide(inner_->TryAcquire()); }

 private:
  PosixError Hide(PosixError e) {
    if (e.errno_value() == EOWNERDEAD) {
      (void)inner_->MakeConsistent();
      return NoError();
    }
    return e;
  }
};

MutexConfig RobustNormal() {
  MutexConfig c;
  c.robust = true;
  c.type = PTHREAD_MUTEX_NORMAL;
  c.protocol = PTHREAD_PRIO_NONE;
  return c;
}

// ---------------------------------------------------------------------------
// 6. OFD lock whose blocking acquire gives up waiting now and then: every
// 8th Acquire() (in one process) that finds the lock held returns success at
// once, holding nothing.

class SkipsWaitRarely : public WrappedHandle {
 public:
  using WrappedHandle::WrappedHandle;
  PosixError Acquire(const Deadline& d) override {
    PosixError e = inner_->TryAcquire();
    if (e.ok()) return e;
    if (e.errno_value() == EAGAIN && ++busy_ % 8 == 0) return NoError();
    return inner_->Acquire(d);
  }

 private:
  unsigned busy_ = 0;
};

LockKind Mutant(std::string name, std::string mechanism, std::string description, LockCaps caps,
                std::function<PosixErrorOr<LockInstance>()> open, std::string bug) {
  LockKind k{std::move(name), std::move(mechanism), std::move(description), std::move(caps),
             std::move(open)};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  return k;
}

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("futex_word_not_robust", "futex_word",
           "a pid in a shared lock word, compare-and-swap plus futex wait", WordCaps(),
           [] { return OpenWordLock(); },
           "claims to be released when its holder dies, but a dead holder's pid stays in the "
           "lock word for ever"));

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("fcntl_try_lies_rarely", "fcntl_lock", "fcntl F_SETLK whose try sometimes lies",
           FileCaps(LockOwner::kProcess, {EAGAIN, EACCES}, SYS_fcntl),
           [] { return Wrap<TryLiesRarely>(OpenFileLock(FileLockSort::kFcntl)); },
           "every 4th try-acquire that finds the lock held reports success without holding it"));

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("flock_shared_description", "flock",
           "flock on one open file description shared by all processes",
           FileCaps(LockOwner::kOpenFileDescription, {EWOULDBLOCK}, SYS_flock),
           [] { return OpenSharedDescriptionLock(); },
           "every handle is a dup of one fd opened before fork, so all processes share one "
           "open file description and flock never excludes any of them"));

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("mutex_release_by_anyone", "pshared_mutex",
           "PTHREAD_MUTEX_NORMAL pshared mutex claiming error-checking caps", MutexCaps(false),
           [] { return OpenMutexLock(NormalStalled()); },
           "a release by a process that does not hold the lock is not refused (EPERM): it "
           "unlocks the holder's lock"));

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("robust_mutex_hides_owner_dead", "robust_mutex",
           "robust pshared mutex whose acquire swallows EOWNERDEAD", MutexCaps(true),
           [] { return Wrap<HidesOwnerDead>(OpenMutexLock(RobustNormal())); },
           "after the holder died, the next acquire reports plain success instead of "
           "EOWNERDEAD (it makes the mutex consistent behind the caller's back)"));

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant("ofd_acquire_skips_wait_rarely", "ofd_lock",
           "F_OFD_SETLKW that sometimes does not wait",
           FileCaps(LockOwner::kOpenFileDescription, {EAGAIN}, SYS_fcntl),
           [] { return Wrap<SkipsWaitRarely>(OpenFileLock(FileLockSort::kOfd)); },
           "every 8th blocking acquire that finds the lock held returns success at once, "
           "without holding the lock"));

}  // namespace
}  // namespace ipcspec
