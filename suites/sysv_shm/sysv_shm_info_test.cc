// System V shared memory: what the table test (sysv_shm_table_test.cc)
// leaves out of shmctl's *_INFO / *_STAT commands (IPC_INFO's shmseg,
// SHM_INFO's shm_rss and shm_swp against /proc/sysvipc/shm, SHM_STAT's
// read-permission check and SHM_STAT_ANY's lack of it, as another user,
// SHM_STAT against IPC_STAT while attached), and
// shm_nattch after mprotect(2) has split an attachment. Each test runs in its
// own IPC namespace (the ipcspec main).
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
void* const kFailed = reinterpret_cast<void*>(-1);

// Segments removed at scope exit, even when an assertion fails.
struct Segments {
  std::vector<int> ids;
  ~Segments() {
    for (int id : ids) shmctl(id, IPC_RMID, nullptr);
  }
};
// An attachment detached at scope exit (unless already detached).
struct Attached {
  void* p;
  ~Attached() {
    if (p != kFailed) shmdt(p);
  }
};

struct shmid_ds* AsDs(void* info) { return static_cast<struct shmid_ds*>(info); }

int IndexOf(int id) {
  struct shm_info info;
  int hi = shmctl(0, SHM_INFO, AsDs(&info));
  for (int idx = 0; idx <= hi; ++idx) {
    struct shmid_ds ds;
    if (shmctl(idx, SHM_STAT, &ds) == id) return idx;
  }
  return -1;
}

// man 2 shmctl, IPC_INFO: "shmseg Maximum number of segments that a process
// can attach; unused within kernel". Linux fills it with SHMSEG of
// <linux/shm.h>, which is SHMMNI's default, 4096 (not the namespace's
// shmmni). man 2 shmctl: SHM_INFO "shm_rss # of resident shared memory
// pages", "shm_swp # of swapped shared memory pages"; man 5 proc:
// /proc/sysvipc/shm lists each segment with its "rss" and "swap" in bytes.
// Here nothing is swapped, and the resident pages are the ones touched.
TEST(SysvShmInfo, ShmsegAndResidentPagesAgreeWithProc) {
  struct shminfo info = {};
  ASSERT_THAT(shmctl(0, IPC_INFO, AsDs(&info)), SyscallSucceeds());
  EXPECT_EQ(info.shmseg, 4096u) << "man 2 shmctl: IPC_INFO \"shmseg Maximum number of segments that a process can attach; unused within kernel\" (Linux: SHMSEG)";
  const size_t page = Page();
  int id = shmget(IPC_PRIVATE, 4 * page, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  Attached at{shmat(id, nullptr, 0)};
  ASSERT_NE(at.p, kFailed) << ErrnoName(errno);
  static_cast<char*>(at.p)[0] = 1;
  static_cast<char*>(at.p)[2 * page] = 1;
  struct shm_info used = {};
  ASSERT_THAT(shmctl(0, SHM_INFO, AsDs(&used)), SyscallSucceeds());
  EXPECT_EQ(used.shm_rss, 2u) << "man 2 shmctl: SHM_INFO \"shm_rss # of resident shared memory pages\": the 2 pages written of 4";
  EXPECT_EQ(used.shm_swp, 0u) << "man 2 shmctl: SHM_INFO \"shm_swp # of swapped shared memory pages\"";
  std::ifstream in("/proc/sysvipc/shm");
  std::string header, line;
  std::getline(in, header);
  std::istringstream hs(header);
  std::vector<std::string> cols;
  for (std::string c; hs >> c;) cols.push_back(c);
  int seen = 0;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    for (std::string c; ls >> c;) f.push_back(c);
    if (f.size() != cols.size() || f.size() < 2 || std::stol(f[1]) != id) continue;
    ++seen;
    for (size_t i = 0; i < cols.size(); ++i) {
      if (cols[i] == "rss") {
        EXPECT_EQ(std::stoul(f[i]), 2 * page) << "man 5 proc: /proc/sysvipc/shm rss (bytes) = SHM_INFO shm_rss pages";
      }
      if (cols[i] == "swap") {
        EXPECT_EQ(std::stoul(f[i]), 0u) << "man 5 proc: /proc/sysvipc/shm swap = SHM_INFO shm_swp";
      }
    }
  }
  EXPECT_EQ(seen, 1) << "man 5 proc: /proc/sysvipc/shm lists segment " << id << " once (header: " << header << ")";
}

