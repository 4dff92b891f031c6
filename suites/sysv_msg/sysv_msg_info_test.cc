// System V message queues: the *_INFO and *_STAT commands of msgctl(2) that
// the table test (sysv_msg_table_test.cc) leaves out: the msginfo fields that
// the page marks "unused within kernel" (Linux fills them with constants),
// MSG_STAT's read-permission check and MSG_STAT_ANY's lack of it, as another
// user; and two msgrcv details: MSG_COPY's read-permission check, and a
// msgsz above MSGMAX. Each test runs in its own IPC namespace (the ipcspec
// main).
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#include <optional>
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

// Queues removed at scope exit, even when an assertion fails.
struct Queues {
  std::vector<int> ids;
  ~Queues() {
    for (int id : ids) msgctl(id, IPC_RMID, nullptr);
  }
};

struct msqid_ds* AsDs(struct msginfo* info) { return reinterpret_cast<struct msqid_ds*>(info); }

// The index of queue `id` in the kernel's array (MSG_STAT_ANY over 0..hi,
// as root); -1 when not found.
int IndexOf(int id) {
  struct msginfo info = {};
  int hi = msgctl(0, MSG_INFO, AsDs(&info));
  for (int idx = 0; idx <= hi; ++idx) {
    struct msqid_ds ds;
    if (msgctl(idx, MSG_STAT, &ds) == id) return idx;
  }
  return -1;
}

// man 2 msgctl, IPC_INFO: "msgpool Size in kibibytes of buffer pool used to
// hold message data; unused within kernel", "msgmap Maximum number of
// entries in message map; unused within kernel", "msgssz Message segment
// size; unused within kernel", "msgtql Maximum number of messages on all
// queues in system; unused within kernel", "msgseg Maximum number of
// segments; unused within kernel". Linux fills them with the constants of
// <linux/msg.h> (MSGPOOL = MSGMNI * MSGMNB / 1024 = 32000 * 16384 / 1024,
// MSGMAP = MSGTQL = MSGMNB = 16384, MSGSSZ = 16, MSGSEG capped at 0xffff),
// whatever the namespace's limits; MSG_INFO "returns a msginfo structure
// containing the same information as for IPC_INFO, except that" msgpool,
// msgmap and msgtql count what exists (that part: the table test).
TEST(SysvMsgInfo, IpcInfoUnusedFieldsHoldTheLinuxConstants) {
  struct msginfo info = {};
  ASSERT_THAT(msgctl(0, IPC_INFO, AsDs(&info)), SyscallSucceeds());
  EXPECT_EQ(info.msgpool, 32000 * 16384 / 1024)
      << "man 2 msgctl: IPC_INFO \"msgpool ... unused within kernel\" (Linux: MSGPOOL)";
  EXPECT_EQ(info.msgmap, 16384) << "man 2 msgctl: IPC_INFO \"msgmap ... unused within kernel\" (Linux: MSGMAP)";
  EXPECT_EQ(info.msgssz, 16) << "man 2 msgctl: IPC_INFO \"msgssz Message segment size; unused within kernel\" (Linux: MSGSSZ)";
  EXPECT_EQ(info.msgtql, 16384) << "man 2 msgctl: IPC_INFO \"msgtql ... unused within kernel\" (Linux: MSGTQL)";
  EXPECT_EQ(info.msgseg, 0xffff) << "man 2 msgctl: IPC_INFO \"msgseg Maximum number of segments; unused within kernel\" (Linux: MSGSEG)";
  struct msginfo used = {};
  ASSERT_THAT(msgctl(0, MSG_INFO, AsDs(&used)), SyscallSucceeds());
  EXPECT_EQ(used.msgssz, info.msgssz)
      << "man 2 msgctl: MSG_INFO \"the same information as for IPC_INFO\" (msgssz)";
  EXPECT_EQ(used.msgseg, info.msgseg) << "man 2 msgctl: MSG_INFO \"the same information as for IPC_INFO\" (msgseg)";
  EXPECT_EQ(used.msgmax, info.msgmax) << "man 2 msgctl: MSG_INFO \"the same information as for IPC_INFO\" (msgmax)";
  EXPECT_EQ(used.msgmnb, info.msgmnb) << "man 2 msgctl: MSG_INFO \"the same information as for IPC_INFO\" (msgmnb)";
  EXPECT_EQ(used.msgmni, info.msgmni) << "man 2 msgctl: MSG_INFO \"the same information as for IPC_INFO\" (msgmni)";
}

const std::vector<Who> kWho = {Who::kOwner, Who::kOther, Who::kOtherIpcOwner};

// man 2 msgctl, ERRORS: "EACCES The argument cmd is equal to IPC_STAT or
// MSG_STAT, but the calling process does not have read permission on the
// message queue msqid, and does not have the CAP_IPC_OWNER capability in the
// user namespace that governs its IPC namespace."
TEST(SysvMsgInfo, MsgStatNeedsReadPermission) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.msg_perm.uid = u.owner;
  ds.msg_perm.gid = u.group;
  ds.msg_perm.mode = 0400;
  ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 1, [&](size_t, Who) -> int {
                         struct msqid_ds d;
                         int r = msgctl(idx, MSG_STAT, &d);
                         if (r < 0) return errno;
                         return r == id ? 0 : 255;
                       }));
  const int want[] = {0, EACCES, 0};
  for (size_t w = 0; w < kWho.size(); ++w) {
    EXPECT_EQ(Cell(got[w][0]), Cell(want[w]))
        << "MSG_STAT of a queue of mode 0400 as " << WhoName(kWho[w])
        << "; man 2 msgctl: \"EACCES The argument cmd is equal to IPC_STAT or MSG_STAT, but the "
           "calling process does not have read permission ... and does not have the "
           "CAP_IPC_OWNER capability\"";
  }
}

