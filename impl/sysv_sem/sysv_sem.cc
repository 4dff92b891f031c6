#include "impl/sysv_sem/sysv_sem.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <utility>

#include "impl/core/file_descriptor.h"

namespace ipcspec {

namespace {
constexpr const char kSemLimitsPath[] = "/proc/sys/kernel/sem";
// The most operations Apply() hands to one semop (kept on the stack, so that
// a forked child needs no allocation).
constexpr size_t kMaxApplyOps = 64;
}  // namespace

std::string SemLimits::ToString() const {
  return "SEMMSL=" + std::to_string(semmsl) + " SEMMNS=" + std::to_string(semmns) +
         " SEMOPM=" + std::to_string(semopm) + " SEMMNI=" + std::to_string(semmni);
}

PosixErrorOr<SemLimits> ReadSemLimits() {
  FileDescriptor fd(open(kSemLimitsPath, O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(std::string("open(") + kSemLimitsPath + ")");
  char buf[256];
  ssize_t n = read(fd.get(), buf, sizeof buf - 1);
  if (n < 0) return ErrnoError(std::string("read(") + kSemLimitsPath + ")");
  buf[n] = '\0';
  SemLimits l;
  if (std::sscanf(buf, "%ld %ld %ld %ld", &l.semmsl, &l.semmns, &l.semopm, &l.semmni) != 4) {
    return PosixError(EINVAL, std::string("parse ") + kSemLimitsPath + ": '" + buf + "'");
  }
  return l;
}

PosixError WriteSemLimits(const SemLimits& l) {
  std::string call = std::string("write(") + kSemLimitsPath + ", " + l.ToString() + ")";
  FileDescriptor fd(open(kSemLimitsPath, O_WRONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError(std::string("open(") + kSemLimitsPath + ", O_WRONLY)");
  std::string text = std::to_string(l.semmsl) + " " + std::to_string(l.semmns) + " " +
                     std::to_string(l.semopm) + " " + std::to_string(l.semmni) + "\n";
  ssize_t n = write(fd.get(), text.data(), text.size());
  if (n < 0) return ErrnoError(call);
  if (static_cast<size_t>(n) != text.size()) return PosixError(EIO, call + ": short write");
  return NoError();
}

long Semvmx() {
  struct seminfo info = {};
  SemUn arg;
  arg.info = &info;
  if (semctl(0, 0, IPC_INFO, arg) >= 0 && info.semvmx > 0) return info.semvmx;
  return 32767;
}

// ---- SysvSemSet ----

PosixErrorOr<SysvSemSet> SysvSemSet::Create(key_t key, int nsems, int mode) {
  int flags = mode | IPC_CREAT | (key == IPC_PRIVATE ? 0 : IPC_EXCL);
  int id = semget(key, nsems, flags);
  if (id < 0) {
    return ErrnoError("semget(key=" + std::to_string(key) + ", nsems=" + std::to_string(nsems) +
                      ", IPC_CREAT" + (key == IPC_PRIVATE ? "" : "|IPC_EXCL") + ")");
  }
  return SysvSemSet(id);
}

SysvSemSet::SysvSemSet(SysvSemSet&& o) noexcept : id_(std::exchange(o.id_, -1)) {}

SysvSemSet& SysvSemSet::operator=(SysvSemSet&& o) noexcept {
  if (this != &o) {
    (void)Remove();
    id_ = std::exchange(o.id_, -1);
  }
  return *this;
}

SysvSemSet::~SysvSemSet() { (void)Remove(); }

PosixError SysvSemSet::Remove() {
  if (id_ < 0) return NoError();
  int id = std::exchange(id_, -1);
  if (semctl(id, 0, IPC_RMID) != 0) {
    return ErrnoError("semctl(" + std::to_string(id) + ", IPC_RMID)");
  }
  return NoError();
}

int SysvSemSet::Release() { return std::exchange(id_, -1); }

PosixErrorOr<int> SysvSemSet::Get(int semnum, int cmd) const {
  int r = semctl(id_, semnum, cmd);
  if (r < 0) {
    const char* name = cmd == GETVAL    ? "GETVAL"
                       : cmd == GETNCNT ? "GETNCNT"
                       : cmd == GETZCNT ? "GETZCNT"
                       : cmd == GETPID  ? "GETPID"
                                        : "cmd";
    return ErrnoError("semctl(" + std::to_string(id_) + ", " + std::to_string(semnum) + ", " +
                      name + ")");
  }
  return r;
}

PosixError SysvSemSet::SetVal(int semnum, int val) const {
  SemUn arg;
  arg.val = val;
  if (semctl(id_, semnum, SETVAL, arg) != 0) {
    return ErrnoError("semctl(" + std::to_string(id_) + ", " + std::to_string(semnum) +
                      ", SETVAL, " + std::to_string(val) + ")");
  }
  return NoError();
}

// ---- SysvSemaphore ----

PosixError SysvSemaphore::Op(short delta, short extra_flags, const char* what) {
  struct sembuf op = {static_cast<unsigned short>(semnum_), delta,
                      static_cast<short>(flags() | extra_flags)};
  if (semop(set_.id(), &op, 1) != 0) {
    return ErrnoError(std::string(what) + " on " + Describe());
  }
  return NoError();
}

PosixError SysvSemaphore::Post() { return Op(1, 0, "semop(+1)"); }
PosixError SysvSemaphore::Wait() { return Op(-1, 0, "semop(-1)"); }
PosixError SysvSemaphore::TryWait() { return Op(-1, IPC_NOWAIT, "semop(-1, IPC_NOWAIT)"); }

PosixError SysvSemaphore::TimedWait(std::chrono::nanoseconds timeout) {
  long long ns = timeout.count() > 0 ? timeout.count() : 0;
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  struct sembuf op = {static_cast<unsigned short>(semnum_), -1, flags()};
  if (semtimedop(set_.id(), &op, 1, &ts) != 0) {
    return ErrnoError("semtimedop(-1, timeout " + std::to_string(ns) + " ns) on " + Describe());
  }
  return NoError();
}

PosixErrorOr<long> SysvSemaphore::Value() {
  IPCSPEC_ASSIGN_OR_RETURN(int v, set_.Get(semnum_, GETVAL));
  return static_cast<long>(v);
}

PosixError SysvSemaphore::Apply(std::span<const int> deltas, Blocking b) {
  if (deltas.size() > kMaxApplyOps) {
    return PosixError(E2BIG, "Apply(" + FormatDeltas(deltas) + "): more than " +
                                 std::to_string(kMaxApplyOps) + " operations");
  }
  struct sembuf ops[kMaxApplyOps];
  short flg = static_cast<short>(flags() | (b == Blocking::kNonBlock ? IPC_NOWAIT : 0));
  for (size_t i = 0; i < deltas.size(); ++i) {
    ops[i] = {static_cast<unsigned short>(semnum_), static_cast<short>(deltas[i]), flg};
  }
  if (semop(set_.id(), ops, deltas.size()) != 0) {
    return ErrnoError("semop(" + FormatDeltas(deltas) +
                      (b == Blocking::kNonBlock ? ", IPC_NOWAIT" : "") + ") on " + Describe());
  }
  return NoError();
}

PosixErrorOr<long> SysvSemaphore::Waiters(WaiterSort s) {
  IPCSPEC_ASSIGN_OR_RETURN(int n, set_.Get(semnum_, s == WaiterSort::kIncrease ? GETNCNT : GETZCNT));
  return static_cast<long>(n);
}

std::string SysvSemaphore::Describe() const {
  return "SysV semid " + std::to_string(set_.id()) + " semnum " + std::to_string(semnum_) +
         (undo_ ? ", SEM_UNDO" : "");
}

PosixError SysvSemaphore::Remove() { return set_.Remove(); }

PosixErrorOr<SemaphoreInstance> OpenSysvSemaphore(bool undo) {
  IPCSPEC_ASSIGN_OR_RETURN(SysvSemSet set, SysvSemSet::Create(IPC_PRIVATE, 1));
  return SemaphoreInstance(std::make_unique<SysvSemaphore>(std::move(set), 0, undo));
}

SemaphoreCaps SysvSemaphoreCaps(bool undo) {
  SemaphoreCaps c;
  c.max_value = Semvmx();          // man 2 semop: SEMVMX
  c.overflow_errno = ERANGE;       // man 2 semop: "sem_op+semval is greater than SEMVMX"
  c.undo_on_exit = undo;           // man 2 semop: SEM_UNDO
  c.multi_op = true;               // man 2 semop: "performed ... atomically"
  c.counts_waiters = true;         // man 2 semctl: GETNCNT, GETZCNT
  c.timed_wait = true;             // man 2 semtimedop
  c.timeout_errno = EAGAIN;        // man 2 semop: "the time limit ... expired"
  c.fork_shared = true;            // an id, valid in every process of the namespace
  c.by_name = false;               // IPC_PRIVATE: no key
  c.wait_syscalls = {SYS_semop, SYS_semtimedop};
  return c;
}

namespace {

// The same semaphore as C, for the reproducers (impl/repro): `semid`, and
// the calls the Semaphore properties' steps make, each ONE semop(2) /
// semtimedop(2) / semctl(2) on semaphore 0 returning 0 or errno, with
// SEM_UNDO on every operation for the _undo Kind.
CSnippet SysvSemC(bool undo) {
  CSnippet c;
  c.includes = "#include <sys/ipc.h>\n#include <sys/sem.h>\n#include <time.h>\n";
  c.globals = std::string("static int semid = -1;\nstatic const short sem_flg = ") +
              (undo ? "SEM_UNDO" : "0") + ";  /* on every operation */\n" +
              R"C(static int sem_c_op(short delta, short flg) {
  struct sembuf op;
  op.sem_num = 0;
  op.sem_op = delta;
  op.sem_flg = (short)(sem_flg | flg);
  return semop(semid, &op, 1) == 0 ? 0 : errno;
}
static int sem_c_post(void) { return sem_c_op(1, 0); }
static int sem_c_trywait(void) { return sem_c_op(-1, IPC_NOWAIT); }
static int sem_c_wait(void) { return sem_c_op(-1, 0); }
/* semtimedop(2): the timeout is relative. */
static int sem_c_timedwait(long ns) {
  struct sembuf op;
  struct timespec ts;
  op.sem_num = 0;
  op.sem_op = -1;
  op.sem_flg = sem_flg;
  ts.tv_sec = ns / 1000000000L;
  ts.tv_nsec = ns % 1000000000L;
  return semtimedop(semid, &op, 1, &ts) == 0 ? 0 : errno;
}
static int sem_c_value(long *v) {
  int x = semctl(semid, 0, GETVAL);
  if (x < 0) return errno;
  *v = x;
  return 0;
}
/* semncnt (zero = 0) or semzcnt (zero = 1): semctl GETNCNT / GETZCNT. */
static long sem_c_count(int zero) { return semctl(semid, 0, zero ? GETZCNT : GETNCNT); }
/* One semop(2) with n operations on semaphore 0, in array order. */
static int sem_c_apply(const int *deltas, int n, int nowait) {
  struct sembuf ops[16];
  int i;
  if (n > 16) return E2BIG;
  for (i = 0; i < n; i++) {
    ops[i].sem_num = 0;
    ops[i].sem_op = (short)deltas[i];
    ops[i].sem_flg = (short)(sem_flg | (nowait ? IPC_NOWAIT : 0));
  }
  return semop(semid, ops, (size_t)n) == 0 ? 0 : errno;
}
)C";
  c.setup =
      "semid = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);\n"
      "if (semid < 0) setup_failed(\"semget\");\n";
  c.teardown = "if (semid >= 0) semctl(semid, 0, IPC_RMID);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC(SemaphoreKind{"sysv_sem", "sysv_sem",
                                          "one semaphore of a private System V set (semget(2), "
                                          "semop(2)), no SEM_UNDO",
                                          SysvSemaphoreCaps(false),
                                          [] { return OpenSysvSemaphore(false); }},
                            SysvSemC(false)));
IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC(SemaphoreKind{"sysv_sem_undo", "sysv_sem",
                                          "one semaphore of a private System V set, every "
                                          "operation with SEM_UNDO",
                                          SysvSemaphoreCaps(true),
                                          [] { return OpenSysvSemaphore(true); }},
                            SysvSemC(true)));

}  // namespace
}  // namespace ipcspec
