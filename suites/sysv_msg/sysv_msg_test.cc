// System V message queues: documented semantics (man 7 sysvipc, man 2 msgop,
// man 2 msgctl, man 2 msgget, man 7 ipc_namespaces). Each test runs in its
// own IPC namespace (the ipcspec main), so it may change the namespace's
// /proc/sys/kernel/msg* limits.
#include <linux/capability.h>
#include <sched.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/sysv_msg/sysv_msg.h"

namespace ipcspec {
namespace {

using TwoLongs = std::array<long, 2>;
using ThreeInts = std::array<int, 3>;

constexpr char kMsgmax[] = "/proc/sys/kernel/msgmax";
constexpr char kMsgmnb[] = "/proc/sys/kernel/msgmnb";

// struct msgbuf of man 2 msgop with room for N bytes of text.
template <size_t N>
struct Msg {
  long mtype;
  char mtext[N];
};

// msgsnd of `text` with type `type`.
int Send(int id, long type, const std::string& text, int flags) {
  std::vector<char> buf(sizeof(long) + text.size());
  std::memcpy(buf.data(), &type, sizeof type);
  std::memcpy(buf.data() + sizeof(long), text.data(), text.size());
  return msgsnd(id, buf.data(), text.size(), flags);
}

// The namespace's limits may be changed only when the test has its own IPC
// namespace; some sandboxes mount /proc/sys read-only.
std::vector<Need> IpcSysctlWritable(const char* path) {
  return {Need::PrivateIpcNamespace(), Need::WritableSysctl(path)};
}

PosixErrorOr<SysvMsgId> SmallQueue(size_t qbytes) { return CreateSysvMsgId(qbytes); }

// man 2 msgop, ERRORS: "EINVAL Invalid msqid value, or nonpositive mtype
// value, or invalid msgsz value (less than 0 or greater than the system value
// MSGMAX)." NOTES: "MSGMAX ... On Linux, this limit can be read and modified
// via /proc/sys/kernel/msgmax."
TEST(SysvMsg, MessageLargerThanMsgmaxIsEinval) {
  ASSERT_OK_AND_ASSIGN(long msgmax, ReadProcLong(kMsgmax));
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  if (ds.msg_qbytes < static_cast<msglen_t>(msgmax)) {
    // A message of MSGMAX bytes must fit for the boundary to show.
    ds.msg_qbytes = msgmax;
    ASSERT_THAT(msgctl(q.get(), IPC_SET, &ds), SyscallSucceeds());
  }
  std::string exact(static_cast<size_t>(msgmax), 'm');
  EXPECT_THAT(Send(q.get(), 1, exact, IPC_NOWAIT), SyscallSucceeds())
      << "man 2 msgop: a message of exactly MSGMAX (" << msgmax << ") bytes is valid";
  EXPECT_THAT(Send(q.get(), 1, exact + "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL))
      << "man 2 msgop: \"EINVAL ... invalid msgsz value (less than 0 or greater than the "
         "system value MSGMAX)\" with MSGMAX = "
      << msgmax << " from " << kMsgmax;
}

// man 2 msgop: "EINVAL Invalid msqid value, or nonpositive mtype value";
// "The mtype field must have a strictly positive integer value."
TEST(SysvMsg, NonpositiveMtypeIsEinval) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  EXPECT_THAT(Send(q.get(), 0, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL))
      << "man 2 msgop: \"EINVAL ... nonpositive mtype value\" (mtype 0)";
  EXPECT_THAT(Send(q.get(), -3, "x", IPC_NOWAIT), SyscallFailsWithErrno(EINVAL))
      << "man 2 msgop: \"EINVAL ... nonpositive mtype value\" (mtype -3)";
  EXPECT_THAT(Send(q.get(), 1, "", IPC_NOWAIT), SyscallSucceeds())
      << "man 2 msgop: \"Messages of zero length (i.e., no mtext field) are permitted.\"";
}

// man 7 ipc_namespaces: "The following /proc interfaces are distinct in each
// IPC namespace: ... The System V IPC interfaces in /proc/sys/kernel, namely:
// msgmax, msgmnb, msgmni, ...". man 2 msgget: "msg_qbytes is set to the
// system limit MSGMNB." Linux: the sysctl is that of the writer's namespace.
TEST(SysvMsg, MsgLimitsBelongToTheIpcNamespace) {
  IPCSPEC_NEEDS(IpcSysctlWritable(kMsgmnb), IpcSysctlWritable(kMsgmax));
  ASSERT_NO_ERRNO(WriteProcLong(kMsgmnb, 512));
  ASSERT_NO_ERRNO(WriteProcLong(kMsgmax, 100));
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qbytes, 512u)
      << "man 2 msgget: \"msg_qbytes is set to the system limit MSGMNB\" (this namespace's "
         "/proc/sys/kernel/msgmnb, 512)";
  EXPECT_THAT(Send(q.get(), 1, std::string(100, 'a'), IPC_NOWAIT), SyscallSucceeds())
      << "man 2 msgop: MSGMAX is this namespace's /proc/sys/kernel/msgmax (100)";
  EXPECT_THAT(Send(q.get(), 1, std::string(101, 'a'), IPC_NOWAIT), SyscallFailsWithErrno(EINVAL))
      << "man 2 msgop: \"EINVAL ... greater than the system value MSGMAX\" (this namespace's "
         "msgmax, 100)";

  // Another IPC namespace has its own values: a child in a new one reads the
  // defaults, untouched by the writes above.
  ASSERT_OK_AND_ASSIGN(auto seen, SharedObject<TwoLongs>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
                         if (unshare(CLONE_NEWIPC) != 0) return 1;
                         auto mnb = ReadProcLong(kMsgmnb);
                         auto max = ReadProcLong(kMsgmax);
                         if (!mnb.ok() || !max.ok()) return 2;
                         (*seen)[0] = mnb.value();
                         (*seen)[1] = max.value();
                         return 0;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << "child in a new IPC namespace: " << st;
  EXPECT_NE((*seen)[0], 512) << "man 7 ipc_namespaces: msgmnb \"distinct in each IPC namespace\"";
  EXPECT_NE((*seen)[1], 100) << "man 7 ipc_namespaces: msgmax \"distinct in each IPC namespace\"";
  ASSERT_OK_AND_ASSIGN(long mnb_here, ReadProcLong(kMsgmnb));
  EXPECT_EQ(mnb_here, 512) << "the child's namespace did not change this one's msgmnb";
}

// A queue whose msg_qbytes is MSGMNB = 256: the namespace's msgmnb where it
// can be written (man 2 msgget: "msg_qbytes is set to the system limit
// MSGMNB"), else lowered by IPC_SET (which needs no privilege).
PosixErrorOr<SysvMsgId> QueueOf256Bytes(std::string* how) {
  std::optional<std::string> unmet = FirstUnmetNeed({IpcSysctlWritable(kMsgmnb)});
  if (!unmet) {
    IPCSPEC_RETURN_IF_ERROR(WriteProcLong(kMsgmnb, 256));
    *how = "msgmnb = 256 in this namespace";
    return CreateSysvMsgId();
  }
  *how = "msg_qbytes lowered to 256 by IPC_SET (" + *unmet + ")";
  return CreateSysvMsgId(256);
}

// man 2 msgop: "A message queue is considered to be full if ... Adding a new
// message to the queue would cause the total number of bytes in the queue to
// exceed the queue's maximum size (the msg_qbytes field)." "If IPC_NOWAIT is
// specified in msgflg, then the call instead fails with the error EAGAIN."
TEST(SysvMsg, FullQueueFailsEagainWithIpcNowait) {
  std::string how;
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, QueueOf256Bytes(&how));
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  ASSERT_EQ(ds.msg_qbytes, 256u) << how;
  ASSERT_THAT(Send(q.get(), 1, std::string(200, 'a'), IPC_NOWAIT), SyscallSucceeds());
  ASSERT_THAT(Send(q.get(), 1, std::string(56, 'b'), IPC_NOWAIT), SyscallSucceeds());
  EXPECT_THAT(Send(q.get(), 1, "c", IPC_NOWAIT), SyscallFailsWithErrno(EAGAIN))
      << "man 2 msgop: \"EAGAIN The message can't be sent due to the msg_qbytes limit for the "
         "queue and IPC_NOWAIT was specified in msgflg.\" (" << how << ")";
  ASSERT_OK_AND_ASSIGN(ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qnum, 2u);
  EXPECT_EQ(ds.__msg_cbytes, 256u);
  // Full for one more byte, not for a zero-length message: it adds no bytes
  // and 3 messages are within the count limit (msg_qbytes, 256).
  EXPECT_THAT(Send(q.get(), 1, "", IPC_NOWAIT), SyscallSucceeds())
      << "man 2 msgop: a zero-length message adds no bytes, and 3 messages <= msg_qbytes";
}

// man 2 msgop: "Adding another message to the queue would cause the total
// number of messages in the queue to exceed the queue's maximum size (the
// msg_qbytes field). This check is necessary to prevent an unlimited number
// of zero-length messages being placed on the queue."
TEST(SysvMsg, MessageCountIsAlsoLimitedByMsgQbytes) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, SmallQueue(4));
  for (int i = 0; i < 4; ++i) {
    ASSERT_THAT(Send(q.get(), 1, "", IPC_NOWAIT), SyscallSucceeds()) << "message " << i;
  }
  EXPECT_THAT(Send(q.get(), 1, "", IPC_NOWAIT), SyscallFailsWithErrno(EAGAIN))
      << "man 2 msgop: full when \"the total number of messages in the queue [would] exceed "
         "the queue's maximum size (the msg_qbytes field)\" (msg_qbytes 4, 4 zero-length "
         "messages queued)";
}

