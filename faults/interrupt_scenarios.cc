#include "faults/interrupt_scenarios.h"

#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <sstream>
#include <thread>

#include "impl/core/blocked.h"
#include "impl/core/deadline.h"

namespace ipcspec {
namespace {

constexpr const char* kSignalCite =
    "man 7 signal, \"Interruption of system calls and library functions by signal handlers\": "
    "a blocked call interrupted by a handler is either restarted (SA_RESTART, for the calls "
    "that honour it) or fails with EINTR; either way the data that arrives afterwards is "
    "received exactly once";

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

// One round: `block` runs in a thread and blocks; once it sleeps, SIGUSR2
// reaches it, then `wake` makes the data available. Returns "" or what went
// wrong; `first` gets the blocked call's own outcome (0 or its errno).
template <typename Block, typename Wake, typename Unstick>
std::string InterruptOnce(bool restart, const std::vector<long>& syscalls, Block block, Wake wake,
                          Unstick unstick, int* first) {
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

std::string Wanted(bool restart) { return restart ? "with SA_RESTART" : "without SA_RESTART"; }

PropertyOutcome SignalIntoBlockedReceiveLosesNothing(const MessageQueueKind& kind) {
  const auto& c = kind.caps;
  std::ostringstream log;
  bool ok = true;
  int rounds = 0;
  for (bool restart : {false, true}) {
    auto q = kind.Open();
    if (!q.ok()) return {false, rounds, "opening a " + kind.name + ": " + q.error().ToString()};
    MessageQueueInstance inst = std::move(q).value();
    const long tag = std::max<long>(c.min_tag, 1) <= c.max_tag ? std::max<long>(c.min_tag, 1)
                                                               : c.min_tag;
    const std::vector<uint8_t> payload = {'i', 'n', 't', 'r'};
    MqMessage got;
    int first = 0;
    std::string problem = InterruptOnce(
        restart, c.receive_syscalls,
        [&]() -> int {
          auto m = inst->Receive(MqReceiveOptions{}, MqWait::Block());
          if (!m.ok()) return m.error().errno_value();
          got = m.value();
          return 0;
        },
        [&]() -> std::string {
          PosixError e = inst->Send(tag, payload.data(), payload.size(), MqWait::NonBlock());
          return e.ok() ? "" : "sending the message after the signal: " + e.ToString();
        },
        [&]() {
          for (int i = 0; i < 4; ++i) inst->Send(tag, payload.data(), payload.size(), MqWait::NonBlock());
        },
        &first);
    ++rounds;
    std::string where = kind.name + ", " + Wanted(restart) + ": ";
    if (problem.empty() && first != 0 && first != EINTR) {
      problem = "the interrupted receive failed with errno " + std::to_string(first) + " (" +
                strerror(first) + "), neither EINTR nor a restart";
    }
    if (problem.empty() && first == EINTR && c.reports_count && !c.asynchronous_delivery) {
      // Failed EINTR: the message must still be there, once. The send
      // returned, so a kernel queue holds it now: its counter (mq_curmsgs,
      // msg_qnum) says so at once, with no wait.
      auto st = inst->Status();
      if (!st.ok()) {
        problem = "reading the queue's counters after the EINTR: " + st.error().ToString();
      } else if (st.value().count != 1) {
        problem = "after the receive failed EINTR and one message was sent, the queue holds " +
                  std::to_string(st.value().count) + " (man 3 mq_getattr mq_curmsgs, man 2 "
                  "msgctl msg_qnum): the message is lost or doubled";
      }
    }
    if (problem.empty() && first == EINTR) {
      // Failed EINTR: the message must still be there, once. A library that
      // delivers through an I/O thread keeps it in user space, where no
      // counter shows it arriving (its Status() reports no count): retry,
      // bounded, for 1 s. Sound for a kernel queue, whose count was checked
      // above (the first receive takes it); for a library a message later
      // than that reads as lost, so the bound is generous for one message
      // on a local connection.
      Deadline d = Deadline::In(std::chrono::milliseconds(1000));
      PosixErrorOr<MqMessage> m = PosixError(EAGAIN, "not tried");
      do {
        m = inst->Receive(MqReceiveOptions{}, MqWait::NonBlock());
      } while (!m.ok() && m.error().errno_value() == c.empty_errno && !d.Expired() &&
               (BackoffSleep(8), true));
      if (!m.ok()) {
        problem = "the receive failed EINTR, and the message sent after it is lost: " +
                  m.error().ToString();
      } else {
        got = m.value();
      }
    }
    if (problem.empty() && got.data != payload) problem = "received a different message";
    if (problem.empty()) {
      auto again = inst->Receive(MqReceiveOptions{}, MqWait::NonBlock());
      if (again.ok()) problem = "the message was delivered twice";
    }
    log << where << (first == EINTR ? "failed EINTR" : "restarted/completed") << "; "
        << (problem.empty() ? "nothing lost or duplicated" : "VIOLATION: " + problem) << "\n";
    if (!problem.empty()) ok = false;
  }
  return {ok, rounds, ok ? "" : std::string(kSignalCite) + "\n" + log.str()};
}

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
    log << kind.name << ", " << Wanted(restart) << ": "
        << (first == EINTR ? "failed EINTR" : "restarted/completed") << "; "
        << (problem.empty() ? "no post lost" : "VIOLATION: " + problem) << "\n";
    if (!problem.empty()) ok = false;
  }
  return {ok, rounds, ok ? "" : std::string(kSignalCite) + "\n" + log.str()};
}

}  // namespace

const std::vector<SuiteProperty<MessageQueueInterface>>& QueueInterruptScenarios() {
  static const auto* props = new std::vector<SuiteProperty<MessageQueueInterface>>{
      {"SignalIntoBlockedReceiveLosesNothing", kSignalCite,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (k.caps.nonblocking_by_default) {
           return "the queue's descriptor is O_NONBLOCK: no receive blocks";
         }
         return std::nullopt;
       },
       SignalIntoBlockedReceiveLosesNothing},
  };
  return *props;
}

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreInterruptScenarios() {
  static const auto* props = new std::vector<SuiteProperty<SemaphoreInterface>>{
      {"SignalIntoBlockedWaitLosesNoPost", kSignalCite, nullptr, SignalIntoBlockedWaitLosesNoPost},
  };
  return *props;
}

}  // namespace ipcspec
