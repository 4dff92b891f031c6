// eventfd(2) Counters: the plain counter, EFD_SEMAPHORE, EFD_NONBLOCK and a
// non-zero initval, as Kinds of the Counter interface (impl/api/counter.h).
#pragma once

#include <cstdint>
#include <string>

#include "impl/api/counter.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {

// man 2 eventfd: "The maximum value that may be stored in the counter is the
// largest unsigned 64-bit value minus 1 (i.e., 0xfffffffffffffffe)."
inline constexpr uint64_t kEventFdMax = 0xfffffffffffffffeULL;

// A Counter over one eventfd descriptor.
class EventFdCounter : public Counter {
 public:
  EventFdCounter(FileDescriptor fd, uint64_t initval, int flags);
  PosixError Add(uint64_t v, Blocking b) override;
  PosixErrorOr<uint64_t> Take(Blocking b) override;
  int fd() const override { return fd_.get(); }
  std::string Describe() const override;

 private:
  // Puts O_NONBLOCK on (or off) for one call when the descriptor's default
  // differs from what the call asks for; returns the flags to restore, or -1
  // when nothing changed.
  PosixErrorOr<int> ForCall(Blocking b);
  PosixError Restore(int flags);

  FileDescriptor fd_;
  uint64_t initval_;
  int flags_;
};

// eventfd(initval, flags | EFD_CLOEXEC) as a Counter.
PosixErrorOr<CounterInstance> OpenEventFd(uint64_t initval, int flags);

// The counter's value without taking it: "eventfd-count" in
// /proc/self/fdinfo/FD (man 5 proc: "the current value of the eventfd
// counter, in hexadecimal").
PosixErrorOr<uint64_t> EventFdCount(int fd);

// "EFD_SEMAPHORE|EFD_NONBLOCK"
std::string EventFdFlagsName(int flags);

}  // namespace ipcspec
