// System V shared memory: ERRORS cases of shmget(2) and shmctl(2) that the
// table tests (sysv_shm_table_test.cc, sysv_shm_test.cc) leave out: IPC_EXCL
// without IPC_CREAT, shmget's check of the permission bits it is asked for
// (as another user), IPC_SET and IPC_RMID of an invalid identifier. Each test
// runs in its own IPC namespace (the ipcspec main).
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
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

}  // namespace
}  // namespace ipcspec
