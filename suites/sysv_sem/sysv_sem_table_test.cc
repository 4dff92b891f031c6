// System V semaphores, table by table: permissions as another user (man 7
// sysvipc, man 2 semget/semop/semctl), the ERRORS of each page, the status
// of a set after each operation (sem_otime/sem_ctime, GETPID, GETALL), the
// *_INFO / *_STAT commands against /proc/sysvipc/sem and kernel.sem, and
// ENOSPC at semmni and semmns. Each test runs in its own IPC namespace.
#include <linux/capability.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

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

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* __buf;
};

struct Sets {
  std::vector<int> ids;
  ~Sets() {
    for (int id : ids) semctl(id, 0, IPC_RMID);
  }
};

int Op(int id, short num, short delta, short flags = IPC_NOWAIT) {
  struct sembuf op = {static_cast<unsigned short>(num), delta, flags};
  return Errno(semop(id, &op, 1));
}

// ---------------------------------------------------------------- access

enum AccessOp { kAlter, kZero, kGetval, kSetval, kGetall, kSetall, kStat, kGetRead };
const char* AccessOpName(int op) {
  static const char* names[] = {"semop(+1)",        "semop(0) (wait for zero)",
                                "semctl(GETVAL)",   "semctl(SETVAL)",
                                "semctl(GETALL)",   "semctl(SETALL)",
                                "semctl(IPC_STAT)", "semget(key, 0, 0400)"};
  return names[op];
}
struct AccessRow {
  int op;
  int mode;
  int expect[4];  // owner, group, other, other+CAP_IPC_OWNER
};
const std::vector<Who> kAccessWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherIpcOwner};
constexpr int E = EACCES;

// man 7 sysvipc: the permission bits "0400 Read by user, 0200 Write by user
// ... 0004 Read by others, 0002 Write by others"; man 2 semop: "If sem_op is
// a positive integer ... The calling process must have alter permission on
// the semaphore set." "If sem_op is zero, the process must have read
// permission on the semaphore set." man 2 semctl: GETVAL, GETALL, IPC_STAT:
// "The calling process must have read permission"; SETVAL, SETALL: "must
// have alter (write) permission". ERRORS: "EACCES ... and does not have the
// CAP_IPC_OWNER capability". man 2 semget: EACCES "A semaphore set exists for
// key, but the calling process does not have permission to access the set".
const AccessRow kAccess[] = {
    // op        mode    owner group other +IPC_OWNER
    {kAlter, 0200, {0, E, E, 0}},   {kAlter, 0020, {E, 0, E, 0}},  {kAlter, 0002, {E, E, 0, 0}},
    {kAlter, 0444, {E, E, E, 0}},   {kZero, 0400, {0, E, E, 0}},   {kZero, 0040, {E, 0, E, 0}},
    {kZero, 0004, {E, E, 0, 0}},    {kZero, 0222, {E, E, E, 0}},   {kGetval, 0400, {0, E, E, 0}},
    {kGetval, 0044, {E, 0, 0, 0}},  {kGetval, 0200, {E, E, E, 0}}, {kSetval, 0200, {0, E, E, 0}},
    {kSetval, 0020, {E, 0, E, 0}},  {kSetval, 0444, {E, E, E, 0}}, {kGetall, 0004, {E, E, 0, 0}},
    {kGetall, 0000, {E, E, E, 0}},  {kSetall, 0002, {E, E, 0, 0}}, {kSetall, 0400, {E, E, E, 0}},
    {kStat, 0400, {0, E, E, 0}},    {kStat, 0040, {E, 0, E, 0}},   {kStat, 0000, {E, E, E, 0}},
    {kGetRead, 0400, {0, E, E, 0}}, {kGetRead, 0202, {E, E, E, 0}},
};