// man 2 msgctl: "MSG_STAT_ANY (Linux-specific, since Linux 4.17) Return a
// msqid_ds structure as for MSG_STAT. However, msg_perm.mode is not checked
// for read access for msqid meaning that any user can employ this operation
// (just as any user may read /proc/sysvipc/msg to obtain the same
// information)."
TEST(SysvMsgInfo, MsgStatAnyIgnoresReadPermission) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid(), Need::KernelAtLeast(4, 17));
  const SysvUsers u = PickSysvUsers();
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.msg_perm.mode = 0000;
  ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  const int idx = IndexOf(id);
  ASSERT_GE(idx, 0);
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, {Who::kOther}, 1, [&](size_t, Who) -> int {
                         struct msqid_ds d = {};
                         int r = msgctl(idx, MSG_STAT_ANY, &d);
                         if (r < 0) return errno;
                         return r == id && d.msg_perm.mode == 0 ? 0 : 255;
                       }));
  EXPECT_EQ(Cell(got[0][0]), Cell(0))
      << "MSG_STAT_ANY of a queue of mode 0000 as another user without capabilities; man 2 "
         "msgctl: MSG_STAT_ANY: \"msg_perm.mode is not checked for read access for msqid meaning "
         "that any user can employ this operation\" (255: wrong id or structure)";
}

struct Msg16 {
  long mtype;
  char mtext[16];
};

// `feature:msg-copy`: msgrcv(MSG_COPY | IPC_NOWAIT) copies a message (man 2
// msgop: "available only if the kernel was built with the
// CONFIG_CHECKPOINT_RESTORE option"; otherwise ENOSYS).
Need MsgCopy() {
  return Need::Feature("msg-copy", []() -> std::optional<std::string> {
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) return std::nullopt;  // the test fails on it
    Msg16 m = {1, {'x'}};
    std::optional<std::string> unmet;
    if (msgsnd(id, &m, 1, IPC_NOWAIT) == 0 &&
        msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT | MSG_COPY) < 0 && errno == ENOSYS) {
      unmet = "msgrcv(MSG_COPY | IPC_NOWAIT): ENOSYS";
    }
    msgctl(id, IPC_RMID, nullptr);
    return unmet;
  });
}

// man 2 msgop: "The calling process must have ... read permission to receive
// a message"; ERRORS: "EACCES The calling process does not have read
// permission on the message queue, and does not have the CAP_IPC_OWNER
// capability in the user namespace that governs its IPC namespace." A copy
// (MSG_COPY) is a receive for this check (Linux), and a refused copy leaves
// the message queued.
TEST(SysvMsgInfo, MsgCopyNeedsReadPermission) {
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondUid(), MsgCopy());
  const SysvUsers u = PickSysvUsers();
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  Msg16 m = {5, {'c', 'o', 'p', 'y'}};
  ASSERT_THAT(msgsnd(id, &m, 4, IPC_NOWAIT), SyscallSucceeds());
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  ds.msg_perm.uid = u.owner;
  ds.msg_perm.gid = u.group;
  ds.msg_perm.mode = 0400;
  ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, 1, [&](size_t, Who) -> int {
                         Msg16 r = {};
                         long n = msgrcv(id, &r, sizeof r.mtext, 0, IPC_NOWAIT | MSG_COPY);
                         if (n < 0) return errno;
                         return n == 4 && r.mtype == 5 ? 0 : 255;
                       }));
  const int want[] = {0, EACCES, 0};
  for (size_t w = 0; w < kWho.size(); ++w) {
    EXPECT_EQ(Cell(got[w][0]), Cell(want[w]))
        << "msgrcv(MSG_COPY) from a queue of mode 0400 as " << WhoName(kWho[w])
        << "; man 2 msgop: \"EACCES The calling process does not have read permission on the "
           "message queue, and does not have the CAP_IPC_OWNER capability\"";
  }
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.msg_qnum, 1u) << "man 2 msgop: MSG_COPY is \"Nondestructively\": still queued";
}

// man 2 msgop: msgsnd: "EINVAL ... invalid msgsz value (less than 0 or
// greater than the system value MSGMAX)"; msgrcv's EINVAL is only "msqid was
// invalid, or msgsz was less than 0": a receive buffer larger than MSGMAX is
// valid, and msgrcv returns "the number of bytes actually copied into the
// mtext array".
TEST(SysvMsgInfo, ReceiveBufferAboveMsgmaxIsValid) {
  ASSERT_OK_AND_ASSIGN(long msgmax, ReadProcLong("/proc/sys/kernel/msgmax"));
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  Msg16 m = {3, {'t', 'e', 'n', ' ', 'b', 'y', 't', 'e', 's', '!'}};
  ASSERT_THAT(msgsnd(id, &m, 10, IPC_NOWAIT), SyscallSucceeds());
  std::vector<char> big(sizeof(long) + static_cast<size_t>(msgmax) + 1);
  EXPECT_THAT(msgrcv(id, big.data(), static_cast<size_t>(msgmax) + 1, 0, IPC_NOWAIT),
              SyscallSucceedsWithValue(10))
      << "man 2 msgop: msgrcv with msgsz MSGMAX + 1 (" << msgmax + 1
      << "): only msgsnd's EINVAL names MSGMAX; msgrcv returns \"the number of bytes actually "
         "copied\"";
}

}  // namespace
}  // namespace ipcspec
