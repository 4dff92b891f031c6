// POSIX message queues as another user: the mode bits against the access
// mode of mq_open (man 3 mq_open, man 7 mq_overview), creation with the
// umask and the caller's effective IDs, mq_unlink by a non-owner. Each test
// runs in its own IPC namespace (its own mqueue filesystem).
#include <fcntl.h>
#include <mqueue.h>
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
    for (const auto& n : names) mq_unlink(n.c_str());
  }
};

int OpenErrno(const char* name, int oflag) {
  mqd_t q = mq_open(name, oflag);
  if (q == static_cast<mqd_t>(-1)) return errno;
  mq_close(q);
  return 0;
}

struct AccessRow {
  int oflag;
  int mode;
  int expect[4];  // owner, group, other, other+CAP_DAC_OVERRIDE
};
const std::vector<Who> kWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherDacOverride};
constexpr int E = EACCES;
const char* OflagName(int oflag) {
  return oflag == O_RDONLY ? "O_RDONLY" : oflag == O_WRONLY ? "O_WRONLY" : "O_RDWR";
}

// man 3 mq_open: "O_RDONLY Open the queue to receive messages only. O_WRONLY
// Open the queue to send messages only. O_RDWR Open the queue to both send
// and receive messages." ERRORS: "EACCES The queue exists, but the caller
// does not have permission to open it in the specified mode." man 7
// mq_overview: the queues are files of the mqueue filesystem, "ls(1) and
// rm(1) can be used to list and remove"; the file permission bits decide,
// CAP_DAC_OVERRIDE bypasses them (man 7 capabilities).
const AccessRow kAccess[] = {
    {O_RDONLY, 0400, {0, E, E, 0}}, {O_RDONLY, 0040, {E, 0, E, 0}},
    {O_RDONLY, 0004, {E, E, 0, 0}}, {O_RDONLY, 0200, {E, E, E, 0}},
    {O_WRONLY, 0200, {0, E, E, 0}}, {O_WRONLY, 0020, {E, 0, E, 0}},
    {O_WRONLY, 0002, {E, E, 0, 0}}, {O_WRONLY, 0444, {E, E, E, 0}},
    {O_RDWR, 0600, {0, E, E, 0}},   {O_RDWR, 0400, {E, E, E, 0}},
    {O_RDWR, 0066, {E, 0, 0, 0}},   {O_RDWR, 0000, {E, E, E, 0}},
};

TEST(PosixMqPerm, OpenByModeBitsAndCapDacOverride) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Names names;
  struct mq_attr attr = {};
  attr.mq_maxmsg = 1;
  attr.mq_msgsize = 8;
  for (size_t r = 0; r < n; ++r) {
    names.names.push_back("/ipcspec-perm-" + std::to_string(r));
    mqd_t q = mq_open(names.names[r].c_str(), O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    ASSERT_NE(q, static_cast<mqd_t>(-1)) << ErrnoName(errno);
    // Given away through the descriptor (a file of the mqueue filesystem).
    const int chown_err = Errno(fchown(q, u.owner, u.group));
    const int chmod_err = Errno(fchmod(q, kAccess[r].mode));
    mq_close(q);
    ASSERT_EQ(Cell(chown_err), Cell(0)) << "fchown of a queue descriptor by root";
    ASSERT_EQ(Cell(chmod_err), Cell(0)) << "fchmod of a queue descriptor by root";
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, n, [&](size_t r, Who) {
                         return OpenErrno(names.names[r].c_str(), kAccess[r].oflag);
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << "mq_open(" << OflagName(kAccess[r].oflag) << ") of a queue of mode 0" << std::oct
          << kAccess[r].mode << std::dec << " as " << WhoName(kWho[w])
          << "; man 3 mq_open: \"EACCES The queue exists, but the caller does not have "
             "permission to open it in the specified mode.\"";
    }
  }
}

// man 3 mq_open: "The owner (user ID) of the message queue is set to the
// effective user ID of the calling process. The group ownership (group ID)
// is set to the effective group ID of the calling process." "mode ...
// specifies the permissions to be placed on the new queue, as for open(2)",
// that is masked by the umask (man 2 open: "the mode of the created file is
// (mode & ~umask)"). man 3 mq_unlink: "EACCES The caller does not have
// permission to unlink this message queue." (Linux: the mqueue root is
// sticky, only the owner unlinks.)
TEST(PosixMqPerm, CreationUmaskOwnerAndUnlinkByAnotherUser) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  Names names{{"/ipcspec-made-by-other"}};
  const char* name = names.names[0].c_str();
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEachInOrder(u, {Who::kOther, Who::kOwner}, 1, [&](size_t, Who who) {
                         if (who == Who::kOwner) return Errno(mq_unlink(name));  // not its owner
                         umask(027);
                         struct mq_attr attr = {};
                         attr.mq_maxmsg = 1;
                         attr.mq_msgsize = 8;
                         mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0666, &attr);
                         if (q == static_cast<mqd_t>(-1)) return errno;
                         mq_close(q);
                         return 0;
                       }));
  ASSERT_EQ(Cell(made[0][0]), Cell(0)) << "mq_open(O_CREAT) as another user";
  EXPECT_EQ(Cell(made[1][0]), Cell(EACCES))
      << "man 3 mq_unlink: \"EACCES The caller does not have permission to unlink this message "
         "queue.\" (a user who is not the queue's owner)";
  mqd_t q = mq_open(name, O_RDONLY);
  ASSERT_NE(q, static_cast<mqd_t>(-1)) << ErrnoName(errno);
  struct stat st;
  ASSERT_THAT(fstat(q, &st), SyscallSucceeds());
  mq_close(q);
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "mode 0666 under umask 027 (man 3 mq_open: \"as for open(2)\")";
  EXPECT_EQ(st.st_uid, u.other) << "man 3 mq_open: owner \"set to the effective user ID\"";
  EXPECT_EQ(st.st_gid, u.other_group) << "man 3 mq_open: group \"set to the effective group ID\"";
}

}  // namespace
}  // namespace ipcspec
