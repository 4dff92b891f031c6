// What the Semaphore properties share (semaphore_properties.h lists them;
// each lives in its own file, with its model and commands): the man page
// sentences they check, the failure macro, how a value is read and checked,
// and the entry point of each property.
#pragma once

#include <sstream>
#include <string>
#include <utility>

#include "impl/api/semaphore.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/property.h"
#include "impl/core/watchdog.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace semaphore_suite {

// ---- What each property checks, in the man pages' words ----

inline constexpr char kCiteNeverNegative[] =
    "man 7 sem_overview: \"A semaphore is an integer whose value is never allowed to fall "
    "below zero.\"; man 3 sem_wait: \"sem_trywait() is the same as sem_wait(), except that if "
    "the decrement cannot be immediately performed, then call returns an error (errno set to "
    "EAGAIN) instead of blocking.\"; man 2 semop: \"If the absolute value of sem_op is greater "
    "than semval, and IPC_NOWAIT is specified in sem_flg, semop() fails, with errno set to "
    "EAGAIN\"";
inline constexpr char kCiteTimeout[] =
    "man 3 sem_wait: \"If the timeout has already expired by the time of the call, and the "
    "semaphore could not be locked immediately, then sem_timedwait() fails with a timeout "
    "error (errno set to ETIMEDOUT).\"; man 2 semop: \"If the specified time limit has been "
    "reached, semtimedop() fails with errno set to EAGAIN\"";
inline constexpr char kCiteWakeup[] =
    "man 3 sem_post: \"If the semaphore's value consequently becomes greater than zero, then "
    "another process or thread blocked in a sem_wait(3) call will be woken up and proceed to "
    "lock the semaphore.\"; man 7 sem_overview: \"If the value of a semaphore is currently "
    "zero, then a sem_wait(3) operation will block until the value becomes greater than "
    "zero.\"; man 2 semop: the thread sleeps until \"semval becomes greater than or equal to "
    "the absolute value of sem_op\"";
inline constexpr char kCiteAtomic[] =
    "man 2 semop: \"The set of operations contained in sops is performed in array order, and "
    "atomically, that is, the operations are performed either as a complete unit, or not at "
    "all.\" and \"(and none of the operations in sops is performed)\"; \"ERANGE For some "
    "operation sem_op+semval is greater than SEMVMX\"";
inline constexpr char kCiteWaiters[] =
    "man 2 semop: a decrement that cannot proceed increments semncnt \"and the thread sleeps "
    "until ... semval becomes greater than or equal to the absolute value of sem_op: the "
    "operation now proceeds\"; a wait-for-zero increments semzcnt and sleeps until \"semval "
    "becomes 0\"; man 2 semctl: GETNCNT \"the number of processes waiting for the semaphore's "
    "value to increase\", GETZCNT \"the number of processes waiting for the semaphore value to "
    "become 0\"";
inline constexpr char kCitePost[] =
    "man 3 sem_post: \"sem_post() increments (unlocks) the semaphore pointed to by sem.\"; "
    "man 2 semop: \"If sem_op is a positive integer, the operation adds this value to the "
    "semaphore value (semval).\"";
inline constexpr char kCiteOverflow[] =
    "man 3 sem_post: \"EOVERFLOW The maximum allowable value for a semaphore would be "
    "exceeded.\"; man 2 semop: \"ERANGE For some operation sem_op+semval is greater than "
    "SEMVMX\"";
inline constexpr char kCiteTake[] =
    "man 3 sem_wait: \"If the semaphore's value is greater than zero, then the decrement "
    "proceeds, and the function returns, immediately.\"; man 2 semop: \"If semval is greater "
    "than or equal to the absolute value of sem_op, the operation can proceed immediately\"";
inline constexpr char kCiteUndo[] =
    "man 2 semop: \"If an operation specifies SEM_UNDO, it will be automatically undone when "
    "the process terminates.\"";