// man 2 msgop: "If insufficient space is available in the queue, then the
// default behavior of msgsnd() is to block until space becomes available."
TEST(SysvMsg, BlockingSendWaitsUntilAReceiveMakesRoom) {
  std::string how;
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, QueueOf256Bytes(&how));
  ASSERT_THAT(Send(q.get(), 1, std::string(256, 'a'), IPC_NOWAIT), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         return Send(q.get(), 2, std::string(100, 'b'), 0) == 0 ? 0 : errno;
                       }));
  PosixError blocked = WaitUntilBlocked(c.pid(), {SYS_msgsnd});
  ASSERT_TRUE(blocked.ok()) << blocked
                            << "\nman 2 msgop: msgsnd() blocks \"until space becomes available\" ("
                            << how << ")";
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qnum, 1u) << "the blocked sender's message is not queued yet";
  Msg<256> m;
  ASSERT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallSucceedsWithValue(256));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0))
      << "man 2 msgop: the blocked msgsnd() completes once space is available: " << st;
  ASSERT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallSucceedsWithValue(100));
  EXPECT_EQ(m.mtype, 2);
}

// man 2 msgop: "If no message of the requested type is available and
// IPC_NOWAIT isn't specified in msgflg, the calling process is blocked until
// ... A message of the desired type is placed in the queue."
TEST(SysvMsg, BlockedReceiverWaitsForItsType) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  ASSERT_OK_AND_ASSIGN(auto got, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         Msg<16> m{};
                         *got = Record("msgrcv(type 5)", msgrcv(q.get(), &m, sizeof m.mtext, 5, 0));
                         // 1: the message was type 5, "five"
                         got->extra = m.mtype == 5 && std::memcmp(m.mtext, "five", 4) == 0;
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_msgrcv}));
  ASSERT_THAT(Send(q.get(), 3, "three", IPC_NOWAIT), SyscallSucceeds());
  // A message of another type stays queued: the receiver did not take it.
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qnum, 1u) << "man 2 msgop: a receiver of type 5 does not take type 3";
  PosixError still = WaitUntilBlocked(c.pid(), {SYS_msgrcv});
  ASSERT_TRUE(still.ok()) << still
                          << "\nman 2 msgop: the receiver of type 5 still waits after a type-3 "
                             "message";
  ASSERT_THAT(Send(q.get(), 5, "five", IPC_NOWAIT), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(got->ret == 4 && got->extra == 1)
      << "man 2 msgop: blocked \"until ... A message of the desired type is placed in the "
         "queue\": the child's "
      << *got << " (then 1: it was type 5, \"five\")";
  ASSERT_OK_AND_ASSIGN(ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qnum, 1u) << "the type-3 message is still there";
}

