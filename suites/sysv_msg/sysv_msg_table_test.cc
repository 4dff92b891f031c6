// System V message queues, table by table: permissions as another user
// (man 7 sysvipc, man 2 msgget/msgop/msgctl), the ERRORS of each page, the
// IPC_STAT fields after each operation, the *_INFO / *_STAT commands against
// /proc/sysvipc/msg and the namespace's limits, and ENOSPC at msgmni. Each
// test runs in its own IPC namespace (the ipcspec main).
#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/shm.h>
#include <sys/sem.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

struct Msg8 {
  long mtype;
  char mtext[8];
};


int SendErrno(int id, long type = 1) {
  Msg8 m = {type, {'a', 'b', 'c'}};
  return Errno(msgsnd(id, &m, 3, IPC_NOWAIT));
}
int RecvErrno(int id) {
  Msg8 m;
  return Errno(msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT));
}
int StatErrno(int id) {
  struct msqid_ds ds;
  return Errno(msgctl(id, IPC_STAT, &ds));
}

// Queues removed at scope exit.
struct Queues {
  std::vector<int> ids;
  ~Queues() {
    for (int id : ids) msgctl(id, IPC_RMID, nullptr);
  }
};


// ---------------------------------------------------------------- access

enum AccessOp { kSend, kRecv, kStat, kGetRead, kGetNothing };
const char* AccessOpName(int op) {
  switch (op) {
    case kSend: return "msgsnd";
    case kRecv: return "msgrcv";
    case kStat: return "msgctl(IPC_STAT)";
    case kGetRead: return "msgget(key, 0400)";
    case kGetNothing: return "msgget(key, 0)";
  }
  return "?";
}

// One row: an operation on a queue of `mode` (owner uid/gid given away by
// IPC_SET), and its result for each column of kAccessWho.
struct AccessRow {
  int op;
  int mode;
  int expect[4];
};
const std::vector<Who> kAccessWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherIpcOwner};
constexpr int E = EACCES;

// man 7 sysvipc: "the permissions ... are as follows: 0400 Read by user,
// 0200 Write by user, 0040 Read by group, 0020 Write by group, 0004 Read by
// others, 0002 Write by others"; man 2 msgop: "The calling process must have
// write permission on the message queue in order to send a message, and read
// permission to receive a message." "EACCES The calling process does not have
// [write|read] permission on the message queue, and does not have the
// CAP_IPC_OWNER capability in the user namespace that governs its IPC
// namespace." man 2 msgctl: IPC_STAT: "The caller must have read permission
// on the message queue." man 2 msgget: "EACCES A message queue exists for key,
// but the calling process does not have permission to access the queue". The
// owner is judged by the owner bits only (never the group's or others').
const AccessRow kAccess[] = {
    // op        mode    owner group other +IPC_OWNER
    {kSend, 0200, {0, E, E, 0}},       {kSend, 0020, {E, 0, E, 0}},
    {kSend, 0002, {E, E, 0, 0}},       {kSend, 0444, {E, E, E, 0}},
    {kSend, 0022, {E, 0, 0, 0}},       {kRecv, 0400, {0, E, E, 0}},
    {kRecv, 0040, {E, 0, E, 0}},       {kRecv, 0004, {E, E, 0, 0}},
    {kRecv, 0222, {E, E, E, 0}},       {kStat, 0400, {0, E, E, 0}},
    {kStat, 0044, {E, 0, 0, 0}},       {kStat, 0004, {E, E, 0, 0}},
    {kStat, 0200, {E, E, E, 0}},       {kStat, 0000, {E, E, E, 0}},
    {kGetRead, 0400, {0, E, E, 0}},    {kGetRead, 0040, {E, 0, E, 0}},
    {kGetRead, 0004, {E, E, 0, 0}},    {kGetRead, 0200, {E, E, E, 0}},
    // Linux: msgget() checks only the permission bits asked for in msgflg;
    // asking for none is granted whatever the mode.
    {kGetNothing, 0000, {0, 0, 0, 0}},
};

TEST(SysvMsgTable, AccessByModeBitsAndCapIpcOwner) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Queues qs;
  std::vector<key_t> keys;
  for (size_t r = 0; r < n; ++r) {
    key_t key = 0x5a500 + static_cast<key_t>(r);
    int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
    ASSERT_THAT(id, SyscallSucceeds());
    qs.ids.push_back(id);
    keys.push_back(key);
    // One message for each column that may receive one.
    for (int i = 0; i < 4; ++i) ASSERT_EQ(SendErrno(id), 0);
    struct msqid_ds ds;
    ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
    ds.msg_perm.uid = u.owner;
    ds.msg_perm.gid = u.group;
    ds.msg_perm.mode = kAccess[r].mode;
    ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kAccessWho, n, [&](size_t r, Who) -> int {
                         const int id = qs.ids[r];
                         switch (kAccess[r].op) {
                           case kSend: return SendErrno(id);
                           case kRecv: return RecvErrno(id);
                           case kStat: return StatErrno(id);
                           case kGetRead: {
                             int got = msgget(keys[r], 0400);
                             return got < 0 ? errno : (got == id ? 0 : 255);
                           }
                           case kGetNothing: return Errno(msgget(keys[r], 0));
                         }
                         return 254;
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kAccessWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << AccessOpName(kAccess[r].op) << " on a queue of mode 0" << std::oct << kAccess[r].mode
          << std::dec << " as " << WhoName(kAccessWho[w])
          << "; man 7 sysvipc (permission bits), man 2 msgop / msgctl / msgget (EACCES unless "
             "CAP_IPC_OWNER)";
    }
  }
}

// ------------------------------------------------------------- ownership

