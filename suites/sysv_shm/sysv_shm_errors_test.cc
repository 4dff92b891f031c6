// System V shared memory: ERRORS cases of shmget(2) and shmctl(2) that the
// table tests (sysv_shm_table_test.cc, sysv_shm_test.cc) leave out: IPC_EXCL
// without IPC_CREAT, shmget's check of the permission bits it is asked for
// (as another user), IPC_SET and IPC_RMID of an invalid identifier; and the
// IPC_STAT owner fields after shmget, IPC_PRIVATE always new, and SHM_HUGETLB
// without privilege (EPERM) or without huge pages (ENOMEM), where the kernel
// has huge pages (a need), segments per IPC namespace. Each test runs in its
// own IPC namespace (the ipcspec main); one makes a new one.
#include <sched.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/privilege.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// Segments removed at scope exit, even when an assertion fails.
struct Segments {
  std::vector<int> ids;
  ~Segments() {
    for (int id : ids) shmctl(id, IPC_RMID, nullptr);
  }
};

// man 2 shmget: "ENOENT No segment exists for the given key, and IPC_CREAT
// was not specified." "EEXIST IPC_CREAT and IPC_EXCL were specified in
// shmflg, but a shared memory segment already exists for key." IPC_EXCL
// alone creates nothing and is not an error on an existing key (Linux).
TEST(SysvShmErrors, IpcExclWithoutIpcCreatCreatesNothing) {
  const key_t key = 0x5d5e7;
  EXPECT_THAT(shmget(key, Page(), IPC_EXCL | 0600), SyscallFailsWithErrno(ENOENT))
      << "man 2 shmget: \"ENOENT No segment exists for the given key, and IPC_CREAT was not "
         "specified\" (IPC_EXCL alone)";
  int id = shmget(key, Page(), IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  EXPECT_THAT(shmget(key, Page(), IPC_EXCL | 0600), SyscallSucceedsWithValue(id))
      << "man 2 shmget: EEXIST needs \"IPC_CREAT and IPC_EXCL\": IPC_EXCL alone finds the "
         "segment";
}

const std::vector<Who> kWho = {Who::kOwner, Who::kOther, Who::kOtherIpcOwner};

// man 2 shmget: "EACCES The user does not have permission to access the
// shared memory segment, and does not have the CAP_IPC_OWNER capability in
// the user namespace that governs its IPC namespace." The permission asked
// for is the low 9 bits of shmflg (Linux: each bit asked for must be granted;
// man 7 sysvipc for the bits). A segment of mode 0400: asking for write
// (0200) or read and write (0600) is EACCES even for the owner.
TEST(SysvShmErrors, ShmgetChecksTheRequestedPermissionBits) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const key_t key = 0x5d5e8;
  int id = shmget(key, Page(), IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.shm_perm.uid = u.owner;
  ds.shm_perm.gid = u.group;
  ds.shm_perm.mode = 0400;
  ASSERT_THAT(shmctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int asked[] = {0400, 0200, 0600};
  const size_t size = Page();
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 3, [&](size_t row, Who) -> int {
                         int r = shmget(key, size, asked[row]);
                         if (r < 0) return errno;
                         return r == id ? 0 : 255;
                       }));
  const int want[3][3] = {
      // owner other +IPC_OWNER
      {0, EACCES, 0},       // 0400
      {EACCES, EACCES, 0},  // 0200
      {EACCES, EACCES, 0},  // 0600
  };
  for (size_t row = 0; row < 3; ++row) {
    for (size_t w = 0; w < kWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][row]), Cell(want[row][w]))
          << "shmget(key, size, 0" << std::oct << asked[row] << std::dec
          << ") of a segment of mode 0400 as " << WhoName(kWho[w])
          << "; man 2 shmget: \"EACCES The user does not have permission to access the shared "
             "memory segment, and does not have the CAP_IPC_OWNER capability\"";
    }
  }
}

