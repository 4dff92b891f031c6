#include "impl/signal/signal_queues.h"

#include <poll.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <set>

#include "impl/core/file_descriptor.h"
#include "impl/signal/signal_state.h"

namespace ipcspec {

PosixError SendSignal(pid_t pid, int signo, std::optional<int> value) {
  if (value.has_value()) {
    union sigval v = {};
    v.sival_int = *value;
    if (sigqueue(pid, signo, v) != 0) {
      return ErrnoError("sigqueue(" + std::to_string(pid) + ", " + SignalName(signo) +
                        ", value " + std::to_string(*value) + ")");
    }
    return NoError();
  }
  if (kill(pid, signo) != 0) {
    return ErrnoError("kill(" + std::to_string(pid) + ", " + SignalName(signo) + ")");
  }
  return NoError();
}

namespace {

struct timespec ToTimespec(std::chrono::nanoseconds d) {
  if (d.count() < 0) d = std::chrono::nanoseconds(0);
  struct timespec ts;
  ts.tv_sec = static_cast<time_t>(d.count() / 1000000000);
  ts.tv_nsec = static_cast<long>(d.count() % 1000000000);
  return ts;
}

bool IsQueueSignal(int signo) {
  for (int s : QueueSignals()) {
    if (s == signo) return true;
  }
  return false;
}

SignalInfo FromSiginfo(const siginfo_t& si) {
  SignalInfo i;
  i.signo = si.si_signo;
  i.code = si.si_code;
  i.value = si.si_value.sival_int;
  i.pid = si.si_pid;
  i.uid = si.si_uid;
  return i;
}

// What every Kind shares: the saved state, the held set, Send and Pending.
class QueueBase : public SignalQueue {
 public:
  QueueBase() : guard_(QueueSignals()) {}
  PosixError Send(pid_t pid, int signo, std::optional<int> value) override {
    return SendSignal(pid, signo, value);
  }
  PosixErrorOr<std::vector<int>> Pending() override {
    IPCSPEC_ASSIGN_OR_RETURN(std::vector<int> all, PendingSignals());
    std::vector<int> mine;
    for (int s : all) {
      if (IsQueueSignal(s)) mine.push_back(s);
    }
    return mine;
  }

 protected:
  PosixError CheckSignal(int signo, const char* what) const {
    if (!IsQueueSignal(signo)) {
      return PosixError(EINVAL, std::string(what) + "(" + SignalName(signo) +
                                    "): not one of the queue's signals");
    }
    return NoError();
  }
  // The queue's signals that are not held.
  sigset_t Released() const {
    std::vector<int> r;
    for (int s : QueueSignals()) {
      if (!held_.count(s)) r.push_back(s);
    }
    return MakeSigset(r);
  }

