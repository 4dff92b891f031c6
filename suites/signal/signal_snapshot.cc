#include "suites/signal/signal_snapshot.h"

#include "impl/api/signal_queue.h"
#include "impl/signal/signal_state.h"

namespace ipcspec {

SignalSnapshot SignalSnapshot::Take() {
  SignalSnapshot s;
  sigprocmask(SIG_BLOCK, nullptr, &s.mask);
  sigpending(&s.pending);
  s.actions.resize(NSIG);
  for (int sig = 1; sig < NSIG; ++sig) {
    struct sigaction sa = {};
    if (sigaction(sig, nullptr, &sa) == 0) {
      void* h = (sa.sa_flags & SA_SIGINFO) ? reinterpret_cast<void*>(sa.sa_sigaction)
                                           : reinterpret_cast<void*>(sa.sa_handler);
      s.actions[static_cast<size_t>(sig)] = {h, sa.sa_flags & ~kSaRestorer};
    }
  }
  return s;
}

std::string SignalSnapshot::DifferencesFrom(const SignalSnapshot& before) const {
  std::string d;
  auto mask_now = SigsetMembers(mask), mask_then = SigsetMembers(before.mask);
  if (mask_now != mask_then) {
    d += "mask was " + FormatSignals(mask_then) + ", is " + FormatSignals(mask_now) + "; ";
  }
  auto pend_now = SigsetMembers(pending), pend_then = SigsetMembers(before.pending);
  if (pend_now != pend_then) {
    d += "pending was " + FormatSignals(pend_then) + ", is " + FormatSignals(pend_now) + "; ";
  }
  for (int sig = 1; sig < NSIG; ++sig) {
    if (actions[static_cast<size_t>(sig)] != before.actions[static_cast<size_t>(sig)]) {
      d += "the disposition of " + SignalName(sig) + " changed; ";
    }
  }
  return d;
}

}  // namespace ipcspec
