#include "impl/robust_mutex/robust_mutex.h"

#include <linux/futex.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <utility>

namespace ipcspec {

std::string MutexConfig::Describe() const {
  std::string t = type == PTHREAD_MUTEX_ERRORCHECK  ? "errorcheck"
                  : type == PTHREAD_MUTEX_RECURSIVE ? "recursive"
                                                    : "normal";
  return std::string(robust ? "robust " : "stalled ") + t +
         (protocol == PTHREAD_PRIO_INHERIT ? " priority-inheritance" : "") + " pshared mutex";
}

std::string PthreadResultName(int r) {
  return r == 0 ? std::string("0 (success)") : ErrnoName(r);
}

namespace {

PosixErrorOr<void*> MapShared(size_t n, const char* what) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return ErrnoError(std::string("mmap(MAP_SHARED|MAP_ANONYMOUS) for ") + what);
  return p;
}

PosixError PthreadError(int r, const std::string& call) {
  return r == 0 ? NoError() : PosixError(r, call);
}

}  // namespace

// ---------------------------------------------------------------------------
// SharedMutex

PosixErrorOr<SharedMutex> SharedMutex::Create(const MutexConfig& config) {
  IPCSPEC_ASSIGN_OR_RETURN(void* p, MapShared(sizeof(pthread_mutex_t), "a mutex"));
  auto* m = static_cast<pthread_mutex_t*>(p);
  SharedMutex owner(m, config);  // unmaps on every error path below
  pthread_mutexattr_t a;
  int r = pthread_mutexattr_init(&a);
  if (r != 0) return PosixError(r, "pthread_mutexattr_init");
  std::string err;
  if ((r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) != 0) {
    err = "pthread_mutexattr_setpshared(PTHREAD_PROCESS_SHARED)";
  } else if ((r = pthread_mutexattr_setrobust(
                  &a, config.robust ? PTHREAD_MUTEX_ROBUST : PTHREAD_MUTEX_STALLED)) != 0) {
    err = "pthread_mutexattr_setrobust";
  } else if ((r = pthread_mutexattr_settype(&a, config.type)) != 0) {
    err = "pthread_mutexattr_settype";
  } else if ((r = pthread_mutexattr_setprotocol(&a, config.protocol)) != 0) {
    err = "pthread_mutexattr_setprotocol";
  } else if ((r = pthread_mutex_init(m, &a)) != 0) {
    err = "pthread_mutex_init(" + config.Describe() + ")";
  }
  pthread_mutexattr_destroy(&a);
  if (r != 0) {
    owner.m_ = nullptr;
    munmap(m, sizeof(pthread_mutex_t));
    return PosixError(r, err);
  }
  return owner;
}

SharedMutex::SharedMutex(SharedMutex&& o) noexcept
    : m_(std::exchange(o.m_, nullptr)), config_(o.config_) {}

SharedMutex& SharedMutex::operator=(SharedMutex&& o) noexcept {
  if (this != &o) {
    Reset();
    m_ = std::exchange(o.m_, nullptr);
    config_ = o.config_;
  }
  return *this;
}

SharedMutex::~SharedMutex() { Reset(); }

void SharedMutex::Reset() {
  if (m_ == nullptr) return;
  // A robust mutex this thread holds is on its robust list: unlock it before
  // the memory goes, or glibc and the kernel would walk unmapped memory.
  if (HeldByMe()) pthread_mutex_unlock(m_);
  munmap(m_, sizeof(pthread_mutex_t));
  m_ = nullptr;
}

bool SharedMutex::HeldByMe() const {
  const pid_t me = static_cast<pid_t>(syscall(SYS_gettid));
  return (static_cast<unsigned>(m_->__data.__owner) & FUTEX_TID_MASK) ==
         static_cast<unsigned>(me);
}

pid_t SharedMutex::FutexWordTid() const {
  return static_cast<pid_t>(static_cast<unsigned>(m_->__data.__lock) & FUTEX_TID_MASK);
}

