#include "impl/mutants/semaphore/futex_semaphore.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>

namespace ipcspec {

std::string FutexSemBugs::ToString() const {
  std::string s;
  if (trywait_succeeds_at_zero) s += " trywait_succeeds_at_zero";
  if (skip_wake_every > 0) s += " skip_wake_every=" + std::to_string(skip_wake_every);
  if (wake_all_no_recheck) s += " wake_all_no_recheck";
  return s.empty() ? "none" : s.substr(1);
}

PosixErrorOr<SemaphoreInstance> FutexSemaphore::Create(FutexSemBugs bugs) {
  IPCSPEC_ASSIGN_OR_RETURN(auto w, SharedObject<FutexSemWords>::Create());
  return SemaphoreInstance(new FutexSemaphore(std::move(w), bugs));
}

int FutexSemaphore::Sleep(int32_t seen, const struct timespec* timeout) {
  // A shared (not FUTEX_PRIVATE) futex: the other side is another process.
  long r = syscall(SYS_futex, reinterpret_cast<int32_t*>(&w_->value), FUTEX_WAIT, seen, timeout,
                   nullptr, 0);
  return r == 0 ? 0 : errno;
}

PosixError FutexSemaphore::Post() {
  int32_t v = w_->value.load();
  if (v == INT_MAX) return PosixError(EOVERFLOW, "futex sem post at INT_MAX");
  w_->value.fetch_add(1);
  if (w_->sleepers.load() > 0) {
    uint32_t n = w_->posts_with_sleepers.fetch_add(1) + 1;
    if (bugs_.skip_wake_every > 0 && n % static_cast<uint32_t>(bugs_.skip_wake_every) == 0) {
      return NoError();  // BUG: the unit is there, the sleeper is not told
    }
    syscall(SYS_futex, reinterpret_cast<int32_t*>(&w_->value), FUTEX_WAKE,
            bugs_.wake_all_no_recheck ? INT_MAX : 1, nullptr, nullptr, 0);
  }
  return NoError();
}

PosixError FutexSemaphore::Wait() {
  for (;;) {
    int32_t v = w_->value.load();
    while (v > 0) {
      if (w_->value.compare_exchange_weak(v, v - 1)) return NoError();
    }
    w_->sleepers.fetch_add(1);
    int err = Sleep(v, nullptr);
    w_->sleepers.fetch_sub(1);
    if (err == EINTR) return PosixError(EINTR, "futex sem wait");
    if (err == 0 && bugs_.wake_all_no_recheck) {
      w_->value.fetch_sub(1);  // BUG: woken means "mine", whatever the value
      return NoError();
    }
  }
}

PosixError FutexSemaphore::TryWait() {
  int32_t v = w_->value.load();
  while (v > 0) {
    if (w_->value.compare_exchange_weak(v, v - 1)) return NoError();
  }
  if (bugs_.trywait_succeeds_at_zero) return NoError();  // BUG
  return PosixError(EAGAIN, "futex sem trywait");
}

PosixError FutexSemaphore::TimedWait(std::chrono::nanoseconds timeout) {
  long long ns = timeout.count() > 0 ? timeout.count() : 0;
  struct timespec ts = {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
  // One FUTEX_WAIT with the whole timeout; a wakeup that finds no unit
  // reports ETIMEDOUT only when the kernel said so.
  for (;;) {
    int32_t v = w_->value.load();
    while (v > 0) {
      if (w_->value.compare_exchange_weak(v, v - 1)) return NoError();
    }
    w_->sleepers.fetch_add(1);
    int err = Sleep(v, &ts);
    w_->sleepers.fetch_sub(1);
    if (err == ETIMEDOUT || err == EINTR) return PosixError(err, "futex sem timed wait");
    if (err == 0 && bugs_.wake_all_no_recheck) {
      w_->value.fetch_sub(1);
      return NoError();
    }
  }
}

PosixErrorOr<long> FutexSemaphore::Value() { return static_cast<long>(w_->value.load()); }

std::string FutexSemaphore::Describe() const {
  return "futex semaphore (bugs: " + bugs_.ToString() + ")";
}

PosixError FutexSemaphore::Remove() {
  // The mapping goes with the object.
  removed_ = true;
  return NoError();
}

SemaphoreCaps FutexSemaphoreCaps() {
  SemaphoreCaps c;
  c.max_value = INT_MAX;
  c.overflow_errno = EOVERFLOW;
  c.undo_on_exit = false;
  c.multi_op = false;
  c.counts_waiters = false;
  c.timed_wait = true;
  c.timeout_errno = ETIMEDOUT;
  c.fork_shared = true;
  c.by_name = false;
  c.wait_syscalls = {SYS_futex};
  return c;
}

}  // namespace ipcspec
