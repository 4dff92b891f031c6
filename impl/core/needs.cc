#include "impl/core/needs.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/watchdog.h"

namespace ipcspec {
namespace {

std::string ErrnoText(int e) { return ErrnoName(e); }

// What a child's exit code says: 0 met, else an errno number.
std::optional<std::string> ChildProbe(const std::string& what, std::function<int()> fn) {
  auto st = ForkAndWait(std::move(fn));
  if (!st.ok()) return what + ": " + st.error().ToString();
  if (st.value().ExitedWith(0)) return std::nullopt;
  if (st.value().exited()) return what + ": " + ErrnoText(st.value().exit_code());
  return what + ": the child " + st.value().ToString();
}

}  // namespace

std::string CapabilityName(int cap) {
  static const char* const kNames[] = {
      "CAP_CHOWN",           "CAP_DAC_OVERRIDE",   "CAP_DAC_READ_SEARCH", "CAP_FOWNER",
      "CAP_FSETID",          "CAP_KILL",           "CAP_SETGID",          "CAP_SETUID",
      "CAP_SETPCAP",         "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST",
      "CAP_NET_ADMIN",       "CAP_NET_RAW",        "CAP_IPC_LOCK",        "CAP_IPC_OWNER",
      "CAP_SYS_MODULE",      "CAP_SYS_RAWIO",      "CAP_SYS_CHROOT",      "CAP_SYS_PTRACE",
      "CAP_SYS_PACCT",       "CAP_SYS_ADMIN",      "CAP_SYS_BOOT",        "CAP_SYS_NICE",
      "CAP_SYS_RESOURCE",    "CAP_SYS_TIME",       "CAP_SYS_TTY_CONFIG",  "CAP_MKNOD",
      "CAP_LEASE",           "CAP_AUDIT_WRITE",    "CAP_AUDIT_CONTROL",   "CAP_SETFCAP",
      "CAP_MAC_OVERRIDE",    "CAP_MAC_ADMIN",      "CAP_SYSLOG",          "CAP_WAKE_ALARM",
      "CAP_BLOCK_SUSPEND",   "CAP_AUDIT_READ",     "CAP_PERFMON",         "CAP_BPF",
      "CAP_CHECKPOINT_RESTORE",
  };
  static_assert(CAP_SYS_RESOURCE == 24 && CAP_SYS_ADMIN == 21 && CAP_AUDIT_READ == 37);
  if (cap >= 0 && static_cast<size_t>(cap) < sizeof kNames / sizeof kNames[0]) return kNames[cap];
  return "CAP_" + std::to_string(cap);
}

std::string SysctlName(const std::string& path) {
  std::string s = path;
  const std::string prefix = "/proc/sys/";
  if (s.rfind(prefix, 0) == 0) s = s.substr(prefix.size());
  for (char& c : s) {
    if (c == '/') c = '.';
  }
  return s;
}

std::string UnmetNeedMessage(const std::string& name, const std::string& detail) {
  return "unmet need: " + name + ": " + detail;
}

std::optional<std::string> FirstUnmetNeed(std::initializer_list<NeedList> needs) {
  for (const NeedList& list : needs) {
    for (const Need& n : list.needs) {
      if (std::optional<std::string> detail = n.Unmet()) return UnmetNeedMessage(n.name(), *detail);
    }
  }
  return std::nullopt;
}

Need Need::RootUid() {
  return Need("root", []() -> std::optional<std::string> {
    if (geteuid() == 0) return std::nullopt;
    return "effective user ID " + std::to_string(geteuid()) + ", not 0";
  });
}

Need Need::InitialUserNamespace() {
  return Need("init-userns", []() -> std::optional<std::string> {
    if (InInitialUserNamespace()) return std::nullopt;
    return "in a child user namespace (/proc/self/uid_map \"" + UidMapLine() +
           "\"): the kernel's capable() checks ask the initial one";
  });
}

std::vector<Need> Need::Root() { return {RootUid(), InitialUserNamespace()}; }

Need Need::Capability(int cap) {
  return Need("cap:" + CapabilityName(cap), [cap]() -> std::optional<std::string> {
    if (HasEffectiveCapability(cap)) return std::nullopt;
    return "not in the effective set (" + EffectiveCapabilities() + ")";
  });
}

std::vector<Need> Need::CapabilityInInitialUserNs(int cap) {
  return {Capability(cap), InitialUserNamespace()};
}

Need Need::CapabilityOverPidNamespace(int cap) {
  return Need("cap:" + CapabilityName(cap) + "-over-pid-ns", [cap]() -> std::optional<std::string> {
    if (!HasEffectiveCapability(cap)) {
      return "not in the effective set (" + EffectiveCapabilities() + ")";
    }
    struct stat mine {};
    if (stat("/proc/self/ns/user", &mine) != 0) {
      return std::string("stat(/proc/self/ns/user): ") + strerror(errno);
    }
    FileDescriptor pidns(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!pidns.valid()) return std::string("open(/proc/self/ns/pid): ") + strerror(errno);
    // The owner of the PID namespace, then its ancestors up to this
    // process's user namespace (NS_GET_PARENT fails EPERM above it).
    const std::string not_ours =
        "the PID namespace belongs to a user namespace this process's is not an ancestor "
        "of (/proc/self/uid_map \"" + UidMapLine() + "\")";
    FileDescriptor cur(ioctl(pidns.get(), NS_GET_USERNS));
    if (!cur.valid()) {
      // EPERM: the owner is outside this process's user namespace.
      if (errno == EPERM) return not_ours;
      if (InInitialUserNamespace()) return std::nullopt;  // an ancestor of every one
      return std::string("ioctl(NS_GET_USERNS) on /proc/self/ns/pid: ") + strerror(errno);
    }
    for (int depth = 0; depth < 40; ++depth) {
      struct stat st {};
      if (fstat(cur.get(), &st) != 0) return std::string("fstat(user namespace): ") + strerror(errno);
      if (st.st_ino == mine.st_ino && st.st_dev == mine.st_dev) return std::nullopt;
      FileDescriptor parent(ioctl(cur.get(), NS_GET_PARENT));
      if (!parent.valid()) break;
      cur = std::move(parent);
    }
    return not_ours;
  });
}

Need Need::SecondUid() {
  return Need("second-uid", []() -> std::optional<std::string> {
    const uid_t uid = UnusedUid();
    auto unmet = ChildProbe("setresuid(" + std::to_string(uid) + ") in a child", [uid] {
      return setresuid(uid, uid, uid) == 0 ? 0 : errno;
    });
    if (unmet) *unmet += " (uid_map \"" + UidMapLine() + "\")";
    return unmet;
  });
}

namespace {
// Whether an id other than `avoid` lies in one of the ranges of a
// /proc/self/{uid,gid}_map file ("inside outside count" lines).
bool MapsAnotherId(const std::string& map_file, std::vector<unsigned long> avoid) {
  FILE* f = std::fopen(map_file.c_str(), "re");
  if (f == nullptr) return false;
  unsigned long inside, outside, count;
  bool found = false;
  while (!found && std::fscanf(f, "%lu %lu %lu", &inside, &outside, &count) == 3) {
    unsigned long avoided = 0;
    for (unsigned long a : avoid) {
      if (a >= inside && a - inside < count) ++avoided;
    }
    found = count > avoided;
  }
  std::fclose(f);
  return found;
}
}  // namespace

Need Need::SecondMappedIds() {
  return Need("second-uid", []() -> std::optional<std::string> {
    std::vector<unsigned long> uids = {getuid()}, gids = {getgid()};
    if (geteuid() != getuid()) uids.push_back(geteuid());
    if (getegid() != getgid()) gids.push_back(getegid());
    const bool uid = MapsAnotherId("/proc/self/uid_map", uids);
    const bool gid = MapsAnotherId("/proc/self/gid_map", gids);
    if (uid && gid) return std::nullopt;
    return std::string("no ") + (!uid ? "uid" : "gid") +
           " other than this process's own mapped in its user namespace (uid_map \"" +
           UidMapLine() + "\")";
  });
}

Need Need::UserNamespace() {
  return Need("userns", [] {
    return ChildProbe("unshare(CLONE_NEWUSER) in a child",
                      [] { return unshare(CLONE_NEWUSER) == 0 ? 0 : errno; });
  });
}

namespace {
// waitpid for a ptrace stop or the end of `pid`, interrupted by a watchdog
// at the deadline (a ptrace stop does not wake a pidfd: WaitPid cannot wait
// for it). -1 and ETIMEDOUT at the deadline.
int WaitForStop(pid_t pid, const Deadline& d, int* status) {
  Watchdog dog(d);
  for (;;) {
    pid_t got = waitpid(pid, status, __WALL);
    if (got == pid) return 0;
    if (got < 0 && errno == EINTR && !dog.fired()) continue;
    if (got < 0 && errno == EINTR) errno = ETIMEDOUT;
    return -1;
  }
}
}  // namespace

Need Need::Ptrace() {
  // What impl/inject/injector.cc does, step by step: the child asks to be traced
  // (PTRACE_TRACEME) and stops; the parent sets the injector's options and
  // stops the child at its next system call, and reads its registers. A
  // seccomp filter, Yama (kernel.yama.ptrace_scope 3) or a sandbox that
  // forbids ptrace fails one of these steps, named in the detail.
  return Need("ptrace", []() -> std::optional<std::string> {
    const Deadline deadline = Deadline::Default();
    auto child = Child::Fork([] {
      if (ptrace(PTRACE_TRACEME, 0, nullptr, nullptr) != 0) return 100 + errno;
      raise(SIGSTOP);
      (void)getppid();  // a system call to stop at
      return 0;
    });
    if (!child.ok()) return "fork: " + child.error().ToString();
    const pid_t pid = child.value().pid();
    int st = 0;
    if (WaitForStop(pid, deadline, &st) != 0) return "waitpid(child): " + ErrnoText(errno);
    if (WIFEXITED(st)) {
      child.value().Release();  // reaped
      const int code = WEXITSTATUS(st);
      return "PTRACE_TRACEME in a child: " +
             (code > 100 ? ErrnoText(code - 100) : "exit " + std::to_string(code));
    }
    if (!WIFSTOPPED(st)) return "the child ended before it stopped";
    // The Child's destructor kills and reaps the tracee (PTRACE_O_EXITKILL
    // too, should this process die first).
    if (ptrace(PTRACE_SETOPTIONS, pid, nullptr,
               reinterpret_cast<void*>(PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL)) != 0) {
      return "PTRACE_SETOPTIONS of a traced child: " + ErrnoText(errno);
    }
    for (;;) {
      if (ptrace(PTRACE_SYSCALL, pid, nullptr, nullptr) != 0) {
        return "PTRACE_SYSCALL of a traced child: " + ErrnoText(errno);
      }
      if (WaitForStop(pid, deadline, &st) != 0) {
        return "waitpid(traced child): " + ErrnoText(errno);
      }
      if (!WIFSTOPPED(st)) {
        child.value().Release();  // reaped
        return "the traced child ended before a system-call stop";
      }
      if (WSTOPSIG(st) == (SIGTRAP | 0x80)) break;  // its next system call
    }
    struct user_regs_struct regs;
    if (ptrace(PTRACE_GETREGS, pid, nullptr, &regs) != 0) {
      return "PTRACE_GETREGS of a traced child: " + ErrnoText(errno);
    }
    return std::nullopt;
  });
}

Need Need::ProcPidSyscall() {
  return Need("proc-pid-syscall", []() -> std::optional<std::string> {
    if (SyscallDetectionTurnedOff()) {
      return "turned off by IPCSPEC_BLOCKED_DETECTION=state: blocked-detection sees the process "
             "state only";
    }
    FileDescriptor fd(open("/proc/self/syscall", O_RDONLY | O_CLOEXEC));
    if (!fd.valid()) {
      return "open(/proc/self/syscall): " + ErrnoText(errno) +
             ": blocked-detection sees the process state only";
    }
    char buf[128];
    ssize_t n = read(fd.get(), buf, sizeof buf);
    if (n <= 0) {
      return "read(/proc/self/syscall): " + (n < 0 ? ErrnoText(errno) : std::string("empty")) +
             ": blocked-detection sees the process state only";
    }
    return std::nullopt;
  });
}

Need Need::PrivateIpcNamespace() {
  return Need("ipc-namespace", []() -> std::optional<std::string> {
    if (IpcSandbox::Get().isolation() != Isolation::kNone) return std::nullopt;
    return "no private IPC namespace for this test (isolation " + IpcSandbox::Get().Describe() +
           ")";
  });
}

Need Need::NewIpcNamespace() {
  return Need("unshare-ipc", [] {
    return ChildProbe("unshare(CLONE_NEWIPC) in a child",
                      [] { return unshare(CLONE_NEWIPC) == 0 ? 0 : errno; });
  });
}

Need Need::KernelAtLeast(int major, int minor) {
  return Need("kernel>=" + std::to_string(major) + "." + std::to_string(minor),
              [major, minor]() -> std::optional<std::string> {
                struct utsname u = {};
                if (uname(&u) != 0) return "uname: " + ErrnoText(errno);
                int a = 0, b = 0;
                if (std::sscanf(u.release, "%d.%d", &a, &b) != 2) {
                  return std::string("cannot read the release \"") + u.release + "\"";
                }
                if (a > major || (a == major && b >= minor)) return std::nullopt;
                return std::string("the kernel is ") + u.release;
              });
}

Need Need::WritableSysctl(const std::string& path) {
  return Need("sysctl:" + SysctlName(path), [path]() -> std::optional<std::string> {
    auto text = ReadProcText(path);
    if (!text.ok()) return text.error().ToString();
    PosixError e = WriteProcText(path, text.value());
    // EINVAL: the write was allowed and the value refused. Some sysctls read
    // a value they do not take back: kernel.msg_next_id and shm_next_id read
    // -1 and, since Linux 6.x, take only 0 and above.
    if (!e.ok() && e.errno_value() != EINVAL) {
      return e.ToString() + " (uid_map \"" + UidMapLine() + "\")";
    }
    return std::nullopt;
  });
}

Need Need::SysctlAtLeast(const std::string& path, unsigned long long min) {
  return Need("sysctl:" + SysctlName(path) + ">=" + std::to_string(min),
              [path, min]() -> std::optional<std::string> {
                auto v = ReadProcUnsigned(path);
                if (!v.ok()) return v.error().ToString();
                if (v.value() >= min) return std::nullopt;
                return path + " is " + std::to_string(v.value());
              });
}

Need Need::SysctlBelow(const std::string& path, unsigned long long limit) {
  return Need("sysctl:" + SysctlName(path) + "<" + std::to_string(limit),
              [path, limit]() -> std::optional<std::string> {
                auto v = ReadProcUnsigned(path);
                if (!v.ok()) return v.error().ToString();
                if (v.value() < limit) return std::nullopt;
                return path + " is " + std::to_string(v.value());
              });
}

Need Need::Feature(const std::string& name, Probe probe) {
  return Need("feature:" + name, std::move(probe));
}

Need Need::MemfdCreate() {
  return Feature("memfd_create", []() -> std::optional<std::string> {
    FileDescriptor fd(memfd_create("ipcspec-need", MFD_CLOEXEC));
    if (fd.valid() || (errno != ENOSYS && errno != EPERM)) return std::nullopt;
    return "memfd_create: " + ErrnoText(errno);
  });
}

Need Need::FileSealing() {
  return Feature("file-sealing", []() -> std::optional<std::string> {
    FileDescriptor fd(memfd_create("ipcspec-need", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!fd.valid()) {
      if (errno == ENOSYS || errno == EPERM || errno == EINVAL) {
        return "memfd_create(MFD_ALLOW_SEALING): " + ErrnoText(errno);
      }
      return std::nullopt;
    }
    if (fcntl(fd.get(), F_GET_SEALS) < 0 && errno == EINVAL) return "F_GET_SEALS: EINVAL";
    if (fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW) < 0 && errno == EINVAL) {
      return "F_ADD_SEALS(F_SEAL_GROW): EINVAL";
    }
    return std::nullopt;
  });
}

Need Need::AnyOf(std::vector<Need> needs) {
  std::string name;
  for (const Need& n : needs) name += (name.empty() ? "" : "|") + n.name();
  return Need(name, [needs]() -> std::optional<std::string> {
    std::string all;
    for (const Need& n : needs) {
      std::optional<std::string> d = n.Unmet();
      if (!d) return std::nullopt;
      all += (all.empty() ? "" : "; ") + n.name() + ": " + *d;
    }
    return all;
  });
}

}  // namespace ipcspec
