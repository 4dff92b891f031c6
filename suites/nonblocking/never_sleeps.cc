#include "suites/nonblocking/never_sleeps.h"

#include <poll.h>
#include <sys/resource.h>
#include <time.h>

#include <cstdio>
#include <cstring>

#include "impl/api/lock.h"  // FormatErrnos, ErrnoIn
#include "impl/core/deadline.h"
#include "impl/core/degraded.h"

namespace ipcspec {
namespace {

long FromRusage() {
  struct rusage ru = {};
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return -1;
  return ru.ru_nvcsw;
}

long FromProcStatus() {
  FILE* f = std::fopen("/proc/thread-self/status", "re");
  if (!f) return -1;
  long v = -1;
  char line[256];
  while (std::fgets(line, sizeof line, f)) {
    if (std::sscanf(line, "voluntary_ctxt_switches: %ld", &v) == 1) break;
  }
  std::fclose(f);
  return v;
}

enum class Source { kNone, kRusage, kProcStatus };

// Whether `read` counts a 2 ms sleep of this thread. poll(2) with no fds
// and a timeout is the plainest sleep there is; this is the probe's only use
// of it (it measures the counter, it synchronises nothing).
bool CountsASleep(long (*read)()) {
  long before = read();
  if (before < 0) return false;
  (void)poll(nullptr, 0, 2);
  long after = read();
  return after > before;
}

Source ProbeSource() {
  if (CountsASleep(FromRusage)) return Source::kRusage;
  if (CountsASleep(FromProcStatus)) return Source::kProcStatus;
  ReportDegraded(
      "voluntary context switches are not counted (getrusage(RUSAGE_THREAD) ru_nvcsw and "
      "/proc/thread-self/status voluntary_ctxt_switches did not move over a 2 ms sleep): "
      "the non-blocking checks bound the wall time only");
  return Source::kNone;
}

Source TheSource() {
  static const Source s = ProbeSource();
  return s;
}

std::chrono::nanoseconds Since(const struct timespec& t0) {
  struct timespec t1;
  clock_gettime(CLOCK_MONOTONIC, &t1);
  return std::chrono::seconds(t1.tv_sec - t0.tv_sec) +
         std::chrono::nanoseconds(t1.tv_nsec - t0.tv_nsec);
}

std::string Expected(const std::vector<int>& errnos) {
  std::vector<int> failures;
  bool success = false;
  for (int e : errnos) {
    if (e == 0) {
      success = true;
    } else {
      failures.push_back(e);
    }
  }
  std::string s = failures.empty() ? "" : "to fail " + FormatErrnos(failures);
  if (success) s += std::string(s.empty() ? "" : " or ") + "to succeed";
  return s;
}

std::string Micros(std::chrono::nanoseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f us", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

}  // namespace

std::chrono::nanoseconds NeverSleepsBound() {
  return std::chrono::nanoseconds(static_cast<long long>(5'000'000 * TimeoutScale()));
}

bool VoluntarySwitchesVisible() { return TheSource() != Source::kNone; }

long VoluntarySwitches() {
  switch (TheSource()) {
    case Source::kRusage:
      return FromRusage();
    case Source::kProcStatus:
      return FromProcStatus();
    case Source::kNone:
      break;
  }
  return -1;
}

NeverSleepsResult CheckNeverSleeps(const std::string& what, const std::vector<int>& errnos,
                                   const NonBlockingCall& call) {
  NeverSleepsResult r;
  const bool visible = VoluntarySwitchesVisible();
  const auto bound = NeverSleepsBound();
  for (r.attempts = 1; r.attempts <= kNeverSleepsAttempts; ++r.attempts) {
    struct timespec t0;
    long s0 = visible ? VoluntarySwitches() : -1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    PosixError e = call();
    auto wall = Since(t0);
    long switches = visible ? VoluntarySwitches() - s0 : -1;
    if (!ErrnoIn(e.errno_value(), errnos)) {
      r.message = what + ": expected it " + Expected(errnos) + ", got " +
                  (e.ok() ? std::string("success") : e.ToString()) + " (attempt " +
                  std::to_string(r.attempts) + ")";
      return r;
    }
    if (r.attempts == 1 || wall < r.least_wall) r.least_wall = wall;
    if (r.attempts == 1 || switches < r.least_switches) r.least_switches = switches;
    if (wall <= bound && switches <= 0) {
      r.passed = true;
      return r;
    }
  }
  r.attempts = kNeverSleepsAttempts;
  r.message = what + " waited before it failed: in " + std::to_string(kNeverSleepsAttempts) +
              " attempts, each " + Expected(errnos) + " as it must, the least time was " +
              Micros(r.least_wall) + " (bound " + Micros(bound) + ")" +
              (visible ? " and the fewest voluntary context switches (sleeps) of the calling "
                         "thread in one call " +
                             std::to_string(r.least_switches) + " (must be 0)"
                       : " (voluntary context switches are not visible here: the time bound "
                         "alone applies)") +
              ". A non-blocking call that cannot proceed must fail at once, never sleep.";
  r.passed = false;
  return r;
}

}  // namespace ipcspec
