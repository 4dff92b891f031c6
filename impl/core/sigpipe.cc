#include "impl/core/sigpipe.h"

#include <pthread.h>

#include <cerrno>
#include <ctime>

namespace ipcspec {

ScopedBlockSigpipe::ScopedBlockSigpipe() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  ok_ = pthread_sigmask(SIG_BLOCK, &s, &old_) == 0;
}

bool ScopedBlockSigpipe::ConsumePending() {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  struct timespec zero = {0, 0};
  int sig;
  do {
    sig = sigtimedwait(&s, nullptr, &zero);
  } while (sig < 0 && errno == EINTR);
  return sig == SIGPIPE;
}

ScopedBlockSigpipe::~ScopedBlockSigpipe() {
  if (!ok_) return;
  while (ConsumePending()) {
  }
  pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

}  // namespace ipcspec