// man 2 msgop: "If the message text has length greater than msgsz, then ...
// if MSG_NOERROR is not specified, then the message isn't removed from the
// queue and the system call fails returning -1 with errno set to E2BIG."
// "If MSG_NOERROR is specified, then the message text will be truncated (and
// the truncated part will be lost)".
TEST(SysvMsg, LongMessageIsE2bigWithoutMsgNoerrorAndTruncatedWithIt) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  ASSERT_THAT(Send(q.get(), 7, "0123456789", IPC_NOWAIT), SyscallSucceeds());
  Msg<16> m;
  std::memset(&m, 0, sizeof m);
  EXPECT_THAT(msgrcv(q.get(), &m, 4, 0, IPC_NOWAIT), SyscallFailsWithErrno(E2BIG))
      << "man 2 msgop: \"E2BIG The message text length is greater than msgsz and MSG_NOERROR "
         "isn't specified in msgflg.\"";
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qnum, 1u) << "man 2 msgop: after E2BIG \"the message isn't removed from the "
                                "queue\"";
  EXPECT_EQ(ds.__msg_cbytes, 10u);
  EXPECT_THAT(msgrcv(q.get(), &m, 4, 0, IPC_NOWAIT | MSG_NOERROR), SyscallSucceedsWithValue(4))
      << "man 2 msgop: \"If MSG_NOERROR is specified, then the message text will be truncated\"";
  EXPECT_EQ(m.mtype, 7);
  EXPECT_EQ(std::string(m.mtext, 4), "0123");
  EXPECT_EQ(m.mtext[4], '\0') << "nothing is copied past msgsz";
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG))
      << "man 2 msgop: \"the truncated part will be lost\": nothing of the message remains";
}

