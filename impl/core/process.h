// Child processes for tests.
//
// A Child owns a forked process: its destructor kills (SIGKILL) and reaps it,
// so no child outlives its test even when the test fails early. Children die
// with their parent too (PR_SET_PDEATHSIG), so a killed test leaves none.
//
// What a child reports to its parent (one convention, child_report.h):
// - Values go through a record in shared memory: each call the child makes
//   is a CallRecord (return value, errno, an extra value) in a
//   SharedObject<CallRecord> or SharedObject<CallRecords<N>> made before the
//   fork; CallInChild / CallsInChild make it, fork, wait with a deadline and
//   hand the records back.
// - The exit code only says whether the child reached its end: 0 when it did.
//   It never carries an errno or a count. A child killed by a signal, or
//   exiting otherwise (kChildThrew when its function threw), did not, and its
//   records are no report (ReachedEnd() is the error that says so).
// - No gtest assertions and no RC_ASSERT in a child: it runs async-signal-safe
//   code only (plain system calls, the Kinds' operations, writes to shared
//   memory), and the parent asserts on the records and the wait status.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <functional>
#include <string>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// Exit code of a child whose function threw (a bug in the test).
inline constexpr int kChildThrew = 125;

struct WaitStatus {
  int raw = 0;
  bool exited() const { return WIFEXITED(raw); }
  int exit_code() const { return WEXITSTATUS(raw); }
  bool signaled() const { return WIFSIGNALED(raw); }
  int term_signal() const { return WTERMSIG(raw); }
  bool ExitedWith(int code) const { return exited() && exit_code() == code; }
  bool KilledBy(int sig) const { return signaled() && term_signal() == sig; }
  // "exited with 0", "killed by SIGKILL"
  std::string ToString() const;
};
std::ostream& operator<<(std::ostream& os, const WaitStatus& s);

class Child {
 public:
  // Forks. In the child: runs fn() and _exit()s with its result.
  static PosixErrorOr<Child> Fork(std::function<int()> fn);

  Child() = default;
  Child(Child&& o) noexcept;
  Child& operator=(Child&& o) noexcept;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child();

  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }

  // Waits for the child to end and reaps it. At the deadline: ETIMEDOUT and
  // the child is left running (the destructor still kills it).
  PosixErrorOr<WaitStatus> Wait(const Deadline& deadline = Deadline::Default());
  PosixError Signal(int sig) const;
  // SIGKILL and reap.
  PosixErrorOr<WaitStatus> KillAndWait();
  // Gives up ownership: the process is neither killed nor reaped here.
  pid_t Release();

 private:
  explicit Child(pid_t pid) : pid_(pid) {}
  pid_t pid_ = -1;
};

// Forks, runs fn in the child and waits for it.
PosixErrorOr<WaitStatus> ForkAndWait(std::function<int()> fn,
                                     const Deadline& deadline = Deadline::Default());

// Waits for `pid` (a child of this process) with a deadline: pidfd + poll
// where the kernel has pidfd_open, bounded polling of waitpid otherwise.
PosixErrorOr<WaitStatus> WaitPid(pid_t pid, const Deadline& deadline);

}  // namespace ipcspec
