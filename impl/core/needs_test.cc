// Declared needs (needs.h): an unmet need skips with exactly "unmet need:
// NAME: DETAIL", a met one lets the test run on, and each need's probe can
// say no (none is vacuous).
#include "impl/core/needs.h"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gtest/gtest-spi.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/privilege.h"
#include "impl/core/sandbox.h"
#include "impl/core/syscall_matchers.h"
#include "impl/verdict/verdict.h"

namespace ipcspec {
namespace {

Need Fake(const std::string& name, std::optional<std::string> detail) {
  return Need::Feature(name, [detail] { return detail; });
}

// Runs `body` (which declares needs) and returns what it reported to gtest.
struct Reported {
  bool ran_past_needs = false;
  std::vector<::testing::TestPartResult> results;
};

bool g_ran_past = false;

void DeclaresOneUnmet() {
  IPCSPEC_NEEDS(Fake("met", std::nullopt), Fake("memfd_create", "memfd_create: ENOSYS"),
                Fake("never-asked", "x"));
  g_ran_past = true;
}

void DeclaresOnlyMet() {
  IPCSPEC_NEEDS(Fake("met", std::nullopt), Need::RootUid());
  g_ran_past = true;
}

void DeclaresList() {
  IPCSPEC_NEEDS(std::vector<Need>{Fake("a", std::nullopt), Fake("b", "found b")});
  g_ran_past = true;
}

void UnmetHalfWay() {
  IPCSPEC_UNMET("second-uid", "setresuid: ") << "EPERM";
}

Reported RunBody(void (*body)()) {
  Reported r;
  ::testing::TestPartResultArray results;
  g_ran_past = false;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    body();
  }
  r.ran_past_needs = g_ran_past;
  for (int i = 0; i < results.size(); ++i) r.results.push_back(results.GetTestPartResult(i));
  return r;
}

TEST(Needs, AnUnmetNeedSkipsWithExactlyItsNameAndDetail) {
  Reported r = RunBody(DeclaresOneUnmet);
  EXPECT_FALSE(r.ran_past_needs) << "the test body went on past an unmet need";
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.results[0].skipped());
  EXPECT_EQ(std::string(r.results[0].message()),
            "unmet need: feature:memfd_create: memfd_create: ENOSYS");
}

TEST(Needs, MetNeedsLetTheTestRun) {
  if (geteuid() != 0) {
    // This very check is what the need is for: say so in the declared form.
    IPCSPEC_NEEDS(Need::RootUid());
  }
  Reported r = RunBody(DeclaresOnlyMet);
  EXPECT_TRUE(r.ran_past_needs);
  EXPECT_TRUE(r.results.empty());
}

TEST(Needs, AListIsCheckedInOrder) {
  Reported r = RunBody(DeclaresList);
  EXPECT_FALSE(r.ran_past_needs);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_EQ(std::string(r.results[0].message()), "unmet need: feature:b: found b");
}

TEST(Needs, UnmetHalfWayHasTheSameForm) {
  Reported r = RunBody(UnmetHalfWay);
  ASSERT_EQ(r.results.size(), 1u);
  EXPECT_TRUE(r.results[0].skipped());
  EXPECT_EQ(std::string(r.results[0].message()), "unmet need: second-uid: setresuid: EPERM");
}

TEST(Needs, TheMessageIsTheVerdictEnginesDeclaredForm) {
  EXPECT_EQ(UnmetNeedMessage("x", "y").rfind(kUnmetNeedPrefix, 0), 0u);
}

TEST(Needs, FirstUnmetNeedNamesTheFirstOnly) {
  EXPECT_EQ(FirstUnmetNeed({Fake("a", std::nullopt)}), std::nullopt);
  EXPECT_EQ(FirstUnmetNeed({Fake("a", "no a"), Fake("b", "no b")}),
            std::optional<std::string>("unmet need: feature:a: no a"));
}

