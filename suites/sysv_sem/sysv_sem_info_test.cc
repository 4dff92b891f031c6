// System V semaphores: the *_INFO and *_STAT commands of semctl(2) that the
// table test (sysv_sem_table_test.cc) leaves out: the seminfo fields that
// IPC_INFO fills with constants, SEM_STAT's read-permission check and
// SEM_STAT_ANY's lack of it, as another user. Each test runs in its own IPC
// namespace (the ipcspec main).
#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

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

union semun {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* __buf;
};

// Sets removed at scope exit, even when an assertion fails.
struct Sets {
  std::vector<int> ids;
  ~Sets() {
    for (int id : ids) semctl(id, 0, IPC_RMID);
  }
};

int IndexOf(int id) {
  struct seminfo info = {};
  semun a;
  a.__buf = &info;
  int hi = semctl(0, 0, SEM_INFO, a);
  for (int idx = 0; idx <= hi; ++idx) {
    struct semid_ds ds;
    semun b;
    b.buf = &ds;
    if (semctl(idx, 0, SEM_STAT, b) == id) return idx;
  }
  return -1;
}

// man 2 semctl, IPC_INFO: "semmap Number of entries in semaphore map; unused
// within kernel", "semmnu System-wide maximum number of undo structures;
// unused within kernel", "semume Maximum number of undo entries per process;
// unused within kernel", "semusz Size of struct sem_undo", "semvmx Maximum
// semaphore value", "semaem Max. value that can be recorded for semaphore
// adjustment (SEM_UNDO)". Linux fills them with the constants of
// <linux/sem.h>: SEMMAP = SEMMNU = SEMMNS = 32000 * 32000, SEMUME = SEMOPM =
// 500, SEMUSZ = 20, SEMVMX = SEMAEM = 32767 (not the namespace's
// /proc/sys/kernel/sem, which gives semmsl, semmns, semopm and semmni: the
// table test). SEM_INFO: "the semusz field returns the number of semaphore
// sets that currently exist on the system; and the semaem field returns the
// total number of semaphores" and the rest as IPC_INFO.
TEST(SysvSemInfo, IpcInfoConstantFieldsHoldTheLinuxValues) {
  struct seminfo info = {};
  semun a;
  a.__buf = &info;
  ASSERT_THAT(semctl(0, 0, IPC_INFO, a), SyscallSucceeds());
  EXPECT_EQ(info.semmap, 32000 * 32000) << "man 2 semctl: IPC_INFO \"semmap ... unused within kernel\" (Linux: SEMMAP)";
  EXPECT_EQ(info.semmnu, 32000 * 32000) << "man 2 semctl: IPC_INFO \"semmnu ... unused within kernel\" (Linux: SEMMNU)";
  EXPECT_EQ(info.semume, 500) << "man 2 semctl: IPC_INFO \"semume ... unused within kernel\" (Linux: SEMUME)";
  EXPECT_EQ(info.semusz, 20) << "man 2 semctl: IPC_INFO \"semusz Size of struct sem_undo\" (Linux: SEMUSZ 20)";
  EXPECT_EQ(info.semvmx, 32767) << "man 2 semctl: IPC_INFO \"semvmx Maximum semaphore value\"";
  EXPECT_EQ(info.semaem, 32767) << "man 2 semctl: IPC_INFO \"semaem Max. value that can be recorded for semaphore adjustment\" (Linux: SEMAEM = SEMVMX)";
  int id = semget(IPC_PRIVATE, 3, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct seminfo used = {};
  a.__buf = &used;
  ASSERT_THAT(semctl(0, 0, SEM_INFO, a), SyscallSucceeds());
  EXPECT_EQ(used.semmap, info.semmap) << "man 2 semctl: SEM_INFO \"the same information as for IPC_INFO\" (semmap)";
  EXPECT_EQ(used.semmnu, info.semmnu) << "man 2 semctl: SEM_INFO \"the same information as for IPC_INFO\" (semmnu)";
  EXPECT_EQ(used.semume, info.semume) << "man 2 semctl: SEM_INFO \"the same information as for IPC_INFO\" (semume)";
  EXPECT_EQ(used.semvmx, info.semvmx) << "man 2 semctl: SEM_INFO \"the same information as for IPC_INFO\" (semvmx)";
  EXPECT_EQ(used.semmni, info.semmni) << "man 2 semctl: SEM_INFO \"the same information as for IPC_INFO\" (semmni)";
  EXPECT_EQ(used.semusz, 1) << "man 2 semctl: SEM_INFO \"the semusz field returns the number of semaphore sets\"";
  EXPECT_EQ(used.semaem, 3) << "man 2 semctl: SEM_INFO \"the semaem field returns the total number of semaphores\"";
}

const std::vector<Who> kWho = {Who::kOwner, Who::kOther, Who::kOtherIpcOwner};

// man 2 semctl, ERRORS: "EACCES The argument cmd has one of the values
// GETALL, GETPID, GETVAL, GETNCNT, GETZCNT, IPC_STAT, SEM_STAT, SEM_STAT_ANY,
// SETALL, or SETVAL and the calling process does not have the required
// permissions on the semaphore set and does not have the CAP_IPC_OWNER
// capability". GETPID, GETNCNT and GETZCNT need read permission too
// (SEM_STAT_ANY: see below, Linux differs from this sentence).
TEST(SysvSemInfo, SemStatAndCountsNeedReadPermission) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  int id = semget(IPC_PRIVATE, 1, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct semid_ds ds;
  semun a;
  a.buf = &ds;
  ASSERT_THAT(semctl(id, 0, IPC_STAT, a), SyscallSucceeds());
  ds.sem_perm.uid = u.owner;
  ds.sem_perm.gid = u.group;
  ds.sem_perm.mode = 0400;
  ASSERT_THAT(semctl(id, 0, IPC_SET, a), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  const int cmds[] = {SEM_STAT, GETPID, GETNCNT, GETZCNT};
  const char* names[] = {"SEM_STAT", "GETPID", "GETNCNT", "GETZCNT"};
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 4, [&](size_t row, Who) -> int {
                         struct semid_ds d;
                         semun b;
                         b.buf = &d;
                         if (cmds[row] == SEM_STAT) {
                           int r = semctl(idx, 0, SEM_STAT, b);
                           if (r < 0) return errno;
                           return r == id ? 0 : 255;
                         }
                         int r = semctl(id, 0, cmds[row]);
                         if (r < 0) return errno;
                         return r == 0 ? 0 : 255;  // nobody has operated or waits
                       }));
  const int want[] = {0, EACCES, 0};
  for (size_t row = 0; row < 4; ++row) {
    for (size_t w = 0; w < kWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][row]), Cell(want[w]))
          << names[row] << " of a set of mode 0400 as " << WhoName(kWho[w])
          << "; man 2 semctl: \"EACCES The argument cmd has one of the values ... GETNCNT, "
             "GETZCNT, GETPID ... SEM_STAT ... and the calling process does not have the "
             "required permissions ... and does not have the CAP_IPC_OWNER capability\"";
    }
  }
}