int SharedMutex::LockUntil(const Deadline& deadline) const {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  struct timespec left = deadline.RemainingTimespec();
  struct timespec abs = {now.tv_sec + left.tv_sec, now.tv_nsec + left.tv_nsec};
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec += 1;
    abs.tv_nsec -= 1000000000;
  }
  return pthread_mutex_timedlock(m_, &abs);
}

int SharedMutex::TryLock() const { return pthread_mutex_trylock(m_); }
int SharedMutex::Unlock() const { return pthread_mutex_unlock(m_); }
int SharedMutex::Consistent() const { return pthread_mutex_consistent(m_); }

// ---------------------------------------------------------------------------
// SharedCond

PosixErrorOr<SharedCond> SharedCond::Create() {
  IPCSPEC_ASSIGN_OR_RETURN(void* p, MapShared(sizeof(pthread_cond_t), "a condition variable"));
  auto* c = static_cast<pthread_cond_t*>(p);
  SharedCond owner(c);
  pthread_condattr_t a;
  int r = pthread_condattr_init(&a);
  if (r != 0) return PosixError(r, "pthread_condattr_init");
  std::string err;
  if ((r = pthread_condattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) != 0) {
    err = "pthread_condattr_setpshared(PTHREAD_PROCESS_SHARED)";
  } else if ((r = pthread_condattr_setclock(&a, CLOCK_MONOTONIC)) != 0) {
    err = "pthread_condattr_setclock(CLOCK_MONOTONIC)";
  } else if ((r = pthread_cond_init(c, &a)) != 0) {
    err = "pthread_cond_init";
  }
  pthread_condattr_destroy(&a);
  if (r != 0) return PosixError(r, err);
  return owner;
}

SharedCond::SharedCond(SharedCond&& o) noexcept : c_(std::exchange(o.c_, nullptr)) {}

SharedCond& SharedCond::operator=(SharedCond&& o) noexcept {
  if (this != &o) {
    Reset();
    c_ = std::exchange(o.c_, nullptr);
  }
  return *this;
}

SharedCond::~SharedCond() { Reset(); }

void SharedCond::Reset() {
  if (c_ == nullptr) return;
  munmap(c_, sizeof(pthread_cond_t));
  c_ = nullptr;
}

int SharedCond::WaitUntil(const SharedMutex& m, const Deadline& deadline) const {
  struct timespec abs = deadline.AbsoluteMonotonic();
  return pthread_cond_timedwait(c_, m.get(), &abs);
}

int SharedCond::Signal() const { return pthread_cond_signal(c_); }
int SharedCond::Broadcast() const { return pthread_cond_broadcast(c_); }

// ---------------------------------------------------------------------------
// The Kinds

namespace {

class MutexLockHandle : public LockHandle {
 public:
  MutexLockHandle(const SharedMutex* m, std::string desc) : m_(m), desc_(std::move(desc)) {}

  PosixError Acquire(const Deadline& deadline) override {
    return PthreadError(m_->LockUntil(deadline), "pthread_mutex_timedlock(" + desc_ + ")");
  }
  PosixError TryAcquire() override {
    return PthreadError(m_->TryLock(), "pthread_mutex_trylock(" + desc_ + ")");
  }
  PosixError Release() override {
    return PthreadError(m_->Unlock(), "pthread_mutex_unlock(" + desc_ + ")");
  }
  PosixError MakeConsistent() override {
    if (!m_->config().robust) return LockHandle::MakeConsistent();
    return PthreadError(m_->Consistent(), "pthread_mutex_consistent(" + desc_ + ")");
  }
  std::string Describe() const override { return desc_; }

 private:
  const SharedMutex* m_;
  std::string desc_;
};

class MutexLock : public Lock {
 public:
  explicit MutexLock(SharedMutex m) : m_(std::move(m)) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    return std::unique_ptr<LockHandle>(std::make_unique<MutexLockHandle>(&m_, Describe()));
  }
  std::string Describe() const override { return m_.config().Describe(); }

 private:
  SharedMutex m_;
};

}  // namespace

