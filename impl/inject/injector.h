// A syscall-level fault injector, in the manner of `strace --inject`, built
// on ptrace(2).
//
// RunInjected(fn, rules) forks a child that runs fn() under ptrace. At the
// Nth entry (counting from 1) of a chosen system call, a rule:
//   - kErrno: skips the call and makes it return -err (EINTR, EAGAIN, ...).
//     No signal is delivered and no handler runs: this tests a caller's own
//     retry logic, not the kernel's restart rules (those need real signals,
//     see faults/eintr);
//   - kShortCount: lowers the call's count argument (the third argument of
//     read/write/send/recv) so that the kernel really transfers fewer bytes:
//     a genuine short write or read;
//   - kKill: SIGKILLs the child while it is stopped at the call's entry, so
//     the call never runs: an exact kill point.
// It returns the child's wait status and how many times each rule fired.
//
// Needs ptrace permission over one's own child (Yama's
// kernel.yama.ptrace_scope below 3, and no seccomp filter or sandbox that
// forbids ptrace). A test that uses it declares IPCSPEC_NEEDS(Need::Ptrace()),
// whose probe does the injector's own steps; a suite property says so
// through PtraceUnmetNeed(), so that where ptrace is denied the test is
// skipped for the counted need `ptrace`, not "not applicable" to its Kind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"

namespace ipcspec {

struct InjectRule {
  enum class Action { kErrno, kShortCount, kKill };
  long syscall_nr;
  int nth;  // the Nth entry of syscall_nr (1-based); 0 = every entry
  Action action;
  int err = 0;             // kErrno
  size_t short_count = 0;  // kShortCount: the new count (must be below the old)
  std::string ToString() const;
};

struct InjectOutcome {
  WaitStatus status;
  std::vector<int> fired;  // per rule
  long syscalls_seen = 0;  // entries of any system call
};

// Runs fn in a traced child with the rules; waits for it with the deadline
// (ETIMEDOUT: the child is killed).
PosixErrorOr<InjectOutcome> RunInjected(std::function<int()> fn, std::vector<InjectRule> rules,
                                        const Deadline& deadline = Deadline::Default());

// Empty when this process may ptrace its children, else why not
// (Need::Ptrace()'s detail, probed once).
std::string PtraceUnavailableReason();
// For a SuiteProperty's skip_reason: nullopt when ptrace is available, else
// the declared skip "unmet need: ptrace: DETAIL" (suites/common/suite.h
// skips with it as a counted need, not as "not applicable").
std::optional<std::string> PtraceUnmetNeed();

}  // namespace ipcspec
