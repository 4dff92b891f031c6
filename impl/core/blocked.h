// Seeing that a process is blocked in the kernel, without sleeping.
//
// WaitUntilBlocked(pid, {SYS_read}) returns once `pid` is asleep
// (/proc/PID/stat state S) and, where the kernel shows it, inside one of the
// named system calls (/proc/PID/syscall). gVisor has no /proc/PID/syscall:
// there the process state alone is used, BlockedDetection() says so and the
// run reports it as a degraded mode.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

struct TaskSnapshot {
  char state = '?';                  // R, S, D, T, t, Z, ...
  std::optional<long> syscall_nr;    // -1: running in user space; nullopt: unknown
  std::string ToString() const;
};

// Reads /proc/PID/stat and /proc/PID/syscall (tid: a thread id also works).
PosixErrorOr<TaskSnapshot> SnapshotTask(pid_t tid);

// Waits until `pid` sleeps in one of `syscalls` (any system call when empty).
// ETIMEDOUT at the deadline, ESRCH if the process ended first; the message
// says what the process was doing instead.
PosixError WaitUntilBlocked(pid_t pid, std::vector<long> syscalls,
                            const Deadline& deadline = Deadline::Default());

// The same, also accepting a sleep in one of `also` when `syscalls` is not
// empty: the calls a Kind's blocked operation sleeps in besides the data
// call itself, as the Kind declares them (ByteStreamCaps::also_blocked_in,
// impl/api/byte_stream.h: a libuv read or write sleeps in its loop's
// epoll_wait, impl/adapters/libuv). Nothing is remembered between calls.
PosixError WaitUntilBlocked(pid_t pid, std::vector<long> syscalls, const std::vector<long>& also,
                            const Deadline& deadline = Deadline::Default());

// The task's count of voluntary context switches (/proc/PID/status,
// voluntary_ctxt_switches): it grows each time the task goes to sleep. A task
// asleep now with the count it had when it was seen asleep before has not run
// in between: nobody woke it. This turns "still blocked" from a look at one
// instant into a fact. ENODATA where the field is missing (gVisor).
PosixErrorOr<uint64_t> VoluntarySwitches(pid_t tid);

// "state+syscall" where /proc/PID/syscall is readable, else "state only"
// (a degraded mode, reported through degraded.h: a sleep anywhere counts as
// blocked in the awaited call).
std::string BlockedDetection();

// IPCSPEC_BLOCKED_DETECTION=state turns /proc/PID/syscall off on purpose, to
// run a binary as it runs where the file is missing (gVisor): the degraded
// mode and what depends on it (the EINTR table's "unverified") can then be
// seen on any kernel.
bool SyscallDetectionTurnedOff();

// The name of a system call number on x86_64 ("read"), or "syscall N".
std::string SyscallName(long nr);

}  // namespace ipcspec