PosixErrorOr<LockInstance> OpenMutexLock(const MutexConfig& config) {
  IPCSPEC_ASSIGN_OR_RETURN(SharedMutex m, SharedMutex::Create(config));
  // Probe once: a sandbox without (PI) futexes fails here, not in a test.
  int r = m.TryLock();
  if (r != 0) return PosixError(r, "pthread_mutex_trylock(fresh " + config.Describe() + ")");
  r = m.Unlock();
  if (r != 0) return PosixError(r, "pthread_mutex_unlock(fresh " + config.Describe() + ")");
  return LockInstance(std::make_unique<MutexLock>(std::move(m)));
}

namespace {

LockCaps MutexCaps(const MutexConfig& c) {
  LockCaps caps;
  caps.owner = LockOwner::kThread;
  caps.busy_errnos = {EBUSY};  // pthread_mutex_trylock: EBUSY when locked
  caps.robust = c.robust;
  // man 3 pthread_mutexattr_setrobust: PTHREAD_MUTEX_STALLED "the mutex
  // remains locked afterwards"; PTHREAD_MUTEX_ROBUST: the next lock
  // "will succeed and return EOWNERDEAD".
  caps.released_on_holder_death = c.robust;
  // POSIX pthread_mutex_unlock: robust and error-checking mutexes fail EPERM
  // when the caller does not own them; for a normal stalled mutex it is
  // undefined.
  caps.foreign_release_defined = c.robust || c.type == PTHREAD_MUTEX_ERRORCHECK;
  caps.foreign_release_errno = EPERM;
  caps.wait_syscalls = {SYS_futex};
  caps.file_based = false;
  return caps;
}

MutexConfig Robust(int protocol) {
  MutexConfig c;
  c.robust = true;
  c.type = PTHREAD_MUTEX_NORMAL;
  c.protocol = protocol;
  return c;
}

MutexConfig StalledErrorcheck() {
  MutexConfig c;
  c.robust = false;
  c.type = PTHREAD_MUTEX_ERRORCHECK;
  c.protocol = PTHREAD_PRIO_NONE;
  return c;
}

// The same mutex as C, for the reproducers (impl/repro): a pshared mutex in
// a MAP_SHARED anonymous mapping that the forked workers inherit (a worker's
// handle is the mapping: lk_handle() makes nothing), and the Kind's calls,
// returning 0 or the pthread error. lk_acquire() is a timed lock, as the
// suite's Acquire(), with a deadline past the step's alarm.
CSnippet MutexLockC(const MutexConfig& c) {
  CSnippet s;
  s.includes = "#include <pthread.h>\n#include <sys/mman.h>\n#include <time.h>\n";
  s.libs = "-lpthread";
  s.globals =
      "static pthread_mutex_t *lk_m;  /* in a MAP_SHARED mapping, inherited by fork */\n"
      "static int lk_handle(void) { return 0; }\n"
      "static int lk_try(void) { return pthread_mutex_trylock(lk_m); }\n"
      "static int lk_acquire(void) {\n"
      "  struct timespec abs;\n"
      "  clock_gettime(CLOCK_REALTIME, &abs);\n"
      "  abs.tv_sec += 2 * STEP_ALARM_SECONDS;  /* the alarm reports a hang first */\n"
      "  return pthread_mutex_timedlock(lk_m, &abs);\n"
      "}\n"
      "/* A timed lock with a deadline of ms milliseconds (ETIMEDOUT past it). */\n"
      "static int lk_acquire_ms(long ms) {\n"
      "  struct timespec abs;\n"
      "  clock_gettime(CLOCK_REALTIME, &abs);\n"
      "  abs.tv_sec += ms / 1000;\n"
      "  abs.tv_nsec += (ms % 1000) * 1000000L;\n"
      "  if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }\n"
      "  return pthread_mutex_timedlock(lk_m, &abs);\n"
      "}\n"
      "static int lk_release(void) { return pthread_mutex_unlock(lk_m); }\n" +
      std::string(c.robust ? "static int lk_consistent(void) { return pthread_mutex_consistent(lk_m); }\n"
                           : "static int lk_consistent(void) { return ENOTSUP; }  /* not robust */\n");
  const std::string type = c.type == PTHREAD_MUTEX_ERRORCHECK  ? "PTHREAD_MUTEX_ERRORCHECK"
                           : c.type == PTHREAD_MUTEX_RECURSIVE ? "PTHREAD_MUTEX_RECURSIVE"
                                                               : "PTHREAD_MUTEX_NORMAL";
  s.setup =
      "{\n"
      "  pthread_mutexattr_t a;\n"
      "  int r;\n"
      "  void *p = mmap(NULL, sizeof(pthread_mutex_t), PROT_READ | PROT_WRITE, "
      "MAP_SHARED | MAP_ANONYMOUS, -1, 0);\n"
      "  if (p == MAP_FAILED) setup_failed(\"mmap\");\n"
      "  if (pthread_mutexattr_init(&a) != 0) setup_failed(\"pthread_mutexattr_init\");\n"
      "  if ((r = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED)) != 0 ||\n"
      "      (r = pthread_mutexattr_setrobust(&a, " +
      std::string(c.robust ? "PTHREAD_MUTEX_ROBUST" : "PTHREAD_MUTEX_STALLED") + ")) != 0 ||\n"
      "      (r = pthread_mutexattr_settype(&a, " + type + ")) != 0 ||\n"
      "      (r = pthread_mutexattr_setprotocol(&a, " +
      std::string(c.protocol == PTHREAD_PRIO_INHERIT ? "PTHREAD_PRIO_INHERIT" : "PTHREAD_PRIO_NONE") +
      ")) != 0 ||\n"
      "      (r = pthread_mutex_init((pthread_mutex_t *)p, &a)) != 0) {\n"
      "    errno = r;\n"
      "    setup_failed(\"the mutex's attributes or pthread_mutex_init\");\n"
      "  }\n"
      "  pthread_mutexattr_destroy(&a);\n"
      "  lk_m = (pthread_mutex_t *)p;\n"
      "  /* As the Kind: one trylock and unlock (a sandbox without (PI) futexes fails here). */\n"
      "  if ((r = pthread_mutex_trylock(lk_m)) != 0 || (r = pthread_mutex_unlock(lk_m)) != 0) {\n"
      "    errno = r;\n"
      "    setup_failed(\"trylock/unlock of the fresh mutex\");\n"
      "  }\n"
      "}\n";
  s.teardown = "if (lk_m != NULL) munmap(lk_m, sizeof(pthread_mutex_t));\n";
  return s;
}

IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"robust_mutex", "robust_mutex",
                                     "pthread mutex, PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST, "
                                     "in a MAP_SHARED mapping",
                                     MutexCaps(Robust(PTHREAD_PRIO_NONE)),
                                     [] { return OpenMutexLock(Robust(PTHREAD_PRIO_NONE)); }},
                            MutexLockC(Robust(PTHREAD_PRIO_NONE))));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"robust_pi_mutex", "robust_mutex",
                                     "pthread mutex, PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ROBUST + "
                                     "PTHREAD_PRIO_INHERIT (FUTEX_LOCK_PI), in a MAP_SHARED mapping",
                                     MutexCaps(Robust(PTHREAD_PRIO_INHERIT)),
                                     [] { return OpenMutexLock(Robust(PTHREAD_PRIO_INHERIT)); }},
                            MutexLockC(Robust(PTHREAD_PRIO_INHERIT))));
IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(LockKind{"errorcheck_mutex", "pshared_mutex",
                                     "pthread mutex, PTHREAD_PROCESS_SHARED + PTHREAD_MUTEX_ERRORCHECK, "
                                     "not robust (PTHREAD_MUTEX_STALLED), in a MAP_SHARED mapping",
                                     MutexCaps(StalledErrorcheck()),
                                     [] { return OpenMutexLock(StalledErrorcheck()); }},
                            MutexLockC(StalledErrorcheck())));

}  // namespace
}  // namespace ipcspec
