#include "suites/common/interrupt.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <thread>

#include "impl/core/blocked.h"
#include "impl/core/deadline.h"

namespace ipcspec {

const char* const kInterruptedCallCite =
    "man 7 signal, \"Interruption of system calls and library functions by signal handlers\": "
    "a blocked call interrupted by a handler is either restarted (SA_RESTART, for the calls "
    "that honour it) or fails with EINTR; either way the data that arrives afterwards is "
    "received exactly once";

namespace {

std::atomic<int> g_handled{0};
void CountSignal(int) { g_handled.fetch_add(1); }

// Installs a handler for SIGUSR2 with or without SA_RESTART; restores the old
// one when it goes.
class ScopedHandler {
 public:
  explicit ScopedHandler(bool restart) {
    struct sigaction sa = {};
    sa.sa_handler = CountSignal;
    sa.sa_flags = restart ? SA_RESTART : 0;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, &old_);
  }
  ~ScopedHandler() { sigaction(SIGUSR2, &old_, nullptr); }

 private:
  struct sigaction old_ = {};
};

}  // namespace

std::string InterruptOnce(bool restart, const std::vector<long>& syscalls,
                          const std::function<int()>& block,
                          const std::function<std::string()>& wake,
                          const std::function<void()>& unstick, int* first) {
  ScopedHandler handler(restart);
  std::atomic<pid_t> tid{0};
  std::promise<int> done;
  std::future<int> result = done.get_future();
  std::thread t([&] {
    tid.store(static_cast<pid_t>(syscall(SYS_gettid)));
    done.set_value(block());
  });
  std::string problem;
  Deadline d = Deadline::Default();
  while (tid.load() == 0 && !d.Expired()) std::this_thread::yield();
  PosixError blocked = WaitUntilBlocked(tid.load(), syscalls, d);
  if (!blocked.ok()) problem = "the call never blocked: " + blocked.ToString();
  int before = g_handled.load();
  if (problem.empty()) {
    pthread_kill(t.native_handle(), SIGUSR2);
    if (!PollUntil([&] { return g_handled.load() > before; }, Deadline::Default())) {
      problem = "the SIGUSR2 handler never ran";
    }
  }
  std::string woke = wake();
  if (!woke.empty() && problem.empty()) problem = woke;
  if (result.wait_for(Deadline::Default().Budget()) != std::future_status::ready) {
    // Still blocked: it neither failed EINTR nor took what arrived after the
    // signal. Give it more, so that the thread can be joined.
    unstick();
    if (result.wait_for(Deadline::Default().Budget()) != std::future_status::ready) {
      std::fprintf(stderr, "ipcspec: a blocked call ignores both the signal and new data; "
                           "aborting (the thread cannot be joined)\n");
      std::abort();
    }
    if (problem.empty()) {
      problem = "after the signal the call stayed blocked although data arrived "
                "(it woke only for more data)";
    }
  }
  t.join();
  *first = result.get();
  return problem;
}

std::string SaRestartText(bool restart) {
  return restart ? "with SA_RESTART" : "without SA_RESTART";
}

}  // namespace ipcspec