  SignalStateGuard guard_;
  std::set<int> held_;
};

// ---------------------------------------------------------------------------

class SigtimedwaitQueue : public QueueBase {
 public:
  PosixError Open() {
    sigset_t all = MakeSigset(QueueSignals());
    if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return ErrnoError("sigprocmask(SIG_BLOCK)");
    return NoError();
  }
  PosixError Hold(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Hold"));
    held_.insert(signo);
    return NoError();
  }
  PosixError Release(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Release"));
    held_.erase(signo);
    return NoError();
  }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    sigset_t set = Released();
    struct timespec ts = ToTimespec(timeout);
    siginfo_t si = {};
    int got = sigtimedwait(&set, &si, &ts);
    if (got < 0) {
      return ErrnoError("sigtimedwait(" + FormatSignals(SigsetMembers(set)) + ", " +
                        std::to_string(timeout.count()) + " ns)");
    }
    return FromSiginfo(si);
  }
  PosixError Close() override { return guard_.Restore(); }
  std::string Describe() const override {
    return "sigtimedwait(2) on " + FormatSignals(QueueSignals());
  }
};

// ---------------------------------------------------------------------------

class SignalfdQueue : public QueueBase {
 public:
  PosixError Open() {
    sigset_t all = MakeSigset(QueueSignals());
    if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return ErrnoError("sigprocmask(SIG_BLOCK)");
    fd_ = FileDescriptor(signalfd(-1, &all, SFD_NONBLOCK | SFD_CLOEXEC));
    if (!fd_.valid()) return ErrnoError("signalfd(-1, queue signals, SFD_NONBLOCK|SFD_CLOEXEC)");
    return NoError();
  }
  PosixError Hold(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Hold"));
    held_.insert(signo);
    return UpdateMask();
  }
  PosixError Release(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Release"));
    held_.erase(signo);
    return UpdateMask();
  }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    struct signalfd_siginfo ssi = {};
    ssize_t n = read(fd_.get(), &ssi, sizeof ssi);
    if (n < 0 && errno == EAGAIN && timeout.count() > 0) {
      struct pollfd p = {fd_.get(), POLLIN, 0};
      struct timespec ts = ToTimespec(timeout);
      int r = ppoll(&p, 1, &ts, nullptr);
      if (r < 0) return ErrnoError("ppoll(signalfd " + std::to_string(fd_.get()) + ")");
      if (r == 0) return PosixError(EAGAIN, "ppoll(signalfd): no signal within the timeout");
      n = read(fd_.get(), &ssi, sizeof ssi);
    }
    if (n < 0) return ErrnoError("read(signalfd " + std::to_string(fd_.get()) + ")");
    if (n != static_cast<ssize_t>(sizeof ssi)) {
      return PosixError(EIO, "read(signalfd) returned " + std::to_string(n) + " bytes, not " +
                                 std::to_string(sizeof ssi));
    }
    SignalInfo i;
    i.signo = static_cast<int>(ssi.ssi_signo);
    i.code = ssi.ssi_code;
    i.value = ssi.ssi_int;
    i.pid = static_cast<pid_t>(ssi.ssi_pid);
    i.uid = static_cast<uid_t>(ssi.ssi_uid);
    return i;
  }
  PosixError Close() override {
    fd_.reset();
    return guard_.Restore();
  }
  std::string Describe() const override {
    return "signalfd(2) fd " + std::to_string(fd_.get()) + " on " + FormatSignals(QueueSignals());
  }
  int fd() const override { return fd_.get(); }

 private:
  PosixError UpdateMask() {
    sigset_t m = Released();
    if (signalfd(fd_.get(), &m, 0) != fd_.get()) {
      return ErrnoError("signalfd(" + std::to_string(fd_.get()) + ", " +
                        FormatSignals(SigsetMembers(m)) + ")");
    }
    return NoError();
  }
  FileDescriptor fd_;
};

// ---------------------------------------------------------------------------
// Handlers record into a ring in static memory. Handlers run with every
// queue signal blocked (sa_mask), so they never nest; the process reads the
// ring only with the queue signals blocked.

constexpr uint32_t kRing = 1024;
struct Ring {
  SignalInfo entries[kRing];
  std::atomic<uint32_t> head{0};  // next to read
  std::atomic<uint32_t> tail{0};  // next to write
  std::atomic<uint32_t> lost{0};
};
Ring g_ring;
static_assert(std::atomic<uint32_t>::is_always_lock_free);