TEST(SysvSemTable, AccessByModeBitsAndCapIpcOwner) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Sets sets;
  std::vector<key_t> keys;
  for (size_t r = 0; r < n; ++r) {
    key_t key = 0x5e500 + static_cast<key_t>(r);
    int id = semget(key, 2, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_THAT(id, SyscallSucceeds());
    sets.ids.push_back(id);
    keys.push_back(key);
    struct semid_ds ds;
    semun arg;
    arg.buf = &ds;
    ASSERT_THAT(semctl(id, 0, IPC_STAT, arg), SyscallSucceeds());
    ds.sem_perm.uid = u.owner;
    ds.sem_perm.gid = u.group;
    ds.sem_perm.mode = kAccess[r].mode;
    ASSERT_THAT(semctl(id, 0, IPC_SET, arg), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kAccessWho, n, [&](size_t r, Who) -> int {
                         const int id = sets.ids[r];
                         unsigned short vals[2] = {1, 2};
                         struct semid_ds ds;
                         semun arg;
                         switch (kAccess[r].op) {
                           case kAlter: return Op(id, 0, 1);
                           case kZero: return Op(id, 1, 0);  // semaphore 1 stays 0
                           case kGetval: return Errno(semctl(id, 0, GETVAL));
                           case kSetval: arg.val = 3; return Errno(semctl(id, 0, SETVAL, arg));
                           case kGetall: arg.array = vals; return Errno(semctl(id, 0, GETALL, arg));
                           case kSetall: arg.array = vals; vals[1] = 0; return Errno(semctl(id, 0, SETALL, arg));
                           case kStat: arg.buf = &ds; return Errno(semctl(id, 0, IPC_STAT, arg));
                           case kGetRead: {
                             int got = semget(keys[r], 0, 0400);
                             return got < 0 ? errno : (got == id ? 0 : 255);
                           }
                         }
                         return 254;
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kAccessWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << AccessOpName(kAccess[r].op) << " on a set of mode 0" << std::oct << kAccess[r].mode
          << std::dec << " as " << WhoName(kAccessWho[w])
          << "; man 7 sysvipc (permission bits), man 2 semop / semctl / semget (EACCES unless "
             "CAP_IPC_OWNER)";
    }
  }
}

// ------------------------------------------------------------- ownership

const std::vector<Who> kOwnerWho = {Who::kOwner, Who::kCreator, Who::kOther, Who::kOtherIpcOwner,
                                    Who::kOtherSysAdmin};
constexpr int P = EPERM;
// man 2 semctl: IPC_SET: "The effective UID of the calling process must match
// the owner (sem_perm.uid) or creator (sem_perm.cuid) of the semaphore set,
// or the caller must be privileged." ERRORS: "EPERM The argument cmd has the
// value IPC_SET or IPC_RMID but the effective user ID of the calling process
// is not the creator (as found in sem_perm.cuid) or the owner (as found in
// sem_perm.uid) of the semaphore set, and the process does not have the
// CAP_SYS_ADMIN capability." CAP_IPC_OWNER does not stand in for ownership.
const int kOwnerExpect[2][5] = {
    /* IPC_SET  */ {0, 0, P, P, 0},
    /* IPC_RMID */ {0, 0, P, P, 0},
};

TEST(SysvSemTable, IpcSetAndRmidNeedOwnerCreatorOrCapSysAdmin) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = 2 * kOwnerWho.size();
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEach(u, {Who::kCreator}, n, [](size_t, Who) {
                         int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
                         return id < 0 ? -errno : id;
                       }));
  Sets sets;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_GE(made[0][i], 0) << "semget as the creator: " << ErrnoName(-made[0][i]);
    sets.ids.push_back(made[0][i]);
  }
  struct semid_ds set_to;
  for (int id : sets.ids) {
    semun arg;
    arg.buf = &set_to;
    ASSERT_THAT(semctl(id, 0, IPC_STAT, arg), SyscallSucceeds());
    ASSERT_EQ(set_to.sem_perm.cuid, u.creator);
    set_to.sem_perm.uid = u.owner;
    set_to.sem_perm.gid = u.group;
    set_to.sem_perm.mode = 0666;
    ASSERT_THAT(semctl(id, 0, IPC_SET, arg), SyscallSucceeds());
  }
  set_to.sem_perm.mode = 0644;
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kOwnerWho, 2, [&](size_t op, Who who) -> int {
                         size_t w = 0;
                         while (kOwnerWho[w] != who) ++w;
                         const int id = sets.ids[op * kOwnerWho.size() + w];
                         struct semid_ds ds = set_to;
                         semun arg;
                         arg.buf = &ds;
                         return Errno(op == 0 ? semctl(id, 0, IPC_SET, arg) : semctl(id, 0, IPC_RMID));
                       }));
  for (size_t op = 0; op < 2; ++op) {
    for (size_t w = 0; w < kOwnerWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][op]), Cell(kOwnerExpect[op][w]))
          << (op == 0 ? "IPC_SET" : "IPC_RMID") << " as " << WhoName(kOwnerWho[w])
          << "; man 2 semctl: \"EPERM ... not the creator ... or the owner ... and the process "
             "does not have the CAP_SYS_ADMIN capability\"";
      struct semid_ds ds;
      semun arg;
      arg.buf = &ds;
      int st = semctl(sets.ids[op * kOwnerWho.size() + w], 0, IPC_STAT, arg);
      if (op == 1) {
        EXPECT_EQ(st != 0, got[w][op] == 0) << "IPC_RMID as " << WhoName(kOwnerWho[w]);
      } else if (st == 0) {
        EXPECT_EQ(ds.sem_perm.mode & 0777, got[w][op] == 0 ? 0644u : 0666u)
            << "IPC_SET as " << WhoName(kOwnerWho[w]) << " and the mode it left";
      }
    }
  }
}

