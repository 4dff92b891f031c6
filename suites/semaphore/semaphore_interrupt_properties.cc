#include "suites/semaphore/semaphore_interrupt_properties.h"

#include <sstream>
#include <string>

#include "suites/common/interrupt.h"

namespace ipcspec {
namespace {

PropertyOutcome SignalIntoBlockedWaitLosesNoPost(const SemaphoreKind& kind) {
  std::ostringstream log;
  bool ok = true;
  int rounds = 0;
  for (bool restart : {false, true}) {
    auto s = kind.Open();
    if (!s.ok()) return {false, rounds, "opening a " + kind.name + ": " + s.error().ToString()};
    SemaphoreInstance sem = std::move(s).value();
    int first = 0;
    std::string problem = InterruptOnce(
        restart, kind.caps.wait_syscalls,
        [&]() -> int {
          PosixError e = sem->Wait();
          return e.ok() ? 0 : e.errno_value();
        },
        [&]() -> std::string {
          PosixError e = sem->Post();
          return e.ok() ? "" : "posting after the signal: " + e.ToString();
        },
        [&]() { sem->Post(); },
        &first);
    ++rounds;
    if (problem.empty() && first != 0 && first != EINTR) {
      problem = "the interrupted wait failed with errno " + std::to_string(first) +
                ", neither EINTR nor a restart";
    }
    if (problem.empty()) {
      // A restarted wait took the post: the value is 0. A wait that failed
      // EINTR took nothing: the post is still there, exactly one.
      // A Kind that cannot report its value (caps.reports_value false) is
      // counted by taking: TryWait until EAGAIN (at most 2).
      PosixErrorOr<long> v = 0L;
      if (kind.caps.reports_value) {
        v = sem->Value();
      } else {
        long n = 0;
        while (n < 2 && sem->TryWait().ok()) ++n;
        v = n;
      }
      long want = first == EINTR ? 1 : 0;
      if (!v.ok()) {
        problem = "reading the value: " + v.error().ToString();
      } else if (v.value() != want) {
        problem = "the value is " + std::to_string(v.value()) + " after the wait " +
                  (first == EINTR ? "failed EINTR" : "completed") + ", expected " +
                  std::to_string(want);
      }
    }
    log << kind.name << ", " << SaRestartText(restart) << ": "
        << (first == EINTR ? "failed EINTR" : "restarted/completed") << "; "
        << (problem.empty() ? "no post lost" : "VIOLATION: " + problem) << "\n";
    if (!problem.empty()) ok = false;
  }
  return {ok, rounds, ok ? "" : std::string(kInterruptedCallCite) + "\n" + log.str()};
}

}  // namespace

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreInterruptProperties() {
  static const auto* props = new std::vector<SuiteProperty<SemaphoreInterface>>{
      {"SignalIntoBlockedWaitLosesNoPost", kInterruptedCallCite, nullptr,
       SignalIntoBlockedWaitLosesNoPost},
  };
  return *props;
}

}  // namespace ipcspec