void Record(const SignalInfo& i) {
  uint32_t t = g_ring.tail.load(std::memory_order_relaxed);
  if (t - g_ring.head.load(std::memory_order_relaxed) >= kRing) {
    g_ring.lost.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  g_ring.entries[t % kRing] = i;
  g_ring.tail.store(t + 1, std::memory_order_release);
}

void OnSignalInfo(int, siginfo_t* si, void*) {
  int saved = errno;
  Record(FromSiginfo(*si));
  errno = saved;
}

void OnSignalPlain(int signo) {
  SignalInfo i;
  i.signo = signo;
  Record(i);
}

class HandlerQueue : public QueueBase {
 public:
  explicit HandlerQueue(bool siginfo) : siginfo_(siginfo) {}
  PosixError Open() {
    sigset_t all = MakeSigset(QueueSignals());
    if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return ErrnoError("sigprocmask(SIG_BLOCK)");
    g_ring.head.store(0);
    g_ring.tail.store(0);
    g_ring.lost.store(0);
    for (int s : QueueSignals()) {
      struct sigaction sa = {};
      if (siginfo_) {
        sa.sa_sigaction = OnSignalInfo;
        sa.sa_flags = SA_SIGINFO;
      } else {
        sa.sa_handler = OnSignalPlain;
      }
      sa.sa_mask = all;
      if (sigaction(s, &sa, nullptr) != 0) {
        return ErrnoError("sigaction(" + SignalName(s) + ", handler)");
      }
    }
    if (sigprocmask(SIG_UNBLOCK, &all, nullptr) != 0) {
      return ErrnoError("sigprocmask(SIG_UNBLOCK)");
    }
    return NoError();
  }
  PosixError Hold(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Hold"));
    sigset_t s = MakeSigset({signo});
    if (sigprocmask(SIG_BLOCK, &s, nullptr) != 0) {
      return ErrnoError("sigprocmask(SIG_BLOCK, " + SignalName(signo) + ")");
    }
    held_.insert(signo);
    return NoError();
  }
  PosixError Release(int signo) override {
    IPCSPEC_RETURN_IF_ERROR(CheckSignal(signo, "Release"));
    sigset_t s = MakeSigset({signo});
    if (sigprocmask(SIG_UNBLOCK, &s, nullptr) != 0) {
      return ErrnoError("sigprocmask(SIG_UNBLOCK, " + SignalName(signo) + ")");
    }
    held_.erase(signo);
    return NoError();
  }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    sigset_t all = MakeSigset(QueueSignals());
    sigset_t before;
    if (sigprocmask(SIG_BLOCK, &all, &before) != 0) return ErrnoError("sigprocmask(SIG_BLOCK)");
    auto result = TakeRecorded();
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!result.ok() && result.errno_value() == EAGAIN && timeout.count() > 0) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      auto spent = std::chrono::seconds(now.tv_sec - start.tv_sec) +
                   std::chrono::nanoseconds(now.tv_nsec - start.tv_nsec);
      if (spent >= timeout) break;
      // Atomically back to the caller's mask (released signals unblocked)
      // and asleep: a signal that comes now runs its handler and ends the
      // ppoll with EINTR.
      struct timespec left = ToTimespec(timeout - spent);
      int r = ppoll(nullptr, 0, &left, &before);
      if (r < 0 && errno != EINTR) {
        int e = errno;
        sigprocmask(SIG_SETMASK, &before, nullptr);
        return PosixError(e, "ppoll(no fds, mask)");
      }
      result = TakeRecorded();
      if (r == 0) break;
    }
    if (sigprocmask(SIG_SETMASK, &before, nullptr) != 0) {
      return ErrnoError("sigprocmask(SIG_SETMASK)");
    }
    return result;
  }
  PosixError Close() override {
    PosixError e = guard_.Restore();
    g_ring.head.store(0);
    g_ring.tail.store(0);
    return e;
  }
  std::string Describe() const override {
    return std::string(siginfo_ ? "SA_SIGINFO handler" : "sa_handler") + " on " +
           FormatSignals(QueueSignals());
  }

 private:
  // With the queue signals blocked.
  PosixErrorOr<SignalInfo> TakeRecorded() {
    if (uint32_t lost = g_ring.lost.load()) {
      return PosixError(EOVERFLOW, "the handler's record lost " + std::to_string(lost) +
                                       " signal(s): more than " + std::to_string(kRing) +
                                       " unread");
    }
    uint32_t h = g_ring.head.load();
    if (h == g_ring.tail.load(std::memory_order_acquire)) {
      return PosixError(EAGAIN, "Receive(" + Describe() + "): nothing delivered");
    }
    SignalInfo i = g_ring.entries[h % kRing];
    g_ring.head.store(h + 1);
    return i;
  }
  bool siginfo_;
};

template <typename Q, typename... Args>
PosixErrorOr<SignalQueueInstance> OpenQueue(Args... args) {
  auto q = std::make_unique<Q>(args...);
  PosixError e = q->Open();
  if (!e.ok()) {
    (void)q->Close();
    return e;
  }
  return SignalQueueInstance(std::move(q));
}

}  // namespace

PosixErrorOr<SignalQueueInstance> OpenSigtimedwaitQueue() { return OpenQueue<SigtimedwaitQueue>(); }
PosixErrorOr<SignalQueueInstance> OpenSignalfdQueue() { return OpenQueue<SignalfdQueue>(); }
PosixErrorOr<SignalQueueInstance> OpenHandlerQueue(bool siginfo) {
  return OpenQueue<HandlerQueue>(siginfo);
}

