// SignalQueue Kinds (impl/api/signal_queue.h): the ways a Linux process
// takes its signals.
//
//   sigtimedwait       the queue's signals stay blocked; Receive() is one
//                      sigtimedwait(2) on the signals not held (man 2
//                      sigtimedwait); Hold/Release change that wait set.
//   signalfd           the signals stay blocked; a signalfd(2) descriptor
//                      (SFD_NONBLOCK) whose mask is the signals not held;
//                      Receive() is one read(2), after ppoll(2) to wait.
//   sigaction_siginfo  an SA_SIGINFO handler records each delivered signal
//                      with its siginfo_t in memory; Hold/Release are
//                      sigprocmask(2); Receive() returns the recorded ones
//                      in delivery order, and waits in ppoll(2) with the
//                      released signals unblocked.
//   sigaction_plain    the same with a plain sa_handler: only the signal
//                      number is known (caps.reports_info false).
#pragma once

#include "impl/api/signal_queue.h"

namespace ipcspec {

PosixErrorOr<SignalQueueInstance> OpenSigtimedwaitQueue();
PosixErrorOr<SignalQueueInstance> OpenSignalfdQueue();
PosixErrorOr<SignalQueueInstance> OpenHandlerQueue(bool siginfo);

SignalQueueCaps SigtimedwaitCaps();

// One kill(2) (no value) or sigqueue(3) (with one). Async-signal-safe.
PosixError SendSignal(pid_t pid, int signo, std::optional<int> value);

}  // namespace ipcspec
