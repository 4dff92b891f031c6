// A counting semaphore over one futex word in a MAP_SHARED anonymous mapping,
// with switches that break it in chosen ways. Only the semaphore mutants use
// it: the suites must tell each broken switch from a working semaphore.
//
// Working protocol (all switches off): the value is the futex word; Wait()
// takes a unit with compare-and-swap, or counts itself a sleeper and sleeps
// in FUTEX_WAIT while the word is 0 (the kernel re-checks the word, so a Post
// between the check and the sleep is not lost); Post() adds a unit and, when
// sleepers are counted, wakes one of them.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "impl/api/semaphore.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

struct FutexSemBugs {
  // TryWait() at 0 reports success and takes nothing.
  bool trywait_succeeds_at_zero = false;
  // Every Nth Post() that finds sleepers adds its unit but wakes nobody
  // (0: never).
  int skip_wake_every = 0;
  // Post() wakes every sleeper, and a woken sleeper takes a unit without
  // checking that one is there (the value goes negative).
  bool wake_all_no_recheck = false;
  std::string ToString() const;
};

struct FutexSemWords {
  std::atomic<int32_t> value{0};
  std::atomic<int32_t> sleepers{0};
  std::atomic<uint32_t> posts_with_sleepers{0};
};

class FutexSemaphore : public Semaphore {
 public:
  static PosixErrorOr<SemaphoreInstance> Create(FutexSemBugs bugs);

  PosixError Post() override;
  PosixError Wait() override;
  PosixError TryWait() override;
  PosixError TimedWait(std::chrono::nanoseconds timeout) override;
  PosixErrorOr<long> Value() override;
  std::string Describe() const override;
  PosixError Remove() override;

 private:
  FutexSemaphore(SharedObject<FutexSemWords> w, FutexSemBugs bugs)
      : w_(std::move(w)), bugs_(bugs) {}
  // Sleeps while the value is `seen`; 0 or the futex errno.
  int Sleep(int32_t seen, const struct timespec* timeout);
  SharedObject<FutexSemWords> w_;
  FutexSemBugs bugs_;
  bool removed_ = false;
};

// Caps of a futex semaphore (what a working one would honestly claim).
SemaphoreCaps FutexSemaphoreCaps();

}  // namespace ipcspec
