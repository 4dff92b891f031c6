// Declared needs: what a test needs from its environment, said once at the
// top of the test body, in the manner of a test harness's "needs root" /
// "needs this kernel config" flags.
//
//   TEST(SysvMsg, PrivilegedProcessMayRaiseMsgQbytesAboveMsgmnb) {
//     IPCSPEC_NEEDS(Need::CapabilityInInitialUserNs(CAP_SYS_RESOURCE));
//     ...
//
// An unmet need skips the test with exactly
//
//   unmet need: NAME: DETAIL
//
// where NAME is a short stable token the verdict engine counts skips by
// (verdict/README.md, "Skips and needs") and DETAIL says what was found.
// A skip with any other message is an undeclared skip and fails the run, so
// a test never calls GTEST_SKIP itself: it declares a need.
//
// The needs are checked in order and the first unmet one is reported. A need
// is checked when it is declared (probes run then, in the test's sandbox),
// never cached across tests: a test may change what the next one sees only
// through its own IPC namespace, which it leaves behind.
//
// A condition that can only be seen half-way through a test (a probe that is
// the test's own first step) is reported with IPCSPEC_UNMET(name, detail),
// which skips with the same message form. Use it only where a declaration at
// the top would have to repeat the test's setup.
#pragma once

#include <sys/types.h>

#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace ipcspec {

class Need {
 public:
  // A probe returns nullopt when the need is met, else what was found.
  using Probe = std::function<std::optional<std::string>()>;

  Need(std::string name, Probe probe) : name_(std::move(name)), probe_(std::move(probe)) {}

  // `root`: the effective user ID is 0. Together with InitialUserNamespace():
  // root of the machine, not root mapped into a user namespace (Bazel's
  // linux-sandbox maps the caller to root in a user namespace of its own).
  static Need RootUid();
  // `init-userns`: this process is in the initial user namespace
  // (/proc/self/uid_map is "0 0 4294967295").
  static Need InitialUserNamespace();
  // root in the initial user namespace: RootUid() and InitialUserNamespace().
  static std::vector<Need> Root();
  // `cap:CAP_NAME`: `cap` is in the effective set.
  static Need Capability(int cap);
  // Capability(cap) and InitialUserNamespace(): for the kernel's capable()
  // checks, which ask the initial user namespace.
  static std::vector<Need> CapabilityInInitialUserNs(int cap);
  // `cap:CAP_NAME-over-pid-ns`: `cap` is in the effective set and this
  // process's user namespace is the one that owns its PID namespace, or an
  // ancestor of it: the kernel's ns_capable() checks against the PID
  // namespace (naming another process's PID in SCM_CREDENTIALS). Not met in
  // a container whose harness made a user namespace inside a PID namespace
  // owned by the machine (runc): the capability shows, the kernel says EPERM.
  static Need CapabilityOverPidNamespace(int cap);
  // `second-uid`: a forked child can take a user ID no process has
  // (setresuid(2) to UnusedUid(), privilege.h), so that a check can run as
  // another user.
  static Need SecondUid();
  // `second-uid`: a user ID and a group ID other than this process's own
  // (real and effective) are mapped in its user namespace (/proc/self/uid_map,
  // gid_map), so that a check can name another user's ids (SCM_CREDENTIALS).
  // The same token as SecondUid(): both say "this check needs another user";
  // the detail says which probe failed.
  static Need SecondMappedIds();
  // `userns`: a forked child can make a user namespace of its own
  // (unshare(CLONE_NEWUSER)).
  static Need UserNamespace();
  // `ptrace`: this process can trace a child of its own the way the fault
  // injector does (impl/inject/injector.h): PTRACE_TRACEME in the child,
  // PTRACE_SETOPTIONS, PTRACE_SYSCALL to a system-call stop, PTRACE_GETREGS.
  // Seccomp, Yama or a sandbox may forbid it; the detail names the step that
  // failed. Every test that uses the injector declares it.
  static Need Ptrace();
  // `proc-pid-syscall`: /proc/PID/syscall shows the system call a sleeping
  // process is in (blocked.h: BlockedDetection() is "state+syscall").
  static Need ProcPidSyscall();
  // `ipc-namespace`: this test runs in a private IPC namespace (the per-test
  // sandbox, sandbox.h), so that per-namespace limits may be changed and
  // objects counted without touching the host's.
  static Need PrivateIpcNamespace();
  // `unshare-ipc`: a forked child can make a new IPC namespace
  // (unshare(CLONE_NEWIPC)), to compare a fresh namespace with this one.
  static Need NewIpcNamespace();
  // `kernel>=MAJOR.MINOR`: uname(2)'s release is at least that.
  static Need KernelAtLeast(int major, int minor);
  // `sysctl:fs.pipe-max-size`: the file /proc/sys/fs/pipe-max-size can be
  // written here (its current text is written back). Only for
  // per-IPC-namespace files, or with PrivateIpcNamespace() first; a global
  // sysctl is never written by a test.
  static Need WritableSysctl(const std::string& path);
  // `sysctl:fs.pipe-max-size>=65536`: the number in the file is at least
  // `min`; `sysctl:fs.pipe-max-size<1073741824`: below `limit`.
  static Need SysctlAtLeast(const std::string& path, unsigned long long min);
  static Need SysctlBelow(const std::string& path, unsigned long long limit);
  // `feature:NAME`: a kernel or library feature probed at run time; the probe
  // returns nullopt when the feature is there, else what it saw ("memfd_create:
  // ENOSYS"). A probe that meets an unexpected error should return nullopt
  // and let the test fail on it: only "not supported here" is an unmet need.
  static Need Feature(const std::string& name, Probe probe);
  // `feature:memfd_create`: memfd_create(2) works here (ENOSYS on old
  // kernels, EPERM under some seccomp filters).
  static Need MemfdCreate();
  // `feature:file-sealing`: a memfd made with MFD_ALLOW_SEALING takes seals
  // (F_GET_SEALS / F_ADD_SEALS fail EINVAL without sealing support).
  static Need FileSealing();
  // `A|B`: met when any of the needs is met; the detail lists each.
  static Need AnyOf(std::vector<Need> needs);

