// System V shared memory, table by table: permissions as another user (man
// 7 sysvipc, man 2 shmget/shmop/shmctl), the ERRORS of each page, shmat at
// explicit addresses (SHM_RND, SHM_REMAP, SHM_RDONLY and mprotect), and the
// status fields after each operation. Each test runs in its own IPC
// namespace (the ipcspec main).
#include <linux/capability.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }
const void* const kFailed = reinterpret_cast<void*>(-1);
long AttachResult(void* p) { return p == kFailed ? -1 : 0; }

struct Segments {
  std::vector<int> ids;
  ~Segments() {
    for (int id : ids) shmctl(id, IPC_RMID, nullptr);
  }
};

// Attaches and detaches again: 0 or the errno of shmat.
int AttachErrno(int id, int flags) {
  void* p = shmat(id, nullptr, flags);
  if (p == kFailed) return errno;
  shmdt(p);
  return 0;
}

// ---------------------------------------------------------------- access

enum AccessOp { kAttachRw, kAttachRo, kStat, kGetRead };
const char* AccessOpName(int op) {
  static const char* names[] = {"shmat(0)", "shmat(SHM_RDONLY)", "shmctl(IPC_STAT)",
                                "shmget(key, 0, 0400)"};
  return names[op];
}
struct AccessRow {
  int op;
  int mode;
  int expect[4];  // owner, group, other, other+CAP_IPC_OWNER
};
const std::vector<Who> kAccessWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherIpcOwner};
constexpr int E = EACCES;

// man 7 sysvipc: the permission bits; man 2 shmop: "If SHM_RDONLY is
// specified in shmflg, the segment is attached for reading and the process
// must have read permission for the segment. Otherwise the segment is
// attached for read and write and the process must have read and write
// permission for the segment." "EACCES The calling process does not have the
// required permissions for the requested attach type, and does not have the
// CAP_IPC_OWNER capability". man 2 shmctl: IPC_STAT: "The caller must have
// read permission on the shared memory segment." man 2 shmget: "EACCES The
// user does not have permission to access the shared memory segment, and
// does not have the CAP_IPC_OWNER capability".
const AccessRow kAccess[] = {
    // op          mode    owner group other +IPC_OWNER
    {kAttachRw, 0600, {0, E, E, 0}},   {kAttachRw, 0400, {E, E, E, 0}},
    {kAttachRw, 0200, {E, E, E, 0}},   {kAttachRw, 0060, {E, 0, E, 0}},
    {kAttachRw, 0006, {E, E, 0, 0}},   {kAttachRw, 0066, {E, 0, 0, 0}},
    {kAttachRo, 0400, {0, E, E, 0}},   {kAttachRo, 0040, {E, 0, E, 0}},
    {kAttachRo, 0004, {E, E, 0, 0}},   {kAttachRo, 0222, {E, E, E, 0}},
    {kStat, 0400, {0, E, E, 0}},       {kStat, 0044, {E, 0, 0, 0}},
    {kStat, 0000, {E, E, E, 0}},       {kGetRead, 0400, {0, E, E, 0}},
    {kGetRead, 0004, {E, E, 0, 0}},    {kGetRead, 0222, {E, E, E, 0}},
};