enum OwnerOp { kSet, kRmid };
const std::vector<Who> kOwnerWho = {Who::kOwner, Who::kCreator, Who::kOther, Who::kOtherIpcOwner,
                                    Who::kOtherSysAdmin};
constexpr int P = EPERM;
// man 2 msgctl: IPC_SET: "The effective UID of the calling process must match
// the owner (msg_perm.uid) or creator (msg_perm.cuid) of the message queue,
// or the caller must be privileged." IPC_RMID: likewise. ERRORS: "EPERM The
// argument cmd has the value IPC_SET or IPC_RMID, but the effective user ID
// of the calling process is not the creator (as found in msg_perm.cuid) or
// the owner (as found in msg_perm.uid) of the message queue, and the caller
// is not privileged (Linux: does not have the CAP_SYS_ADMIN capability)."
// CAP_IPC_OWNER bypasses the mode bits, not ownership.
const int kOwnerExpect[2][5] = {
    /* IPC_SET  */ {0, 0, P, P, 0},
    /* IPC_RMID */ {0, 0, P, P, 0},
};

TEST(SysvMsgTable, IpcSetAndRmidNeedOwnerCreatorOrCapSysAdmin) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = 2 * kOwnerWho.size();  // one queue per (op, who)
  // The creator child makes the queues (msg_perm.cuid = creator), the test
  // then gives them to `owner` with mode 0666.
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEach(u, {Who::kCreator}, n, [](size_t, Who) {
                         int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
                         return id < 0 ? -errno : id;
                       }));
  Queues qs;
  for (size_t i = 0; i < n; ++i) {
    ASSERT_GE(made[0][i], 0) << "msgget as the creator: " << ErrnoName(-made[0][i]);
    qs.ids.push_back(made[0][i]);
  }
  struct msqid_ds set_to;
  for (size_t i = 0; i < n; ++i) {
    struct msqid_ds ds;
    ASSERT_THAT(msgctl(qs.ids[i], IPC_STAT, &ds), SyscallSucceeds());
    ASSERT_EQ(ds.msg_perm.cuid, u.creator);
    ds.msg_perm.uid = u.owner;
    ds.msg_perm.gid = u.group;
    ds.msg_perm.mode = 0666;
    ASSERT_THAT(msgctl(qs.ids[i], IPC_SET, &ds), SyscallSucceeds());
    set_to = ds;
  }
  set_to.msg_perm.mode = 0644;
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kOwnerWho, 2, [&](size_t op, Who who) -> int {
                         size_t w = 0;
                         while (kOwnerWho[w] != who) ++w;
                         const int id = qs.ids[op * kOwnerWho.size() + w];
                         struct msqid_ds ds = set_to;
                         return Errno(msgctl(id, op == kSet ? IPC_SET : IPC_RMID,
                                             op == kSet ? &ds : nullptr));
                       }));
  for (size_t op = 0; op < 2; ++op) {
    for (size_t w = 0; w < kOwnerWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][op]), Cell(kOwnerExpect[op][w]))
          << (op == kSet ? "IPC_SET" : "IPC_RMID") << " as " << WhoName(kOwnerWho[w])
          << "; man 2 msgctl: \"EPERM ... not the creator ... or the owner ... and the caller "
             "is not privileged (Linux: does not have the CAP_SYS_ADMIN capability)\"";
      // The effect is there exactly when the call succeeded.
      struct msqid_ds ds;
      int st = msgctl(qs.ids[op * kOwnerWho.size() + w], IPC_STAT, &ds);
      if (op == kRmid) {
        EXPECT_EQ(st != 0, got[w][op] == 0) << "IPC_RMID as " << WhoName(kOwnerWho[w])
                                            << ": the queue is gone exactly when it succeeded";
      } else if (st == 0) {
        EXPECT_EQ(ds.msg_perm.mode & 0777, got[w][op] == 0 ? 0644u : 0666u)
            << "IPC_SET as " << WhoName(kOwnerWho[w]) << " and the mode it left";
      }
    }
  }
}

// man 2 msgctl: IPC_SET: "Write the values of some members of the msqid_ds
// structure pointed to by buf to the kernel data structure associated with
// this message queue, updating also its msg_ctime member. The following
// members of the structure are updated: msg_qbytes, msg_perm.uid,
// msg_perm.gid, and (the least significant 9 bits of) msg_perm.mode." The
// creator's ids and the key stay.
TEST(SysvMsgTable, IpcSetChangesOwnerModeAndCtimeOnly) {
  // uid 4242 and gid 4343 must be mapped in the user namespace: a container's
  // one-id namespace refuses them (EINVAL).
  IPCSPEC_NEEDS(Need::RootUid(), Need::SecondMappedIds());
  const key_t key = 0x5a5e7;
  int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  struct msqid_ds before, ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &before), SyscallSucceeds());
  // msg_ctime has a resolution of seconds and the test does not wait for the
  // next one: the check is that msg_ctime is the time of the IPC_SET.
  ds = before;
  ds.msg_perm.uid = 4242;
  ds.msg_perm.gid = 4343;
  ds.msg_perm.mode = 01755;  // only the low 9 bits are taken
  ds.msg_qbytes = before.msg_qbytes - 1;
  ds.msg_perm.cuid = 99;  // not settable
  const time_t t1 = time(nullptr);
  ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
  const time_t t2 = time(nullptr);
  struct msqid_ds after;
  ASSERT_THAT(msgctl(id, IPC_STAT, &after), SyscallSucceeds());
  EXPECT_EQ(after.msg_perm.uid, 4242u) << "man 2 msgctl: IPC_SET updates msg_perm.uid";
  EXPECT_EQ(after.msg_perm.gid, 4343u) << "man 2 msgctl: IPC_SET updates msg_perm.gid";
  EXPECT_EQ(after.msg_perm.mode & 07777, 0755u)
      << "man 2 msgctl: IPC_SET updates \"(the least significant 9 bits of) msg_perm.mode\"";
  EXPECT_EQ(after.msg_qbytes, before.msg_qbytes - 1) << "man 2 msgctl: IPC_SET updates msg_qbytes";
  EXPECT_EQ(after.msg_perm.cuid, before.msg_perm.cuid) << "msg_perm.cuid is not among the members IPC_SET updates";
  EXPECT_EQ(after.msg_perm.cgid, before.msg_perm.cgid);
  EXPECT_EQ(after.msg_perm.__key, key) << "man 2 msgctl: the key is not changed";
  EXPECT_GE(after.msg_ctime, t1) << "man 2 msgctl: IPC_SET \"updating also its msg_ctime member\"";
  EXPECT_LE(after.msg_ctime, t2);
  EXPECT_GE(after.msg_ctime, before.msg_ctime);
}