// man 2 shmctl: "SHM_STAT (Linux-specific) Return a shmid_ds structure as
// for IPC_STAT. However, the shmid argument is not a segment identifier, but
// instead an index into the kernel's internal array"; "A successful SHM_STAT
// or SHM_STAT_ANY operation returns the identifier of the shared memory
// segment whose index was given in shmid." With two attachments, both give
// the same structure.
TEST(SysvShmInfo, ShmStatAndIpcStatAgreeWhileAttached) {
  int id = shmget(0x5d5e9, 2 * Page(), IPC_CREAT | IPC_EXCL | 0640);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  Attached a{shmat(id, nullptr, 0)};
  ASSERT_NE(a.p, kFailed) << ErrnoName(errno);
  Attached b{shmat(id, nullptr, SHM_RDONLY)};
  ASSERT_NE(b.p, kFailed) << ErrnoName(errno);
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0) << "SHM_STAT finds the segment's index";
  struct shmid_ds by_id = {}, by_idx = {};
  ASSERT_THAT(shmctl(id, IPC_STAT, &by_id), SyscallSucceeds());
  EXPECT_THAT(shmctl(idx, SHM_STAT, &by_idx), SyscallSucceedsWithValue(id))
      << "man 2 shmctl: SHM_STAT \"returns the identifier of the shared memory segment whose index "
         "was given\"";
  const char* why = "man 2 shmctl: SHM_STAT \"Return a shmid_ds structure as for IPC_STAT\": ";
  EXPECT_EQ(by_idx.shm_nattch, 2u) << why << "shm_nattch, 2 attachments";
  EXPECT_EQ(by_idx.shm_nattch, by_id.shm_nattch) << why << "shm_nattch";
  EXPECT_EQ(by_idx.shm_segsz, by_id.shm_segsz) << why << "shm_segsz";
  EXPECT_EQ(by_idx.shm_cpid, by_id.shm_cpid) << why << "shm_cpid";
  EXPECT_EQ(by_idx.shm_lpid, by_id.shm_lpid) << why << "shm_lpid";
  EXPECT_EQ(by_idx.shm_atime, by_id.shm_atime) << why << "shm_atime";
  EXPECT_EQ(by_idx.shm_dtime, by_id.shm_dtime) << why << "shm_dtime";
  EXPECT_EQ(by_idx.shm_ctime, by_id.shm_ctime) << why << "shm_ctime";
  EXPECT_EQ(by_idx.shm_perm.__key, by_id.shm_perm.__key) << why << "shm_perm.__key";
  EXPECT_EQ(by_idx.shm_perm.mode, by_id.shm_perm.mode) << why << "shm_perm.mode";
  EXPECT_EQ(by_idx.shm_perm.uid, by_id.shm_perm.uid) << why << "shm_perm.uid";
  EXPECT_EQ(by_idx.shm_perm.cuid, by_id.shm_perm.cuid) << why << "shm_perm.cuid";
}

const std::vector<Who> kWho = {Who::kOwner, Who::kOther, Who::kOtherIpcOwner};

