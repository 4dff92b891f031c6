#include "impl/core/watchdog.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>

namespace ipcspec {
namespace {

thread_local volatile sig_atomic_t g_fired = 0;

void OnWatchdog(int) { g_fired = 1; }

void InstallHandlerOnce() {
  static const bool installed = [] {
    struct sigaction sa = {};
    sa.sa_handler = OnWatchdog;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;  // no SA_RESTART: the blocked call must return
    sigaction(WatchdogSignal(), &sa, nullptr);
    return true;
  }();
  (void)installed;
}

}  // namespace

int WatchdogSignal() { return SIGRTMAX; }

Watchdog::Watchdog(const Deadline& deadline) {
  InstallHandlerOnce();
  g_fired = 0;
  struct sigevent sev = {};
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = WatchdogSignal();
  sev._sigev_un._tid = static_cast<pid_t>(syscall(SYS_gettid));
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer_) != 0) {
    std::perror("ipcspec: Watchdog timer_create");
    return;
  }
  struct itimerspec its = {};
  its.it_value = deadline.RemainingTimespec();
  if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  // Re-fire every 100 ms after the first: a call restarted by the kernel
  // despite the missing SA_RESTART is interrupted again.
  its.it_interval.tv_nsec = 100 * 1000 * 1000;
  timer_settime(timer_, 0, &its, nullptr);
  armed_ = true;
}

Watchdog::~Watchdog() {
  if (armed_) timer_delete(timer_);
  // A signal already queued is harmless: the handler only sets a flag.
}

bool Watchdog::fired() const { return g_fired != 0; }

}  // namespace ipcspec