// ------------------------------------------------------------ errno table

// man 2 msgget, ERRORS (ENOSPC: SysvMsgTable.MsgmniIsEnospc; EACCES: the
// access table; ENOMEM needs memory exhaustion).
TEST(SysvMsgTable, MsggetErrors) {
  const key_t key = 0x5a5e1;
  int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  RunErrTable("man 2 msgget",
              {
                  {"EEXIST IPC_CREAT and IPC_EXCL were specified in msgflg, but a message queue "
                   "already exists for key.",
                   EEXIST, [&] { return msgget(key, IPC_CREAT | IPC_EXCL | 0600); }},
                  {"ENOENT No message queue exists for key and msgflg did not specify IPC_CREAT.",
                   ENOENT, [&] { return msgget(key + 1, 0600); }},
                  {"If msgflg specifies both IPC_CREAT and IPC_EXCL and a message queue already "
                   "exists for key ... (IPC_CREAT alone returns the existing queue)",
                   0, [&] { return msgget(key, IPC_CREAT | 0600) == id ? 0 : -2; }},
              });
  int a = msgget(IPC_PRIVATE, 0600), b = msgget(IPC_PRIVATE, 0600);
  qs.ids.push_back(a);
  qs.ids.push_back(b);
  EXPECT_TRUE(a >= 0 && b >= 0 && a != b)
      << "man 2 msgget: \"A new message queue is created if key has the value IPC_PRIVATE\"";
}