TEST(SysvShmTable, AccessByModeBitsAndCapIpcOwner) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Segments segs;
  std::vector<key_t> keys;
  for (size_t r = 0; r < n; ++r) {
    key_t key = 0x5d500 + static_cast<key_t>(r);
    int id = shmget(key, Page(), IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_THAT(id, SyscallSucceeds());
    segs.ids.push_back(id);
    keys.push_back(key);
    struct shmid_ds ds;
    ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
    ds.shm_perm.uid = u.owner;
    ds.shm_perm.gid = u.group;
    ds.shm_perm.mode = kAccess[r].mode;
    ASSERT_THAT(shmctl(id, IPC_SET, &ds), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kAccessWho, n, [&](size_t r, Who) -> int {
                         const int id = segs.ids[r];
                         struct shmid_ds ds;
                         switch (kAccess[r].op) {
                           case kAttachRw: return AttachErrno(id, 0);
                           case kAttachRo: return AttachErrno(id, SHM_RDONLY);
                           case kStat: return Errno(shmctl(id, IPC_STAT, &ds));
                           case kGetRead: {
                             int got = shmget(keys[r], 0, 0400);
                             return got < 0 ? errno : (got == id ? 0 : 255);
                           }
                         }
                         return 254;
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kAccessWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << AccessOpName(kAccess[r].op) << " on a segment of mode 0" << std::oct
          << kAccess[r].mode << std::dec << " as " << WhoName(kAccessWho[w])
          << "; man 7 sysvipc (permission bits), man 2 shmop / shmctl / shmget (EACCES unless "
             "CAP_IPC_OWNER)";
    }
  }
}

// ------------------------------------------------------------- ownership

enum OwnerOp { kSet, kRmid, kLock, kUnlock };
const char* kOwnerOpName[] = {"IPC_SET", "IPC_RMID", "SHM_LOCK", "SHM_UNLOCK"};
const std::vector<Who> kOwnerWho = {Who::kOwner,         Who::kCreator,       Who::kOther,
                                    Who::kOtherIpcOwner, Who::kOtherSysAdmin, Who::kOtherIpcLock};
constexpr int P = EPERM;
// man 2 shmctl: IPC_SET and IPC_RMID: "The effective UID of the calling
// process must match the owner (shm_perm.uid) or creator (shm_perm.cuid) of
// the shared memory segment, or the caller must be privileged." "EPERM
// IPC_SET or IPC_RMID is attempted, and the effective user ID of the calling
// process is not that of the creator (found in shm_perm.cuid), or the owner
// (found in shm_perm.uid), and the process was not privileged (Linux: did
// not have the CAP_SYS_ADMIN capability)." SHM_LOCK/SHM_UNLOCK: "an
// unprivileged process can employ these operations if its effective UID
// matches the owner or creator UID of the segment, and (for SHM_LOCK) the
// amount of memory to be locked falls within the RLIMIT_MEMLOCK resource
// limit"; "EPERM The caller is not privileged (Linux: does not have the
// CAP_IPC_LOCK capability) and ... SHM_LOCK or SHM_UNLOCK".
const int kOwnerExpect[4][6] = {
    // owner creator other +IPC_OWNER +SYS_ADMIN +IPC_LOCK
    /* IPC_SET    */ {0, 0, P, P, 0, P},
    /* IPC_RMID   */ {0, 0, P, P, 0, P},
    /* SHM_LOCK   */ {0, 0, P, P, P, 0},
    /* SHM_UNLOCK */ {0, 0, P, P, P, 0},
};

TEST(SysvShmTable, OwnershipForIpcSetRmidAndShmLock) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = 4 * kOwnerWho.size();
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEach(u, {Who::kCreator}, n, [](size_t, Who) {
                         int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
                         return id < 0 ? -errno : id;
                       }));
  Segments segs;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_GE(made[0][i], 0) << "shmget as the creator: " << ErrnoName(-made[0][i]);
    segs.ids.push_back(made[0][i]);
  }
  struct shmid_ds set_to;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_THAT(shmctl(segs.ids[i], IPC_STAT, &set_to), SyscallSucceeds());
    ASSERT_EQ(set_to.shm_perm.cuid, u.creator);
    set_to.shm_perm.uid = u.owner;
    set_to.shm_perm.gid = u.group;
    set_to.shm_perm.mode = 0666;
    ASSERT_THAT(shmctl(segs.ids[i], IPC_SET, &set_to), SyscallSucceeds());
    // The SHM_UNLOCK rows unlock a locked segment.
    if (i / kOwnerWho.size() == kUnlock) {
      ASSERT_THAT(shmctl(segs.ids[i], SHM_LOCK, nullptr), SyscallSucceeds());
    }
  }
  set_to.shm_perm.mode = 0644;
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kOwnerWho, 4, [&](size_t op, Who who) -> int {
                         size_t w = 0;
                         while (kOwnerWho[w] != who) ++w;
                         const int id = segs.ids[op * kOwnerWho.size() + w];
                         struct shmid_ds ds = set_to;
                         static const int cmds[] = {IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK};
                         return Errno(shmctl(id, cmds[op], op == kSet ? &ds : nullptr));
                       }));
  for (size_t op = 0; op < 4; ++op) {
    for (size_t w = 0; w < kOwnerWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][op]), Cell(kOwnerExpect[op][w]))
          << kOwnerOpName[op] << " as " << WhoName(kOwnerWho[w])
          << "; man 2 shmctl: EPERM unless owner or creator or privileged (CAP_SYS_ADMIN for "
             "IPC_SET/IPC_RMID, CAP_IPC_LOCK for SHM_LOCK/SHM_UNLOCK)";
      struct shmid_ds ds;
      int st = shmctl(segs.ids[op * kOwnerWho.size() + w], IPC_STAT, &ds);
      if (op == kRmid) {
        EXPECT_EQ(st != 0, got[w][op] == 0) << "IPC_RMID as " << WhoName(kOwnerWho[w]);
      } else if (op == kSet && st == 0) {
        EXPECT_EQ(ds.shm_perm.mode & 0777, got[w][op] == 0 ? 0644u : 0666u)
            << "IPC_SET as " << WhoName(kOwnerWho[w]) << " and the mode it left";
      } else if (st == 0) {
        const bool locked = (op == kLock) == (got[w][op] == 0);
        EXPECT_EQ((ds.shm_perm.mode & SHM_LOCKED) != 0, locked)
            << kOwnerOpName[op] << " as " << WhoName(kOwnerWho[w])
            << "; man 2 shmctl: SHM_LOCKED in shm_perm.mode after SHM_LOCK";
      }
    }
  }
}