// man 2 msgop: "IPC_NOWAIT Return immediately if no message of the requested
// type is in the queue. The system call fails with errno set to ENOMSG."
TEST(SysvMsg, NoMessageOfTheRequestedTypeIsEnomsgWithIpcNowait) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  Msg<16> m;
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG))
      << "man 2 msgop: \"ENOMSG IPC_NOWAIT was specified in msgflg and no message of the "
         "requested type existed on the message queue.\" (empty queue)";
  ASSERT_THAT(Send(q.get(), 4, "four", IPC_NOWAIT), SyscallSucceeds());
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 3, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG))
      << "man 2 msgop: ENOMSG for msgtyp 3 when only type 4 is queued";
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, -3, IPC_NOWAIT), SyscallFailsWithErrno(ENOMSG))
      << "man 2 msgop: msgtyp -3 reads \"the lowest type less than or equal to\" 3: none";
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, 4, IPC_NOWAIT | MSG_EXCEPT),
              SyscallFailsWithErrno(ENOMSG))
      << "man 2 msgop: MSG_EXCEPT with msgtyp 4 reads a type other than 4: none";
  EXPECT_THAT(msgrcv(q.get(), &m, sizeof m.mtext, -4, IPC_NOWAIT), SyscallSucceedsWithValue(4));
}

