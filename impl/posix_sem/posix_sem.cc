#include "impl/posix_sem/posix_sem.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>

namespace ipcspec {

std::string UniqueSemName(const std::string& tag) {
  static std::atomic<unsigned> counter{0};
  return "/ipcspec_" + tag + "_" + std::to_string(getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

long SemValueMax() {
  long v = sysconf(_SC_SEM_VALUE_MAX);
  return v > 0 ? v : SEM_VALUE_MAX;
}

// ---- PosixSemaphoreBase ----

PosixError PosixSemaphoreBase::Post() {
  if (sem_post(sem_) != 0) return ErrnoError("sem_post(" + Describe() + ")");
  return NoError();
}

PosixError PosixSemaphoreBase::Wait() {
  if (sem_wait(sem_) != 0) return ErrnoError("sem_wait(" + Describe() + ")");
  return NoError();
}

PosixError PosixSemaphoreBase::TryWait() {
  if (sem_trywait(sem_) != 0) return ErrnoError("sem_trywait(" + Describe() + ")");
  return NoError();
}

PosixError PosixSemaphoreBase::TimedWait(std::chrono::nanoseconds timeout) {
  // man 3 sem_wait: abs_timeout is "an absolute timeout in seconds and
  // nanoseconds since the Epoch" (CLOCK_REALTIME).
  struct timespec abs;
  clock_gettime(CLOCK_REALTIME, &abs);
  long long ns = timeout.count() > 0 ? timeout.count() : 0;
  abs.tv_sec += static_cast<time_t>(ns / 1000000000);
  abs.tv_nsec += static_cast<long>(ns % 1000000000);
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec += 1;
    abs.tv_nsec -= 1000000000;
  }
  if (sem_timedwait(sem_, &abs) != 0) {
    return ErrnoError("sem_timedwait(" + Describe() + ", now + " + std::to_string(ns) + " ns)");
  }
  return NoError();
}

PosixErrorOr<long> PosixSemaphoreBase::Value() {
  int v = 0;
  if (sem_getvalue(sem_, &v) != 0) return ErrnoError("sem_getvalue(" + Describe() + ")");
  return static_cast<long>(v);
}

// ---- NamedPosixSemaphore ----

PosixErrorOr<std::unique_ptr<NamedPosixSemaphore>> NamedPosixSemaphore::Open(
    const std::string& name, int oflag, unsigned value) {
  sem_t* s = sem_open(name.c_str(), oflag, 0600, value);
  if (s == SEM_FAILED) {
    return ErrnoError("sem_open(" + name + ((oflag & O_CREAT) ? ", O_CREAT" : "") +
                      ((oflag & O_EXCL) ? "|O_EXCL" : "") + ", 0600, " + std::to_string(value) +
                      ")");
  }
  return std::unique_ptr<NamedPosixSemaphore>(
      new NamedPosixSemaphore(s, name, (oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)));
}

NamedPosixSemaphore::~NamedPosixSemaphore() { (void)Remove(); }

PosixError NamedPosixSemaphore::Close() {
  if (sem_ == nullptr) return NoError();
  sem_t* s = std::exchange(sem_, nullptr);
  if (sem_close(s) != 0) return ErrnoError("sem_close(" + name_ + ")");
  return NoError();
}

PosixError NamedPosixSemaphore::Unlink() {
  if (!owns_name_) return NoError();
  owns_name_ = false;
  if (sem_unlink(name_.c_str()) != 0) return ErrnoError("sem_unlink(" + name_ + ")");
  return NoError();
}

PosixError NamedPosixSemaphore::Remove() {
  PosixError c = Close();
  PosixError u = Unlink();
  return c.ok() ? u : c;
}

std::string NamedPosixSemaphore::Describe() const { return "POSIX named " + name_; }

// ---- UnnamedPosixSemaphore ----

PosixErrorOr<std::unique_ptr<UnnamedPosixSemaphore>> UnnamedPosixSemaphore::Create(
    unsigned value, bool pshared) {
  void* p = mmap(nullptr, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
                 0);
  if (p == MAP_FAILED) return ErrnoError("mmap(sem_t, MAP_SHARED|MAP_ANONYMOUS)");
  sem_t* s = static_cast<sem_t*>(p);
  if (sem_init(s, pshared ? 1 : 0, value) != 0) {
    PosixError e = ErrnoError("sem_init(pshared=" + std::to_string(pshared ? 1 : 0) + ", " +
                              std::to_string(value) + ")");
    munmap(p, sizeof(sem_t));
    return e;
  }
  return std::unique_ptr<UnnamedPosixSemaphore>(new UnnamedPosixSemaphore(s, pshared));
}

UnnamedPosixSemaphore::~UnnamedPosixSemaphore() { (void)Remove(); }

PosixError UnnamedPosixSemaphore::Remove() {
  if (sem_ == nullptr) return NoError();
  sem_t* s = std::exchange(sem_, nullptr);
  PosixError e;
  if (sem_destroy(s) != 0) e = ErrnoError("sem_destroy(unnamed)");
  if (munmap(s, sizeof(sem_t)) != 0 && e.ok()) e = ErrnoError("munmap(unnamed sem_t)");
  return e;
}

std::string UnnamedPosixSemaphore::Describe() const {
  return std::string("POSIX unnamed, pshared=") + (pshared_ ? "1" : "0");
}

SemaphoreCaps PosixSemaphoreCaps(bool named) {
  SemaphoreCaps c;
  c.max_value = SemValueMax();      // man 3 sem_post: EOVERFLOW past it
  c.overflow_errno = EOVERFLOW;
  c.undo_on_exit = false;           // POSIX semaphores have no SEM_UNDO
  c.multi_op = false;
  c.counts_waiters = false;         // man 3 sem_getvalue: Linux returns 0 with waiters
  c.timed_wait = true;              // man 3 sem_timedwait
  c.timeout_errno = ETIMEDOUT;
  c.fork_shared = true;             // the mapping is inherited (man 3 sem_init)
  c.by_name = named;
  c.wait_syscalls = {SYS_futex};
  return c;
}

namespace {

PosixErrorOr<SemaphoreInstance> OpenNamed() {
  IPCSPEC_ASSIGN_OR_RETURN(auto s,
                           NamedPosixSemaphore::Open(UniqueSemName("sem"), O_CREAT | O_EXCL, 0));
  return SemaphoreInstance(std::move(s));
}

PosixErrorOr<SemaphoreInstance> OpenUnnamed() {
  IPCSPEC_ASSIGN_OR_RETURN(auto s, UnnamedPosixSemaphore::Create(0, true));
  return SemaphoreInstance(std::move(s));
}

// The same semaphore as C, for the reproducers (impl/repro): `sem`, and the
// calls the Semaphore properties' steps make, each returning 0 or errno (the
// interface's Post/TryWait/Wait/TimedWait/Value, one libc call each).
CSnippet PosixSemC(bool named) {
  CSnippet c;
  c.includes = "#include <semaphore.h>\n#include <sys/mman.h>\n#include <time.h>\n";
  c.libs = "-lpthread";
  c.globals = std::string("static sem_t *sem = NULL;\n") +
              (named ? "static char sem_name[64];  /* sem_open(3)'s name, unlinked at exit */\n"
                     : "") +
              R"C(static int sem_c_post(void) { return sem_post(sem) == 0 ? 0 : errno; }
static int sem_c_trywait(void) { return sem_trywait(sem) == 0 ? 0 : errno; }
static int sem_c_wait(void) { return sem_wait(sem) == 0 ? 0 : errno; }
/* sem_timedwait(3): the timeout is absolute, CLOCK_REALTIME. */
static int sem_c_timedwait(long ns) {
  struct timespec abs;
  clock_gettime(CLOCK_REALTIME, &abs);
  abs.tv_sec += ns / 1000000000L;
  abs.tv_nsec += ns % 1000000000L;
  if (abs.tv_nsec >= 1000000000L) { abs.tv_sec++; abs.tv_nsec -= 1000000000L; }
  return sem_timedwait(sem, &abs) == 0 ? 0 : errno;
}
static int sem_c_value(long *v) {
  int x = 0;
  if (sem_getvalue(sem, &x) != 0) return errno;
  *v = x;
  return 0;
}
)C";
  if (named) {
    c.setup =
        "snprintf(sem_name, sizeof sem_name, \"/ipcspec-repro-sem.%d\", (int)getpid());\n"
        "sem = sem_open(sem_name, O_CREAT | O_EXCL, 0600, 0);\n"
        "if (sem == SEM_FAILED) { sem = NULL; sem_name[0] = 0; setup_failed(\"sem_open\"); }\n";
    c.teardown = "if (sem != NULL) sem_close(sem);\nif (sem_name[0]) sem_unlink(sem_name);\n";
  } else {
    c.setup =
        "{\n"
        "  void *p = mmap(NULL, sizeof(sem_t), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, "
        "-1, 0);\n"
        "  if (p == MAP_FAILED) setup_failed(\"mmap\");\n"
        "  if (sem_init((sem_t *)p, 1, 0) != 0) { munmap(p, sizeof(sem_t)); setup_failed(\"sem_init\"); }\n"
        "  sem = (sem_t *)p;\n"
        "}\n";
    c.teardown = "if (sem != NULL) { sem_destroy(sem); munmap(sem, sizeof(sem_t)); }\n";
  }
  return c;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC(SemaphoreKind{"posix_named", "posix_sem",
                                          "POSIX named semaphore (sem_open(3) O_CREAT|O_EXCL; "
                                          "sem_close(3) and sem_unlink(3) on removal)",
                                          PosixSemaphoreCaps(true), OpenNamed},
                            PosixSemC(true)));
IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC(SemaphoreKind{"posix_unnamed_pshared", "posix_sem",
                                          "POSIX unnamed semaphore, sem_init(3) pshared=1 in a "
                                          "MAP_SHARED anonymous mapping",
                                          PosixSemaphoreCaps(false), OpenUnnamed},
                            PosixSemC(false)));

}  // namespace
}  // namespace ipcspec
