#include "impl/inject/injector.h"

#include <signal.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "impl/core/blocked.h"
#include "impl/core/needs.h"
#include "impl/core/watchdog.h"

namespace ipcspec {
namespace {

// Waits for a ptrace stop or the end of `pid`, with the deadline: a blocking
// waitpid that the watchdog interrupts (EINTR) at the deadline.
PosixErrorOr<int> WaitStop(pid_t pid, const Deadline& d) {
  Watchdog dog(d);
  for (;;) {
    int status = 0;
    pid_t got = waitpid(pid, &status, __WALL);
    if (got == pid) return status;
    if (got < 0 && errno == EINTR) {
      if (dog.fired()) {
        // A harness deadline (the traced child never stopped or ended), not
        // a measurement: RunProperty counts it (PropertyOutcome::hang).
        NoteHarnessDeadlinePassed();
        return PosixError(ETIMEDOUT, "waitpid(traced child) past the deadline");
      }
      continue;
    }
    return ErrnoError("waitpid(traced child)");
  }
}

// Figures for the README (ci/bench.sh reads them from the test logs).
struct InjectorStats {
  unsigned long runs = 0;
  unsigned long kills = 0;
  ~InjectorStats() {
    if (runs) std::printf("ipcspec-faults: traced_runs=%lu kill_points=%lu\n", runs, kills);
  }
};
InjectorStats g_stats;

}  // namespace

std::string InjectRule::ToString() const {
  std::string s = SyscallName(syscall_nr) + " #" + (nth ? std::to_string(nth) : "every") + ": ";
  switch (action) {
    case Action::kErrno:
      return s + "fail with " + ErrnoName(err);
    case Action::kShortCount:
      return s + "count lowered to " + std::to_string(short_count);
    case Action::kKill:
      return s + "SIGKILL at entry";
  }
  return s;
}

std::string PtraceUnavailableReason() {
  // One probe for the need and the injector: Need::Ptrace() does the
  // injector's steps (PTRACE_TRACEME in a child, the options, a system-call
  // stop). Probed once per process.
  static const std::string reason = Need::Ptrace().Unmet().value_or("");
  return reason;
}

std::optional<std::string> PtraceUnmetNeed() {
  const std::string why = PtraceUnavailableReason();
  if (why.empty()) return std::nullopt;
  return UnmetNeedMessage(Need::Ptrace().name(), why);
}

PosixErrorOr<InjectOutcome> RunInjected(std::function<int()> fn, std::vector<InjectRule> rules,
                                        const Deadline& deadline) {
  IPCSPEC_ASSIGN_OR_RETURN(Child child, Child::Fork([fn]() -> int {
                             if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return 120;
                             raise(SIGSTOP);  // wait for the tracer's options
                             return fn();
                           }));
  pid_t pid = child.pid();
  ++g_stats.runs;
  InjectOutcome out;
  out.fired.assign(rules.size(), 0);
  std::vector<int> seen(rules.size(), 0);

  IPCSPEC_ASSIGN_OR_RETURN(int st, WaitStop(pid, deadline));
  if (!WIFSTOPPED(st)) {
    child.Release();
    return PosixError(ECHILD, "traced child ended before its first stop: " + WaitStatus{st}.ToString());
  }
  if (ptrace(PTRACE_SETOPTIONS, pid, nullptr,
             reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0) {
    return ErrnoError("ptrace(PTRACE_SETOPTIONS)");
  }
  bool in_syscall = false;  // entry/exit alternate for a single-threaded tracee
  int fake_errno = 0;       // set at an entry we skipped: the exit returns it
  int pending_signal = 0;
  for (;;) {
    if (ptrace(PTRACE_SYSCALL, pid, nullptr, reinterpret_cast<void*>(static_cast<long>(pending_signal))) != 0) {
      return ErrnoError("ptrace(PTRACE_SYSCALL)");
    }
    pending_signal = 0;
    IPCSPEC_ASSIGN_OR_RETURN(st, WaitStop(pid, deadline));
    if (WIFEXITED(st) || WIFSIGNALED(st)) {
      child.Release();  // reaped by WaitStop
      out.status = WaitStatus{st};
      return out;
    }
    if (!WIFSTOPPED(st)) continue;
    int sig = WSTOPSIG(st);
    if (sig != (SIGTRAP | 0x80)) {
      pending_signal = sig == SIGSTOP || sig == SIGTRAP ? 0 : sig;  // pass real signals on
      continue;
    }
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) return ErrnoError("ptrace(PTRACE_GETREGS)");
    if (!in_syscall) {
      in_syscall = true;
      ++out.syscalls_seen;
      long nr = static_cast<long>(regs.orig_rax);
      // Every rule on this call counts the entry, then the first whose turn
      // it is fires (counting only up to the firing rule would shift the
      // later rules' call numbers).
      for (size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].syscall_nr == nr) ++seen[i];
      }
      for (size_t i = 0; i < rules.size(); ++i) {
        const InjectRule& r = rules[i];
        if (r.syscall_nr != nr) continue;
        if (r.nth != 0 && seen[i] != r.nth) continue;
        ++out.fired[i];
        switch (r.action) {
          case InjectRule::Action::kErrno:
            regs.orig_rax = static_cast<unsigned long long>(-1);  // no such call: skipped
            fake_errno = r.err;
            if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) return ErrnoError("ptrace(PTRACE_SETREGS)");
            break;
          case InjectRule::Action::kShortCount:
            if (r.short_count < regs.rdx) {
              regs.rdx = r.short_count;
              if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) return ErrnoError("ptrace(PTRACE_SETREGS)");
            }
            break;
          case InjectRule::Action::kKill: {
            ++g_stats.kills;
            kill(pid, SIGKILL);
            auto end = child.Wait(deadline);
            if (!end.ok()) return end.error();
            out.status = end.value();
            return out;
          }
        }
        break;  // one rule per call
      }
    } else {
      in_syscall = false;
      if (fake_errno != 0) {
        regs.rax = static_cast<unsigned long long>(-static_cast<long long>(fake_errno));
        fake_errno = 0;
        if (ptrace(PTRACE_SETREGS, pid, nullptr, &regs) != 0) return ErrnoError("ptrace(PTRACE_SETREGS)");
      }
    }
  }
}

}  // namespace ipcspec