// man 2 shmctl, ERRORS: "EACCES IPC_STAT or SHM_STAT is requested and
// shm_perm.mode does not allow read access for shmid, and the calling process
// does not have the CAP_IPC_OWNER capability in the user namespace that
// governs its IPC namespace."
TEST(SysvShmInfo, ShmStatNeedsReadPermission) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  int id = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.shm_perm.uid = u.owner;
  ds.shm_perm.gid = u.group;
  ds.shm_perm.mode = 0400;
  ASSERT_THAT(shmctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 1, [&](size_t, Who) -> int {
                         struct shmid_ds d;
                         int r = shmctl(idx, SHM_STAT, &d);
                         if (r < 0) return errno;
                         return r == id ? 0 : 255;
                       }));
  const int want[] = {0, EACCES, 0};
  for (size_t w = 0; w < kWho.size(); ++w) {
    EXPECT_EQ(Cell(got[w][0]), Cell(want[w]))
        << "SHM_STAT of a segment of mode 0400 as " << WhoName(kWho[w])
        << "; man 2 shmctl: \"EACCES IPC_STAT or SHM_STAT is requested and shm_perm.mode does "
           "not allow read access for shmid, and the calling process does not have the "
           "CAP_IPC_OWNER capability\"";
  }
}

// man 2 shmctl: "SHM_STAT_ANY (Linux-specific, since Linux 4.17) Return a
// shmid_ds structure as for SHM_STAT. However, shm_perm.mode is not checked
// for read access for shmid, meaning that any user can employ this operation
// (just as any user may read /proc/sysvipc/shm to obtain the same
// information)."
TEST(SysvShmInfo, ShmStatAnyIgnoresReadPermission) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid(), Need::KernelAtLeast(4, 17));
  const SysvUsers u = PickSysvUsers();
  int id = shmget(IPC_PRIVATE, 3 * Page(), 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.shm_perm.mode = 0000;
  ASSERT_THAT(shmctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  const size_t size = 3 * Page();
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, {Who::kOther}, 1, [&](size_t, Who) -> int {
                         struct shmid_ds d = {};
                         int r = shmctl(idx, SHM_STAT_ANY, &d);
                         if (r < 0) return errno;
                         return r == id && d.shm_segsz == size ? 0 : 255;
                       }));
  EXPECT_EQ(Cell(got[0][0]), Cell(0))
      << "SHM_STAT_ANY of a segment of mode 0000 as another user without capabilities; man 2 "
         "shmctl: SHM_STAT_ANY: \"shm_perm.mode is not checked for read access for shmid, "
         "meaning that any user can employ this operation\" (255: wrong id or structure)";
}

// man 2 shmop: "shmdt() detaches the shared memory segment located at the
// address specified by shmaddr from the address space of the calling
// process"; "shm_nattch is decremented by one. If it becomes 0 and the
// segment is marked for deletion, the segment is deleted." mprotect(2) of
// parts of an attachment splits it and may merge pieces again; shmdt still
// detaches every piece, and the count goes back to 0 (Linux; the count was
// left too high by a kernel bug fixed in 6.8, commit fc0c8f9089c2).
TEST(SysvShmInfo, MprotectSplitsDoNotLeaveTheAttachCountHigh) {
  const size_t page = Page();
  int id = shmget(IPC_PRIVATE, 3 * page, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  Attached at{shmat(id, nullptr, 0)};
  ASSERT_NE(at.p, kFailed) << ErrnoName(errno);
  char* p = static_cast<char*>(at.p);
  ASSERT_THAT(mprotect(p + page, page, PROT_NONE), SyscallSucceeds());
  ASSERT_THAT(mprotect(p, 2 * page, PROT_WRITE), SyscallSucceeds());
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_GE(ds.shm_nattch, 1u) << "attached";
  ASSERT_THAT(shmdt(at.p), SyscallSucceeds());
  at.p = kFailed;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.shm_nattch, 0u)
      << "man 2 shmop: after shmdt of the only attachment (split by mprotect into pieces) "
         "\"shm_nattch is decremented\" to 0";
  ASSERT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  segs.ids.clear();
  EXPECT_THAT(shmctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmctl: IPC_RMID of a segment nobody attaches destroys it at once";
}

}  // namespace
}  // namespace ipcspec
