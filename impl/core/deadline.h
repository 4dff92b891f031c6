// Deadlines: every blocking wait in ipcspec has one, so a broken environment
// fails a test instead of hanging CI.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdint>
#include <string>

namespace ipcspec {

class Deadline {
 public:
  // A deadline `d` from now, scaled by IPCSPEC_TIMEOUT_SCALE (for slow
  // environments such as qemu under TCG).
  static Deadline In(std::chrono::milliseconds d);
  // The default for one wait in a test: 10 s (scaled).
  static Deadline Default();

  bool Expired() const;
  // Milliseconds left, at least 0 (for poll()).
  int RemainingMs() const;
  // Absolute CLOCK_MONOTONIC time (for timed waits).
  struct timespec AbsoluteMonotonic() const;
  // Time left as a relative timespec, at least zero.
  struct timespec RemainingTimespec() const;
  std::chrono::milliseconds Budget() const { return budget_; }

 private:
  std::chrono::steady_clock::time_point at_;
  std::chrono::milliseconds budget_{0};
};

// The scale factor read from IPCSPEC_TIMEOUT_SCALE (default 1).
double TimeoutScale();

// How many harness deadlines have passed in this process: a child that
// WaitPid/Child::Wait gave up on, a Checkpoint stage never reached. Not the
// Watchdog, which properties use to measure whether a call blocks. RunProperty
// reads it to mark a failing case that hung (PropertyOutcome::hang).
void NoteHarnessDeadlinePassed();
uint64_t HarnessDeadlinesPassed();

// Waits until pred() is true, polling with a bounded back-off (50 us doubling
// to 5 ms) until the deadline. For conditions the kernel offers no way to wait
// on (a process's scheduler state). Returns false at the deadline.
template <typename Pred>
bool PollUntil(Pred pred, const Deadline& deadline);

void BackoffSleep(int round);  // the back-off step used by PollUntil

template <typename Pred>
bool PollUntil(Pred pred, const Deadline& deadline) {
  for (int round = 0;; ++round) {
    if (pred()) return true;
    if (deadline.Expired()) return pred();
    BackoffSleep(round);
  }
}

}  // namespace ipcspec