// man 2 semctl: "SEM_STAT_ANY (Linux-specific, since Linux 4.17) Return a
// semid_ds structure as for SEM_STAT. However, sem_perm.mode is not checked
// for read access for semid meaning that any user can employ this operation
// (just as any user may read /proc/sysvipc/sem to obtain the same
// information)." (The ERRORS entry that lists SEM_STAT_ANY under EACCES does
// not hold on Linux: this test follows the command's description.)
TEST(SysvSemInfo, SemStatAnyIgnoresReadPermission) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid(), Need::KernelAtLeast(4, 17));
  const SysvUsers u = PickSysvUsers();
  int id = semget(IPC_PRIVATE, 2, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Sets sets{{id}};
  struct semid_ds ds;
  semun a;
  a.buf = &ds;
  ASSERT_THAT(semctl(id, 0, IPC_STAT, a), SyscallSucceeds());
  ds.sem_perm.mode = 0000;
  ASSERT_THAT(semctl(id, 0, IPC_SET, a), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, {Who::kOther}, 1, [&](size_t, Who) -> int {
                         struct semid_ds d = {};
                         semun b;
                         b.buf = &d;
                         int r = semctl(idx, 0, SEM_STAT_ANY, b);
                         if (r < 0) return errno;
                         return r == id && d.sem_nsems == 2 ? 0 : 255;
                       }));
  EXPECT_EQ(Cell(got[0][0]), Cell(0))
      << "SEM_STAT_ANY of a set of mode 0000 as another user without capabilities; man 2 "
         "semctl: SEM_STAT_ANY: \"sem_perm.mode is not checked for read access for semid meaning "
         "that any user can employ this operation\" (255: wrong id or structure)";
}

}  // namespace
}  // namespace ipcspec