// ------------------------------------------------------------ errno tables

// man 2 shmget, ERRORS not in sysv_shm_test.cc (size, EEXIST, ENOENT and
// ENOSPC are there; EACCES: the access table).
TEST(SysvShmTable, ShmgetErrors) {
  RunErrTable("man 2 shmget",
              {
                  {"EINVAL A new segment was to be created and size is less than SHMMIN (size 0)",
                   EINVAL, [&] { return shmget(IPC_PRIVATE, 0, 0600); }},
                  {"(Linux: a flag outside IPC_CREAT/IPC_EXCL/SHM_* and the mode is ignored)", 0,
                   [&] {
                     int id = shmget(IPC_PRIVATE, 4096, 0600 | 0100000);
                     if (id >= 0) shmctl(id, IPC_RMID, nullptr);
                     return id < 0 ? -1 : 0;
                   }},
              });
}

// man 2 shmop, ERRORS (EACCES: the access table; ENOMEM needs exhaustion).
TEST(SysvShmTable, ShmopErrors) {
  const size_t page = Page();
  int id = shmget(IPC_PRIVATE, page, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  int gone = shmget(IPC_PRIVATE, page, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(shmctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  // An address range of our own, free again, for the explicit attaches.
  void* hole = mmap(nullptr, 4 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  char* base = static_cast<char*>(hole);
  int local = 0;
  RunErrTable("man 2 shmop",
              {
                  {"EINVAL Invalid shmid value (-1)", EINVAL,
                   [&] { return AttachResult(shmat(-1, nullptr, 0)); }},
                  {"EINVAL Invalid shmid value (a removed segment; Linux: EINVAL, not the EIDRM "
                   "of the page)",
                   EINVAL, [&] { return AttachResult(shmat(gone, nullptr, 0)); }},
                  {"EINVAL ... unaligned (i.e., not page-aligned and SHM_RND was not specified) "
                   "... shmaddr value",
                   EINVAL, [&] { return AttachResult(shmat(id, base + 1, 0)); }},
                  {"EINVAL ... or SHM_REMAP was specified and shmaddr was NULL.", EINVAL,
                   [&] { return AttachResult(shmat(id, nullptr, SHM_REMAP)); }},
                  {"EINVAL ... or SHM_REMAP was specified and shmaddr was NULL. (Linux: also when "
                   "SHM_RND rounds a shmaddr below SHMLBA down to NULL)",
                   EINVAL,
                   [&] { return AttachResult(shmat(id, reinterpret_cast<void*>(1), SHM_RND | SHM_REMAP)); }},
                  {"EINVAL ... or can't attach segment at shmaddr (the range is mapped and "
                   "SHM_REMAP is absent)",
                   EINVAL, [&] { return AttachResult(shmat(id, base, 0)); }},
                  {"shmdt: EINVAL There is no shared memory segment attached at shmaddr (an "
                   "anonymous mapping)",
                   EINVAL, [&] { return shmdt(base); }},
                  {"shmdt: EINVAL ... or, shmaddr is not aligned on a page boundary.", EINVAL,
                   [&] { return shmdt(base + 1); }},
                  {"shmdt: EINVAL There is no shared memory segment attached at shmaddr (a stack "
                   "address)",
                   EINVAL, [&] { return shmdt(&local); }},
              });
  munmap(hole, 4 * page);
}

// man 2 shmctl, ERRORS (EACCES, EPERM: the tables above; the SHM_LOCK
// ENOMEM needs a child with a small RLIMIT_MEMLOCK: below).
TEST(SysvShmTable, ShmctlErrors) {
  int id = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  int gone = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(shmctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  struct shmid_ds ds;
  auto* bad = static_cast<struct shmid_ds*>(Unmapped());
  RunErrTable("man 2 shmctl",
              {
                  {"EINVAL shmid is not a valid identifier, or cmd is not a valid command. (cmd)",
                   EINVAL, [&] { return shmctl(id, 0x7777, &ds); }},
                  {"EINVAL shmid is not a valid identifier (-1)", EINVAL,
                   [&] { return shmctl(-1, IPC_STAT, &ds); }},
                  {"EINVAL shmid is not a valid identifier (removed; Linux: EINVAL, not EIDRM)",
                   EINVAL, [&] { return shmctl(gone, IPC_STAT, &ds); }},
                  {"EINVAL ... (IPC_RMID twice)", EINVAL,
                   [&] { return shmctl(gone, IPC_RMID, nullptr); }},
                  {"EFAULT The argument cmd has value IPC_SET or IPC_STAT but the address pointed "
                   "to by buf isn't accessible. (IPC_STAT)",
                   EFAULT, [&] { return shmctl(id, IPC_STAT, bad); }},
                  {"EFAULT ... (IPC_SET)", EFAULT, [&] { return shmctl(id, IPC_SET, bad); }},
                  {"EINVAL ... Or: for a SHM_STAT or SHM_STAT_ANY operation, the index value "
                   "specified in shmid referred to an array slot that is currently unused.",
                   EINVAL, [&] { return shmctl(30000, SHM_STAT, &ds); }},
              });
}

// man 2 shmctl: SHM_LOCK: "(for SHM_LOCK) the amount of memory to be locked
// falls within the RLIMIT_MEMLOCK resource limit"; ERRORS: "ENOMEM (Since
// Linux 2.6.9) SHM_LOCK was specified and the size of the to-be-locked
// segment would mean that the total bytes in locked shared memory segments
// would exceed the limit for the real user ID of the calling process. This
// limit is defined by the RLIMIT_MEMLOCK soft resource limit". Linux: an
// RLIMIT_MEMLOCK of 0 is EPERM. The caller is the owner, without
// CAP_IPC_LOCK.
TEST(SysvShmTable, ShmLockAgainstRlimitMemlock) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t page = Page();
  Segments segs;
  for (size_t size : {4 * page, page}) {
    int id = shmget(IPC_PRIVATE, size, 0600);
    ASSERT_THAT(id, SyscallSucceeds());
    segs.ids.push_back(id);
    struct shmid_ds ds;
    ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
    ds.shm_perm.uid = u.owner;
    ASSERT_THAT(shmctl(id, IPC_SET, &ds), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, {Who::kOwner}, 3, [&](size_t row, Who) -> int {
                         // row 0: 4 pages over a limit of 2; row 1: 1 page
                         // within it; row 2: limit 0 (lowered last: an
                         // unprivileged process cannot raise it again).
                         const rlim_t lim = row == 2 ? 0 : 2 * page;
                         struct rlimit rl = {lim, lim};
                         if (setrlimit(RLIMIT_MEMLOCK, &rl) != 0) return 253;
                         return Errno(shmctl(segs.ids[row == 0 ? 0 : 1], SHM_LOCK, nullptr));
                       }));
  EXPECT_EQ(Cell(got[0][2]), Cell(EPERM))
      << "Linux: SHM_LOCK with an RLIMIT_MEMLOCK of 0 and no CAP_IPC_LOCK is EPERM (the "
         "segment is already locked, the check comes first)";
  EXPECT_EQ(Cell(got[0][0]), Cell(ENOMEM))
      << "man 2 shmctl: \"ENOMEM ... SHM_LOCK was specified and the size of the to-be-locked "
         "segment would mean that the total bytes in locked shared memory segments would exceed "
         "the limit\" (4 pages, RLIMIT_MEMLOCK 2 pages)";
  EXPECT_EQ(Cell(got[0][1]), Cell(0))
      << "man 2 shmctl: SHM_LOCK of 1 page \"falls within the RLIMIT_MEMLOCK resource limit\"";
}

// --------------------------------------------------------- shmat details

// man 2 shmop: "If shmaddr isn't NULL and SHM_RND is specified in shmflg, the
// attach occurs at the address equal to shmaddr rounded down to the nearest
// multiple of SHMLBA. Otherwise, shmaddr must be a page-aligned address at
// which the attach occurs." "SHM_REMAP (Linux-specific) This flag specifies
// that the mapping of the segment should replace any existing mapping in the
// range starting at shmaddr and continuing for the size of the segment."
// "SHM_RDONLY ... The process must have read permission"; a later
// mprotect(PROT_WRITE) of it: man 2 mprotect "EACCES The memory cannot be
// given the specified access ... [a] file ... opened read-only" (Linux).
// man 2 shmctl NOTES: "Linux permits a process to attach ... a shared memory
// segment that has already been marked for deletion".
TEST(SysvShmTable, ShmatAtExplicitAddresses) {
  const size_t page = Page();
  int id = shmget(IPC_PRIVATE, page, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  void* hole = mmap(nullptr, 8 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(hole, MAP_FAILED);
  // An SHMLBA-aligned address inside the hole (SHMLBA is the page size on
  // x86; the hole is 8 pages).
  char* base = reinterpret_cast<char*>((reinterpret_cast<uintptr_t>(hole) + SHMLBA - 1) & ~(uintptr_t)(SHMLBA - 1));
  ASSERT_THAT(munmap(hole, 8 * page), SyscallSucceeds());

  void* p = shmat(id, base, 0);
  EXPECT_EQ(p, base) << "man 2 shmop: a page-aligned shmaddr is where \"the attach occurs\"";
  if (p != kFailed) {
    static_cast<char*>(p)[0] = 'x';
    ASSERT_THAT(shmdt(p), SyscallSucceeds());
  }
  p = shmat(id, base + 123, SHM_RND);
  EXPECT_EQ(p, base) << "man 2 shmop: with SHM_RND \"the attach occurs at the address equal to "
                        "shmaddr rounded down to the nearest multiple of SHMLBA\"";
  if (p != kFailed) {
    ASSERT_THAT(shmdt(p), SyscallSucceeds());
  }

  // SHM_REMAP over an anonymous mapping at the same place.
  void* anon = mmap(base, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
  ASSERT_EQ(anon, base);
  EXPECT_EQ(shmat(id, base, 0), kFailed) << "man 2 shmop: without SHM_REMAP the range is taken";
  p = shmat(id, base, SHM_REMAP);
  EXPECT_EQ(p, base) << "man 2 shmop: SHM_REMAP \"should replace any existing mapping in the "
                        "range\"";
  if (p != kFailed) {
    EXPECT_EQ(static_cast<char*>(p)[0], 'x') << "the segment's byte, not the anonymous page's";
    ASSERT_THAT(shmdt(p), SyscallSucceeds());
  } else {
    munmap(base, page);
  }

  // SHM_RDONLY, then mprotect(PROT_WRITE).
  p = shmat(id, nullptr, SHM_RDONLY);
  ASSERT_NE(p, kFailed) << ErrnoName(errno);
  EXPECT_THAT(mprotect(p, page, PROT_READ | PROT_WRITE), SyscallFailsWithErrno(EACCES))
      << "Linux: a read-only attachment cannot be made writable (man 2 mprotect: EACCES for a "
         "mapping of a file opened read-only)";
  EXPECT_THAT(mprotect(p, page, PROT_READ), SyscallSucceeds());
  ASSERT_THAT(shmdt(p), SyscallSucceeds());
  EXPECT_THAT(shmdt(p), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmop: shmdt of an address no longer attached: \"EINVAL There is no shared memory "
         "segment attached at shmaddr\"";
  p = shmat(id, nullptr, 0);
  ASSERT_NE(p, kFailed);
  EXPECT_THAT(mprotect(p, page, PROT_READ | PROT_WRITE), SyscallSucceeds())
      << "a read-write attachment can be made writable again";
  ASSERT_THAT(shmdt(p), SyscallSucceeds());
}

// man 2 shmop: "SHM_EXEC (Linux-specific; since Linux 2.6.9) Allow the
// contents of the segment to be executed. The caller must have execute
// permission on the segment." Linux: an attachment without it is not
// executable. /proc/self/maps (man 5 proc) shows the permissions.
std::string MapsPerms(const void* addr) {
  std::ifstream in("/proc/self/maps");
  std::string line;
  const uintptr_t a = reinterpret_cast<uintptr_t>(addr);
  while (std::getline(in, line)) {
    unsigned long lo = 0, hi = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &lo, &hi, perms) == 3 && a >= lo && a < hi) {
      return perms;
    }
  }
  return "";
}
TEST(SysvShmTable, ShmExecMakesTheAttachmentExecutable) {
  int id = shmget(IPC_PRIVATE, Page(), 0700);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  void* x = shmat(id, nullptr, SHM_EXEC);
  ASSERT_NE(x, kFailed) << ErrnoName(errno);
  void* plain = shmat(id, nullptr, 0);
  ASSERT_NE(plain, kFailed) << ErrnoName(errno);
  void* ro = shmat(id, nullptr, SHM_RDONLY);
  ASSERT_NE(ro, kFailed) << ErrnoName(errno);
  EXPECT_EQ(MapsPerms(x), "rwxs") << "man 2 shmop: SHM_EXEC \"Allow the contents of the segment to be executed\"";
  EXPECT_EQ(MapsPerms(plain), "rw-s") << "man 2 shmop: a plain attach is \"for read and write\"";
  EXPECT_EQ(MapsPerms(ro), "r--s") << "man 2 shmop: SHM_RDONLY \"attached for reading\"";
  shmdt(x);
  shmdt(plain);
  shmdt(ro);
}

// man 2 shmop: shmdt "detaches the shared memory segment located at the
// address specified by shmaddr"; Linux: the attachment is the whole range
// shmat mapped, and munmap(2) of part of it leaves the rest attached (the
// segment counts one attachment per mapping piece; shmdt at the original
// address removes all the pieces of that attachment).
// man 2 shmctl: "IPC_RMID ... The segment will actually be destroyed only
// after the last process detaches it"; a second IPC_RMID of a marked
// segment changes nothing.
TEST(SysvShmTable, PartialUnmapAndRepeatedRmidWhileAttached) {
  const size_t page = Page();
  int id = shmget(IPC_PRIVATE, 3 * page, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  char* p = static_cast<char*>(shmat(id, nullptr, 0));
  ASSERT_NE(static_cast<void*>(p), kFailed);
  p[2 * page] = 'z';
  ASSERT_THAT(munmap(p + page, page), SyscallSucceeds()) << "the middle page";
  struct shmid_ds ds;
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.shm_nattch, 2u) << "Linux: two pieces of one attachment count as two";
  EXPECT_EQ(p[2 * page], 'z') << "the last page is still the segment's";
  ASSERT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  EXPECT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds())
      << "Linux: IPC_RMID of a segment already marked, still attached, succeeds again";
  ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds())
      << "man 2 shmctl: not destroyed while attached, after two IPC_RMIDs";
  EXPECT_TRUE(ds.shm_perm.mode & SHM_DEST);
  ASSERT_THAT(shmdt(p), SyscallSucceeds()) << "shmdt of the first piece";
  EXPECT_THAT(shmctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "Linux: shmdt at shmaddr removes every piece left of that attachment (the range shmat "
         "mapped), so the marked segment is destroyed";
  EXPECT_EQ(MapsPerms(p + 2 * page), "") << "Linux: the last page went with shmdt too";
}

// man 2 shmctl: "IPC_INFO (Linux-specific) Return information about
// system-wide shared memory limits and parameters": "shmmax Maximum segment
// size", "shmmin Minimum segment size; always 1", "shmmni Maximum number of
// segments", "shmall Maximum number of pages of shared memory, system-wide";
// "SHM_INFO ... used_ids # of currently existing segments, shm_tot Total
// number of shared memory pages"; "SHM_STAT ... the shmid argument is not a
// segment identifier, but instead an index"; "A successful SHM_STAT or
// SHM_STAT_ANY operation returns the identifier of the shared memory segment
// whose index was given in shmid." man 5 proc: /proc/sysvipc/shm.
TEST(SysvShmTable, InfoAndStatCommandsAgreeWithProc) {
  const size_t page = Page();
  int a = shmget(IPC_PRIVATE, page, 0600);
  int b = shmget(0x5d5b, 2 * page + 1, IPC_CREAT | 0604);
  ASSERT_THAT(a, SyscallSucceeds());
  ASSERT_THAT(b, SyscallSucceeds());
  Segments segs{{a, b}};
  struct shminfo info;
  int hi = shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&info));
  ASSERT_THAT(hi, SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(unsigned long long shmmax, ReadProcUnsigned("/proc/sys/kernel/shmmax"));
  ASSERT_OK_AND_ASSIGN(unsigned long long shmall, ReadProcUnsigned("/proc/sys/kernel/shmall"));
  ASSERT_OK_AND_ASSIGN(long shmmni, ReadProcLong("/proc/sys/kernel/shmmni"));
  EXPECT_EQ(info.shmmax, shmmax) << "man 2 shmctl: IPC_INFO shmmax";
  EXPECT_EQ(info.shmall, shmall) << "man 2 shmctl: IPC_INFO shmall";
  EXPECT_EQ(info.shmmni, static_cast<unsigned long>(shmmni)) << "man 2 shmctl: IPC_INFO shmmni";
  EXPECT_EQ(info.shmmin, 1u) << "man 2 shmctl: shmmin \"always 1\"";
  struct shm_info used;
  EXPECT_THAT(shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&used)), SyscallSucceedsWithValue(hi));
  EXPECT_EQ(used.used_ids, 2) << "man 2 shmctl: SHM_INFO used_ids";
  EXPECT_EQ(used.shm_tot, 4u) << "man 2 shmctl: SHM_INFO shm_tot, pages (1 + 3)";
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<long>> proc;  // key shmid perms size cpid lpid nattch uid gid cuid cgid
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<long> f(11);
    if (ls >> f[0] >> f[1] >> std::oct >> f[2] >> std::dec >> f[3] >> f[4] >> f[5] >> f[6] >> f[7] >> f[8] >> f[9] >> f[10]) proc.push_back(f);
  }
  EXPECT_EQ(proc.size(), 2u) << "man 5 proc: /proc/sysvipc/shm lists this namespace's 2 segments";
  int found = 0;
  for (int idx = 0; idx <= hi; ++idx) {
    struct shmid_ds ds;
    int id = shmctl(idx, SHM_STAT, &ds);
    if (id < 0) continue;
    ++found;
    EXPECT_TRUE(id == a || id == b);
    EXPECT_THAT(shmctl(idx, SHM_STAT_ANY, &ds), SyscallSucceedsWithValue(id));
    bool listed = false;
    for (const auto& f : proc) {
      if (f[1] != id) continue;
      listed = true;
      EXPECT_EQ(f[0], ds.shm_perm.__key);
      EXPECT_EQ(f[2], static_cast<long>(ds.shm_perm.mode & 0777));
      EXPECT_EQ(f[3], static_cast<long>(ds.shm_segsz));
      EXPECT_EQ(f[4], ds.shm_cpid);
      EXPECT_EQ(f[6], static_cast<long>(ds.shm_nattch));
      EXPECT_EQ(f[9], static_cast<long>(ds.shm_perm.cuid));
    }
    EXPECT_TRUE(listed) << "man 5 proc: /proc/sysvipc/shm lists segment " << id;
  }
  EXPECT_EQ(found, 2) << "SHM_STAT over indexes 0.." << hi;
}

// The kernel's sysctl documentation (kernel.rst, shm_next_id): the next
// segment gets the id written, then the file is -1 again; an id in use is
// not given twice (Linux; per IPC namespace).
TEST(SysvShmTable, ShmNextIdChoosesTheNextIdOnce) {
  const char kNext[] = "/proc/sys/kernel/shm_next_id";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(kNext));
  ASSERT_NO_ERRNO(WriteProcLong(kNext, 4321));
  Segments segs;
  int id = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  segs.ids.push_back(id);
  EXPECT_EQ(id, 4321) << "kernel.rst shm_next_id: the next segment gets the id written";
  ASSERT_OK_AND_ASSIGN(long after, ReadProcLong(kNext));
  EXPECT_EQ(after, -1) << "kernel.rst: shm_next_id goes back to -1 once used";
  ASSERT_NO_ERRNO(WriteProcLong(kNext, 4321));
  int other = shmget(IPC_PRIVATE, Page(), 0600);
  ASSERT_THAT(other, SyscallSucceeds());
  segs.ids.push_back(other);
  EXPECT_NE(other, 4321) << "an id in use is not given twice";
}

