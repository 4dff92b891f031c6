// SignalQueue: signals sent to a process and received by it, one at a time,
// with what the sender attached. The ways a Linux process takes its signals
// (man 7 signal): sigwaitinfo(2)/sigtimedwait(2) on blocked signals, a
// signalfd(2) descriptor, or a handler installed with sigaction(2) (with or
// without SA_SIGINFO); and any library that delivers signals as events.
//
// An instance receives the signals of QueueSignals() (four standard signals
// and four real-time ones, never SIGRTMAX, which the Watchdog owns) for the
// process that opened it. Opening changes that process's signal mask and
// dispositions for those signals; destroying the instance (or Close()) takes
// every one of them that is still pending and restores the mask and the
// dispositions as they were. Only one instance may be open in a process at a
// time.
//
// Each call is ONE system call where it can be (one kill(2) or sigqueue(3),
// one sigprocmask(2), one sigtimedwait(2) or read(2)): nothing is retried, a
// failure is returned as the call failed, so suites check what the man pages
// promise for that call.
//
// A forked child inherits the instance's state (mask, dispositions, the
// signalfd descriptor) and may call Receive() on its copy: it then receives
// the signals sent to the child (man 2 signalfd, "fork(2) semantics";
// man 7 signal: the child's pending set starts empty). Only the parent's copy
// restores anything: a child _exit()s and runs no destructor.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// What a receiver learns about one signal (man 2 sigaction, "The siginfo_t
// argument to a SA_SIGINFO handler").
struct SignalInfo {
  int signo = 0;
  int code = 0;      // si_code: SI_USER for kill(2), SI_QUEUE for sigqueue(3)
  int value = 0;     // si_value.sival_int (meaningful for SI_QUEUE)
  pid_t pid = 0;     // si_pid: the sender
  uid_t uid = 0;     // si_uid: the sender's real user ID
  // "SIGRTMIN+1 SI_QUEUE value=7 from pid 42 uid 0"
  std::string ToString() const;
};

struct SignalQueueCaps {
  // Receive() reports si_code, si_value, si_pid and si_uid (SA_SIGINFO
  // handlers, sigwaitinfo(2), signalfd(2)). False: only the signal number (a
  // plain sa_handler, sigwait(3)); the other fields are 0.
  bool reports_info = true;
  // A signal that is not held is taken off the pending set as soon as it is
  // generated or released (a handler runs: man 7 signal, "Execution of signal
  // handlers"), and Receive() returns what was delivered, in delivery order.
  // False: signals stay pending until Receive() accepts one (sigwaitinfo(2),
  // signalfd(2)), which takes the next by the usual ordering rules.
  bool delivers_when_unblocked = false;
  // Pending() reports this process's pending signals (sigpending(2)).
  bool reports_pending = true;
  // The system calls a receiver blocked in Receive() sleeps in (for
  // WaitUntilBlocked): SYS_rt_sigtimedwait, SYS_poll/SYS_ppoll, ...
  std::vector<long> wait_syscalls;
};

class SignalQueue {
 public:
  virtual ~SignalQueue() = default;

  // Sends `signo` to process `pid`: kill(2) without a value (si_code
  // SI_USER), sigqueue(3) with one (si_code SI_QUEUE, si_value.sival_int).
  virtual PosixError Send(pid_t pid, int signo, std::optional<int> value) = 0;
  // Holds `signo` back: it stays pending, is not delivered and is not
  // received until Release()d (the signal is blocked, man 2 sigprocmask).
  virtual PosixError Hold(int signo) = 0;
  // Lets `signo` be delivered and received again.
  virtual PosixError Release(int signo) = 0;
  // The next signal: at once when one is there, else waits up to `timeout`
  // (zero: do not wait). EAGAIN when none came in time (man 2 sigtimedwait).
  virtual PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) = 0;
  // The queue's signals that are pending for this process (sigpending(2)),
  // ascending. Only when caps.reports_pending; otherwise ENOTSUP.
  virtual PosixErrorOr<std::vector<int>> Pending();
  // Takes every pending signal of the queue and restores the process's mask
  // and dispositions. The destructor does it when not done. Once only.
  virtual PosixError Close() = 0;
  // "sigtimedwait(2) on SIGUSR1 SIGUSR2 ..."
  virtual std::string Describe() const = 0;
  // The descriptor to poll(2)/select(2)/epoll(7): readable while one of the
  // queue's signals is pending and not held (a signalfd(2)). -1: none
  // (sigwaitinfo, handlers); suites/readiness then does not apply.
  virtual int fd() const { return -1; }
};

using SignalQueueInstance = std::unique_ptr<SignalQueue>;

struct SignalQueueInterface {
  using Caps = SignalQueueCaps;
  using Instance = SignalQueueInstance;
  static constexpr const char* kName = "SignalQueue";
};

using SignalQueueKind = Kind<SignalQueueInterface>;

// The signals every instance receives: SIGUSR1, SIGUSR2, SIGURG, SIGWINCH
// (standard) and SIGRTMIN .. SIGRTMIN+3 (real-time), ascending.
const std::vector<int>& QueueSignals();
bool IsRealTimeSignal(int signo);  // SIGRTMIN <= signo <= SIGRTMAX
// "SIGUSR1", "SIGRTMIN+2", "signal 70"
std::string SignalName(int signo);
// "SI_USER", "SI_QUEUE", "si_code -6"
std::string SiCodeName(int code);

}  // namespace ipcspec
