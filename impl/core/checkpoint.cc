#include "impl/core/checkpoint.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace ipcspec {

static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
static_assert(std::atomic<uint32_t>::is_always_lock_free);

PosixErrorOr<Checkpoint> Checkpoint::Create() {
  IPCSPEC_ASSIGN_OR_RETURN(auto w, SharedObject<std::atomic<uint32_t>>::Create(0u));
  return Checkpoint(std::move(w));
}

uint32_t Checkpoint::stage() const { return word_->load(std::memory_order_acquire); }

void Checkpoint::Signal(uint32_t stage) {
  uint32_t cur = word_->load(std::memory_order_relaxed);
  while (cur < stage &&
         !word_->compare_exchange_weak(cur, stage, std::memory_order_release)) {
  }
  // A shared (not FUTEX_PRIVATE) futex: the waiters are other processes.
  syscall(SYS_futex, reinterpret_cast<uint32_t*>(word_.get()), FUTEX_WAKE, INT_MAX,
          nullptr, nullptr, 0);
}

PosixError Checkpoint::WaitFor(uint32_t stage, const Deadline& deadline) const {
  for (;;) {
    uint32_t cur = word_->load(std::memory_order_acquire);
    if (cur >= stage) return NoError();
    if (deadline.Expired()) {
      NoteHarnessDeadlinePassed();
      return PosixError(ETIMEDOUT, "Checkpoint::WaitFor(stage " + std::to_string(stage) +
                                       "), still at stage " + std::to_string(cur) +
                                       " past the deadline");
    }
    struct timespec left = deadline.RemainingTimespec();
    long r = syscall(SYS_futex, reinterpret_cast<uint32_t*>(word_.get()), FUTEX_WAIT, cur,
                     &left, nullptr, 0);
    if (r != 0 && errno != EAGAIN && errno != EINTR && errno != ETIMEDOUT) {
      return ErrnoError("futex(FUTEX_WAIT)");
    }
  }
}

}  // namespace ipcspec
