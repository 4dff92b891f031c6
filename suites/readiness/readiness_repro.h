// The readiness models as C (issue 17, impl/repro/repro.h): the C helpers a
// readiness reproducer holds, and the C text of each recorded step.
//
// A readiness reproducer asks the kernel what ReadinessChecker asks it
// (readiness_check.h), with the same rules and the same failure texts:
// poll(2), select(2), a level-triggered, an edge-triggered (asked twice) and
// an EPOLLONESHOT (asked twice, then rearmed) epoll instance, every call
// with a zero timeout. A step's I/O is replayed as ipcspec made it
// (send/recv with MSG_DONTWAIT on a socket, O_NONBLOCK for the one call on a
// pipe or FIFO); its result must be the one the recorded run saw, since the
// model's expectations after it assume that run: a different one ends the
// reproducer with exit 2, "REPLAY DIVERGED" (no verdict).
#pragma once

#include <string>
#include <vector>

#include "impl/repro/repro.h"
#include "suites/readiness/readiness_check.h"

namespace ipcspec::readiness_repro {

// Adds the helpers (ready_open, ready_watch, ready_forget, ready_check) and
// the includes they need.
void AddReadinessHelpers(repro::Recording& rec);
// Adds the byte-stream helpers (nb_io, io_result, fill, drain) on top.
void AddStreamHelpers(repro::Recording& rec);

// Adds the datagram helpers (dgram_send, dgram_receive) on top.
void AddDatagramHelpers(repro::Recording& rec);

// Adds the eventfd helpers (ctr_add, ctr_take) on top.
void AddCounterHelpers(repro::Recording& rec);
// Adds the POSIX message queue helpers (mq_nb_send, mq_nb_receive) on top.
void AddMqHelpers(repro::Recording& rec);

// Adds the waiter helpers: a child blocked in poll(2), select(2) or
// epoll_wait(2) (waiter_start, waiter_until_blocked: seen asleep in its call
// from /proc/PID/stat state S and /proc/PID/syscall, never by sleeping;
// waiter_returned, waiter_sleeps, waiter_expect).
void AddWaiterHelpers(repro::Recording& rec);

// The C expression of an event mask ("POLLIN | POLLHUP", "0").
std::string Mask(unsigned events);

// One descriptor's expectation as a `struct want` initializer: `need` is
// what the edge-triggered instance must do (0 none, 1 may, 2 must: made
// ready, 3 must: a new arrival).
std::string Want(const std::string& name, const std::string& c_fd, const Expect& e, int need);

// A C string literal of a result: "-1" (EAGAIN) or the count.
std::string ResultCode(long count_or_minus_one);

// The promise a non-blocking call on an open stream keeps.
extern const char* const kNonBlockingIoPromise;

}  // namespace ipcspec::readiness_repro