SignalQueueCaps SigtimedwaitCaps() {
  SignalQueueCaps c;
  c.reports_info = true;
  c.delivers_when_unblocked = false;
  c.reports_pending = true;
  c.wait_syscalls = {SYS_rt_sigtimedwait};
  return c;
}

namespace {

SignalQueueCaps SignalfdCaps() {
  SignalQueueCaps c;
  c.reports_info = true;
  c.delivers_when_unblocked = false;
  c.reports_pending = true;
  c.wait_syscalls = {SYS_ppoll};
  return c;
}

SignalQueueCaps HandlerCaps(bool siginfo) {
  SignalQueueCaps c;
  c.reports_info = siginfo;
  c.delivers_when_unblocked = true;
  c.reports_pending = true;
  c.wait_syscalls = {SYS_ppoll};
  return c;
}

// The Kinds as C (impl/repro). Every Kind defines the same functions, which
// the recorded steps call: q_hold(sig), q_release(sig) (each checks its own
// call, as Hold/Release fail here when it fails) and q_receive(ns, &info)
// (0, or the errno of the one wait). The process exits at the end, so the
// teardown restores no mask: restoring it would deliver what is still
// pending (SIGUSR1's default action ends the process).
constexpr const char* kQueueCommonC = R"C(static int qsig[8];      /* SIGUSR1 SIGUSR2 SIGURG SIGWINCH SIGRTMIN..SIGRTMIN+3 */
static int q_held[8];
static sigset_t q_all;
struct q_info { int signo, code, value; pid_t pid; uid_t uid; };
static void q_init(void) {
  int i;
  qsig[0] = SIGUSR1; qsig[1] = SIGUSR2; qsig[2] = SIGURG; qsig[3] = SIGWINCH;
  for (i = 0; i < 4; i++) qsig[4 + i] = SIGRTMIN + i;
  sigemptyset(&q_all);
  for (i = 0; i < 8; i++) sigaddset(&q_all, qsig[i]);
}
static int q_index(int sig) {
  int i;
  for (i = 0; i < 8; i++) if (qsig[i] == sig) return i;
  setup_failed("not one of the queue's signals");
  return -1;
}
/* The queue's signals that are not held. */
static void q_released(sigset_t *s) {
  int i;
  sigemptyset(s);
  for (i = 0; i < 8; i++) if (!q_held[i]) sigaddset(s, qsig[i]);
}
static const char *q_signame(int sig) {
  static char b[4][24];
  static int k;
  char *p = b[k++ % 4];
  if (sig >= SIGRTMIN && sig <= SIGRTMAX) snprintf(p, 24, "SIGRTMIN+%d", sig - SIGRTMIN);
  else if (sig == SIGUSR1) snprintf(p, 24, "SIGUSR1");
  else if (sig == SIGUSR2) snprintf(p, 24, "SIGUSR2");
  else if (sig == SIGURG) snprintf(p, 24, "SIGURG");
  else if (sig == SIGWINCH) snprintf(p, 24, "SIGWINCH");
  else snprintf(p, 24, "signal %d", sig);
  return p;
}
static struct timespec q_ts(long ns) {
  struct timespec ts;
  ts.tv_sec = ns / 1000000000L;
  ts.tv_nsec = ns % 1000000000L;
  return ts;
}
)C";

// What sigprocmask(2) promises, for the Kinds whose Hold/Release call it.
constexpr const char* kSigprocmaskC = R"C(static void q_mask(int how, int sig) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  if (sigprocmask(how, &s, NULL) != 0)
    broken("man 2 sigprocmask: \"sigprocmask() returns 0 on success\"",
           "sigprocmask(%s, {%s}) failed: %s", how == SIG_BLOCK ? "SIG_BLOCK" : "SIG_UNBLOCK",
           q_signame(sig), strerror(errno));
}
)C";

