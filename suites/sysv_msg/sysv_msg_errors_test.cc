// System V message queues: ERRORS cases of msgget(2) and msgctl(2) that the
// table test (sysv_msg_table_test.cc) leaves out: IPC_SET and IPC_RMID of an
// invalid or removed identifier, IPC_EXCL without IPC_CREAT, and msgget's
// check of the permission bits it is asked for, as another user, queues per
// IPC namespace. Each test runs in its own IPC namespace (the ipcspec main);
// one makes a new one.
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

// Queues removed at scope exit, even when an assertion fails.
struct Queues {
  std::vector<int> ids;
  ~Queues() {
    for (int id : ids) msgctl(id, IPC_RMID, nullptr);
  }
};

// man 2 msgctl, ERRORS: "EINVAL Invalid value for cmd or msqid." For every
// command that takes an identifier: IPC_SET and IPC_RMID as well as IPC_STAT
// (Linux: a removed queue's identifier is EINVAL too, not EIDRM).
TEST(SysvMsgErrors, IpcSetAndRmidOfAnInvalidIdAreEinval) {
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  int gone = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(msgctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  RunErrTable("man 2 msgctl",
              {
                  {"EINVAL Invalid value for ... msqid (IPC_SET, -1)", EINVAL,
                   [&] { return msgctl(-1, IPC_SET, &ds); }},
                  {"EINVAL Invalid value for ... msqid (IPC_SET, a removed queue)", EINVAL,
                   [&] { return msgctl(gone, IPC_SET, &ds); }},
                  {"EINVAL Invalid value for ... msqid (IPC_RMID, -1)", EINVAL,
                   [&] { return msgctl(-1, IPC_RMID, nullptr); }},
                  {"EINVAL Invalid value for ... msqid (IPC_SET, an identifier never given)",
                   EINVAL, [&] { return msgctl(id + 32768 * 7, IPC_SET, &ds); }},
              });
}

// man 2 msgget: "If msgflg specifies both IPC_CREAT and IPC_EXCL and a
// message queue already exists for key, then msgget() fails with errno set to
// EEXIST." "ENOENT No message queue exists for key and msgflg did not specify
// IPC_CREAT." IPC_EXCL alone creates nothing and is not an error on an
// existing key (Linux: it counts only together with IPC_CREAT).
TEST(SysvMsgErrors, IpcExclWithoutIpcCreatCreatesNothing) {
  const key_t key = 0x5a5e7;
  EXPECT_THAT(msgget(key, IPC_EXCL | 0600), SyscallFailsWithErrno(ENOENT))
      << "man 2 msgget: \"ENOENT No message queue exists for key and msgflg did not specify "
         "IPC_CREAT\" (IPC_EXCL alone)";
  int id = msgget(key, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  EXPECT_THAT(msgget(key, IPC_EXCL | 0600), SyscallSucceedsWithValue(id))
      << "man 2 msgget: EEXIST needs \"both IPC_CREAT and IPC_EXCL\": IPC_EXCL alone finds the "
         "queue";
}

const std::vector<Who> kWho = {Who::kOwner, Who::kOther, Who::kOtherIpcOwner};

// man 2 msgget: "EACCES A message queue exists for key, but the calling
// process does not have permission to access the queue, and does not have the
// CAP_IPC_OWNER capability"; the permission asked for is the low 9 bits of
// msgflg (Linux: each bit asked for must be granted by the mode; man 7
// sysvipc for the bits). A queue of mode 0400: asking for write (0200) or
// read and write (0600) is EACCES even for the owner.
TEST(SysvMsgErrors, MsggetChecksTheRequestedPermissionBits) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const key_t key = 0x5a5e8;
  int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.msg_perm.uid = u.owner;
  ds.msg_perm.gid = u.group;
  ds.msg_perm.mode = 0400;
  ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int asked[] = {0400, 0200, 0600};
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 3, [&](size_t row, Who) -> int {
                         int r = msgget(key, asked[row]);
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
          << "msgget(key, 0" << std::oct << asked[row] << std::dec
          << ") of a queue of mode 0400 as " << WhoName(kWho[w])
          << "; man 2 msgget: \"EACCES A message queue exists for key, but the calling process "
             "does not have permission to access the queue, and does not have the CAP_IPC_OWNER "
             "capability\"";
    }
  }
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
TEST(SysvMsgErrors, QueuesBelongToTheIpcNamespace) {
  IPCSPEC_NEEDS(Need::NewIpcNamespace());
  const key_t key = 0x5a5e9;
  int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([key] {
                         if (unshare(CLONE_NEWIPC) != 0) return 201;
                         if (msgget(key, 0600) >= 0 || errno != ENOENT) return 10;
                         int q = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
                         if (q < 0) return 11;
                         struct {
                           long mtype;
                           char mtext[1];
                         } m = {1, {'x'}};
                         if (msgsnd(q, &m, 1, IPC_NOWAIT) != 0) return 12;
                         return 0;
                       }));
  EXPECT_TRUE(st.ExitedWith(0))
      << "man 7 ipc_namespaces: in a new IPC namespace the key is \"not visible\" (10: it was "
         "found; 11: IPC_CREAT | IPC_EXCL failed; 12: using it failed); the child "
      << st;
  EXPECT_THAT(msgget(key, 0600), SyscallSucceedsWithValue(id))
      << "man 7 ipc_namespaces: this namespace's queue is untouched by the other's";
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.msg_qnum, 0u) << "man 7 ipc_namespaces: the message sent to the other namespace's "
                                "queue of the same key is not in this one";
}

}  // namespace
}  // namespace ipcspec
