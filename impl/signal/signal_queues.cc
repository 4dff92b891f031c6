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

IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      (SignalQueueKind{"sigtimedwait", "signal",
                                       "blocked signals taken with sigtimedwait(2)",
                                       SigtimedwaitCaps(), OpenSigtimedwaitQueue}));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      (SignalQueueKind{"signalfd", "signal",
                                       "blocked signals read from a signalfd(2) descriptor",
                                       SignalfdCaps(), OpenSignalfdQueue}));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      (SignalQueueKind{"sigaction_siginfo", "signal",
                                       "an SA_SIGINFO handler recording each siginfo_t",
                                       HandlerCaps(true), [] { return OpenHandlerQueue(true); }}));
IPCSPEC_REGISTER_KIND(SignalQueueInterface,
                      (SignalQueueKind{"sigaction_plain", "signal",
                                       "a plain sa_handler recording the signal number",
                                       HandlerCaps(false),
                                       [] { return OpenHandlerQueue(false); }}));

}  // namespace
}  // namespace ipcspec