// man 2 shmctl, ERRORS: "EINVAL shmid is not a valid identifier, or cmd is
// not a valid command." For IPC_SET and IPC_RMID as for IPC_STAT (Linux: a
// removed segment's identifier too).
TEST(SysvShmErrors, IpcSetAndRmidOfAnInvalidIdAreEinval) {
  int id = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  int gone = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(shmctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  RunErrTable("man 2 shmctl",
              {
                  {"EINVAL shmid is not a valid identifier (IPC_SET, -1)", EINVAL,
                   [&] { return shmctl(-1, IPC_SET, &ds); }},
                  {"EINVAL shmid is not a valid identifier (IPC_SET, a removed segment)", EINVAL,
                   [&] { return shmctl(gone, IPC_SET, &ds); }},
                  {"EINVAL shmid is not a valid identifier (IPC_RMID, -1)", EINVAL,
                   [&] { return shmctl(-1, IPC_RMID, nullptr); }},
                  {"EINVAL shmid is not a valid identifier (IPC_STAT, an identifier never given)",
                   EINVAL, [&] { return shmctl(id + 32768 * 7, IPC_STAT, &ds); }},
              });
}

// man 2 shmget: "shm_perm.cuid and shm_perm.uid are set to the effective
// user ID of the calling process. shm_perm.cgid and shm_perm.gid are set to
// the effective group ID of the calling process. The least significant 9
// bits of shm_perm.mode are set to the least significant 9 bits of shmflg.
// shm_segsz is set to the value of size. shm_lpid, shm_nattch, shm_atime,
// and shm_dtime are set to 0. shm_ctime is set to the current time."
TEST(SysvShmErrors, IpcStatAfterShmgetHasTheCallersIds) {
  const time_t t0 = time(nullptr);
  int id = shmget(IPC_PRIVATE, 3000, 0610);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct shmid_ds ds = {};
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  const char* page = "man 2 shmget: ";
  EXPECT_EQ(ds.shm_perm.uid, geteuid()) << page << "\"shm_perm.cuid and shm_perm.uid are set to the effective user ID\" (uid)";
  EXPECT_EQ(ds.shm_perm.cuid, geteuid()) << page << "\"shm_perm.cuid and shm_perm.uid are set to the effective user ID\" (cuid)";
  EXPECT_EQ(ds.shm_perm.gid, getegid()) << page << "\"shm_perm.cgid and shm_perm.gid are set to the effective group ID\" (gid)";
  EXPECT_EQ(ds.shm_perm.cgid, getegid()) << page << "\"shm_perm.cgid and shm_perm.gid are set to the effective group ID\" (cgid)";
  EXPECT_EQ(ds.shm_perm.mode & 0777, 0610u) << page << "\"The least significant 9 bits of shm_perm.mode are set to the least significant 9 bit of shmflg\"";
  EXPECT_EQ(ds.shm_perm.__key, IPC_PRIVATE) << page << "the key of an IPC_PRIVATE segment";
  EXPECT_EQ(ds.shm_segsz, 3000u) << page << "\"shm_segsz is set to the value of size\"";
  EXPECT_EQ(ds.shm_cpid, getpid()) << "man 2 shmctl: shm_cpid \"PID of creator\"";
  EXPECT_EQ(ds.shm_lpid, 0) << page << "\"shm_lpid, shm_nattch, shm_atime, and shm_dtime are set to 0\" (lpid)";
  EXPECT_EQ(ds.shm_nattch, 0u) << page << "\"shm_lpid, shm_nattch, shm_atime, and shm_dtime are set to 0\" (nattch)";
  EXPECT_EQ(ds.shm_atime, 0) << page << "\"shm_lpid, shm_nattch, shm_atime, and shm_dtime are set to 0\" (atime)";
  EXPECT_EQ(ds.shm_dtime, 0) << page << "\"shm_lpid, shm_nattch, shm_atime, and shm_dtime are set to 0\" (dtime)";
  EXPECT_TRUE(ds.shm_ctime >= t0 && ds.shm_ctime <= time(nullptr)) << page << "\"shm_ctime is set to the current time\"";
}

// man 2 shmget: "A new shared memory segment ... is created if key has the
// value IPC_PRIVATE"; NOTES: "IPC_PRIVATE isn't a flag field but a key_t
// type. If this special value is used for key, the system call ignores all
// but the least significant 9 bits of shmflg and creates a new shared memory
// segment." Even with IPC_CREAT | IPC_EXCL, never EEXIST.
TEST(SysvShmErrors, IpcPrivateAlwaysCreatesANewSegment) {
  Segments segs;
  for (int flags : {0600, IPC_CREAT | 0600, IPC_CREAT | IPC_EXCL | 0600}) {
    int id = shmget(IPC_PRIVATE, Page(), flags);
    ASSERT_THAT(id, SyscallSucceeds()) << "man 2 shmget: IPC_PRIVATE \"creates a new shared memory segment\"";
    for (int other : segs.ids) {
      EXPECT_NE(id, other) << "man 2 shmget: IPC_PRIVATE \"creates a new shared memory segment\" each time";
    }
    segs.ids.push_back(id);
  }
}

// The value of a "Name: value" line of /proc/meminfo; -1 when absent.
long Meminfo(const std::string& name) {
  std::ifstream in("/proc/meminfo");
  std::string key;
  long value;
  while (in >> key >> value) {
    if (key == name + ":") return value;
    std::string rest;
    std::getline(in, rest);
  }
  return -1;
}

// `feature:hugetlb`: the kernel has huge pages (man 5 proc: /proc/meminfo
// "Hugepagesize").
Need Hugetlb() {
  return Need::Feature("hugetlb", []() -> std::optional<std::string> {
    if (Meminfo("Hugepagesize") <= 0) return "no Hugepagesize in /proc/meminfo";
    return std::nullopt;
  });
}

// `feature:no-huge-pages`: none free and none to be made by overcommit
// (/proc/meminfo HugePages_Free, /proc/sys/vm/nr_overcommit_hugepages: man 5
// proc), so that a huge segment cannot be had.
Need NoHugePages() {
  return Need::Feature("no-huge-pages", []() -> std::optional<std::string> {
    if (Meminfo("HugePages_Free") != 0) return "huge pages are free (HugePages_Free)";
    auto over = ReadProcLong("/proc/sys/vm/nr_overcommit_hugepages");
    if (!over.ok() || over.value() != 0) return "nr_overcommit_hugepages is not 0";
    return std::nullopt;
  });
}

// man 2 shmget: "SHM_HUGETLB (since Linux 2.6) Allocate the segment using
// "huge" pages." ERRORS: "EPERM The SHM_HUGETLB flag was specified, but the
// caller was not privileged (did not have the CAP_IPC_LOCK capability) and is
// not a member of the sysctl_hugetlb_shm_group group". Linux lets such a
// caller through while the segment fits in its RLIMIT_MEMLOCK (deprecated,
// with a warning); with RLIMIT_MEMLOCK 0 it is EPERM. CAP_IPC_LOCK is never
// EPERM (it gets the segment, or ENOMEM without huge pages).
TEST(SysvShmErrors, ShmHugetlbWithoutCapIpcLockIsEperm) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid(), Hugetlb());
  const SysvUsers u = PickSysvUsers();
  const size_t size = static_cast<size_t>(Meminfo("Hugepagesize")) * 1024;
  const std::vector<Who> who = {Who::kOther, Who::kOtherIpcLock};
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, who, 1, [&](size_t, Who) -> int {
                         struct rlimit none = {0, 0};
                         if (setrlimit(RLIMIT_MEMLOCK, &none) != 0) return 253;
                         int id = shmget(IPC_PRIVATE, size, IPC_CREAT | SHM_HUGETLB | 0600);
                         if (id < 0) return errno;
                         shmctl(id, IPC_RMID, nullptr);
                         return 0;
                       }));
  EXPECT_EQ(Cell(got[0][0]), Cell(EPERM))
      << "shmget(SHM_HUGETLB) as another user, not in hugetlb_shm_group, without CAP_IPC_LOCK, "
         "RLIMIT_MEMLOCK 0; man 2 shmget: \"EPERM The SHM_HUGETLB flag was specified, but the "
         "caller was not privileged (did not have the CAP_IPC_LOCK capability)\"";
  EXPECT_NE(Cell(got[1][0]), Cell(EPERM))
      << "shmget(SHM_HUGETLB) with CAP_IPC_LOCK: privileged in the sense of man 2 shmget EPERM";
}

