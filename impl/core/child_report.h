// What a child reports to its parent: the one convention (see process.h).
//
// A child records each call it makes in a CallRecord that lives in shared
// memory (SharedObject<CallRecord>, or CallRecords<N> for several calls); the
// parent reads the records after the child ended and asserts on them. The
// child's exit code says only whether it reached its end (0); a child that
// was killed, crashed or threw did not, and its records must not be read as
// its report. CallInChild / CallsInChild do the fork, the wait with a
// deadline and that check in one step.
#pragma once

#include <array>
#include <cerrno>
#include <cstddef>
#include <functional>
#include <ostream>
#include <string>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"

namespace ipcspec {

// One call of a child. Plain data: it lives in shared memory and a child
// fills it in with no allocation.
struct CallRecord {
  static constexpr long kNotReached = -2;

  const char* call = nullptr;  // a string literal naming the call, or null
  long ret = kNotReached;      // the call's return value (-2: not reached)
  int err = 0;                 // errno when ret == -1
  long extra = kNotReached;    // a second value the child read afterwards

  bool reached() const { return ret != kNotReached; }
  bool failed() const { return ret == -1; }
  bool FailedWith(int e) const { return ret == -1 && err == e; }
  // "write returned 3", "open failed EACCES", "read not reached" (no name
  // when `call` is null), then ", then 5" when `extra` was set.
  std::string ToString() const;
};
std::ostream& operator<<(std::ostream& os, const CallRecord& r);

// Child-safe: the record of `call` that returned `ret`, with errno when ret
// is -1. A call returning a pointer or a handle records -1 for its failure
// value and 0 otherwise: Record("sem_open", s == SEM_FAILED ? -1 : 0).
inline CallRecord Record(const char* call, long ret) {
  CallRecord r;
  r.call = call;
  r.ret = ret;
  r.err = ret == -1 ? errno : 0;
  return r;
}

// The records of a child that makes several calls: records[i] is call i.
template <size_t N>
using CallRecords = std::array<CallRecord, N>;

// "call 0: open returned 3; call 1: read failed EINTR; ..."
template <size_t N>
std::string ToString(const CallRecords<N>& records) {
  std::string s;
  for (size_t i = 0; i < N; ++i) {
    if (i) s += "; ";
    s += records[i].ToString();
  }
  return s;
}

// OK when the child reached its end (exited with 0); otherwise an error that
// names `who` and the wait status: "the child did not reach its end: killed
// by SIGSEGV".
PosixError ReachedEnd(const WaitStatus& st, const std::string& who = "the child");

// Forks, runs fn in the child and records its result in shared memory, waits
// until the deadline. An error when the fork or the wait fails or the child
// did not reach its end (a signal, a throw): never a record then.
PosixErrorOr<CallRecord> CallInChild(std::function<CallRecord()> fn,
                                     const Deadline& deadline = Deadline::Default());

// Several calls: the child fills records[i] for each call it makes (a call
// it did not reach stays "not reached").
template <size_t N>
PosixErrorOr<CallRecords<N>> CallsInChild(std::function<void(CallRecords<N>&)> fn,
                                          const Deadline& deadline = Deadline::Default()) {
  IPCSPEC_ASSIGN_OR_RETURN(auto shared, SharedObject<CallRecords<N>>::Create());
  IPCSPEC_ASSIGN_OR_RETURN(Child child, Child::Fork([&] {
    fn(*shared);
    return 0;
  }));
  IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, child.Wait(deadline));
  IPCSPEC_RETURN_IF_ERROR(ReachedEnd(st));
  return *shared;
}

}  // namespace ipcspec
