#include "impl/signal/signal_state.h"

#include <time.h>

#include "impl/api/signal_queue.h"

namespace ipcspec {

sigset_t MakeSigset(const std::vector<int>& signals) {
  sigset_t s;
  sigemptyset(&s);
  for (int sig : signals) sigaddset(&s, sig);
  return s;
}

std::vector<int> SigsetMembers(const sigset_t& s) {
  std::vector<int> out;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sigismember(&s, sig) == 1) out.push_back(sig);
  }
  return out;
}

std::string FormatSignals(const std::vector<int>& signals) {
  std::string s = "{";
  for (size_t i = 0; i < signals.size(); ++i) {
    s += (i ? ", " : "") + SignalName(signals[i]);
  }
  return s + "}";
}

PosixErrorOr<std::vector<int>> PendingSignals() {
  sigset_t s;
  if (sigpending(&s) != 0) return ErrnoError("sigpending()");
  return SigsetMembers(s);
}

PosixErrorOr<std::vector<int>> BlockedSignals() {
  sigset_t s;
  if (sigprocmask(SIG_BLOCK, nullptr, &s) != 0) return ErrnoError("sigprocmask(NULL)");
  return SigsetMembers(s);
}

PosixErrorOr<int> DrainPending(const std::vector<int>& signals) {
  sigset_t set = MakeSigset(signals);
  int n = 0;
  for (;;) {
    struct timespec zero = {0, 0};
    int got = sigtimedwait(&set, nullptr, &zero);
    if (got > 0) {
      ++n;
      continue;
    }
    if (errno == EAGAIN) return n;
    if (errno == EINTR) continue;
    return ErrnoError("sigtimedwait(" + FormatSignals(signals) + ", zero timeout)");
  }
}

bool SameAction(const struct sigaction& a, const struct sigaction& b) {
  auto handler = [](const struct sigaction& x) {
    return (x.sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(x.sa_sigaction)
                                     : reinterpret_cast<void*>(x.sa_handler);
  };
  return handler(a) == handler(b) &&
         (a.sa_flags & ~kSaRestorer) == (b.sa_flags & ~kSaRestorer) &&
         SigsetMembers(a.sa_mask) == SigsetMembers(b.sa_mask);
}

SignalStateGuard::SignalStateGuard(std::vector<int> signals) : signals_(std::move(signals)) {
  sigprocmask(SIG_BLOCK, nullptr, &mask_);
  actions_.resize(signals_.size());
  for (size_t i = 0; i < signals_.size(); ++i) sigaction(signals_[i], nullptr, &actions_[i]);
}

SignalStateGuard::~SignalStateGuard() { (void)Restore(); }

PosixError SignalStateGuard::Restore(int* drained) {
  if (restored_) return NoError();
  restored_ = true;
  sigset_t all = MakeSigset(signals_);
  if (sigprocmask(SIG_BLOCK, &all, nullptr) != 0) return ErrnoError("sigprocmask(SIG_BLOCK)");
  auto n = DrainPending(signals_);
  PosixError first = n.ok() ? NoError() : n.error();
  if (drained) *drained = n.ok() ? n.value() : 0;
  for (size_t i = 0; i < signals_.size(); ++i) {
    // Only what changed: setting even the same action again adds the
    // SA_RESTORER flag glibc puts on every action it installs.
    struct sigaction now = {};
    if (sigaction(signals_[i], nullptr, &now) == 0 && SameAction(now, actions_[i])) continue;
    if (sigaction(signals_[i], &actions_[i], nullptr) != 0 && first.ok()) {
      first = ErrnoError("sigaction(" + SignalName(signals_[i]) + ", saved action)");
    }
  }
  if (sigprocmask(SIG_SETMASK, &mask_, nullptr) != 0 && first.ok()) {
    first = ErrnoError("sigprocmask(SIG_SETMASK, saved mask)");
  }
  return first;
}

}  // namespace ipcspec