// man 2 shmget: "ENOMEM No memory could be allocated for segment overhead."
// Linux: a SHM_HUGETLB segment when no huge page is free or can be made is
// ENOMEM, for a privileged caller too (the pages are reserved at shmget).
TEST(SysvShmErrors, ShmHugetlbWithoutHugePagesIsEnomem) {
  IPCSPEC_NEEDS(Need::RootUid(), Hugetlb(), NoHugePages());
  const size_t size = static_cast<size_t>(Meminfo("Hugepagesize")) * 1024;
  int id = shmget(IPC_PRIVATE, size, IPC_CREAT | SHM_HUGETLB | 0600);
  Segments segs;
  if (id >= 0) segs.ids.push_back(id);
  EXPECT_THAT(id, SyscallFailsWithErrno(ENOMEM))
      << "shmget(SHM_HUGETLB) of one huge page with none free: Linux gives man 2 shmget's "
         "\"ENOMEM No memory could be allocated\"";
}

// man 7 ipc_namespaces: "Each IPC namespace has its own set of System V IPC
// identifiers ... Objects created in an IPC namespace are visible to all
// other processes that are members of that namespace, but are not visible to
// processes in other IPC namespaces." "When an IPC namespace is destroyed
// (i.e., when the last process that is a member of the namespace
// terminates), all IPC objects in the namespace are automatically
// destroyed." A child in a new namespace does not find the key, creates it
// with IPC_CREAT | IPC_EXCL and uses it, and this namespace's object of the
// same key is untouched.
TEST(SysvShmErrors, SegmentsBelongToTheIpcNamespace) {
  IPCSPEC_NEEDS(Need::NewIpcNamespace());
  const key_t key = 0x5d5ea;
  int id = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([key] {
                         if (unshare(CLONE_NEWIPC) != 0) return 201;
                         if (shmget(key, 4096, 0600) >= 0 || errno != ENOENT) return 10;
                         int h = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0600);
                         if (h < 0) return 11;
                         void* p = shmat(h, nullptr, 0);
                         if (p == reinterpret_cast<void*>(-1)) return 12;
                         static_cast<char*>(p)[0] = 'x';
                         shmdt(p);
                         return 0;
                       }));
  EXPECT_TRUE(st.ExitedWith(0))
      << "man 7 ipc_namespaces: in a new IPC namespace the key is \"not visible\" (10: it was "
         "found; 11: IPC_CREAT | IPC_EXCL failed; 12: using it failed); the child "
      << st;
  EXPECT_THAT(shmget(key, 4096, 0600), SyscallSucceedsWithValue(id))
      << "man 7 ipc_namespaces: this namespace's segment is untouched by the other's";
  void* p = shmat(id, nullptr, SHM_RDONLY);
  ASSERT_NE(p, reinterpret_cast<void*>(-1)) << ErrnoName(errno);
  const char first = static_cast<char*>(p)[0];
  shmdt(p);
  EXPECT_EQ(first, 0) << "man 7 ipc_namespaces: the byte written to the other namespace's segment "
                         "of the same key is not in this one";
}

}  // namespace
}  // namespace ipcspec