// man 2 msgop, ERRORS that a queue and a bad pointer can produce (E2BIG,
// EAGAIN, EIDRM, ENOMSG and nonpositive mtype: sysv_msg_test.cc; EACCES: the
// access table).
TEST(SysvMsgTable, MsgopErrors) {
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  int gone = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(msgctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  Msg8 m = {1, {}};
  RunErrTable("man 2 msgop",
              {
                  {"EINVAL Invalid msqid value (msgsnd, -1)", EINVAL,
                   [&] { return msgsnd(-1, &m, 1, IPC_NOWAIT); }},
                  {"EINVAL Invalid msqid value (msgrcv, -1)", EINVAL,
                   [&] { return msgrcv(-1, &m, 1, 0, IPC_NOWAIT); }},
                  {"EINVAL Invalid msqid value (msgsnd, a removed queue: Linux says EINVAL, the "
                   "EIDRM of the page is for a queue removed while the caller waits)",
                   EINVAL, [&] { return msgsnd(gone, &m, 1, IPC_NOWAIT); }},
                  {"EINVAL Invalid msqid value (msgrcv, a removed queue)", EINVAL,
                   [&] { return msgrcv(gone, &m, 1, 0, IPC_NOWAIT); }},
                  {"EINVAL ... invalid msgsz value (less than 0 ...) (msgsnd)", EINVAL,
                   [&] { return msgsnd(id, &m, static_cast<size_t>(-1), IPC_NOWAIT); }},
                  {"EINVAL msqid was invalid, or msgsz was less than 0 (msgrcv)", EINVAL,
                   [&] { return msgrcv(id, &m, static_cast<size_t>(-1), 0, IPC_NOWAIT); }},
                  {"EFAULT The address pointed to by msgp isn't accessible. (msgsnd)", EFAULT,
                   [&] { return msgsnd(id, Unmapped(), 1, IPC_NOWAIT); }},
                  {"(a message for the next row)", 0, [&] { return msgsnd(id, &m, 1, IPC_NOWAIT); }},
                  {"EFAULT The address pointed to by msgp isn't accessible. (msgrcv)", EFAULT,
                   [&] { return msgrcv(id, Unmapped(), 1, 0, IPC_NOWAIT); }},
              });
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  // Linux takes the message off the queue before it copies it out: a msgrcv
  // that fails EFAULT has lost the message (the page does not say either way).
  EXPECT_EQ(ds.msg_qnum, 0u) << "Linux: a msgrcv that fails EFAULT has dequeued the message";
}

// man 2 msgctl, ERRORS (EACCES and EPERM: the tables above).
TEST(SysvMsgTable, MsgctlErrors) {
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  int gone = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(gone, SyscallSucceeds());
  ASSERT_THAT(msgctl(gone, IPC_RMID, nullptr), SyscallSucceeds());
  struct msqid_ds ds;
  auto* bad = static_cast<struct msqid_ds*>(Unmapped());
  RunErrTable("man 2 msgctl",
              {
                  {"EINVAL Invalid value for cmd", EINVAL, [&] { return msgctl(id, 0x7777, &ds); }},
                  {"EINVAL ... or msqid (-1)", EINVAL, [&] { return msgctl(-1, IPC_STAT, &ds); }},
                  {"EINVAL ... or msqid (a removed queue; Linux: EINVAL, not EIDRM)", EINVAL,
                   [&] { return msgctl(gone, IPC_STAT, &ds); }},
                  {"EINVAL ... (IPC_RMID twice)", EINVAL,
                   [&] { return msgctl(gone, IPC_RMID, nullptr); }},
                  {"EFAULT The argument cmd has the value IPC_SET or IPC_STAT, but the address "
                   "pointed to by buf isn't accessible. (IPC_STAT)",
                   EFAULT, [&] { return msgctl(id, IPC_STAT, bad); }},
                  {"EFAULT ... (IPC_SET)", EFAULT, [&] { return msgctl(id, IPC_SET, bad); }},
                  {"EINVAL ... for a MSG_STAT or MSG_STAT_ANY operation, the index value specified "
                   "in msqid referred to an array slot that is currently unused.",
                   EINVAL, [&] { return msgctl(30000, MSG_STAT, &ds); }},
              });
}

// ---------------------------------------------------------------- status

// A model of the fields man 2 msgctl defines, advanced by each operation
// (man 2 msgop: "Upon successful completion the message queue data structure
// is updated as follows" for msgsnd and msgrcv; man 2 msgget for creation).
struct MsgModel {
  unsigned long qnum = 0, cbytes = 0;
  pid_t lspid = 0, lrpid = 0;
  bool stime = false, rtime = false;  // set (nonzero) yet
};

TEST(SysvMsgTable, IpcStatFieldByFieldAfterEachOperation) {
  const time_t t0 = time(nullptr);
  int id = msgget(0x5a5a1, IPC_CREAT | IPC_EXCL | 0640);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  ASSERT_OK_AND_ASSIGN(long msgmnb, ReadProcLong("/proc/sys/kernel/msgmnb"));
  MsgModel model;
  time_t last_stime = 0, last_rtime = 0;
  auto check = [&](const std::string& after) {
    struct msqid_ds ds;
    ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
    const time_t now = time(nullptr);
    EXPECT_EQ(ds.msg_perm.__key, 0x5a5a1) << after << ": man 2 msgget: msg_perm.__key is the key";
    EXPECT_EQ(ds.msg_perm.uid, geteuid()) << after << ": man 2 msgget: \"msg_perm.cuid and msg_perm.uid are set to the effective user ID of the calling process\"";
    EXPECT_EQ(ds.msg_perm.cuid, geteuid()) << after;
    EXPECT_EQ(ds.msg_perm.gid, getegid()) << after << ": man 2 msgget: \"msg_perm.cgid and msg_perm.gid are set to the effective group ID\"";
    EXPECT_EQ(ds.msg_perm.cgid, getegid()) << after;
    EXPECT_EQ(ds.msg_perm.mode & 0777, 0640u) << after << ": man 2 msgget: \"The least significant 9 bits of msg_perm.mode are set to the least significant 9 bits of msgflg\"";
    EXPECT_EQ(ds.msg_qbytes, static_cast<msglen_t>(msgmnb)) << after << ": man 2 msgget: \"msg_qbytes is set to the system limit MSGMNB\"";
    EXPECT_EQ(ds.msg_qnum, model.qnum) << after << ": msg_qnum";
    EXPECT_EQ(ds.__msg_cbytes, model.cbytes) << after << ": man 2 msgctl: msg_cbytes \"Number of bytes in all messages currently on the message queue\"";
    EXPECT_EQ(ds.msg_lspid, model.lspid) << after << ": msg_lspid";
    EXPECT_EQ(ds.msg_lrpid, model.lrpid) << after << ": msg_lrpid";
    EXPECT_TRUE(ds.msg_ctime >= t0 && ds.msg_ctime <= now) << after << ": man 2 msgget: \"msg_ctime is set to the current time\"";
    if (!model.stime) {
      EXPECT_EQ(ds.msg_stime, 0) << after << ": man 2 msgget: msg_stime \"set to 0\"";
    } else {
      EXPECT_TRUE(ds.msg_stime >= t0 && ds.msg_stime <= now && ds.msg_stime >= last_stime) << after << ": man 2 msgop: \"msg_stime is set to the current time\"";
      last_stime = ds.msg_stime;
    }
    if (!model.rtime) {
      EXPECT_EQ(ds.msg_rtime, 0) << after << ": man 2 msgget: msg_rtime \"set to 0\"";
    } else {
      EXPECT_TRUE(ds.msg_rtime >= t0 && ds.msg_rtime <= now && ds.msg_rtime >= last_rtime) << after << ": man 2 msgop: \"msg_rtime is set to the current time\"";
      last_rtime = ds.msg_rtime;
    }
  };
  check("after msgget");
  // Each step in a child, so that the last pids differ from the test's.
  struct Step { bool send; size_t len; };
  const Step steps[] = {{true, 5}, {true, 0}, {true, 11}, {false, 5}, {false, 0}, {true, 2}, {false, 11}};
  for (const Step& s : steps) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&]() -> int {
                           struct { long t; char x[16]; } m = {1, "0123456789a"};
                           if (s.send) return msgsnd(id, &m, s.len, IPC_NOWAIT) == 0 ? 0 : errno;
                           return msgrcv(id, &m, sizeof m.x, 0, IPC_NOWAIT) == static_cast<ssize_t>(s.len) ? 0 : 100;
                         }));
    const pid_t pid = c.pid();
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    ASSERT_TRUE(st.ExitedWith(0)) << st;
    if (s.send) {
      model.qnum += 1; model.cbytes += s.len; model.lspid = pid; model.stime = true;
    } else {
      model.qnum -= 1; model.cbytes -= s.len; model.lrpid = pid; model.rtime = true;
    }
    check(std::string(s.send ? "msgsnd of " : "msgrcv of ") + std::to_string(s.len) + " bytes by pid " + std::to_string(pid));
  }
  // A failed operation changes nothing.
  Msg8 m;
  ASSERT_THAT(msgrcv(id, &m, sizeof m.mtext, 99, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG));
  check("a msgrcv that failed ENOMSG");
  ASSERT_THAT(msgsnd(id, &m, static_cast<size_t>(-1), IPC_NOWAIT), SyscallFailsWithErrno(EINVAL));
  check("a msgsnd that failed EINVAL");
}