  const std::string& name() const { return name_; }
  // nullopt when met, else the detail.
  std::optional<std::string> Unmet() const { return probe_(); }

 private:
  std::string name_;
  Probe probe_;
};

// "CAP_SYS_RESOURCE" for CAP_SYS_RESOURCE; "CAP_<n>" for an unknown number.
std::string CapabilityName(int cap);
// /proc/sys/fs/pipe-max-size -> fs.pipe-max-size.
std::string SysctlName(const std::string& path);

// One need, or several (Need::Root() is two), in the order declared.
struct NeedList {
  NeedList(Need n) : needs{std::move(n)} {}  // NOLINT: implicit on purpose
  NeedList(std::vector<Need> v) : needs(std::move(v)) {}  // NOLINT
  std::vector<Need> needs;
};

// The skip message of the first unmet need ("unmet need: NAME: DETAIL"), or
// nullopt when every need is met.
std::optional<std::string> FirstUnmetNeed(std::initializer_list<NeedList> needs);
// "unmet need: NAME: DETAIL".
std::string UnmetNeedMessage(const std::string& name, const std::string& detail);

}  // namespace ipcspec

// At the top of a test body (or of SetUp): skips the test unless every need
// is met. Needs are Need values or lists of them (Need::Root()).
// (Safe after an unbraced `if`: the switch stops a following `else` from
// binding to the macro's own.)
#define IPCSPEC_NEEDS(...)                                                          \
  switch (0)                                                                        \
  case 0:                                                                           \
  default:                                                                          \
    if (std::optional<std::string> ipcspec_unmet_need_ =                            \
            ::ipcspec::FirstUnmetNeed({__VA_ARGS__})) {                             \
      GTEST_SKIP() << *ipcspec_unmet_need_;                                         \
    } else                                                                          \
      static_cast<void>(0)

// Half-way through a test: skips with "unmet need: NAME: DETAIL" (streamed
// values may follow: IPCSPEC_UNMET("second-uid", "") << ...).
#define IPCSPEC_UNMET(name, detail) \
  GTEST_SKIP() << ::ipcspec::UnmetNeedMessage((name), (detail))
