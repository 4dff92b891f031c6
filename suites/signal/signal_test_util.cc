#include "suites/signal/signal_test_util.h"

#include <sched.h>
#include <unistd.h>

#include <cerrno>

namespace ipcspec {
namespace signal_test {

int TakeNow(const std::vector<int>& signals, siginfo_t* si) {
  sigset_t s = MakeSigset(signals);
  struct timespec zero = {0, 0};
  return sigtimedwait(&s, si, &zero);
}

bool IsPending(int sig) {
  sigset_t p;
  sigpending(&p);
  return sigismember(&p, sig) == 1;
}

int Queue(pid_t pid, int sig, int value) {
  union sigval v = {};
  v.sival_int = value;
  return sigqueue(pid, sig, v);
}

int LimitOwnSigpending(uid_t uid, rlim_t limit, int* err) {
  int how = 1;
  if (setresuid(uid, uid, uid) != 0) {
    how = 2;
    if (unshare(CLONE_NEWUSER) != 0) {
      *err = errno;
      return -3;
    }
  }
  struct rlimit rl = {limit, limit};
  if (setrlimit(RLIMIT_SIGPENDING, &rl) != 0) {
    *err = errno;
    return -2;
  }
  return how;
}

Deadline OuterDeadline() { return Deadline::In(std::chrono::seconds(20)); }

struct timespec Left(const Deadline& d) { return d.RemainingTimespec(); }

Seen g_seen[kMaxSeen];
volatile sig_atomic_t g_seen_count = 0;

void Recorder(int sig, siginfo_t* si, void*) {
  int n = g_seen_count;
  if (n < kMaxSeen) g_seen[n] = Seen{sig, si->si_code, si->si_value.sival_int};
  g_seen_count = n + 1;
}

void InstallRecorder(int sig) {
  g_seen_count = 0;
  struct sigaction sa = {};
  sa.sa_sigaction = Recorder;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, nullptr);
}

ScopedSigchld::ScopedSigchld() : guard_({SIGCHLD}) {
  struct sigaction sa = {};
  sa.sa_handler = SIG_DFL;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGCHLD, &sa, nullptr);
  sigset_t s = MakeSigset({SIGCHLD});
  sigprocmask(SIG_BLOCK, &s, nullptr);
}

PosixErrorOr<siginfo_t> ScopedSigchld::Next() {
  sigset_t s = MakeSigset({SIGCHLD});
  siginfo_t si = {};
  Deadline d = Deadline::Default();
  for (;;) {
    struct timespec left = Left(d);
    int r = sigtimedwait(&s, &si, &left);
    if (r == SIGCHLD) return si;
    if (r < 0 && errno == EINTR) continue;
    return ErrnoError("sigtimedwait(SIGCHLD, default deadline)");
  }
}

}  // namespace signal_test
}  // namespace ipcspec
