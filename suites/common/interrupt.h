// EINTR delivered into a Kind's blocking call, at the interface level: the
// machinery the interface suites' interrupt properties share
// (suites/message_queue/message_queue_fault_properties.cc,
// suites/semaphore/semaphore_interrupt_properties.cc). A signal with a
// handler reaches a thread blocked in the Kind's call, with and without
// SA_RESTART, and then the data that wakes it arrives. The call may restart
// or fail EINTR, as the Kind's man page (or library manual) says, but
// nothing may be lost or delivered twice.
//
// A thread, not a forked child, blocks: an external library may forbid use
// across fork().
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace ipcspec {

// The sentence every interrupt property checks (man 7 signal).
extern const char* const kInterruptedCallCite;

// One round: `block` runs in a thread and blocks (seen asleep in one of
// `syscalls`); once it sleeps, SIGUSR2 (with a handler, SA_RESTART if
// `restart`) reaches it, then `wake` makes the data available. `unstick`
// gives a call that ignored both more data, so that the thread can be
// joined. Returns "" or what went wrong; `first` gets the blocked call's own
// outcome (0 or its errno).
std::string InterruptOnce(bool restart, const std::vector<long>& syscalls,
                          const std::function<int()>& block,
                          const std::function<std::string()>& wake,
                          const std::function<void()>& unstick, int* first);

// "with SA_RESTART" / "without SA_RESTART", for the log.
std::string SaRestartText(bool restart);

}  // namespace ipcspec