// man 2 msgop: "A blocked msgsnd() call may also fail if: the queue is
// removed, in which case the system call fails with errno set to EIDRM";
// man 2 msgctl: "IPC_RMID Immediately remove the message queue, awakening all
// waiting reader and writer processes (with an error return and errno set to
// EIDRM)."
TEST(SysvMsg, RemovalFailsABlockedSenderWithEidrm) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, SmallQueue(8));
  ASSERT_THAT(Send(q.get(), 1, "12345678", IPC_NOWAIT), SyscallSucceeds());
  int id = q.get();
  ASSERT_OK_AND_ASSIGN(auto sent, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         *sent = Record("msgsnd", Send(id, 1, "more", 0));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_msgsnd}));
  ASSERT_NO_ERRNO(q.reset());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(sent->FailedWith(EIDRM))
      << "man 2 msgop: a blocked msgsnd() \"fails with errno set to EIDRM\" when the queue is "
         "removed: the child's "
      << *sent;
}

// man 2 msgop: "The message queue is removed from the system. In this case,
// the system call fails with errno set to EIDRM." (a blocked msgrcv)
TEST(SysvMsg, RemovalFailsABlockedReceiverWithEidrm) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  int id = q.get();
  ASSERT_OK_AND_ASSIGN(auto got, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         Msg<8> m;
                         *got = Record("msgrcv", msgrcv(id, &m, sizeof m.mtext, 0, 0));
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_msgrcv}));
  ASSERT_NO_ERRNO(q.reset());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(got->FailedWith(EIDRM))
      << "man 2 msgop: \"EIDRM While the process was sleeping to receive a message, the message "
         "queue was removed.\": the child's "
      << *got;
}

// man 2 msgop: "Upon successful completion the message queue data structure
// is updated as follows: msg_lspid is set to the process ID of the calling
// process. msg_qnum is incremented by 1." and for msgrcv "msg_lrpid is set to
// the process ID of the calling process. msg_qnum is decremented by 1."
// man 2 msgctl: "msg_cbytes Number of bytes in all messages currently on the
// message queue." man 2 msgget: "msg_qnum, msg_lspid, msg_lrpid, msg_stime,
// and msg_rtime are set to 0."
TEST(SysvMsg, IpcStatCountsMessagesBytesAndLastPids) {
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  int id = q.get();
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(id));
  EXPECT_EQ(ds.msg_qnum, 0u) << "man 2 msgget: msg_qnum is set to 0";
  EXPECT_EQ(ds.msg_lspid, 0) << "man 2 msgget: msg_lspid is set to 0";
  EXPECT_EQ(ds.msg_lrpid, 0) << "man 2 msgget: msg_lrpid is set to 0";
  EXPECT_EQ(ds.msg_stime, 0) << "man 2 msgget: msg_stime is set to 0";

  ASSERT_OK_AND_ASSIGN(auto sends, SharedObject<CallRecords<2>>::Create());
  ASSERT_OK_AND_ASSIGN(Child sender, Child::Fork([&] {
                         (*sends)[0] = Record("msgsnd", Send(id, 1, "abc", IPC_NOWAIT));
                         (*sends)[1] = Record("msgsnd", Send(id, 2, "defgh", IPC_NOWAIT));
                         return 0;
                       }));
  pid_t sender_pid = sender.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, sender.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_TRUE((*sends)[0].ret == 0 && (*sends)[1].ret == 0) << "the child's " << ToString(*sends);
  ASSERT_OK_AND_ASSIGN(ds, SysvMsgStat(id));
  EXPECT_EQ(ds.msg_qnum, 2u) << "man 2 msgop: \"msg_qnum is incremented by 1\" per msgsnd";
  EXPECT_EQ(ds.__msg_cbytes, 8u) << "man 2 msgctl: msg_cbytes \"Number of bytes in all messages "
                                    "currently on the message queue\"";
  EXPECT_EQ(ds.msg_lspid, sender_pid)
      << "man 2 msgop: \"msg_lspid is set to the process ID of the calling process\"";
  EXPECT_EQ(ds.msg_lrpid, 0);
  EXPECT_NE(ds.msg_stime, 0) << "man 2 msgop: \"msg_stime is set to the current time\"";

  ASSERT_OK_AND_ASSIGN(Child receiver, Child::Fork([&] {
                         Msg<8> m;
                         return msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT) == 3 ? 0 : 1;
                       }));
  pid_t receiver_pid = receiver.pid();
  ASSERT_OK_AND_ASSIGN(st, receiver.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_OK_AND_ASSIGN(ds, SysvMsgStat(id));
  EXPECT_EQ(ds.msg_qnum, 1u) << "man 2 msgop: \"msg_qnum is decremented by 1\"";
  EXPECT_EQ(ds.__msg_cbytes, 5u);
  EXPECT_EQ(ds.msg_lrpid, receiver_pid)
      << "man 2 msgop: \"msg_lrpid is set to the process ID of the calling process\"";
  EXPECT_EQ(ds.msg_lspid, sender_pid) << "a receive leaves msg_lspid alone";
  EXPECT_NE(ds.msg_rtime, 0) << "man 2 msgop: \"msg_rtime is set to the current time\"";
}

