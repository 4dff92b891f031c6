// POSIX named semaphores as another user: the mode bits against sem_open
// (man 3 sem_open, man 7 sem_overview), creation with the umask and the
// caller's effective IDs, sem_unlink by a non-owner. Each test runs in its
// own IPC namespace with a fresh tmpfs on /dev/shm (the ipcspec main).
#include <fcntl.h>
#include <semaphore.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

struct Names {
  std::vector<std::string> names;
  ~Names() {
    for (const auto& n : names) sem_unlink(n.c_str());
  }
};

// Where Linux's glibc keeps a named semaphore (man 7 sem_overview: "named
// semaphores are created in a virtual filesystem, normally mounted under
// /dev/shm, with names of the form sem.somename").
std::string SemFile(const std::string& name) { return "/dev/shm/sem." + name.substr(1); }

struct AccessRow {
  int mode;
  int expect[4];  // owner, group, other, other+CAP_DAC_OVERRIDE
};
const std::vector<Who> kWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherDacOverride};
constexpr int E = EACCES;

// man 3 sem_open: "EACCES The semaphore exists, but the caller does not have
// permission to open it." A semaphore is used for both waiting and posting:
// Linux (glibc) opens the file read-write, so both bits are needed.
const AccessRow kAccess[] = {
    {0600, {0, E, E, 0}}, {0400, {E, E, E, 0}}, {0200, {E, E, E, 0}}, {0060, {E, 0, E, 0}},
    {0006, {E, E, 0, 0}}, {0066, {E, 0, 0, 0}}, {0000, {E, E, E, 0}},
};

TEST(PosixSemPerm, OpenByModeBitsAndCapDacOverride) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Names names;
  for (size_t r = 0; r < n; ++r) {
    names.names.push_back("/ipcspec-perm-" + std::to_string(r));
    sem_t* s = sem_open(names.names[r].c_str(), O_CREAT | O_EXCL, 0600, 1);
    ASSERT_NE(s, SEM_FAILED) << ErrnoName(errno);
    sem_close(s);
    const std::string file = SemFile(names.names[r]);
    ASSERT_THAT(chown(file.c_str(), u.owner, u.group), SyscallSucceeds()) << file;
    ASSERT_THAT(chmod(file.c_str(), kAccess[r].mode), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, n, [&](size_t r, Who) {
                         sem_t* s = sem_open(names.names[r].c_str(), 0);
                         if (s == SEM_FAILED) return errno;
                         int e = sem_trywait(s) == 0 ? 0 : 100 + errno;
                         if (e == 0) sem_post(s);
                         sem_close(s);
                         return e;
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << "sem_open of a semaphore of mode 0" << std::oct << kAccess[r].mode << std::dec
          << " as " << WhoName(kWho[w])
          << "; man 3 sem_open: \"EACCES The semaphore exists, but the caller does not have "
             "permission to open it.\"";
    }
  }
}

// man 3 sem_open: "The semaphore is created with mode ... permissions ... as
// for open(2). ... the permissions settings are masked against the process
// umask." "Both the owner and the group are set from the effective IDs of
// the calling process" (as for open(2)); "If O_CREAT is specified, and a
// semaphore with the given name already exists, then mode and value are
// ignored." man 3 sem_unlink: "EACCES The caller does not have permission
// to unlink this semaphore." (Linux: the sticky /dev/shm lets only the owner
// unlink.)
TEST(PosixSemPerm, CreationUmaskOwnerAndUnlinkByAnotherUser) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  Names names{{"/ipcspec-sem-by-other"}};
  const char* name = names.names[0].c_str();
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEachInOrder(u, {Who::kOther, Who::kOwner}, 1, [&](size_t, Who who) {
                         if (who == Who::kOwner) return Errno(sem_unlink(name));
                         umask(027);
                         sem_t* s = sem_open(name, O_CREAT | O_EXCL, 0666, 2);
                         if (s == SEM_FAILED) return errno;
                         sem_close(s);
                         return 0;
                       }));
  ASSERT_EQ(Cell(made[0][0]), Cell(0)) << "sem_open(O_CREAT) as another user";
  EXPECT_EQ(Cell(made[1][0]), Cell(EACCES))
      << "man 3 sem_unlink: \"EACCES The caller does not have permission to unlink this "
         "semaphore.\" (a user who is not its owner)";
  struct stat st;
  ASSERT_THAT(stat(SemFile(name).c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "man 3 sem_open: \"masked against the process umask\" (0666, umask 027)";
  EXPECT_EQ(st.st_uid, u.other) << "the owner is the creator's effective user ID";
  EXPECT_EQ(st.st_gid, u.other_group) << "the group is the creator's effective group ID";
  sem_t* s = sem_open(name, O_CREAT, 0600, 9);
  ASSERT_NE(s, SEM_FAILED) << ErrnoName(errno);
  int v = -1;
  ASSERT_THAT(sem_getvalue(s, &v), SyscallSucceeds());
  sem_close(s);
  EXPECT_EQ(v, 2) << "man 3 sem_open: \"If O_CREAT is specified, and a semaphore with the given "
                     "name already exists, then mode and value are ignored.\"";
  ASSERT_THAT(stat(SemFile(name).c_str(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "the mode of the existing semaphore is kept";
}

}  // namespace
}  // namespace ipcspec