CSnippet SigtimedwaitC() {
  CSnippet c;
  c.includes = "#include <time.h>\n";
  c.globals = std::string(kQueueCommonC) + R"C(/* Blocked signals taken with sigtimedwait(2): holding one is leaving it out
   of the set waited for. */
static void q_hold(int sig) { q_held[q_index(sig)] = 1; }
static void q_release(int sig) { q_held[q_index(sig)] = 0; }
static int q_receive(long ns, struct q_info *out) {
  sigset_t set;
  siginfo_t si;
  struct timespec ts = q_ts(ns);
  q_released(&set);
  memset(&si, 0, sizeof si);
  if (sigtimedwait(&set, &si, &ts) < 0) return errno;
  out->signo = si.si_signo;
  out->code = si.si_code;
  out->value = si.si_value.sival_int;
  out->pid = si.si_pid;
  out->uid = si.si_uid;
  return 0;
}
)C";
  c.setup = "q_init();\nif (sigprocmask(SIG_BLOCK, &q_all, NULL) != 0) setup_failed(\"sigprocmask\");\n";
  c.teardown = "/* nothing: the process's mask and pending signals end with it */\n";
  return c;
}

CSnippet SignalfdC() {
  CSnippet c;
  c.includes = "#include <poll.h>\n#include <sys/signalfd.h>\n#include <time.h>\n";
  c.globals = std::string(kQueueCommonC) + R"C(/* Blocked signals read from a signalfd; holding one is taking it out of the
   signalfd's mask, with signalfd(sfd, mask, 0) on the existing descriptor. */
static int sfd = -1;
static void q_update(void) {
  sigset_t m;
  int r;
  q_released(&m);
  errno = 0;
  r = signalfd(sfd, &m, 0);
  if (r != sfd)
    broken("man 2 signalfd: \"If the fd argument is not -1, then it must specify a valid "
           "existing signalfd file descriptor, and mask is used to replace the signal set "
           "associated with that file descriptor.\" ... \"On success, signalfd() returns a "
           "signalfd file descriptor; this is either a new file descriptor (if fd was -1), or "
           "fd if fd was a valid existing signalfd file descriptor.\"",
           "signalfd(%d, mask, 0) on the existing signalfd returned %d (errno %d, %s), not %d",
           sfd, r, errno, strerror(errno), sfd);
}
static void q_hold(int sig) { q_held[q_index(sig)] = 1; q_update(); }
static void q_release(int sig) { q_held[q_index(sig)] = 0; q_update(); }
static int q_receive(long ns, struct q_info *out) {
  struct signalfd_siginfo ssi;
  ssize_t n;
  memset(&ssi, 0, sizeof ssi);
  n = read(sfd, &ssi, sizeof ssi);
  if (n < 0 && errno == EAGAIN && ns > 0) {
    struct pollfd p;
    struct timespec ts = q_ts(ns);
    int r;
    p.fd = sfd;
    p.events = POLLIN;
    p.revents = 0;
    r = ppoll(&p, 1, &ts, NULL);
    if (r < 0) return errno;
    if (r == 0) return EAGAIN;
    n = read(sfd, &ssi, sizeof ssi);
  }
  if (n < 0) return errno;
  if (n != (ssize_t)sizeof ssi) return EIO;
  out->signo = (int)ssi.ssi_signo;
  out->code = ssi.ssi_code;
  out->value = ssi.ssi_int;
  out->pid = (pid_t)ssi.ssi_pid;
  out->uid = (uid_t)ssi.ssi_uid;
  return 0;
}
)C";
  c.setup =
      "q_init();\nif (sigprocmask(SIG_BLOCK, &q_all, NULL) != 0) setup_failed(\"sigprocmask\");\n"
      "sfd = signalfd(-1, &q_all, SFD_NONBLOCK | SFD_CLOEXEC);\n"
      "if (sfd < 0) setup_failed(\"signalfd(-1, queue signals, SFD_NONBLOCK|SFD_CLOEXEC)\");\n";
  c.teardown = "if (sfd >= 0) close(sfd);\nsfd = -1;\n";
  return c;
}