TEST(Needs, NamesAreStableTokens) {
  EXPECT_EQ(Need::RootUid().name(), "root");
  EXPECT_EQ(Need::InitialUserNamespace().name(), "init-userns");
  EXPECT_EQ(Need::Capability(CAP_SYS_RESOURCE).name(), "cap:CAP_SYS_RESOURCE");
  EXPECT_EQ(Need::Capability(CAP_SYS_ADMIN).name(), "cap:CAP_SYS_ADMIN");
  EXPECT_EQ(Need::SecondUid().name(), "second-uid");
  EXPECT_EQ(Need::SecondMappedIds().name(), "second-uid");
  EXPECT_EQ(Need::UserNamespace().name(), "userns");
  EXPECT_EQ(Need::Ptrace().name(), "ptrace");
  EXPECT_EQ(Need::ProcPidSyscall().name(), "proc-pid-syscall");
  EXPECT_EQ(Need::PrivateIpcNamespace().name(), "ipc-namespace");
  EXPECT_EQ(Need::NewIpcNamespace().name(), "unshare-ipc");
  EXPECT_EQ(Need::KernelAtLeast(5, 14).name(), "kernel>=5.14");
  EXPECT_EQ(Need::WritableSysctl("/proc/sys/fs/pipe-max-size").name(), "sysctl:fs.pipe-max-size");
  EXPECT_EQ(Need::SysctlAtLeast("/proc/sys/fs/pipe-max-size", 65536).name(),
            "sysctl:fs.pipe-max-size>=65536");
  EXPECT_EQ(Need::SysctlBelow("/proc/sys/fs/pipe-max-size", 1 << 30).name(),
            "sysctl:fs.pipe-max-size<1073741824");
  EXPECT_EQ(Need::Feature("memfd_create", [] { return std::nullopt; }).name(),
            "feature:memfd_create");
  EXPECT_EQ(Need::AnyOf({Need::SecondUid(), Need::UserNamespace()}).name(), "second-uid|userns");
  EXPECT_EQ(Need::MemfdCreate().name(), "feature:memfd_create");
  EXPECT_EQ(Need::FileSealing().name(), "feature:file-sealing");
  auto root = Need::Root();
  ASSERT_EQ(root.size(), 2u);
  EXPECT_EQ(root[0].name(), "root");
  EXPECT_EQ(root[1].name(), "init-userns");
  auto cap = Need::CapabilityInInitialUserNs(CAP_SYS_RESOURCE);
  ASSERT_EQ(cap.size(), 2u);
  EXPECT_EQ(cap[0].name(), "cap:CAP_SYS_RESOURCE");
  EXPECT_EQ(cap[1].name(), "init-userns");
}

// Each probe agrees with what the process can see for itself, and says no
// where the answer must be no.

TEST(Needs, RootAndUserNamespaceAgreeWithTheProcess) {
  EXPECT_EQ(Need::RootUid().Unmet().has_value(), geteuid() != 0);
  EXPECT_EQ(Need::InitialUserNamespace().Unmet().has_value(), !InInitialUserNamespace());
  if (!InInitialUserNamespace()) {
    EXPECT_NE(Need::InitialUserNamespace().Unmet()->find(UidMapLine()), std::string::npos);
  }
}

TEST(Needs, CapabilityIsUnmetForOneNotHeld) {
  EXPECT_EQ(Need::Capability(CAP_SYS_RESOURCE).Unmet().has_value(),
            !HasEffectiveCapability(CAP_SYS_RESOURCE));
  // Bit 62 names no capability: never in the effective set.
  std::optional<std::string> none = Need::Capability(62).Unmet();
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(UnmetNeedMessage(Need::Capability(62).name(), *none),
            "unmet need: cap:CAP_62: not in the effective set (" + EffectiveCapabilities() + ")");
}

