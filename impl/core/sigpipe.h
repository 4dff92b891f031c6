// ScopedBlockSigpipe: blocks SIGPIPE in the calling thread while in scope, so
// that a test can write to a broken pipe or socket and then check that the
// signal was raised (man 7 pipe, man 7 unix) instead of dying of it.
#pragma once

#include <signal.h>

namespace ipcspec {

class ScopedBlockSigpipe {
 public:
  ScopedBlockSigpipe();
  // Consumes any SIGPIPE still pending before unblocking: unblocking with
  // one pending would kill the test binary.
  ~ScopedBlockSigpipe();
  ScopedBlockSigpipe(const ScopedBlockSigpipe&) = delete;
  ScopedBlockSigpipe& operator=(const ScopedBlockSigpipe&) = delete;
  // True if SIGPIPE was pending for this thread or process; consumes it
  // (sigtimedwait with a zero timeout). Async-signal-safe.
  static bool ConsumePending();
  // Whether SIGPIPE could be blocked.
  bool ok() const { return ok_; }

 private:
  sigset_t old_{};
  bool ok_ = false;
};

}  // namespace ipcspec