// ------------------------------------------------------------ errno tables

long SemmslFromProc() {
  auto text = ReadProcText("/proc/sys/kernel/sem");
  long msl = 0;
  if (text.ok()) std::sscanf(text.value().c_str(), "%ld", &msl);
  return msl;
}

// man 2 semget, ERRORS (EACCES: the access table; ENOSPC:
// SysvSemTable.SemmniAndSemmnsAreEnospc; ENOMEM needs memory exhaustion).
TEST(SysvSemTable, SemgetErrors) {
  const key_t key = 0x5e5e1;
  int id = semget(key, 3, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  const long semmsl = SemmslFromProc();
  ASSERT_GT(semmsl, 0);
  RunErrTable("man 2 semget",
              {
                  {"EEXIST IPC_CREAT and IPC_EXCL were specified in semflg, but a semaphore set "
                   "already exists for key.",
                   EEXIST, [&] { return semget(key, 3, IPC_CREAT | IPC_EXCL | 0600); }},
                  {"ENOENT No semaphore set exists for key and semflg did not specify IPC_CREAT.",
                   ENOENT, [&] { return semget(key + 1, 1, 0600); }},
                  {"EINVAL nsems is less than 0", EINVAL,
                   [&] { return semget(IPC_PRIVATE, -1, 0600); }},
                  {"EINVAL nsems is ... greater than the limit on the number of semaphores per "
                   "semaphore set (SEMMSL).",
                   EINVAL, [&] { return semget(IPC_PRIVATE, static_cast<int>(semmsl) + 1, 0600); }},
                  {"EINVAL A semaphore set corresponding to key already exists, but nsems is "
                   "larger than the number of semaphores in that set.",
                   EINVAL, [&] { return semget(key, 4, 0600); }},
                  {"The argument nsems can be 0 (a don't care) when a semaphore set is not being "
                   "created.",
                   0, [&] { return semget(key, 0, 0600) == id ? 0 : -2; }},
                  {"(Linux: creating a set of 0 semaphores is EINVAL)", EINVAL,
                   [&] { return semget(IPC_PRIVATE, 0, 0600); }},
              });
}

// man 2 semop, ERRORS (E2BIG, EAGAIN, EIDRM, EINTR, ERANGE:
// sysv_sem_test.cc; EACCES: the access table).
TEST(SysvSemTable, SemopErrors) {
  int id = semget(IPC_PRIVATE, 2, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  int gone = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(semctl(gone, 0, IPC_RMID), SyscallSucceeds());
  struct sembuf up = {0, 1, IPC_NOWAIT};
  struct sembuf far = {2, 1, IPC_NOWAIT};
  struct sembuf wait0 = {0, 0, 0};  // would block: semaphore 0 is 1 by then
  struct timespec bad_ns = {0, 1000000000};
  struct timespec neg = {-1, 0};
  RunErrTable("man 2 semop",
              {
                  {"EFBIG For some operation the value of sem_num is less than 0 or greater than "
                   "or equal to the number of semaphores in the set.",
                   EFBIG, [&] { return semop(id, &far, 1); }},
                  {"EINVAL ... semid is less than zero", EINVAL, [&] { return semop(-1, &up, 1); }},
                  {"EINVAL The semaphore set doesn't exist (removed; Linux: EINVAL, the EIDRM of "
                   "the page is for a set removed while the caller waits)",
                   EINVAL, [&] { return semop(gone, &up, 1); }},
                  {"EINVAL ... or nsops has a nonpositive value.", EINVAL,
                   [&] { return semop(id, &up, 0); }},
                  {"EFAULT An address specified in either the sops ... argument isn't accessible.",
                   EFAULT, [&] { return semop(id, static_cast<struct sembuf*>(Unmapped()), 1); }},
                  {"(semaphore 0 to 1 for the next rows)", 0, [&] { return semop(id, &up, 1); }},
                  {"EFAULT An address specified in either the sops or the timeout argument isn't "
                   "accessible. (timeout)",
                   EFAULT,
                   [&] {
                     return semtimedop(id, &wait0, 1, static_cast<struct timespec*>(Unmapped()));
                   }},
                  {"(Linux) a timeout with tv_nsec of 1000000000 is EINVAL", EINVAL,
                   [&] { return semtimedop(id, &wait0, 1, &bad_ns); }},
                  {"(Linux) a timeout with a negative tv_sec is EINVAL", EINVAL,
                   [&] { return semtimedop(id, &wait0, 1, &neg); }},
              });
  EXPECT_EQ(semctl(id, 0, GETVAL), 1) << "the failed calls changed nothing";
}

// man 2 semctl, ERRORS (ERANGE: sysv_sem_test.cc; EACCES and EPERM: the
// tables above).
TEST(SysvSemTable, SemctlErrors) {
  int id = semget(IPC_PRIVATE, 2, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  int gone = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(semctl(gone, 0, IPC_RMID), SyscallSucceeds());
  semun bad;
  bad.buf = static_cast<struct semid_ds*>(Unmapped());
  semun bad_array;
  bad_array.array = static_cast<unsigned short*>(Unmapped());
  struct semid_ds ds;
  semun buf;
  buf.buf = &ds;
  RunErrTable("man 2 semctl",
              {
                  {"EINVAL Invalid value for cmd", EINVAL, [&] { return semctl(id, 0, 0x7777); }},
                  {"EINVAL Invalid value for ... semid (-1)", EINVAL,
                   [&] { return semctl(-1, 0, GETVAL); }},
                  {"EINVAL Invalid value for ... semid (removed; Linux: EINVAL, not EIDRM)", EINVAL,
                   [&] { return semctl(gone, 0, GETVAL); }},
                  {"EINVAL ... (IPC_RMID twice)", EINVAL, [&] { return semctl(gone, 0, IPC_RMID); }},
                  {"(Linux) GETVAL of semnum >= nsems is EINVAL", EINVAL,
                   [&] { return semctl(id, 2, GETVAL); }},
                  {"(Linux) SETVAL of a negative semnum is EINVAL", EINVAL,
                   [&] { return semctl(id, -1, SETVAL, 1); }},
                  {"EFAULT The address pointed to by arg.buf ... isn't accessible. (IPC_STAT)",
                   EFAULT, [&] { return semctl(id, 0, IPC_STAT, bad); }},
                  {"EFAULT ... arg.buf (IPC_SET)", EFAULT, [&] { return semctl(id, 0, IPC_SET, bad); }},
                  {"EFAULT ... arg.array isn't accessible. (GETALL)", EFAULT,
                   [&] { return semctl(id, 0, GETALL, bad_array); }},
                  {"EFAULT ... arg.array isn't accessible. (SETALL)", EFAULT,
                   [&] { return semctl(id, 0, SETALL, bad_array); }},
                  {"EINVAL ... for a SEM_STAT operation, the index value specified in semid "
                   "referred to an array slot that is currently unused.",
                   EINVAL, [&] { return semctl(30000, 0, SEM_STAT, buf); }},
              });
}

// ---------------------------------------------------------------- status

// uname(2) release at least 4.6 (SETALL updates sempid since then).
bool KernelIsAtLeast46() {
  return !FirstUnmetNeed({Need::KernelAtLeast(4, 6)}).has_value();
}

// man 2 semget: "sem_otime is set to 0. sem_ctime is set to the current
// time." man 2 semop: "each semaphore's sempid ... is set to the caller's
// process ID ... sem_otime is set to the current time"; man 2 semctl:
// IPC_SET, SETVAL, SETALL update sem_ctime ("sem_ctime Time of last change");
// NOTES: "Linux also updates sempid for SETVAL operations" and, since Linux
// 4.6, for SETALL. GETALL returns every semval, SETALL sets them; a failed
// operation changes nothing.
TEST(SysvSemTable, StatusAfterEachOperation) {
  const time_t t0 = time(nullptr);
  int id = semget(0x5e5a1, 3, IPC_CREAT | IPC_EXCL | 0640);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct Model {
    unsigned short val[3] = {0, 0, 0};
    pid_t pid[3] = {0, 0, 0};
    bool otime = false;
  } model;
  time_t last_ctime = 0, last_otime = 0;
  auto check = [&](const std::string& after, bool ctime_moves) {
    struct semid_ds ds;
    semun arg;
    arg.buf = &ds;
    ASSERT_THAT(semctl(id, 0, IPC_STAT, arg), SyscallSucceeds());
    const time_t now = time(nullptr);
    EXPECT_EQ(ds.sem_nsems, 3u) << after << ": sem_nsems";
    EXPECT_EQ(ds.sem_perm.__key, 0x5e5a1) << after;
    EXPECT_EQ(ds.sem_perm.mode & 0777, 0640u) << after;
    EXPECT_EQ(ds.sem_perm.cuid, geteuid()) << after;
    EXPECT_TRUE(ds.sem_ctime >= t0 && ds.sem_ctime <= now) << after << ": sem_ctime";
    if (!ctime_moves && last_ctime != 0) {
      EXPECT_EQ(ds.sem_ctime, last_ctime) << after << ": sem_ctime unchanged";
    }
    last_ctime = ds.sem_ctime;
    if (!model.otime) {
      EXPECT_EQ(ds.sem_otime, 0) << after << ": man 2 semget: \"sem_otime is set to 0\"";
    } else {
      EXPECT_TRUE(ds.sem_otime >= t0 && ds.sem_otime <= now && ds.sem_otime >= last_otime)
          << after << ": man 2 semop: \"sem_otime is set to the current time\"";
      last_otime = ds.sem_otime;
    }
    unsigned short all[3] = {9, 9, 9};
    arg.array = all;
    ASSERT_THAT(semctl(id, 0, GETALL, arg), SyscallSucceeds());
    for (int i = 0; i < 3; ++i) {
      EXPECT_EQ(all[i], model.val[i]) << after << ": GETALL semaphore " << i;
      EXPECT_EQ(semctl(id, i, GETVAL), model.val[i]) << after << ": GETVAL " << i;
      EXPECT_EQ(semctl(id, i, GETPID), model.pid[i]) << after << ": GETPID " << i;
      EXPECT_EQ(semctl(id, i, GETNCNT), 0) << after;
      EXPECT_EQ(semctl(id, i, GETZCNT), 0) << after;
    }
  };
  check("after semget", true);
  auto in_child = [&](std::function<int()> fn) -> pid_t {
    auto c = Child::Fork(std::move(fn));
    if (!c.ok()) return -1;
    pid_t pid = c.value().pid();
    auto st = c.value().Wait();
    return st.ok() && st.value().ExitedWith(0) ? pid : -1;
  };
  // semop on semaphores 0 and 2, by a child.
  pid_t p = in_child([&] {
    struct sembuf ops[2] = {{0, 2, 0}, {2, 5, 0}};
    return semop(id, ops, 2) == 0 ? 0 : errno;
  });
  ASSERT_GT(p, 0);
  model.val[0] = 2; model.val[2] = 5; model.pid[0] = model.pid[2] = p; model.otime = true;
  check("semop {+2 on 0, +5 on 2}", false);
  // SETVAL by another child.
  p = in_child([&] { return semctl(id, 1, SETVAL, 7) == 0 ? 0 : errno; });
  ASSERT_GT(p, 0);
  model.val[1] = 7; model.pid[1] = p;
  check("SETVAL 7 on semaphore 1", true);
  // SETALL.
  p = in_child([&] {
    unsigned short v[3] = {4, 0, 1};
    semun a;
    a.array = v;
    return semctl(id, 0, SETALL, a) == 0 ? 0 : errno;
  });
  ASSERT_GT(p, 0);
  model.val[0] = 4; model.val[1] = 0; model.val[2] = 1;
  bool setall_pid = KernelIsAtLeast46();
  if (setall_pid) model.pid[0] = model.pid[1] = model.pid[2] = p;
  check("SETALL {4, 0, 1}", true);
  // A failed semop (EAGAIN) and a failed SETALL (ERANGE) change nothing.
  ASSERT_EQ(Op(id, 1, -1), EAGAIN);
  unsigned short over[3] = {1, 1, 40000};
  semun a;
  a.array = over;
  ASSERT_THAT(semctl(id, 0, SETALL, a), SyscallFailsWithErrno(ERANGE))
      << "man 2 semctl: \"ERANGE ... SETALL ... greater than the implementation limit SEMVMX\"";
  check("a semop that failed EAGAIN and a SETALL that failed ERANGE", false);
}

// man 2 semctl: "IPC_INFO (Linux-specific) Return information about
// system-wide semaphore limits and parameters": "semmni System-wide limit on
// the number of semaphore sets", "semmsl Maximum number of semaphores in a
// semaphore set", "semmns System-wide limit on the number of semaphores in
// all semaphore sets", "semopm Maximum number of operations for semop(2)",
// "semvmx Maximum semaphore value"; "SEM_INFO ... semusz ... the number of
// semaphore sets that currently exist on the system; and semaem ... the
// total number of semaphores in all semaphore sets on the system"; SEM_STAT
// takes "an index into the kernel's internal array" and returns the set's
// identifier; SEM_STAT_ANY (Linux 4.17) the same without the read check.
// man 5 proc: /proc/sys/kernel/sem holds "SEMMSL SEMMNS SEMOPM SEMMNI" and
// /proc/sysvipc/sem lists the sets.
TEST(SysvSemTable, InfoAndStatCommandsAgreeWithProc) {
  int a = semget(IPC_PRIVATE, 2, 0600);
  int b = semget(0x5e5b, 5, IPC_CREAT | 0604);
  ASSERT_THAT(a, SyscallSucceeds());
  ASSERT_THAT(b, SyscallSucceeds());
  Sets sets{{a, b}};
  ASSERT_OK_AND_ASSIGN(std::string text, ReadProcText("/proc/sys/kernel/sem"));
  long msl = 0, mns = 0, opm = 0, mni = 0;
  ASSERT_EQ(std::sscanf(text.c_str(), "%ld %ld %ld %ld", &msl, &mns, &opm, &mni), 4) << text;
  struct seminfo info;
  semun arg;
  arg.__buf = &info;
  int hi = semctl(0, 0, IPC_INFO, arg);
  ASSERT_THAT(hi, SyscallSucceeds());
  EXPECT_EQ(info.semmsl, msl) << "man 2 semctl: IPC_INFO semmsl = SEMMSL of /proc/sys/kernel/sem";
  EXPECT_EQ(info.semmns, mns) << "IPC_INFO semmns";
  EXPECT_EQ(info.semopm, opm) << "IPC_INFO semopm";
  EXPECT_EQ(info.semmni, mni) << "IPC_INFO semmni";
  EXPECT_EQ(info.semvmx, 32767) << "man 2 semctl: semvmx, SEMVMX (32767 on Linux)";
  struct seminfo used;
  arg.__buf = &used;
  EXPECT_THAT(semctl(0, 0, SEM_INFO, arg), SyscallSucceedsWithValue(hi));
  EXPECT_EQ(used.semusz, 2) << "man 2 semctl: SEM_INFO semusz, the number of sets";
  EXPECT_EQ(used.semaem, 7) << "man 2 semctl: SEM_INFO semaem, the number of semaphores";

  std::ifstream in("/proc/sysvipc/sem");
  std::string line;
  std::getline(in, line);
  std::vector<std::vector<long>> proc;  // key semid perms nsems uid gid cuid cgid
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<long> f(8);
    if (ls >> f[0] >> f[1] >> std::oct >> f[2] >> std::dec >> f[3] >> f[4] >> f[5] >> f[6] >> f[7]) proc.push_back(f);
  }
  EXPECT_EQ(proc.size(), 2u) << "man 5 proc: /proc/sysvipc/sem lists this namespace's 2 sets";
  int found = 0;
  for (int idx = 0; idx <= hi; ++idx) {
    struct semid_ds ds;
    semun sarg;
    sarg.buf = &ds;
    int id = semctl(idx, 0, SEM_STAT, sarg);
    if (id < 0) continue;
    ++found;
    EXPECT_TRUE(id == a || id == b);
    EXPECT_THAT(semctl(idx, 0, SEM_STAT_ANY, sarg), SyscallSucceedsWithValue(id))
        << "man 2 semctl: SEM_STAT_ANY returns the identifier as SEM_STAT does";
    bool listed = false;
    for (const auto& f : proc) {
      if (f[1] != id) continue;
      listed = true;
      EXPECT_EQ(f[0], ds.sem_perm.__key);
      EXPECT_EQ(f[2], static_cast<long>(ds.sem_perm.mode & 0777));
      EXPECT_EQ(f[3], static_cast<long>(ds.sem_nsems));
      EXPECT_EQ(f[4], static_cast<long>(ds.sem_perm.uid));
      EXPECT_EQ(f[6], static_cast<long>(ds.sem_perm.cuid));
    }
    EXPECT_TRUE(listed) << "man 5 proc: /proc/sysvipc/sem lists set " << id;
  }
  EXPECT_EQ(found, 2) << "SEM_STAT over indexes 0.." << hi;
}

// man 2 semget: "ENOSPC A semaphore set has to be created but the system
// limit for the maximum number of semaphore sets (SEMMNI), or the system wide
// maximum number of semaphores (SEMMNS), would be exceeded." man 5 proc:
// /proc/sys/kernel/sem "SEMMSL SEMMNS SEMOPM SEMMNI", here this namespace's.
TEST(SysvSemTable, SemmniAndSemmnsAreEnospc) {
  const char kSem[] = "/proc/sys/kernel/sem";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(kSem));
  ASSERT_NO_ERRNO(WriteProcText(kSem, "250 6 32 3"));
  Sets sets;
  int x = semget(IPC_PRIVATE, 4, 0600);
  ASSERT_THAT(x, SyscallSucceeds());
  sets.ids.push_back(x);
  EXPECT_THAT(semget(IPC_PRIVATE, 3, 0600), SyscallFailsWithErrno(ENOSPC))
      << "man 2 semget: ENOSPC when SEMMNS (6) would be exceeded (4 + 3 semaphores)";
  int y = semget(IPC_PRIVATE, 2, 0600);
  ASSERT_THAT(y, SyscallSucceeds()) << "4 + 2 semaphores is exactly SEMMNS 6";
  sets.ids.push_back(y);
  ASSERT_THAT(semctl(x, 0, IPC_RMID), SyscallSucceeds());
  sets.ids.erase(sets.ids.begin());
  for (int i = 0; i < 2; ++i) {
    int z = semget(IPC_PRIVATE, 1, 0600);
    ASSERT_THAT(z, SyscallSucceeds()) << "set " << i + 2 << " of SEMMNI 3";
    sets.ids.push_back(z);
  }
  EXPECT_THAT(semget(IPC_PRIVATE, 1, 0600), SyscallFailsWithErrno(ENOSPC))
      << "man 2 semget: ENOSPC when SEMMNI (3 sets) would be exceeded";
}

}  // namespace
}  // namespace ipcspec
