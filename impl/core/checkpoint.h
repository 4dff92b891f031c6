// Checkpoint: a futex in shared memory that processes use to say "I got this
// far" and to wait until another process has. Create it before fork.
//
//   Checkpoint cp = Checkpoint::Create().ValueOrDie();
//   Child c = Child::Fork([&] { ...; cp.Signal(1); ...; return 0; }).ValueOrDie();
//   ASSERT_NO_ERRNO(cp.WaitFor(1, Deadline::Default()));
//
// Signal() is async-signal-safe (an atomic store and a futex wake).
#pragma once

#include <atomic>
#include <cstdint>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

class Checkpoint {
 public:
  static PosixErrorOr<Checkpoint> Create();

  // Raises the stage to `stage` (stages only go up) and wakes every waiter.
  void Signal(uint32_t stage);
  // Waits until the stage is at least `stage`. ETIMEDOUT at the deadline.
  PosixError WaitFor(uint32_t stage, const Deadline& deadline) const;
  uint32_t stage() const;

 private:
  explicit Checkpoint(SharedObject<std::atomic<uint32_t>> w) : word_(std::move(w)) {}
  SharedObject<std::atomic<uint32_t>> word_;
};

}  // namespace ipcspec