// man 2 msgctl: "Appropriate privilege (Linux: the CAP_SYS_RESOURCE
// capability) is required to raise the msg_qbytes value beyond the system
// parameter MSGMNB."
TEST(SysvMsg, RaisingMsgQbytesAboveMsgmnbWithoutCapSysResourceIsEperm) {
  ASSERT_OK_AND_ASSIGN(long msgmnb, ReadProcLong(kMsgmnb));
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  int id = q.get();
  // The child drops CAP_SYS_RESOURCE (it stays the queue's owner, so IPC_SET
  // itself is allowed) and reports the errno of each IPC_SET.
  ASSERT_OK_AND_ASSIGN(auto errs, SharedObject<ThreeInts>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
                         if (DropCapability(CAP_SYS_RESOURCE) != 0) return 1;
                         if (HasEffectiveCapability(CAP_SYS_RESOURCE)) return 2;
                         struct msqid_ds ds;
                         if (msgctl(id, IPC_STAT, &ds) != 0) return 3;
                         ds.msg_qbytes = static_cast<msglen_t>(msgmnb) + 1;
                         (*errs)[0] = msgctl(id, IPC_SET, &ds) == 0 ? 0 : errno;
                         ds.msg_qbytes = static_cast<msglen_t>(msgmnb) - 1;
                         (*errs)[1] = msgctl(id, IPC_SET, &ds) == 0 ? 0 : errno;
                         ds.msg_qbytes = static_cast<msglen_t>(msgmnb);
                         (*errs)[2] = msgctl(id, IPC_SET, &ds) == 0 ? 0 : errno;
                         return 0;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << "child dropping CAP_SYS_RESOURCE: " << st;
  EXPECT_EQ((*errs)[0], EPERM)
      << "man 2 msgctl: CAP_SYS_RESOURCE \"is required to raise the msg_qbytes value beyond the "
         "system parameter MSGMNB\" (IPC_SET of MSGMNB+1 without it; got "
      << ErrnoName((*errs)[0]) << ")";
  EXPECT_EQ((*errs)[1], 0) << "man 2 msgctl: lowering msg_qbytes needs no privilege";
  EXPECT_EQ((*errs)[2], 0) << "man 2 msgctl: msg_qbytes up to MSGMNB needs no privilege";
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(id));
  EXPECT_EQ(ds.msg_qbytes, static_cast<msglen_t>(msgmnb));
}

