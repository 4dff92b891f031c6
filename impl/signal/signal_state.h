// A process's signal state, saved and restored: the mask, the dispositions
// of some signals and their pending instances.
//
//   SignalStateGuard g({SIGUSR1, SIGRTMIN});   // saves mask and dispositions
//   ... block, install handlers, send ...
//   // ~g: blocks them, takes every pending instance, restores the
//   // dispositions, then the mask: the process is as it was.
//
// Everything here is plain system calls (sigprocmask, sigaction,
// sigtimedwait), so it is usable in a forked child too.
#pragma once

#include <signal.h>

#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

// The kernel's SA_RESTORER flag (asm/signal.h), which glibc sets on every
// action it installs: two actions that differ only by it are the same.
inline constexpr int kSaRestorer = 0x04000000;
bool SameAction(const struct sigaction& a, const struct sigaction& b);

sigset_t MakeSigset(const std::vector<int>& signals);
// The members of `s` among signals 1 .. NSIG-1, ascending.
std::vector<int> SigsetMembers(const sigset_t& s);
// "{SIGUSR1, SIGRTMIN+1}"
std::string FormatSignals(const std::vector<int>& signals);

// sigpending(2) / the current mask, as lists.
PosixErrorOr<std::vector<int>> PendingSignals();
PosixErrorOr<std::vector<int>> BlockedSignals();

// Takes (sigtimedwait with a zero timeout) every pending instance of
// `signals`, which must be blocked. Returns how many it took.
PosixErrorOr<int> DrainPending(const std::vector<int>& signals);

class SignalStateGuard {
 public:
  explicit SignalStateGuard(std::vector<int> signals);
  SignalStateGuard(const SignalStateGuard&) = delete;
  SignalStateGuard& operator=(const SignalStateGuard&) = delete;
  ~SignalStateGuard();

  // Blocks the signals, drains their pending instances, restores their
  // dispositions and then the saved mask. Once (later calls do nothing).
  // Returns how many pending instances were drained through `drained`.
  PosixError Restore(int* drained = nullptr);
  const sigset_t& saved_mask() const { return mask_; }
  const std::vector<int>& signals() const { return signals_; }

 private:
  std::vector<int> signals_;
  std::vector<struct sigaction> actions_;
  sigset_t mask_;
  bool restored_ = false;
};

}  // namespace ipcspec