// One line of /proc/sysvipc/msg (man 5 proc: "key msqid perms cbytes qnum
// lspid lrpid uid gid cuid cgid stime rtime ctime").
struct ProcMsgLine {
  long key, msqid, perms, cbytes, qnum, lspid, lrpid, uid, gid, cuid, cgid;
};
std::vector<ProcMsgLine> ProcMsg() {
  std::vector<ProcMsgLine> out;
  std::ifstream in("/proc/sysvipc/msg");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    ProcMsgLine p;
    if (ls >> p.key >> p.msqid >> std::oct >> p.perms >> std::dec >> p.cbytes >> p.qnum >> p.lspid >> p.lrpid >> p.uid >> p.gid >> p.cuid >> p.cgid) out.push_back(p);
  }
  return out;
}

// man 2 msgctl: "IPC_INFO (Linux-specific) Return information about
// system-wide message queue limits and parameters in the structure pointed
// to by buf." "msgmax ..., msgmnb ..., msgmni ..." "MSG_INFO ... msgpool:
// Number of message queues that currently exist; msgmap: Total number of
// messages in all queues; msgtql: Total number of bytes in all messages";
// "A successful IPC_INFO or MSG_INFO operation returns the index of the
// highest used entry in the kernel's internal array"; "MSG_STAT ... returns
// a msqid_ds structure ... the msqid argument is not a queue identifier, but
// instead an index into the kernel's internal array"; "A successful MSG_STAT
// or MSG_STAT_ANY operation returns the identifier of the queue whose index
// was given in msqid." man 5 proc: /proc/sysvipc/msg lists the queues.
TEST(SysvMsgTable, InfoAndStatCommandsAgreeWithProc) {
  int a = msgget(IPC_PRIVATE, 0600);
  int b = msgget(0x5a5b, IPC_CREAT | 0604);
  ASSERT_THAT(a, SyscallSucceeds());
  ASSERT_THAT(b, SyscallSucceeds());
  Queues qs{{a, b}};
  ASSERT_EQ(SendErrno(a), 0);
  ASSERT_EQ(SendErrno(a), 0);
  ASSERT_EQ(SendErrno(b), 0);

  struct msginfo info;
  int hi = msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&info));
  ASSERT_THAT(hi, SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(long msgmax, ReadProcLong("/proc/sys/kernel/msgmax"));
  ASSERT_OK_AND_ASSIGN(long msgmnb, ReadProcLong("/proc/sys/kernel/msgmnb"));
  ASSERT_OK_AND_ASSIGN(long msgmni, ReadProcLong("/proc/sys/kernel/msgmni"));
  EXPECT_EQ(info.msgmax, msgmax) << "man 2 msgctl: IPC_INFO msgmax, \"/proc/sys/kernel/msgmax\"";
  EXPECT_EQ(info.msgmnb, msgmnb) << "man 2 msgctl: IPC_INFO msgmnb";
  EXPECT_EQ(info.msgmni, msgmni) << "man 2 msgctl: IPC_INFO msgmni";

  struct msginfo used;
  int hi2 = msgctl(0, MSG_INFO, reinterpret_cast<struct msqid_ds*>(&used));
  ASSERT_THAT(hi2, SyscallSucceeds());
  EXPECT_EQ(hi2, hi) << "man 2 msgctl: both return \"the index of the highest used entry\"";
  EXPECT_EQ(used.msgpool, 2) << "man 2 msgctl: MSG_INFO msgpool, \"Number of message queues that currently exist\"";
  EXPECT_EQ(used.msgmap, 3) << "man 2 msgctl: MSG_INFO msgmap, \"Total number of messages in all queues\"";
  EXPECT_EQ(used.msgtql, 9) << "man 2 msgctl: MSG_INFO msgtql, \"Total number of bytes in all messages\"";

  // Every index up to the highest: MSG_STAT finds exactly our two queues,
  // and each agrees with IPC_STAT and /proc/sysvipc/msg.
  std::vector<ProcMsgLine> proc = ProcMsg();
  EXPECT_EQ(proc.size(), 2u) << "man 5 proc: /proc/sysvipc/msg lists this namespace's 2 queues";
  int found = 0;
  for (int idx = 0; idx <= hi; ++idx) {
    struct msqid_ds ds;
    int id = msgctl(idx, MSG_STAT, &ds);
    if (id < 0) {
      EXPECT_EQ(errno, EINVAL) << "MSG_STAT of unused index " << idx;
      continue;
    }
    ++found;
    EXPECT_TRUE(id == a || id == b) << "MSG_STAT index " << idx << " returned id " << id;
    struct msqid_ds by_id;
    ASSERT_THAT(msgctl(id, IPC_STAT, &by_id), SyscallSucceeds());
    EXPECT_EQ(ds.msg_qnum, by_id.msg_qnum);
    EXPECT_EQ(ds.__msg_cbytes, by_id.__msg_cbytes);
    EXPECT_EQ(ds.msg_perm.mode, by_id.msg_perm.mode);
    struct msqid_ds any;
    EXPECT_THAT(msgctl(idx, MSG_STAT_ANY, &any), SyscallSucceedsWithValue(id))
        << "man 2 msgctl: MSG_STAT_ANY (Linux 4.17) \"Return a msqid_ds structure as for "
           "MSG_STAT. However, msg_perm.mode is not checked for read access\"";
    bool listed = false;
    for (const ProcMsgLine& p : proc) {
      if (p.msqid != id) continue;
      listed = true;
      EXPECT_EQ(p.key, by_id.msg_perm.__key);
      EXPECT_EQ(p.perms, static_cast<long>(by_id.msg_perm.mode & 0777));
      EXPECT_EQ(p.cbytes, static_cast<long>(by_id.__msg_cbytes));
      EXPECT_EQ(p.qnum, static_cast<long>(by_id.msg_qnum));
      EXPECT_EQ(p.lspid, by_id.msg_lspid);
      EXPECT_EQ(p.uid, static_cast<long>(by_id.msg_perm.uid));
      EXPECT_EQ(p.cuid, static_cast<long>(by_id.msg_perm.cuid));
    }
    EXPECT_TRUE(listed) << "man 5 proc: /proc/sysvipc/msg lists queue " << id;
  }
  EXPECT_EQ(found, 2) << "MSG_STAT over indexes 0.." << hi;
}

