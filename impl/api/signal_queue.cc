#include "impl/api/signal_queue.h"

#include <string.h>

namespace ipcspec {

std::string SignalInfo::ToString() const {
  std::string s = SignalName(signo) + " " + SiCodeName(code);
  if (code == SI_QUEUE) s += " value=" + std::to_string(value);
  s += " from pid " + std::to_string(pid) + " uid " + std::to_string(uid);
  return s;
}

PosixErrorOr<std::vector<int>> SignalQueue::Pending() {
  return PosixError(ENOTSUP, "Pending() on " + Describe() + ": not observable");
}

const std::vector<int>& QueueSignals() {
  static const std::vector<int>* sigs = new std::vector<int>{
      SIGUSR1, SIGUSR2, SIGURG, SIGWINCH, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 3};
  return *sigs;
}

bool IsRealTimeSignal(int signo) { return signo >= SIGRTMIN && signo <= SIGRTMAX; }

std::string SignalName(int signo) {
  if (IsRealTimeSignal(signo)) {
    if (signo == SIGRTMAX) return "SIGRTMAX";
    return signo == SIGRTMIN ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(signo - SIGRTMIN);
  }
  if (signo > 0 && signo < SIGRTMIN) {
    if (const char* abbrev = sigabbrev_np(signo)) return std::string("SIG") + abbrev;
  }
  return "signal " + std::to_string(signo);
}

std::string SiCodeName(int code) {
  switch (code) {
    case SI_USER:
      return "SI_USER";
    case SI_QUEUE:
      return "SI_QUEUE";
    case SI_KERNEL:
      return "SI_KERNEL";
    case SI_TKILL:
      return "SI_TKILL";
    case SI_TIMER:
      return "SI_TIMER";
    default:
      return "si_code " + std::to_string(code);
  }
}

}  // namespace ipcspec
