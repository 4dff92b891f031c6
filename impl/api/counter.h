// Counter: a 64-bit kernel counter that processes add to and take from, and
// wait on: eventfd(2) (plain, or with EFD_SEMAPHORE), and any library that
// counts events for another process.
//
// Each call is ONE system call (one write(2) of 8 bytes for Add, one read(2)
// of 8 bytes for Take): nothing is retried (EINTR included), a failure is
// returned as the call failed, so suites check exactly what the man pages
// promise for that call. Blocking::kNonBlock asks for the non-blocking
// behaviour for that one call (O_NONBLOCK on the open file description),
// whatever the instance's default.
//
// An instance is usable in a child made by fork() after Open() when the caps
// say so (man 2 eventfd: "A copy of the file descriptor created by eventfd()
// is inherited by the child produced by fork(2). The duplicate file descriptor
// is associated with the same eventfd object."). Only the parent's copy
// closes it: a child _exit()s and runs no destructor.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/api/byte_stream.h"  // Blocking
#include "impl/api/kind.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct CounterCaps {
  // The largest value the counter may hold (man 2 eventfd: "the largest
  // unsigned 64-bit value minus 1 (i.e., 0xfffffffffffffffe)"). An Add that
  // would take the counter past it blocks, or fails EAGAIN when non-blocking;
  // an Add of a value above it can never succeed and fails EINVAL.
  uint64_t max_value = 0;
  // The value right after Open() (eventfd(initval)).
  uint64_t initial_value = 0;
  // Take() returns 1 and decrements (EFD_SEMAPHORE); otherwise it returns the
  // whole value and resets the counter to zero.
  bool semaphore = false;
  // Calls are non-blocking unless Blocking::kBlock is asked for (EFD_NONBLOCK).
  bool nonblocking_by_default = false;
  // fd() can be polled: POLLIN while the value is above zero, POLLOUT while
  // an Add of 1 would not block (man 2 eventfd, "poll(2), select(2)").
  bool pollable = true;
  // The instance works in a child forked after Open().
  bool fork_shared = true;
  // The system calls a blocked Take / Add sleeps in (for WaitUntilBlocked).
  std::vector<long> take_wait_syscalls;
  std::vector<long> add_wait_syscalls;
};

class Counter {
 public:
  virtual ~Counter() = default;
  // Adds v (one write(2) of the 8-byte value).
  virtual PosixError Add(uint64_t v, Blocking b) = 0;
  // Takes from the counter (one read(2) of 8 bytes); returns what was read.
  virtual PosixErrorOr<uint64_t> Take(Blocking b) = 0;
  // The fd to poll, -1 if none.
  virtual int fd() const = 0;
  // "eventfd(0, EFD_SEMAPHORE) fd 5"
  virtual std::string Describe() const = 0;
};

using CounterInstance = std::unique_ptr<Counter>;

struct CounterInterface {
  using Caps = CounterCaps;
  using Instance = CounterInstance;
  static constexpr const char* kName = "Counter";
};

using CounterKind = Kind<CounterInterface>;

}  // namespace ipcspec