CSnippet HandlerC(bool siginfo) {
  CSnippet c;
  c.includes = "#include <poll.h>\n#include <time.h>\n";
  c.globals = std::string(kQueueCommonC) + kSigprocmaskC +
              R"C(/* Handlers record each delivery in a ring; they run with every queue signal
   blocked (sa_mask), and the ring is read with them blocked. */
#define Q_RING 1024
static struct q_info q_ring[Q_RING];
static volatile unsigned q_head, q_tail, q_lost;
)C" + (siginfo ? R"C(static void q_on_signal(int sig, siginfo_t *si, void *uc) {
  int saved = errno;
  (void)uc;
  if (q_tail - q_head >= Q_RING) { q_lost++; return; }
  q_ring[q_tail % Q_RING].signo = sig;
  q_ring[q_tail % Q_RING].code = si->si_code;
  q_ring[q_tail % Q_RING].value = si->si_value.sival_int;
  q_ring[q_tail % Q_RING].pid = si->si_pid;
  q_ring[q_tail % Q_RING].uid = si->si_uid;
  q_tail++;
  errno = saved;
}
)C"
                                : R"C(static void q_on_signal(int sig) {
  if (q_tail - q_head >= Q_RING) { q_lost++; return; }
  memset(&q_ring[q_tail % Q_RING], 0, sizeof q_ring[0]);
  q_ring[q_tail % Q_RING].signo = sig;
  q_tail++;
}
)C") + R"C(static void q_hold(int sig) { q_mask(SIG_BLOCK, sig); q_held[q_index(sig)] = 1; }
static void q_release(int sig) { q_mask(SIG_UNBLOCK, sig); q_held[q_index(sig)] = 0; }
/* With the queue signals blocked. */
static int q_take(struct q_info *out) {
  if (q_lost) return EOVERFLOW;
  if (q_head == q_tail) return EAGAIN;
  *out = q_ring[q_head % Q_RING];
  q_head++;
  return 0;
}
static int q_receive(long ns, struct q_info *out) {
  sigset_t before;
  struct timespec start, now;
  int e;
  if (sigprocmask(SIG_BLOCK, &q_all, &before) != 0) return errno;
  e = q_take(out);
  clock_gettime(CLOCK_MONOTONIC, &start);
  while (e == EAGAIN && ns > 0) {
    long spent;
    struct timespec left;
    int r;
    clock_gettime(CLOCK_MONOTONIC, &now);
    spent = (now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec);
    if (spent >= ns) break;
    /* Atomically back to the caller's mask and asleep: a signal that comes
       now runs its handler and ends the ppoll with EINTR. */
    left = q_ts(ns - spent);
    r = ppoll(NULL, 0, &left, &before);
    if (r < 0 && errno != EINTR) {
      e = errno;
      sigprocmask(SIG_SETMASK, &before, NULL);
      return e;
    }
    e = q_take(out);
    if (r == 0) break;
  }
  if (sigprocmask(SIG_SETMASK, &before, NULL) != 0) return errno;
  return e;
}
)C";
  c.setup = std::string(
                "q_init();\nif (sigprocmask(SIG_BLOCK, &q_all, NULL) != 0) setup_failed(\"sigprocmask\");\n"
                "{\n  int i;\n  struct sigaction qa;\n  memset(&qa, 0, sizeof qa);\n") +
            (siginfo ? "  qa.sa_sigaction = q_on_signal;\n  qa.sa_flags = SA_SIGINFO;\n"
                     : "  qa.sa_handler = q_on_signal;\n") +
            "  qa.sa_mask = q_all;\n"
            "  for (i = 0; i < 8; i++)\n"
            "    if (sigaction(qsig[i], &qa, NULL) != 0) setup_failed(\"sigaction\");\n}\n"
            "if (sigprocmask(SIG_UNBLOCK, &q_all, NULL) != 0) setup_failed(\"sigprocmask\");\n";
  c.teardown =
      "/* the handlers stay: what is still pending is delivered to them, and the\n   process "
      "ends */\n";
  return c;
}

IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      WithC(SignalQueueKind{"sigtimedwait", "signal",
                                            "blocked signals taken with sigtimedwait(2)",
                                            SigtimedwaitCaps(), OpenSigtimedwaitQueue},
                            SigtimedwaitC()));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      WithC(SignalQueueKind{"signalfd", "signal",
                                            "blocked signals read from a signalfd(2) descriptor",
                                            SignalfdCaps(), OpenSignalfdQueue},
                            SignalfdC()));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      WithC(SignalQueueKind{"sigaction_siginfo", "signal",
                                            "an SA_SIGINFO handler recording each siginfo_t",
                                            HandlerCaps(true),
                                            [] { return OpenHandlerQueue(true); }},
                            HandlerC(true)));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      WithC(SignalQueueKind{"sigaction_plain", "signal",
                                            "a plain sa_handler recording the signal number",
                                            HandlerCaps(false),
                                            [] { return OpenHandlerQueue(false); }},
                            HandlerC(false)));

}  // namespace
}  // namespace ipcspec
