#include "impl/core/process.h"

#include <poll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <ostream>

#include "impl/core/file_descriptor.h"

namespace ipcspec {

std::string WaitStatus::ToString() const {
  if (exited()) return "exited with " + std::to_string(exit_code());
  if (signaled()) {
    const char* abbrev = sigabbrev_np(term_signal());
    return std::string("killed by ") +
           (abbrev ? std::string("SIG") + abbrev : std::to_string(term_signal())) +
           (WCOREDUMP(raw) ? " (core dumped)" : "");
  }
  if (WIFSTOPPED(raw)) return "stopped by signal " + std::to_string(WSTOPSIG(raw));
  return "wait status " + std::to_string(raw);
}

std::ostream& operator<<(std::ostream& os, const WaitStatus& s) {
  return os << s.ToString();
}

PosixErrorOr<Child> Child::Fork(std::function<int()> fn) {
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork()");
  if (pid == 0) {
    // Die with the test process, whatever kills it.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(kChildThrew);
    int code = kChildThrew;
    try {
      code = fn();
    } catch (...) {
      const char msg[] = "ipcspec: a child's function threw; children must not assert\n";
      (void)!write(2, msg, sizeof msg - 1);
    }
    _exit(code);
  }
  return Child(pid);
}

Child::Child(Child&& o) noexcept : pid_(o.Release()) {}

Child& Child::operator=(Child&& o) noexcept {
  if (this != &o) {
    if (pid_ > 0) (void)KillAndWait();
    pid_ = o.Release();
  }
  return *this;
}

Child::~Child() {
  if (pid_ > 0) (void)KillAndWait();
}

pid_t Child::Release() {
  pid_t p = pid_;
  pid_ = -1;
  return p;
}

PosixError Child::Signal(int sig) const {
  if (pid_ <= 0) return PosixError(ESRCH, "kill(no child)");
  if (kill(pid_, sig) != 0) {
    return ErrnoError("kill(" + std::to_string(pid_) + ", " + std::to_string(sig) + ")");
  }
  return NoError();
}

PosixErrorOr<WaitStatus> Child::Wait(const Deadline& deadline) {
  if (pid_ <= 0) return PosixError(ECHILD, "Child::Wait(no child)");
  auto st = WaitPid(pid_, deadline);
  if (st.ok()) pid_ = -1;
  return st;
}

PosixErrorOr<WaitStatus> Child::KillAndWait() {
  if (pid_ <= 0) return PosixError(ECHILD, "Child::KillAndWait(no child)");
  kill(pid_, SIGKILL);
  // SIGKILL cannot be blocked; a generous deadline only guards against a
  // process stuck in an uninterruptible sleep.
  return Wait(Deadline::In(std::chrono::seconds(30)));
}

PosixErrorOr<WaitStatus> ForkAndWait(std::function<int()> fn, const Deadline& deadline) {
  IPCSPEC_ASSIGN_OR_RETURN(Child c, Child::Fork(std::move(fn)));
  return c.Wait(deadline);
}

PosixErrorOr<WaitStatus> WaitPid(pid_t pid, const Deadline& deadline) {
  std::string call = "waitpid(" + std::to_string(pid) + ")";
  int status = 0;
  FileDescriptor pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (pidfd.valid()) {
    for (;;) {
      struct pollfd p = {pidfd.get(), POLLIN, 0};
      int n = poll(&p, 1, deadline.RemainingMs());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError("poll(pidfd of " + std::to_string(pid) + ")");
      if (n == 0) {
        NoteHarnessDeadlinePassed();
        return PosixError(ETIMEDOUT, call + " past the deadline");
      }
      break;
    }
  }
  // Either the pidfd said it ended, or pidfd_open is not there (old kernel,
  // some sandboxes): poll waitpid with a bounded back-off.
  pid_t got = 0;
  bool done = PollUntil(
      [&] {
        do {
          got = waitpid(pid, &status, WNOHANG);
        } while (got < 0 && errno == EINTR);
        return got != 0;
      },
      deadline);
  if (!done) {
    NoteHarnessDeadlinePassed();
    return PosixError(ETIMEDOUT, call + " past the deadline");
  }
  if (got < 0) return ErrnoError(call);
  return WaitStatus{status};
}

}  // namespace ipcspec
