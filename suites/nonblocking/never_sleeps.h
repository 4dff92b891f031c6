// "Non-blocking means never sleeping" (issue 14): a non-blocking form of a
// call (O_NONBLOCK, MSG_DONTWAIT, IPC_NOWAIT, LOCK_NB, F_SETLK, sem_trywait,
// pthread_mutex_trylock, SPLICE_F_NONBLOCK, a zero timeout) that cannot
// proceed fails at once, without waiting.
//
// How a call is judged. The kernel counts every time a thread gives up the
// CPU because it sleeps as a voluntary context switch (getrusage(2)
// RUSAGE_THREAD ru_nvcsw; /proc/thread-self/status voluntary_ctxt_switches);
// a preemption is involuntary and counted apart. A call that fails at once
// makes no voluntary switch and takes a few microseconds. So each attempt
// reads the calling thread's counter and CLOCK_MONOTONIC around ONE call, and
// an attempt is clean when the call made no voluntary switch and returned
// within NeverSleepsBound(). The call passes when one of kNeverSleepsAttempts
// attempts is clean (a sleeping implementation sleeps every time; one
// unlucky attempt, a page fault that waits for I/O, cannot fail it); it fails
// when none is, and the message gives the least count and the least time seen.
//
// Where the counter does not move over a real sleep (probed once per
// process), that is a degraded mode (impl/core/degraded.h): reported, and
// only the time bound applies.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/posix_error.h"

namespace ipcspec {

inline constexpr int kNeverSleepsAttempts = 5;

// The time bound of one attempt: 5 ms, scaled by IPCSPEC_TIMEOUT_SCALE (qemu
// under TCG). Far below any wait a Kind does (the suites' blocking waits are
// tens of milliseconds to seconds), far above a failing system call (a few
// microseconds; tens under TCG).
std::chrono::nanoseconds NeverSleepsBound();

// Whether this process can see its threads' voluntary context switches (the
// probe runs once: one 2 ms poll(2) with no fds must count one). When not,
// reports the degraded mode.
bool VoluntarySwitchesVisible();

// The calling thread's voluntary context switches so far, or -1 if unknown.
long VoluntarySwitches();

// One call's result, as the caller reads it: the error it failed with, or
// NoError() for success (e.g. poll(2) with a zero timeout returning 0).
using NonBlockingCall = std::function<PosixError()>;

struct NeverSleepsResult {
  bool passed = false;
  int attempts = 0;
  long least_switches = -1;           // -1: not visible here
  std::chrono::nanoseconds least_wall{0};
  std::string message;                // on failure: what was seen, with the bound
};

// Runs `call` up to kNeverSleepsAttempts times (until one attempt is clean),
// each time expecting it to fail with one of `errnos` (0 in the list: to
// succeed). A result outside the list fails at once. `what` names the call
// ("read(2) of an empty pipe, O_NONBLOCK"), `cites` the sentence it checks.
NeverSleepsResult CheckNeverSleeps(const std::string& what, const std::vector<int>& errnos,
                                   const NonBlockingCall& call);

}  // namespace ipcspec