// Fails the rapidcheck case with a message built with <<.
#define SEM_EXPECT(cond, msg)         \
  do {                                \
    if (!(cond)) {                    \
      std::ostringstream sem_os_;     \
      sem_os_ << msg;                 \
      RC_FAIL(sem_os_.str());         \
    }                                 \
  } while (0)

std::string Errno(int e);

PropertyOutcome SetupFailure(const std::string& what, const PosixError& e);

// How CheckValue learns the count. A Kind whose caps.reports_value is false
// has no Value(): where no other process touches the semaphore, the count is
// read by taking it all with TryWait() (until EAGAIN) and posting it back;
// elsewhere (crews of waiters, who could be handed a unit meanwhile) the
// value is not checked, and the operations' results are all that is.
enum class ValueReading { kValue, kDrain, kNone };

// For the duration of one property: how its CheckValue calls read the count.
class ValueReadingScope {
 public:
  ValueReadingScope(const SemaphoreKind& kind, bool alone);
  ~ValueReadingScope();

 private:
  ValueReading saved_;
};

// The count by draining it with TryWait() and posting it back (at most
// `limit` units: a broken count shows as limit).
PosixErrorOr<long> DrainValue(Semaphore& sem, long limit);

// The value must be `expect` and never negative (RC_FAIL otherwise).
void CheckValue(Semaphore& sem, long expect, const std::string& after);

// CheckValue's check as a C step, without checking (nothing without a
// recording, or where the value is not checked).
// `promise_c`: the C expression of the promise a wrong value breaks.
void RecordValueCheck(long expect, const std::string& after,
                      const char* promise_c = "CITE_VALUE");

// While one exists, CheckValue records no C step (the caller recorded it).
class UnrecordedValueCheck {
 public:
  UnrecordedValueCheck();
  ~UnrecordedValueCheck();

 private:
  bool saved_;
};

// A generated value that does not shrink with rapidcheck's size. The crew
// properties scale the size down to keep command sequences short; the
// parameters of each command should still cover their whole range.
template <typename T>
T Pick(rc::Gen<T> g) {
  return *rc::gen::resize(100, std::move(g));
}

// A blocking call in the test process gets a deadline.
template <typename F>
PosixError Guarded(F&& f) {
  Watchdog w(Deadline::Default());
  return f();
}

// ---- The steps as C (impl/repro) ----
// A printable Kind's C snippet (impl/posix_sem, impl/sysv_sem) defines
// sem_c_post(), sem_c_trywait(), sem_c_wait(), sem_c_timedwait(ns),
// sem_c_value(&v) and, for multi_op Kinds, sem_c_apply(deltas, n, nowait):
// each ONE call of the interface, returning 0 or errno. The steps below are
// written against them, so that they are the same for every Kind.

// The helpers the steps use (sem_ename); nothing without a recording.
void SemPrelude();
// `int e = CALL;` and the model's check that e is `want` (0: success), as
// `broken(PROMISE, "WHAT: expected .., got ..")`.
std::string CCall(const std::string& call, int want, const std::string& promise,
                  const std::string& what);
// The same for one of the cites above: the C file names it (CITE_... macros
// defined once by SemPrelude) instead of repeating its text in every step.
std::string CCall(const std::string& call, int want, const char* cite, const std::string& what);
// Records a step of the parent (nothing without a recording).
void RecordStep(const std::string& title, const std::string& code, const std::string& hang);

// The properties, one file each.
PropertyOutcome RunCounterNeverNegative(const SemaphoreKind& kind);    // semaphore_counter.cc
PropertyOutcome RunEveryWakeupMatchesAPost(const SemaphoreKind& kind); // semaphore_wakeup.cc
PropertyOutcome RunMultiOpAllOrNothing(const SemaphoreKind& kind);     // semaphore_multi_op.cc
PropertyOutcome RunWaitersWokenAsDocumented(const SemaphoreKind& kind); // semaphore_waiters.cc
PropertyOutcome RunUndoOnExitAsClaimed(const SemaphoreKind& kind);     // semaphore_undo.cc

}  // namespace semaphore_suite
}  // namespace ipcspec
