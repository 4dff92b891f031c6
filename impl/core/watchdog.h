// Watchdog: a deadline for one blocking call in the calling thread.
//
//   { Watchdog w(Deadline::Default());
//     n = read(fd, buf, 10); }        // EINTR if still blocked at the deadline
//   if (w.fired()) ... the call hung
//
// At the deadline it sends kWatchdogSignal to this thread; the handler does
// nothing and is installed without SA_RESTART, so the blocked call returns
// EINTR (or a partial count) instead of hanging the test. Tests of signal
// semantics must not use kWatchdogSignal.
#pragma once

#include <signal.h>
#include <time.h>

#include "impl/core/deadline.h"

namespace ipcspec {

int WatchdogSignal();  // SIGRTMAX

class Watchdog {
 public:
  explicit Watchdog(const Deadline& deadline);
  ~Watchdog();
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  // True once the deadline passed while armed.
  bool fired() const;

 private:
  timer_t timer_{};
  bool armed_ = false;
};

}  // namespace ipcspec