// ---------------------------------------------------------------- status

// man 2 shmget: "shm_lpid, shm_nattch, shm_atime, and shm_dtime are set to
// 0. shm_ctime is set to the current time. shm_segsz is set to the value of
// size." "shm_cpid PID of creator". man 2 shmop: shmat "shm_atime is set to
// the current time. shm_lpid is set to the process-ID of the calling
// process. shm_nattch is incremented by one."; shmdt "shm_dtime is set to the
// current time. shm_lpid is set to the process-ID of the calling process.
// shm_nattch is decremented by one." A failed shmat changes nothing.
TEST(SysvShmTable, StatusAfterEachOperation) {
  const time_t t0 = time(nullptr);
  const size_t size = Page() + 100;
  int id = shmget(0x5d5a1, size, IPC_CREAT | IPC_EXCL | 0640);
  ASSERT_THAT(id, SyscallSucceeds());
  Segments segs{{id}};
  struct {
    unsigned long nattch = 0;
    pid_t lpid = 0;
    bool atime = false, dtime = false;
  } model;
  time_t last_ctime = 0;
  auto check = [&](const std::string& after) {
    struct shmid_ds ds;
    ASSERT_THAT(shmctl(id, IPC_STAT, &ds), SyscallSucceeds());
    const time_t now = time(nullptr);
    EXPECT_EQ(ds.shm_segsz, size) << after << ": man 2 shmget: \"shm_segsz is set to the value of size\"";
    EXPECT_EQ(ds.shm_cpid, getpid()) << after << ": shm_cpid, \"PID of creator\"";
    EXPECT_EQ(ds.shm_perm.__key, 0x5d5a1) << after;
    EXPECT_EQ(ds.shm_perm.mode & 0777, 0640u) << after;
    EXPECT_EQ(ds.shm_perm.cuid, geteuid()) << after;
    EXPECT_EQ(ds.shm_nattch, model.nattch) << after << ": shm_nattch";
    EXPECT_EQ(ds.shm_lpid, model.lpid) << after << ": shm_lpid";
    EXPECT_TRUE(ds.shm_ctime >= t0 && ds.shm_ctime <= now) << after << ": shm_ctime";
    if (last_ctime != 0) {
      EXPECT_EQ(ds.shm_ctime, last_ctime) << after << ": only IPC_SET/IPC_RMID change shm_ctime";
    }
    last_ctime = ds.shm_ctime;
    if (model.atime) {
      EXPECT_TRUE(ds.shm_atime >= t0 && ds.shm_atime <= now) << after << ": shm_atime";
    } else {
      EXPECT_EQ(ds.shm_atime, 0) << after << ": man 2 shmget: shm_atime \"set to 0\"";
    }
    if (model.dtime) {
      EXPECT_TRUE(ds.shm_dtime >= t0 && ds.shm_dtime <= now) << after << ": shm_dtime";
    } else {
      EXPECT_EQ(ds.shm_dtime, 0) << after << ": man 2 shmget: shm_dtime \"set to 0\"";
    }
  };
  check("after shmget");
  void* p = shmat(id, nullptr, 0);
  ASSERT_NE(p, kFailed);
  model.nattch = 1; model.lpid = getpid(); model.atime = true;
  check("shmat by the test");
  // A child attaches once more and detaches; it inherits the test's
  // attachment too (man 2 fork: "The child inherits copies of the parent's
  // set of ... attached System V shared memory segments"), so it detaches
  // twice (the inherited one goes at _exit anyway).
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         void* q = shmat(id, nullptr, SHM_RDONLY);
                         if (q == kFailed) return 1;
                         return shmdt(q) == 0 ? 0 : 2;
                       }));
  const pid_t child = c.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  // The child's exit detached its inherited attachment: the last operation
  // was that detach, by the child.
  model.lpid = child; model.dtime = true;
  check("a child's shmat, shmdt and exit");
  EXPECT_EQ(AttachResult(shmat(id, static_cast<char*>(p) + 1, 0)), -1);
  check("a shmat that failed EINVAL");
  ASSERT_THAT(shmdt(p), SyscallSucceeds());
  model.nattch = 0; model.lpid = getpid();
  check("shmdt by the test");
}

}  // namespace
}  // namespace ipcspec
