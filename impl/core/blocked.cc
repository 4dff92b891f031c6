#include "impl/core/blocked.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <utility>

#include "impl/core/degraded.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {
namespace {

PosixErrorOr<std::string> ReadSmallFile(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  // To the end (/proc/PID/status is over 1 KiB), at most 16 KiB.
  std::string out;
  char buf[4096];
  while (out.size() < 16384) {
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("read(" + path + ")");
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

void ReportStateOnly() {
  ReportDegraded(
      "blocked-detection without /proc/PID/syscall: a process asleep in any system call counts "
      "as blocked in the awaited one");
}

}  // namespace

bool SyscallDetectionTurnedOff() {
  static const bool off = [] {
    const char* v = std::getenv("IPCSPEC_BLOCKED_DETECTION");
    return v != nullptr && std::string(v) == "state";
  }();
  return off;
}

std::string SyscallName(long nr) {
  switch (nr) {
#define IPCSPEC_SC(name) \
  case SYS_##name:       \
    return #name;
    IPCSPEC_SC(read) IPCSPEC_SC(write) IPCSPEC_SC(open) IPCSPEC_SC(openat)
    IPCSPEC_SC(readv) IPCSPEC_SC(writev) IPCSPEC_SC(poll) IPCSPEC_SC(ppoll)
    IPCSPEC_SC(select) IPCSPEC_SC(pselect6) IPCSPEC_SC(epoll_wait) IPCSPEC_SC(epoll_pwait)
    IPCSPEC_SC(msgsnd) IPCSPEC_SC(msgrcv) IPCSPEC_SC(semop) IPCSPEC_SC(semtimedop)
    IPCSPEC_SC(mq_timedsend) IPCSPEC_SC(mq_timedreceive) IPCSPEC_SC(futex)
    IPCSPEC_SC(recvfrom) IPCSPEC_SC(sendto) IPCSPEC_SC(recvmsg) IPCSPEC_SC(sendmsg)
    IPCSPEC_SC(accept) IPCSPEC_SC(accept4) IPCSPEC_SC(connect) IPCSPEC_SC(wait4)
    IPCSPEC_SC(waitid) IPCSPEC_SC(pause) IPCSPEC_SC(rt_sigsuspend)
    IPCSPEC_SC(rt_sigtimedwait) IPCSPEC_SC(nanosleep) IPCSPEC_SC(clock_nanosleep)
    IPCSPEC_SC(fcntl) IPCSPEC_SC(flock)
#undef IPCSPEC_SC
    case -1:
      return "running";
    default:
      return "syscall " + std::to_string(nr);
  }
}

std::string TaskSnapshot::ToString() const {
  std::string s = std::string("state ") + state;
  if (syscall_nr.has_value()) {
    s += ", in " + SyscallName(*syscall_nr);
  } else {
    s += ", syscall unknown";
  }
  return s;
}

PosixErrorOr<TaskSnapshot> SnapshotTask(pid_t tid) {
  TaskSnapshot t;
  IPCSPEC_ASSIGN_OR_RETURN(std::string stat,
                           ReadSmallFile("/proc/" + std::to_string(tid) + "/stat"));
  // The state follows the last ')' (the command name may hold spaces and ')').
  size_t rp = stat.rfind(')');
  if (rp == std::string::npos || rp + 2 >= stat.size()) {
    return PosixError(EINVAL, "parse /proc/" + std::to_string(tid) + "/stat");
  }
  t.state = stat[rp + 2];
  if (SyscallDetectionTurnedOff()) return t;
  auto sc = ReadSmallFile("/proc/" + std::to_string(tid) + "/syscall");
  if (sc.ok()) {
    const std::string& s = sc.value();
    if (s.rfind("running", 0) == 0) {
      t.syscall_nr = -1;
    } else if (!s.empty()) {
      t.syscall_nr = std::strtol(s.c_str(), nullptr, 10);
    }
  }
  return t;
}

PosixErrorOr<uint64_t> VoluntarySwitches(pid_t tid) {
  IPCSPEC_ASSIGN_OR_RETURN(std::string status,
                           ReadSmallFile("/proc/" + std::to_string(tid) + "/status"));
  static const char kField[] = "\nvoluntary_ctxt_switches:";
  size_t at = status.find(kField);
  if (at == std::string::npos) {
    return PosixError(ENODATA, "/proc/" + std::to_string(tid) +
                                   "/status has no voluntary_ctxt_switches");
  }
  return static_cast<uint64_t>(std::strtoull(status.c_str() + at + sizeof(kField) - 1, nullptr, 10));
}

std::string BlockedDetection() {
  static const std::string mode = [] {
    auto s = SnapshotTask(getpid());
    if (s.ok() && s.value().syscall_nr.has_value()) return std::string("state+syscall");
    ReportStateOnly();
    return std::string("state only");
  }();
  return mode;
}

PosixError WaitUntilBlocked(pid_t pid, std::vector<long> syscalls, const Deadline& deadline) {
  return WaitUntilBlocked(pid, std::move(syscalls), {}, deadline);
}

PosixError WaitUntilBlocked(pid_t pid, std::vector<long> syscalls, const std::vector<long>& also,
                            const Deadline& deadline) {
  if (!syscalls.empty()) {
    for (long nr : also) {
      if (std::find(syscalls.begin(), syscalls.end(), nr) == syscalls.end()) syscalls.push_back(nr);
    }
  }
  TaskSnapshot last;
  PosixError gone;
  auto blocked = [&] {
    auto snap = SnapshotTask(pid);
    if (!snap.ok()) {
      gone = PosixError(ESRCH, "WaitUntilBlocked(" + std::to_string(pid) +
                                   "): the process is gone (" + snap.error().ToString() + ")");
      return true;
    }
    last = snap.value();
    if (last.state == 'Z' || last.state == 'X') {
      gone = PosixError(ESRCH, "WaitUntilBlocked(" + std::to_string(pid) +
                                   "): the process exited instead of blocking");
      return true;
    }
    if (last.state != 'S') return false;
    if (syscalls.empty()) return true;
    if (!last.syscall_nr.has_value()) {
      ReportStateOnly();
      return true;
    }
    for (long nr : syscalls) {
      if (*last.syscall_nr == nr) return true;
    }
    return false;
  };
  if (!PollUntil(blocked, deadline)) {
    std::string want;
    for (long nr : syscalls) want += (want.empty() ? "" : "|") + SyscallName(nr);
    return PosixError(ETIMEDOUT, "WaitUntilBlocked(" + std::to_string(pid) + ", " +
                                     (want.empty() ? "any call" : want) +
                                     "): not blocked by the deadline, last seen " +
                                     last.ToString());
  }
  return gone;
}

}  // namespace ipcspec