// ------------------------------------------------------------- MSG_COPY

// `feature:msg-copy`: msgrcv(MSG_COPY | IPC_NOWAIT) copies a message (man 2
// msgop: "available only if the kernel was built with the
// CONFIG_CHECKPOINT_RESTORE option"; otherwise ENOSYS).
Need MsgCopy() {
  return Need::Feature("msg-copy", []() -> std::optional<std::string> {
    int id = msgget(IPC_PRIVATE, 0600);
    if (id < 0) return std::nullopt;  // the test fails on it
    Msg8 m = {1, {'x'}};
    std::optional<std::string> unmet;
    if (msgsnd(id, &m, 1, IPC_NOWAIT) == 0 &&
        msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT | MSG_COPY) < 0 && errno == ENOSYS) {
      unmet = "msgrcv(MSG_COPY | IPC_NOWAIT): ENOSYS";
    }
    msgctl(id, IPC_RMID, nullptr);
    return unmet;
  });
}

// man 2 msgop: "MSG_COPY (since Linux 3.8) Nondestructively fetch a copy of
// the message at the ordinal position in the queue specified by msgtyp
// (messages are considered to be numbered starting at 0). This flag must be
// specified in conjunction with IPC_NOWAIT, with the result that, if there is
// no message available at the given position, the call fails immediately
// with the error ENOMSG." ERRORS: "EINVAL (since Linux 3.14) msgflg
// specified MSG_COPY, but not IPC_NOWAIT." "EINVAL (since Linux 3.14) msgflg
// specified both MSG_COPY and MSG_EXCEPT." "E2BIG The message text length is
// greater than msgsz and MSG_NOERROR isn't specified in msgflg."
TEST(SysvMsgTable, MsgCopyCopiesByPositionWithoutRemoving) {
  IPCSPEC_NEEDS(MsgCopy(), Need::KernelAtLeast(3, 14));
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  const char* texts[] = {"zero", "one", "two!!"};
  for (long i = 0; i < 3; ++i) {
    Msg8 m = {10 + i, {}};
    std::memcpy(m.mtext, texts[i], std::strlen(texts[i]));
    ASSERT_THAT(msgsnd(id, &m, std::strlen(texts[i]), IPC_NOWAIT), SyscallSucceeds());
  }
  for (long pos = 2; pos >= 0; --pos) {
    Msg8 m = {};
    EXPECT_THAT(msgrcv(id, &m, sizeof m.mtext, pos, IPC_NOWAIT | MSG_COPY),
                SyscallSucceedsWithValue(static_cast<ssize_t>(std::strlen(texts[pos]))))
        << "man 2 msgop: MSG_COPY fetches \"the message at the ordinal position\" " << pos;
    EXPECT_EQ(m.mtype, 10 + pos);
    EXPECT_EQ(std::string(m.mtext, std::strlen(texts[pos])), texts[pos]);
  }
  Msg8 m;
  RunErrTable("man 2 msgop (MSG_COPY)",
              {
                  {"ENOMSG IPC_NOWAIT and MSG_COPY were both specified in msgflg and the queue "
                   "contains less than msgtyp messages.",
                   ENOMSG, [&] { return msgrcv(id, &m, sizeof m.mtext, 3, IPC_NOWAIT | MSG_COPY); }},
                  {"EINVAL (since Linux 3.14) msgflg specified MSG_COPY, but not IPC_NOWAIT.", EINVAL,
                   [&] { return msgrcv(id, &m, sizeof m.mtext, 0, MSG_COPY); }},
                  {"EINVAL (since Linux 3.14) msgflg specified both MSG_COPY and MSG_EXCEPT.", EINVAL,
                   [&] { return msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT | MSG_COPY | MSG_EXCEPT); }},
                  {"E2BIG The message text length is greater than msgsz and MSG_NOERROR isn't "
                   "specified in msgflg. (MSG_COPY of the 5-byte message into 2 bytes)",
                   E2BIG, [&] { return msgrcv(id, &m, 2, 2, IPC_NOWAIT | MSG_COPY); }},
              });
  struct msqid_ds ds;
  ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
  EXPECT_EQ(ds.msg_qnum, 3u) << "man 2 msgop: MSG_COPY is \"Nondestructively\": all 3 still queued";
  EXPECT_EQ(ds.msg_lrpid, 0) << "Linux: a copy is not a receive (msg_lrpid stays 0)";
}