TEST(Needs, KernelVersion) {
  EXPECT_EQ(Need::KernelAtLeast(2, 6).Unmet(), std::nullopt);
  struct utsname u = {};
  ASSERT_EQ(uname(&u), 0);
  EXPECT_EQ(Need::KernelAtLeast(999, 0).Unmet(),
            std::optional<std::string>(std::string("the kernel is ") + u.release));
  EXPECT_EQ(FirstUnmetNeed({Need::KernelAtLeast(999, 0)}),
            std::optional<std::string>(std::string("unmet need: kernel>=999.0: the kernel is ") +
                                       u.release));
}

TEST(Needs, Sysctls) {
  const std::string msgmnb = "/proc/sys/kernel/msgmnb";
  ASSERT_OK_AND_ASSIGN(long v, ReadProcLong(msgmnb));
  EXPECT_EQ(Need::SysctlAtLeast(msgmnb, v).Unmet(), std::nullopt);
  EXPECT_EQ(Need::SysctlAtLeast(msgmnb, v + 1).Unmet(),
            std::optional<std::string>(msgmnb + " is " + std::to_string(v)));
  EXPECT_EQ(Need::SysctlBelow(msgmnb, v + 1).Unmet(), std::nullopt);
  EXPECT_EQ(Need::SysctlBelow(msgmnb, v).Unmet(),
            std::optional<std::string>(msgmnb + " is " + std::to_string(v)));
  std::optional<std::string> missing = Need::WritableSysctl("/proc/sys/kernel/no-such-knob").Unmet();
  ASSERT_TRUE(missing.has_value());
  EXPECT_NE(missing->find("ENOENT"), std::string::npos) << *missing;
  // kernel.shmmax is near ULONG_MAX, beyond a long.
  ASSERT_OK_AND_ASSIGN(unsigned long long shmmax, ReadProcUnsigned("/proc/sys/kernel/shmmax"));
  EXPECT_EQ(Need::SysctlBelow("/proc/sys/kernel/shmmax", shmmax).Unmet(),
            std::optional<std::string>("/proc/sys/kernel/shmmax is " + std::to_string(shmmax)));
  struct statvfs proc_sys = {};
  if (statvfs("/proc/sys/kernel", &proc_sys) == 0 && (proc_sys.f_flag & ST_RDONLY)) {
    // A container runtime mounts /proc/sys read-only: the need is unmet and
    // says so.
    std::optional<std::string> ro = Need::WritableSysctl(msgmnb).Unmet();
    ASSERT_TRUE(ro.has_value());
    EXPECT_NE(ro->find("EROFS"), std::string::npos) << *ro;
  } else if (IpcSandbox::Get().isolation() != Isolation::kNone) {
    // Per IPC namespace (man 7 ipc_namespaces), and this test has its own.
    EXPECT_EQ(Need::WritableSysctl(msgmnb).Unmet(), std::nullopt);
    ASSERT_OK_AND_ASSIGN(long after, ReadProcLong(msgmnb));
    EXPECT_EQ(after, v) << "the probe writes back the value it read";
    // Several numbers in one file, and a number beyond a long.
    ASSERT_OK_AND_ASSIGN(std::string sem, ReadProcText("/proc/sys/kernel/sem"));
    EXPECT_EQ(Need::WritableSysctl("/proc/sys/kernel/sem").Unmet(), std::nullopt);
    EXPECT_EQ(ReadProcText("/proc/sys/kernel/sem").value(), sem);
    EXPECT_EQ(Need::WritableSysctl("/proc/sys/kernel/shmmax").Unmet(), std::nullopt);
    EXPECT_EQ(ReadProcUnsigned("/proc/sys/kernel/shmmax").value(), shmmax);
  }
}

TEST(Needs, AnyOfIsMetByOneAndListsEveryDetailOtherwise) {
  EXPECT_EQ(Need::AnyOf({Fake("a", "no a"), Fake("b", std::nullopt)}).Unmet(), std::nullopt);
  EXPECT_EQ(Need::AnyOf({Fake("a", "no a"), Fake("b", "no b")}).Unmet(),
            std::optional<std::string>("feature:a: no a; feature:b: no b"));
}