// man 2 msgop, NOTES: "A privileged process (Linux: a process with the
// CAP_SYS_RESOURCE capability) can increase the size of a message queue
// beyond MSGMNB using the msgctl(2) IPC_SET operation."
TEST(SysvMsg, PrivilegedProcessMayRaiseMsgQbytesAboveMsgmnb) {
  // msgctl checks capable(CAP_SYS_RESOURCE), i.e. in the initial user
  // namespace; Bazel's linux-sandbox runs tests in a child one (this target
  // is tagged no-sandbox).
  IPCSPEC_NEEDS(Need::CapabilityInInitialUserNs(CAP_SYS_RESOURCE));
  ASSERT_OK_AND_ASSIGN(long msgmnb, ReadProcLong(kMsgmnb));
  ASSERT_OK_AND_ASSIGN(SysvMsgId q, CreateSysvMsgId());
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(q.get()));
  ds.msg_qbytes = static_cast<msglen_t>(msgmnb) + 1;
  EXPECT_THAT(msgctl(q.get(), IPC_SET, &ds), SyscallSucceeds())
      << "man 2 msgop: \"A privileged process (Linux: a process with the CAP_SYS_RESOURCE "
         "capability) can increase the size of a message queue beyond MSGMNB\"";
  ASSERT_OK_AND_ASSIGN(ds, SysvMsgStat(q.get()));
  EXPECT_EQ(ds.msg_qbytes, static_cast<msglen_t>(msgmnb) + 1);
}

// Kernel persistence: man 2 msgget: msgget "may be used ... to obtain the
// identifier of a previously created message queue"; man 2 msgctl: the queue
// goes with "IPC_RMID Immediately remove the message queue". It outlives the
// process that made it, messages included, until IPC_RMID (or until its IPC
// namespace goes, man 7 ipc_namespaces).
TEST(SysvMsg, QueueOutlivesItsCreatorUntilIpcRmid) {
  const key_t key = 0x1bc5a11;
  // The owner, armed before the child runs: removes the queue by key even if
  // the test fails half-way.
  Cleanup remove_by_key([key] {
    int id = msgget(key, 0);
    if (id >= 0) msgctl(id, IPC_RMID, nullptr);
  });
  ASSERT_OK_AND_ASSIGN(auto made, CallsInChild<3>([&](CallRecords<3>& r) {
                         int id = msgget(key, IPC_CREAT | IPC_EXCL | 0600);
                         r[0] = Record("msgget", id);
                         if (id < 0) return;
                         r[1] = Record("msgsnd", Send(id, 9, "kept", IPC_NOWAIT));
                         r[2] = Record("msgsnd", Send(id, 8, "also", IPC_NOWAIT));
                         // exits without IPC_RMID
                       }));
  ASSERT_TRUE(made[0].ret >= 0 && made[1].ret == 0 && made[2].ret == 0)
      << "creator child: " << ToString(made);
  int id = msgget(key, 0);
  ASSERT_THAT(id, SyscallSucceeds())
      << "man 2 msgget: the queue made by the exited child is still found by its key";
  ASSERT_OK_AND_ASSIGN(struct msqid_ds ds, SysvMsgStat(id));
  EXPECT_EQ(ds.msg_qnum, 2u) << "the messages outlive their sender";
  Msg<8> m;
  ASSERT_THAT(msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallSucceedsWithValue(4));
  EXPECT_EQ(m.mtype, 9);
  EXPECT_EQ(std::string(m.mtext, 4), "kept");
  ASSERT_THAT(msgctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  remove_by_key.Release();
  EXPECT_THAT(msgget(key, 0), SyscallFailsWithErrno(ENOENT))
      << "man 2 msgctl: after \"IPC_RMID Immediately remove the message queue\" the key is gone";
  EXPECT_THAT(msgrcv(id, &m, sizeof m.mtext, 0, IPC_NOWAIT), SyscallFails())
      << "man 2 msgctl: the removed queue's id is no longer valid";
}

}  // namespace
}  // namespace ipcspec