// man 2 msgop: "If msgtyp is greater than 0, then the first message in the
// queue of type msgtyp is read"; "If msgtyp is 0, then the first message in
// the queue is read."
TEST(SysvMsgTable, ReceiveByTypeTakesTheFirstOfThatType) {
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  const long types[] = {2, 1, 2, 3, 1};
  for (int i = 0; i < 5; ++i) {
    Msg8 m = {types[i], {static_cast<char>('a' + i)}};
    ASSERT_THAT(msgsnd(id, &m, 1, IPC_NOWAIT), SyscallSucceeds());
  }
  struct Want { long msgtyp; long type; char text; };
  const Want wants[] = {{1, 1, 'b'}, {2, 2, 'a'}, {0, 2, 'c'}, {1, 1, 'e'}, {0, 3, 'd'}};
  for (const Want& w : wants) {
    Msg8 m = {};
    ASSERT_THAT(msgrcv(id, &m, sizeof m.mtext, w.msgtyp, IPC_NOWAIT), SyscallSucceedsWithValue(1));
    EXPECT_EQ(m.mtype, w.type) << "msgtyp " << w.msgtyp;
    EXPECT_EQ(m.mtext[0], w.text) << "man 2 msgop: msgtyp " << w.msgtyp
                                  << " reads \"the first message in the queue\" of that type";
  }
}

// man 2 msgop: "EINTR Sleeping on a full message queue condition, the process
// caught a signal." (msgsnd) and "EINTR While the process was sleeping to
// receive a message, the process caught a signal; see signal(7)." man 7
// signal: msgrcv and msgsnd are "never restarted after being interrupted by a
// signal handler, regardless of the use of SA_RESTART".
void NoteSignal(int) {}
TEST(SysvMsgTable, BlockedMsgsndAndMsgrcvFailEintrEvenWithSaRestart) {
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Queues qs{{id}};
  for (bool send : {false, true}) {
    if (send) {  // a full queue: msg_qbytes 1, one byte queued
      struct msqid_ds ds;
      ASSERT_THAT(msgctl(id, IPC_STAT, &ds), SyscallSucceeds());
      ds.msg_qbytes = 1;
      ASSERT_THAT(msgctl(id, IPC_SET, &ds), SyscallSucceeds());
      ASSERT_EQ(SendErrno(id), EAGAIN);  // 3 bytes do not fit
      Msg8 one = {1, {'x'}};
      ASSERT_THAT(msgsnd(id, &one, 1, IPC_NOWAIT), SyscallSucceeds());
    }
    ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([id, send, &rec] {
                           struct sigaction sa = {};
                           sa.sa_handler = NoteSignal;
                           sigemptyset(&sa.sa_mask);
                           sa.sa_flags = SA_RESTART;
                           *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
                           if (rec->failed()) return 0;
                           Msg8 m = {1, {'y'}};
                           *rec = send ? Record("msgsnd", msgsnd(id, &m, 1, 0))
                                       : Record("msgrcv", msgrcv(id, &m, 1, 0, 0));
                           return 0;
                         }));
    ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {send ? SYS_msgsnd : SYS_msgrcv}));
    ASSERT_NO_ERRNO(c.Signal(SIGUSR1));
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    EXPECT_TRUE(st.ExitedWith(0)) << st;
    EXPECT_TRUE(rec->FailedWith(EINTR))
        << (send ? "msgsnd" : "msgrcv") << " interrupted by a handler installed with SA_RESTART: "
        << "man 2 msgop EINTR, man 7 signal (never restarted); the child's " << *rec;
  }
}

// The kernel's sysctl documentation (Documentation/admin-guide/sysctl/
// kernel.rst, msg_next_id): "This file can be used to set the desired id of
// the next allocated IPC object ... By default they are equal to -1, which
// means generic allocation logic. Possible values to set are in range
// {0:(INT_MAX-1)}." "if a new desired id is set and the IPC object with that
// id already exists, then ... the first free id is used" (Linux; man 5 proc
// of this release does not describe these files). Per IPC namespace.
TEST(SysvMsgTable, MsgNextIdChoosesTheNextIdOnce) {
  const char kNext[] = "/proc/sys/kernel/msg_next_id";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(kNext));
  ASSERT_NO_ERRNO(WriteProcLong(kNext, 1234));
  Queues qs;
  int id = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  qs.ids.push_back(id);
  EXPECT_EQ(id, 1234) << "kernel.rst msg_next_id: the next queue gets the id written";
  ASSERT_OK_AND_ASSIGN(long after, ReadProcLong(kNext));
  EXPECT_EQ(after, -1) << "kernel.rst: msg_next_id goes back to -1 once used";
  ASSERT_NO_ERRNO(WriteProcLong(kNext, 1234));
  int other = msgget(IPC_PRIVATE, 0600);
  ASSERT_THAT(other, SyscallSucceeds());
  qs.ids.push_back(other);
  EXPECT_NE(other, 1234) << "an id in use is not given twice";
}

// ---------------------------------------------------------------- limits

// man 2 msgget: "ENOSPC A message queue has to be created but the system
// limit for the maximum number of message queues (MSGMNI) would be
// exceeded." NOTES: "MSGMNI System-wide limit on the number of message
// queues ... /proc/sys/kernel/msgmni". Set in this test's IPC namespace.
TEST(SysvMsgTable, MsgmniIsEnospc) {
  const char kMsgmni[] = "/proc/sys/kernel/msgmni";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(kMsgmni));
  ASSERT_NO_ERRNO(WriteProcLong(kMsgmni, 3));
  Queues qs;
  for (int i = 0; i < 3; ++i) {
    int id = msgget(IPC_PRIVATE, 0600);
    ASSERT_THAT(id, SyscallSucceeds()) << "queue " << i << " of msgmni 3";
    qs.ids.push_back(id);
  }
  EXPECT_THAT(msgget(IPC_PRIVATE, 0600), SyscallFailsWithErrno(ENOSPC))
      << "man 2 msgget: \"ENOSPC ... the maximum number of message queues (MSGMNI) would be "
         "exceeded\" (msgmni 3 in this namespace)";
  EXPECT_THAT(msgget(0x5a5c, IPC_CREAT | 0600), SyscallFailsWithErrno(ENOSPC));
  ASSERT_THAT(msgctl(qs.ids.back(), IPC_RMID, nullptr), SyscallSucceeds());
  qs.ids.pop_back();
  int again = msgget(IPC_PRIVATE, 0600);
  EXPECT_THAT(again, SyscallSucceeds()) << "a removed queue frees its slot";
  if (again >= 0) qs.ids.push_back(again);
}