TEST(Needs, IpcNamespaces) {
  EXPECT_EQ(Need::PrivateIpcNamespace().Unmet().has_value(),
            IpcSandbox::Get().isolation() == Isolation::kNone);
  // The sandbox made this test's IPC namespace with the same call.
  if (IpcSandbox::Get().isolation() != Isolation::kNone) {
    EXPECT_EQ(Need::NewIpcNamespace().Unmet(), std::nullopt);
  }
}

TEST(Needs, ProcPidSyscallAgreesWithBlockedDetection) {
  EXPECT_EQ(Need::ProcPidSyscall().Unmet().has_value(), BlockedDetection() != "state+syscall");
}

TEST(Needs, SecondUidAndPtraceAgreeWithPrivilege) {
  // Root of the machine (or CAP_SETUID) may take any uid; without it, no
  // other uid is mapped or permitted.
  if (HasEffectiveCapability(CAP_SETUID) && InInitialUserNamespace()) {
    EXPECT_EQ(Need::SecondUid().Unmet(), std::nullopt);
  }
  if (!HasEffectiveCapability(CAP_SETUID)) {
    EXPECT_TRUE(Need::SecondUid().Unmet().has_value());
  }
  // A process may trace its own child unless something forbids ptrace: the
  // probe must at least run to an answer without leaving the child behind
  // (the leak audit checks that).
  std::optional<std::string> p = Need::Ptrace().Unmet();
  if (p) {
    EXPECT_NE(p->find("PTRACE_"), std::string::npos) << *p;
  }
}

// In a child: a new user namespace that maps only this process's uid and
// gid (as root), the way Bazel's linux-sandbox makes one. 0 when made, else
// an exit code 50 * step + errno (step 1 unshare, 2 setgroups, 3 uid_map,
// 4 gid_map; an errno above 49, none of these calls' own, reads as 49).
// A kernel without /proc/PID/setgroups (before 3.19; gVisor has none) needs
// no "deny" before gid_map: its absence is not a failure.
int EnterOneIdUserNamespace(uid_t uid, gid_t gid) {
  auto code = [](int step, int e) { return 50 * step + (e < 50 ? e : 49); };
  if (unshare(CLONE_NEWUSER) != 0) return code(1, errno);
  auto put = [](const char* file, const std::string& text) {
    FileDescriptor fd(open(file, O_WRONLY | O_CLOEXEC));
    if (!fd.valid()) return errno;
    return write(fd.get(), text.data(), text.size()) == static_cast<ssize_t>(text.size()) ? 0
                                                                                        : errno;
  };
  if (int e = put("/proc/self/setgroups", "deny"); e != 0 && e != ENOENT) return code(2, e);
  if (int e = put("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1"); e != 0) return code(3, e);
  if (int e = put("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1"); e != 0) return code(4, e);
  return 0;
}

// `feature:one-id-userns`: a child can make that namespace here. Where it
// cannot (a seccomp filter or a sandbox that refuses the map writes), the
// test below cannot build the situation it checks: a declared need, not a
// failure. (gVisor makes it, once the missing setgroups file is tolerated.)
Need OneIdUserNamespace() {
  return Need::Feature("one-id-userns", []() -> std::optional<std::string> {
    const uid_t uid = geteuid();
    const gid_t gid = getegid();
    auto st = ForkAndWait([uid, gid] { return EnterOneIdUserNamespace(uid, gid); });
    if (!st.ok()) return std::nullopt;  // let the test fail on the fork
    if (!st.value().exited() || st.value().ExitedWith(0)) return std::nullopt;
    const int code = st.value().exit_code();
    static const char* const kStep[] = {"", "unshare(CLONE_NEWUSER)", "write /proc/self/setgroups",
                                        "write /proc/self/uid_map", "write /proc/self/gid_map"};
    if (code < 50 || code >= 250) return std::nullopt;
    return std::string(kStep[code / 50]) + " in a child: " + ErrnoName(code % 50);
  });
}

