#include "impl/core/deadline.h"

#include <atomic>
#include <cstdlib>

namespace ipcspec {

namespace {
std::atomic<uint64_t> g_harness_deadlines{0};
}  // namespace

void NoteHarnessDeadlinePassed() { g_harness_deadlines.fetch_add(1, std::memory_order_relaxed); }
uint64_t HarnessDeadlinesPassed() { return g_harness_deadlines.load(std::memory_order_relaxed); }

double TimeoutScale() {
  static const double scale = [] {
    const char* s = std::getenv("IPCSPEC_TIMEOUT_SCALE");
    double v = s ? std::atof(s) : 1.0;
    return v > 0 ? v : 1.0;
  }();
  return scale;
}

Deadline Deadline::In(std::chrono::milliseconds d) {
  Deadline dl;
  dl.budget_ = std::chrono::milliseconds(
      static_cast<long long>(static_cast<double>(d.count()) * TimeoutScale()));
  dl.at_ = std::chrono::steady_clock::now() + dl.budget_;
  return dl;
}

Deadline Deadline::Default() { return In(std::chrono::seconds(10)); }

bool Deadline::Expired() const { return std::chrono::steady_clock::now() >= at_; }

int Deadline::RemainingMs() const {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      at_ - std::chrono::steady_clock::now());
  return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

struct timespec Deadline::RemainingTimespec() const {
  auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
      at_ - std::chrono::steady_clock::now());
  long long ns = left.count() > 0 ? left.count() : 0;
  return {static_cast<time_t>(ns / 1000000000), static_cast<long>(ns % 1000000000)};
}

struct timespec Deadline::AbsoluteMonotonic() const {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  struct timespec left = RemainingTimespec();
  struct timespec abs = {now.tv_sec + left.tv_sec, now.tv_nsec + left.tv_nsec};
  if (abs.tv_nsec >= 1000000000) {
    abs.tv_sec += 1;
    abs.tv_nsec -= 1000000000;
  }
  return abs;
}

void BackoffSleep(int round) {
  // Bounded back-off inside a deadline wait; never used to order events.
  long us = 50L << (round < 7 ? round : 7);
  if (us > 5000) us = 5000;
  struct timespec ts = {0, us * 1000};
  nanosleep(&ts, nullptr);
}

}  // namespace ipcspec