// man 2 msgctl: "msg_ctime Time of creation of queue or time of last
// msgctl() IPC_SET operation."; man 2 semctl: "sem_ctime Time of creation of
// semaphore set or time of last semctl() IPCSET, SETVAL, or SETALL
// operation."; man 2 shmctl: "shm_ctime Time of creation of segment or time
// of the last shmctl() IPC_SET operation." The times are whole seconds, so
// an IPC_SET in the creation's second proves nothing: after creating the
// three objects the test waits for the realtime clock to reach the next
// second (a wait for the clock itself, bounded, not for another process),
// then sets each one's unchanged permissions and reads the time back. One
// wait serves the three object types.
TEST(SysvIpcSet, AdvancesTheChangeTimeOfEveryObjectType) {
  constexpr const char* kCites[] = {
      "man 2 msgctl: \"msg_ctime Time of creation of queue or time of last msgctl() IPC_SET "
      "operation.\"",
      "man 2 semctl: \"sem_ctime Time of creation of semaphore set or time of last semctl() "
      "IPCSET, SETVAL, or SETALL operation.\"",
      "man 2 shmctl: \"shm_ctime Time of creation of segment or time of the last shmctl() "
      "IPC_SET operation.\""};
  const int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  ASSERT_THAT(msq, SyscallSucceeds());
  Cleanup rm_msq([msq] { msgctl(msq, IPC_RMID, nullptr); });
  const int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_THAT(sem, SyscallSucceeds());
  Cleanup rm_sem([sem] { semctl(sem, 0, IPC_RMID); });
  const int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_THAT(shm, SyscallSucceeds());
  Cleanup rm_shm([shm] { shmctl(shm, IPC_RMID, nullptr); });

  struct msqid_ds mds {};
  struct semid_ds sds {};
  struct shmid_ds hds {};
  union semun {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
  } arg{};
  arg.buf = &sds;
  ASSERT_THAT(msgctl(msq, IPC_STAT, &mds), SyscallSucceeds());
  ASSERT_THAT(semctl(sem, 0, IPC_STAT, arg), SyscallSucceeds());
  ASSERT_THAT(shmctl(shm, IPC_STAT, &hds), SyscallSucceeds());
  const time_t created[] = {mds.msg_ctime, sds.sem_ctime, hds.shm_ctime};
  const time_t latest = std::max({created[0], created[1], created[2]});

  // Until the clock the kernel stamps with shows a later second than every
  // creation time. That is the coarse realtime clock (ktime_get_real_seconds),
  // which lags CLOCK_REALTIME by up to a timer tick: sleep to the next
  // second, then by a millisecond at a time until the coarse clock follows.
  // A bound of wall-clock time, not a Deadline: the clock needs up to a
  // second whatever IPCSPEC_TIMEOUT_SCALE says (the table mutants run at
  // 0.3 of it).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(3);
  time_t before = 0;
  for (;;) {
    struct timespec now {};
    ASSERT_THAT(clock_gettime(CLOCK_REALTIME_COARSE, &now), SyscallSucceeds());
    if (now.tv_sec > latest) {
      before = now.tv_sec;
      break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), give_up)
        << "the coarse realtime clock did not pass " << latest << " (now " << now.tv_sec << ")";
    struct timespec fine {};
    ASSERT_THAT(clock_gettime(CLOCK_REALTIME, &fine), SyscallSucceeds());
    struct timespec next = {latest + 1, 0};
    if (fine.tv_sec > latest) next = {fine.tv_sec, fine.tv_nsec + 1000000};
    if (next.tv_nsec >= 1000000000) next = {next.tv_sec + 1, next.tv_nsec - 1000000000};
    int r = clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, nullptr);
    ASSERT_TRUE(r == 0 || r == EINTR) << "clock_nanosleep: " << strerror(r);
  }

  ASSERT_THAT(msgctl(msq, IPC_SET, &mds), SyscallSucceeds());
  ASSERT_THAT(semctl(sem, 0, IPC_SET, arg), SyscallSucceeds());
  ASSERT_THAT(shmctl(shm, IPC_SET, &hds), SyscallSucceeds());
  ASSERT_THAT(msgctl(msq, IPC_STAT, &mds), SyscallSucceeds());
  ASSERT_THAT(semctl(sem, 0, IPC_STAT, arg), SyscallSucceeds());
  ASSERT_THAT(shmctl(shm, IPC_STAT, &hds), SyscallSucceeds());
  struct timespec end {};
  ASSERT_THAT(clock_gettime(CLOCK_REALTIME_COARSE, &end), SyscallSucceeds());
  const time_t after = end.tv_sec;
  const time_t changed[] = {mds.msg_ctime, sds.sem_ctime, hds.shm_ctime};
  for (int i = 0; i < 3; ++i) {
    EXPECT_GT(changed[i], created[i]) << kCites[i] << ": the IPC_SET a second after creation";
    EXPECT_GE(changed[i], before) << kCites[i] << ": not earlier than the IPC_SET";
    EXPECT_LE(changed[i], after) << kCites[i] << ": not later than the IPC_SET";
  }
}

}  // namespace
}  // namespace ipcspec