// A user namespace that maps one uid and one gid (Bazel's linux-sandbox's
// kind) has no second mapped id; the initial one maps them all.
TEST(Needs, SecondMappedIdsReadsTheIdMaps) {
  if (InInitialUserNamespace()) {
    EXPECT_EQ(Need::SecondMappedIds().Unmet(), std::nullopt);
  }
  IPCSPEC_NEEDS(Need::UserNamespace(), OneIdUserNamespace());
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([uid, gid] {
    if (int e = EnterOneIdUserNamespace(uid, gid); e != 0) return 2;
    auto unmet = Need::SecondMappedIds().Unmet();
    return unmet && unmet->find("no uid") == 0 ? 0 : 1;
  }));
  EXPECT_TRUE(st.ExitedWith(0)) << st << " (1: the need was met, or its detail is not \"no uid"
                                   " ...\"; 2: the user namespace could not be set up)";
}

// A user namespace made inside a PID namespace it does not own (what a
// harness does in a runc container) shows every capability, but not over
// the PID namespace; a PID namespace made with it (a grandchild is its pid 1)
// is covered.
TEST(Needs, CapabilityOverPidNamespaceAsksWhoOwnsIt) {
  // The need reads the owner with the nsfs ioctls (Linux 4.9); without them
  // (gVisor: ENOTTY) it can only say so, which is not what this checks.
  const Need nsfs = Need::Feature("nsfs-ioctls", []() -> std::optional<std::string> {
    FileDescriptor ns(open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC));
    if (!ns.valid()) return std::string("open(/proc/self/ns/pid): ") + ErrnoName(errno);
    FileDescriptor owner(ioctl(ns.get(), NS_GET_USERNS));
    if (!owner.valid() && errno != EPERM) {
      return std::string("ioctl(NS_GET_USERNS): ") + ErrnoName(errno);
    }
    return std::nullopt;
  });
  IPCSPEC_NEEDS(Need::UserNamespace(), OneIdUserNamespace(), nsfs);
  const uid_t uid = geteuid();
  const gid_t gid = getegid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([uid, gid] {
    if (int e = EnterOneIdUserNamespace(uid, gid); e != 0) return 2;
    if (Need::Capability(CAP_SYS_ADMIN).Unmet()) return 3;
    auto unmet = Need::CapabilityOverPidNamespace(CAP_SYS_ADMIN).Unmet();
    if (!unmet || unmet->find("the PID namespace belongs") != 0) return 1;
    if (unshare(CLONE_NEWPID) != 0) return 4;
    // A raw fork: the grandchild is pid 1 of the new namespace, where
    // getppid() is 0 (Child::Fork would read that as its parent gone). It
    // runs no blocking call; the outer ForkAndWait bounds this child.
    const pid_t g = fork();
    if (g < 0) return 4;
    if (g == 0) _exit(Need::CapabilityOverPidNamespace(CAP_SYS_ADMIN).Unmet() ? 1 : 0);
    int status = 0;
    if (waitpid(g, &status, 0) != g) return 4;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 5;
  }));
  EXPECT_TRUE(st.ExitedWith(0))
      << st << " (1: met, or not for the reason of the owner, in a user namespace inside a PID "
               "namespace it does not own; 2: the user namespace could not be set up; 3: no "
               "CAP_SYS_ADMIN in it; 4: the PID namespace could not be made; 5: unmet in a PID "
               "namespace of its own)";
}

TEST(Needs, CapabilityAndSysctlNames) {
  EXPECT_EQ(CapabilityName(CAP_CHOWN), "CAP_CHOWN");
  EXPECT_EQ(CapabilityName(CAP_SYS_RESOURCE), "CAP_SYS_RESOURCE");
  EXPECT_EQ(CapabilityName(40), "CAP_CHECKPOINT_RESTORE");
  EXPECT_EQ(CapabilityName(63), "CAP_63");
  EXPECT_EQ(SysctlName("/proc/sys/fs/mqueue/msg_max"), "fs.mqueue.msg_max");
}

}  // namespace
}  // namespace ipcspec
