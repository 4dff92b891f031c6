// POSIX message queues: documented semantics (man 7 mq_overview,
// man 3 mq_open, man 3 mq_send, man 3 mq_receive, man 3 mq_notify,
// man 3 mq_unlink, man 3 mq_getattr). Each test runs in its own IPC namespace
// with a private mqueue mount (the ipcspec main), so it may change the
// namespace's /proc/sys/fs/mqueue limits.
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <signal.h>
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
#include "impl/core/watchdog.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

constexpr char kMsgDefault[] = "/proc/sys/fs/mqueue/msg_default";
constexpr char kMsgsizeDefault[] = "/proc/sys/fs/mqueue/msgsize_default";
constexpr char kMsgMax[] = "/proc/sys/fs/mqueue/msg_max";
constexpr char kMsgsizeMax[] = "/proc/sys/fs/mqueue/msgsize_max";

using FourInts = std::array<int, 4>;

// A new queue, owned twice: the name (mq_unlink) and the descriptor (close).
struct Queue {
  PosixMqName name;
  MqDescriptor mqd;
  int fd() const { return mqd.get(); }
};

PosixErrorOr<Queue> MakeQueue(long maxmsg, long msgsize, int extra_flags = 0) {
  Queue q;
  std::string name = UniqueMqName("posix_mq_test");
  IPCSPEC_ASSIGN_OR_RETURN(
      q.mqd, OpenMq(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | extra_flags, maxmsg, msgsize));
  q.name = PosixMqName(name);
  return q;
}

long CurMsgs(int mqd) {
  struct mq_attr a;
  return mq_getattr(mqd, &a) == 0 ? a.mq_curmsgs : -1;
}

// This namespace's /proc/sys/fs/mqueue limits may be changed only when the
// test has its own IPC namespace; some sandboxes mount /proc/sys read-only.
std::vector<Need> MqueueSysctlWritable(const char* path) {
  return {Need::PrivateIpcNamespace(), Need::WritableSysctl(path)};
}

// SIGUSR1 blocked for the test (so that a notification stays pending and is
// read with sigtimedwait); on destruction pending ones are drained and the
// old mask is restored.
class BlockedSignal {
 public:
  explicit BlockedSignal(int sig) : sig_(sig) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig_);
    sigprocmask(SIG_BLOCK, &s, &old_);
  }
  ~BlockedSignal() {
    while (Take(nullptr)) {
    }
    sigprocmask(SIG_SETMASK, &old_, nullptr);
  }
  // Takes a pending `sig` without waiting; false when none is pending.
  bool Take(siginfo_t* info) {
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, sig_);
    struct timespec zero = {0, 0};
    siginfo_t local;
    return sigtimedwait(&s, info ? info : &local, &zero) == sig_;
  }

 private:
  int sig_;
  sigset_t old_;
};

struct sigevent SignalEvent(int sig) {
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = sig;
  return ev;
}

// --- sizes and priorities --------------------------------------------------

// man 3 mq_send: "EMSGSIZE msg_len was greater than the mq_msgsize attribute
// of the message queue."; "this length must be less than or equal to the
// queue's mq_msgsize attribute. Zero-length messages are allowed."
TEST(PosixMq, SendLongerThanMsgsizeIsEmsgsize) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  char buf[17] = {};
  EXPECT_THAT(mq_send(q.fd(), buf, 17, 0), SyscallFailsWithErrno(EMSGSIZE))
      << "man 3 mq_send: \"EMSGSIZE msg_len was greater than the mq_msgsize attribute\"";
  EXPECT_THAT(mq_send(q.fd(), buf, 16, 0), SyscallSucceeds())
      << "man 3 mq_send: msg_len \"must be less than or equal to the queue's mq_msgsize\"";
  EXPECT_THAT(mq_send(q.fd(), buf, 0, 0), SyscallSucceeds())
      << "man 3 mq_send: \"Zero-length messages are allowed.\"";
}

// man 3 mq_receive: "EMSGSIZE msg_len was less than the mq_msgsize attribute
// of the message queue." (whatever the size of the message waiting)
TEST(PosixMq, ReceiveBufferShorterThanMsgsizeIsEmsgsize) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  char buf[16];
  EXPECT_THAT(mq_receive(q.fd(), buf, 15, nullptr), SyscallFailsWithErrno(EMSGSIZE))
      << "man 3 mq_receive: \"EMSGSIZE msg_len was less than the mq_msgsize attribute of the "
         "message queue.\" (a 1-byte message waits, the buffer is 15 of mq_msgsize 16)";
  EXPECT_EQ(CurMsgs(q.fd()), 1) << "the message stays queued";
  EXPECT_THAT(mq_receive(q.fd(), buf, 16, nullptr), SyscallSucceedsWithValue(1))
      << "man 3 mq_receive: \"return the number of bytes in the received message\"";
}

// man 7 mq_overview: "Message priorities range from 0 (low) to
// sysconf(_SC_MQ_PRIO_MAX) - 1 (high). On Linux, sysconf(_SC_MQ_PRIO_MAX)
// returns 32768". man 3 mq_send lists no error for a priority out of range;
// POSIX does ("[EINVAL] The value of msg_prio was outside the valid range"),
// and Linux returns EINVAL: this checks Linux.
TEST(PosixMq, PriorityOfMqPrioMaxOrMoreIsEinval) {
  long prio_max = sysconf(_SC_MQ_PRIO_MAX);
  EXPECT_EQ(prio_max, 32768) << "man 7 mq_overview: \"On Linux, sysconf(_SC_MQ_PRIO_MAX) returns "
                                "32768\"";
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  EXPECT_THAT(mq_send(q.fd(), "hi", 2, static_cast<unsigned>(prio_max - 1)), SyscallSucceeds())
      << "man 7 mq_overview: priorities range \"to sysconf(_SC_MQ_PRIO_MAX) - 1 (high)\"";
  EXPECT_THAT(mq_send(q.fd(), "hi", 2, static_cast<unsigned>(prio_max)),
              SyscallFailsWithErrno(EINVAL))
      << "man 7 mq_overview: priority sysconf(_SC_MQ_PRIO_MAX) is out of range (POSIX and "
         "Linux: EINVAL)";
  char buf[16];
  unsigned prio = 0;
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(2));
  EXPECT_EQ(prio, static_cast<unsigned>(prio_max - 1));
}

// man 3 mq_receive: "mq_receive() removes the oldest message with the
// highest priority"; man 3 mq_send: "newer messages of the same priority
// being placed after older messages with the same priority".
TEST(PosixMq, HighestPriorityFirstAndFifoWithinAPriority) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(8, 16));
  const std::pair<const char*, unsigned> sent[] = {{"a", 1}, {"b", 5}, {"c", 1}, {"d", 5},
                                                    {"e", 0}, {"f", 9}};
  for (const auto& [text, prio] : sent) ASSERT_THAT(mq_send(q.fd(), text, 1, prio), SyscallSucceeds());
  std::string order;
  char buf[16];
  for (int i = 0; i < 6; ++i) {
    ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(1));
    order += buf[0];
  }
  EXPECT_EQ(order, "fbdace") << "man 3 mq_receive: \"the oldest message with the highest "
                                "priority\" first";
}

// --- names -----------------------------------------------------------------

// man 7 mq_overview: "Each message queue is identified by a name of the form
// /somename; that is, a null-terminated string of up to NAME_MAX (i.e., 255)
// characters consisting of an initial slash, followed by one or more
// characters, none of which are slashes." man 3 mq_open: "EINVAL name doesn't
// follow the format in mq_overview(7)."; NOTES: "The library function
// performs the check that the name starts with a slash (/), giving the EINVAL
// error if it does not."; "EACCES name contained more than one slash.";
// "ENOENT name was just "/" followed by no other characters.";
// "ENAMETOOLONG name was too long."
TEST(PosixMq, NameRules) {
  struct mq_attr attr = {0, 2, 8, 0};
  auto try_open = [&](const std::string& name) {
    mqd_t q = mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr);
    if (q == static_cast<mqd_t>(-1)) return -1;
    close(q);
    mq_unlink(name.c_str());
    return 0;
  };
  EXPECT_THAT(try_open("noslash"), SyscallFailsWithErrno(EINVAL))
      << "man 3 mq_open NOTES: the name must start with a slash, \"giving the EINVAL error if it "
         "does not\"";
  EXPECT_THAT(try_open("/a/b"), SyscallFailsWithErrno(EACCES))
      << "man 3 mq_open: \"EACCES name contained more than one slash.\"";
  EXPECT_THAT(try_open("//"), SyscallFailsWithErrno(EACCES))
      << "man 3 mq_open: \"EACCES name contained more than one slash.\" (\"//\")";
  EXPECT_THAT(try_open("/"), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_open: \"ENOENT name was just \"/\" followed by no other characters.\"";
  EXPECT_THAT(try_open("/" + std::string(254, 'n')), SyscallSucceeds())
      << "man 7 mq_overview: a name \"of up to NAME_MAX (i.e., 255) characters\"";
  EXPECT_THAT(try_open("/" + std::string(256, 'n')), SyscallFailsWithErrno(ENAMETOOLONG))
      << "man 3 mq_open: \"ENAMETOOLONG name was too long.\" (257 characters)";
  // Linux: the limit applies to the part after the slash (the system call
  // gets name+1, man 3 mq_open NOTES), so "/" + 255 characters is accepted
  // although the man page counts the slash among the 255.
  EXPECT_THAT(try_open("/" + std::string(255, 'n')), SyscallSucceeds())
      << "Linux: NAME_MAX applies to the name after the slash (man 3 mq_open NOTES: the "
         "library \"passes name without the preceding slash (i.e., name+1) to the system "
         "call\")";
}

// --- default and maximum attributes ----------------------------------------

// man 7 mq_overview: msg_default "defines the value used for a new queue's
// mq_maxmsg setting when the queue is created with a call to mq_open(3) where
// attr is specified as NULL"; msgsize_default likewise for mq_msgsize; "A new
// queue's default mq_maxmsg value will be the smaller of msg_default and
// msg_max."; "If msgsize_default exceeds msgsize_max, a new queue's default
// mq_msgsize value is capped to the msgsize_max limit."
TEST(PosixMq, DefaultAttributesComeFromTheNamespacesProcFiles) {
  IPCSPEC_NEEDS(MqueueSysctlWritable(kMsgDefault), MqueueSysctlWritable(kMsgMax),
                MqueueSysctlWritable(kMsgsizeDefault));
  ASSERT_OK_AND_ASSIGN(long msg_default, ReadProcLong(kMsgDefault));
  ASSERT_OK_AND_ASSIGN(long msgsize_default, ReadProcLong(kMsgsizeDefault));
  ASSERT_OK_AND_ASSIGN(long msg_max, ReadProcLong(kMsgMax));
  ASSERT_OK_AND_ASSIGN(long msgsize_max, ReadProcLong(kMsgsizeMax));
  {
    ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(0, 0));  // attr NULL
    ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
    EXPECT_EQ(a.mq_maxmsg, std::min(msg_default, msg_max))
        << "man 7 mq_overview: \"A new queue's default mq_maxmsg value will be the smaller of "
           "msg_default and msg_max.\"";
    EXPECT_EQ(a.mq_msgsize, std::min(msgsize_default, msgsize_max))
        << "man 7 mq_overview: msgsize_default is the mq_msgsize of a queue opened with attr "
           "NULL (capped to msgsize_max)";
  }
  ASSERT_NO_ERRNO(WriteProcLong(kMsgDefault, 3));
  ASSERT_NO_ERRNO(WriteProcLong(kMsgsizeDefault, 256));
  {
    ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(0, 0));
    ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
    EXPECT_EQ(a.mq_maxmsg, 3) << "man 7 mq_overview: msg_default (3, set in this namespace)";
    EXPECT_EQ(a.mq_msgsize, 256) << "man 7 mq_overview: msgsize_default (256, set here)";
  }
  ASSERT_NO_ERRNO(WriteProcLong(kMsgMax, 2));
  {
    ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(0, 0));
    ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
    EXPECT_EQ(a.mq_maxmsg, 2) << "man 7 mq_overview: \"the smaller of msg_default and msg_max\" "
                                 "(msg_default 3, msg_max 2)";
  }
}

// man 3 mq_open: "EINVAL O_CREAT was specified in oflag, and attr was not
// NULL, but attr->mq_maxmsg or attr->mq_msqsize was invalid. Both of these
// fields must be greater than zero. In a process that is unprivileged (does
// not have the CAP_SYS_RESOURCE capability), attr->mq_maxmsg must be less
// than or equal to the msg_max limit, and attr->mq_msgsize must be less than
// or equal to the msgsize_max limit."
TEST(PosixMq, AttributesAboveTheMaximumWithoutPrivilegeAreEinval) {
  ASSERT_OK_AND_ASSIGN(long msg_max, ReadProcLong(kMsgMax));
  ASSERT_OK_AND_ASSIGN(long msgsize_max, ReadProcLong(kMsgsizeMax));
  // The names are the parent's: it unlinks whatever the child made.
  PosixMqName at_max(UniqueMqName("at_max"));
  PosixMqName over_count(UniqueMqName("over_count"));
  PosixMqName over_size(UniqueMqName("over_size"));
  PosixMqName zero(UniqueMqName("zero"));
  ASSERT_OK_AND_ASSIGN(auto errs, SharedObject<FourInts>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
                         if (DropCapability(CAP_SYS_RESOURCE) != 0) return 1;
                         auto open_err = [](const PosixMqName& n, long maxmsg, long msgsize) {
                           struct mq_attr a = {0, maxmsg, msgsize, 0};
                           mqd_t q = mq_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a);
                           if (q == static_cast<mqd_t>(-1)) return errno;
                           close(q);
                           return 0;
                         };
                         (*errs)[0] = open_err(at_max, msg_max, std::min(msgsize_max, 64L));
                         (*errs)[1] = open_err(over_count, msg_max + 1, 64);
                         (*errs)[2] = open_err(over_size, 1, msgsize_max + 1);
                         (*errs)[3] = open_err(zero, 0, 64);
                         return 0;
                       }));
  ASSERT_TRUE(st.ExitedWith(0)) << "child without CAP_SYS_RESOURCE: " << st;
  EXPECT_EQ((*errs)[0], 0) << "man 3 mq_open: mq_maxmsg equal to msg_max (" << msg_max
                           << ") is allowed without privilege; got " << ErrnoName((*errs)[0]);
  EXPECT_EQ((*errs)[1], EINVAL) << "man 3 mq_open: unprivileged, \"attr->mq_maxmsg must be less "
                                   "than or equal to the msg_max limit\"; got "
                                << ErrnoName((*errs)[1]);
  EXPECT_EQ((*errs)[2], EINVAL) << "man 3 mq_open: unprivileged, \"attr->mq_msgsize must be less "
                                   "than or equal to the msgsize_max limit\"; got "
                                << ErrnoName((*errs)[2]);
  EXPECT_EQ((*errs)[3], EINVAL) << "man 3 mq_open: \"Both of these fields must be greater than "
                                   "zero.\" (mq_maxmsg 0); got "
                                << ErrnoName((*errs)[3]);
  // The owners unlink whichever of the names the child did create.
}

// man 7 mq_overview: "The msg_max limit is ignored for privileged processes
// (CAP_SYS_RESOURCE), but the HARD_MSGMAX ceiling is nevertheless imposed."
// "The msgsize_max limit is ignored for privileged process (CAP_SYS_RESOURCE),
// but, since Linux 3.5, the HARD_MSGSIZEMAX ceiling is enforced".
TEST(PosixMq, PrivilegedProcessMayExceedMsgMaxButNotTheHardCeilings) {
  // mq_open checks capable(CAP_SYS_RESOURCE): in the initial user namespace
  // (this target is tagged no-sandbox, so that it runs there as root).
  IPCSPEC_NEEDS(Need::CapabilityInInitialUserNs(CAP_SYS_RESOURCE));
  ASSERT_OK_AND_ASSIGN(long msg_max, ReadProcLong(kMsgMax));
  ASSERT_OK_AND_ASSIGN(long msgsize_max, ReadProcLong(kMsgsizeMax));
  EXPECT_TRUE(MakeQueue(msg_max + 1, 16).ok())
      << "man 7 mq_overview: \"The msg_max limit is ignored for privileged processes\"";
  EXPECT_TRUE(MakeQueue(1, msgsize_max + 1).ok())
      << "man 7 mq_overview: \"The msgsize_max limit is ignored for privileged process\"";
  EXPECT_THAT(MakeQueue(65537, 16), SyscallFailsWithErrno(EINVAL))
      << "man 7 mq_overview: HARD_MSGMAX (65,536 since Linux 3.5) \"is nevertheless imposed\"";
  EXPECT_THAT(MakeQueue(1, 16777217), SyscallFailsWithErrno(EINVAL))
      << "man 7 mq_overview: \"the HARD_MSGSIZEMAX ceiling is enforced\" (16,777,216)";
}

// --- access mode, blocking, timeouts ---------------------------------------

// man 3 mq_send: "EBADF The descriptor specified in mqdes was invalid or not
// opened for writing." man 3 mq_receive: "EBADF The descriptor specified in
// mqdes was invalid or not opened for reading."
TEST(PosixMq, WrongAccessModeIsEbadf) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  ASSERT_OK_AND_ASSIGN(MqDescriptor ro, OpenMq(q.name.get(), O_RDONLY | O_CLOEXEC));
  ASSERT_OK_AND_ASSIGN(MqDescriptor wo, OpenMq(q.name.get(), O_WRONLY | O_CLOEXEC));
  EXPECT_THAT(mq_send(ro.get(), "x", 1, 0), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_send: \"EBADF ... not opened for writing\" (O_RDONLY)";
  EXPECT_THAT(mq_send(wo.get(), "x", 1, 0), SyscallSucceeds());
  char buf[16];
  EXPECT_THAT(mq_receive(wo.get(), buf, sizeof buf, nullptr), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_receive: \"EBADF ... not opened for reading\" (O_WRONLY)";
  EXPECT_THAT(mq_receive(ro.get(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(1));
}

// man 3 mq_send: "If the O_NONBLOCK flag is enabled for the message queue
// description, then the call instead fails immediately with the error
// EAGAIN."; mq_timedsend's timeout applies only "if the queue is full and
// the O_NONBLOCK flag is not enabled". man 3 mq_receive likewise.
TEST(PosixMq, NonBlockingDescriptionFailsEagain) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(1, 16, O_NONBLOCK));
  char buf[16];
  EXPECT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_receive: \"EAGAIN The queue was empty, and the O_NONBLOCK flag was set\"";
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  EXPECT_THAT(mq_send(q.fd(), "y", 1, 0), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_send: \"EAGAIN The queue was full, and the O_NONBLOCK flag was set\"";
  MqWait w = MqWait::Within(std::chrono::seconds(5));
  EXPECT_THAT(mq_timedsend(q.fd(), "y", 1, 0, &w.abs_timeout), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_send: the timeout applies only \"if the queue is full and the O_NONBLOCK "
         "flag is not enabled\": with it, EAGAIN at once";
}

// man 3 mq_send: "ETIMEDOUT The call timed out before a message could be
// transferred."; "If the message queue is full, and the timeout has already
// expired by the time of the call, mq_timedsend() returns immediately."
// man 3 mq_receive likewise for an empty queue.
TEST(PosixMq, TimedCallsTimeOut) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(1, 16));
  char buf[16];
  struct timespec epoch = {0, 0};
  EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, nullptr, &epoch),
              SyscallFailsWithErrno(ETIMEDOUT))
      << "man 3 mq_receive: \"If no message is available, and the timeout has already expired "
         "by the time of the call, mq_timedreceive() returns immediately.\" (ETIMEDOUT)";
  {
    Watchdog dog(Deadline::Default());
    MqWait soon = MqWait::Within(std::chrono::milliseconds(20));
    EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, nullptr, &soon.abs_timeout),
                SyscallFailsWithErrno(ETIMEDOUT))
        << "man 3 mq_receive: \"ETIMEDOUT The call timed out before a message could be "
           "transferred.\"";
    EXPECT_FALSE(dog.fired());
  }
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  EXPECT_THAT(mq_timedsend(q.fd(), "y", 1, 0, &epoch), SyscallFailsWithErrno(ETIMEDOUT))
      << "man 3 mq_send: \"If the message queue is full, and the timeout has already expired "
         "by the time of the call, mq_timedsend() returns immediately.\" (ETIMEDOUT)";
  {
    Watchdog dog(Deadline::Default());
    MqWait soon = MqWait::Within(std::chrono::milliseconds(20));
    EXPECT_THAT(mq_timedsend(q.fd(), "y", 1, 0, &soon.abs_timeout),
                SyscallFailsWithErrno(ETIMEDOUT))
        << "man 3 mq_send: \"ETIMEDOUT The call timed out before a message could be "
           "transferred.\"";
    EXPECT_FALSE(dog.fired());
  }
  EXPECT_EQ(CurMsgs(q.fd()), 1);
}

// man 3 mq_send / mq_receive: "EINVAL The call would have blocked, and
// abs_timeout was invalid, either because tv_sec was less than zero, or
// because tv_nsec was less than zero or greater than 1000 million."
TEST(PosixMq, InvalidTimeoutIsEinvalWhenTheCallWouldBlock) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(1, 16));
  const struct timespec bad[] = {{0, 1000000000}, {0, -1}, {-1, 0}};
  char buf[16];
  for (const auto& ts : bad) {
    EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, nullptr, &ts),
                SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_receive: \"EINVAL The call would have blocked, and abs_timeout was "
           "invalid\" (empty queue, {"
        << ts.tv_sec << ", " << ts.tv_nsec << "})";
  }
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  for (const auto& ts : bad) {
    EXPECT_THAT(mq_timedsend(q.fd(), "y", 1, 0, &ts), SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_send: \"EINVAL The call would have blocked, and abs_timeout was invalid\" "
           "(full queue, {"
        << ts.tv_sec << ", " << ts.tv_nsec << "})";
  }
}

// Linux checks the timeout before looking at the queue, so an invalid one
// fails EINVAL even when the call would NOT block. The man page names EINVAL
// only for a call that "would have blocked"; POSIX allows both ("The validity
// of the abs_timeout parameter need not be checked when the message can be
// added to the message queue immediately"). This records what Linux does.
TEST(PosixMq, LinuxChecksTheTimeoutEvenWhenTheCallWouldNotBlock) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  const struct timespec bad = {0, 1000000000};
  EXPECT_THAT(mq_timedsend(q.fd(), "x", 1, 0, &bad), SyscallFailsWithErrno(EINVAL))
      << "Linux: mq_timedsend checks abs_timeout first (man 3 mq_send only promises EINVAL "
         "when \"The call would have blocked\")";
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  char buf[16];
  EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, nullptr, &bad),
              SyscallFailsWithErrno(EINVAL))
      << "Linux: mq_timedreceive checks abs_timeout first (man 3 mq_receive only promises "
         "EINVAL when \"The call would have blocked\")";
  EXPECT_EQ(CurMsgs(q.fd()), 1) << "the message was not taken";
}

// man 3 mq_send: "If the message queue is already full ... mq_send() blocks
// until sufficient space becomes available to allow the message to be
// queued".
TEST(PosixMq, BlockingSendWaitsUntilAReceiveMakesRoom) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(1, 16));
  ASSERT_THAT(mq_send(q.fd(), "first", 5, 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         return mq_send(q.fd(), "second", 6, 3) == 0 ? 0 : errno;
                       }));
  PosixError blocked = WaitUntilBlocked(c.pid(), {SYS_mq_timedsend});
  ASSERT_TRUE(blocked.ok()) << blocked << "\nman 3 mq_send: mq_send() \"blocks until sufficient "
                                          "space becomes available\"";
  EXPECT_EQ(CurMsgs(q.fd()), 1);
  char buf[16];
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << "man 3 mq_send: the blocked sender completes once there is "
                                   "room: "
                                << st;
  unsigned prio = 0;
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(6));
  EXPECT_EQ(prio, 3u);
}

// man 3 mq_getattr: "The only attribute that can be modified is the setting
// of the O_NONBLOCK flag in mq_flags. The other fields in newattr are
// ignored." man 7 mq_overview: "Corresponding message queue descriptors in
// the two processes share the flags (mq_flags) that are associated with the
// open message queue description."
TEST(PosixMq, SetattrChangesOnlyONonblockAndForkSharesIt) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(3, 16));
  ASSERT_OK_AND_ASSIGN(CallRecord set, CallInChild([&] {
                         struct mq_attr a = {O_NONBLOCK, 99, 99, 99};
                         return Record("mq_setattr", mq_setattr(q.fd(), &a, nullptr));
                       }));
  ASSERT_EQ(set.ret, 0) << "the child's " << set;
  ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
  EXPECT_EQ(a.mq_flags & O_NONBLOCK, O_NONBLOCK)
      << "man 7 mq_overview: after fork the descriptors \"share the flags (mq_flags)\": the "
         "child's mq_setattr(O_NONBLOCK) shows in the parent";
  EXPECT_EQ(a.mq_maxmsg, 3) << "man 3 mq_getattr: \"The other fields in newattr are ignored.\"";
  EXPECT_EQ(a.mq_msgsize, 16) << "man 3 mq_getattr: \"The other fields in newattr are ignored.\"";
  char buf[16];
  EXPECT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_receive: O_NONBLOCK set by mq_setattr makes an empty receive fail EAGAIN";
}

// --- mq_notify -------------------------------------------------------------

// man 3 mq_notify: "Only one process can be registered to receive
// notification from a message queue."; "EBUSY Another process has already
// registered to receive notification for this message queue."; "If sevp is
// NULL, and the calling process is currently registered ..., then the
// registration is removed; another process can then register".
TEST(PosixMq, NotifyHasOnlyOneRegistrant) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  struct sigevent none = {};
  none.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(mq_notify(q.fd(), &none), SyscallSucceeds());
  auto child_registers = [&] {
    return CallInChild([&] {
      struct sigevent ev = {};
      ev.sigev_notify = SIGEV_NONE;
      return Record("mq_notify", mq_notify(q.fd(), &ev));
    });
  };
  ASSERT_OK_AND_ASSIGN(CallRecord r, child_registers());
  EXPECT_TRUE(r.FailedWith(EBUSY))
      << "man 3 mq_notify: \"EBUSY Another process has already registered to receive "
         "notification for this message queue.\": the child's "
      << r;
  ASSERT_THAT(mq_notify(q.fd(), nullptr), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(r, child_registers());
  EXPECT_EQ(r.ret, 0) << "man 3 mq_notify: after the registration is removed "
                         "\"another process can then register\": the child's "
                      << r;
}

// man 3 mq_notify: "Notification occurs once: after a notification is
// delivered, the notification registration is removed, and another process
// can register for message notification." SIGEV_SIGNAL: "The si_code field
// of the siginfo_t structure will be set to SI_MESGQ. In addition, si_pid
// will be set to the PID of the process that sent the message".
TEST(PosixMq, NotificationIsOneShot) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  BlockedSignal usr1(SIGUSR1);
  struct sigevent ev = SignalEvent(SIGUSR1);
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "a", 1, 0), SyscallSucceeds());
  siginfo_t info = {};
  ASSERT_TRUE(usr1.Take(&info)) << "man 3 mq_notify: a message arriving on the empty queue is "
                                   "notified with SIGEV_SIGNAL";
  EXPECT_EQ(info.si_code, SI_MESGQ) << "man 3 mq_notify: \"The si_code field ... will be set to "
                                       "SI_MESGQ\"";
  EXPECT_EQ(info.si_pid, getpid()) << "man 3 mq_notify: \"si_pid will be set to the PID of the "
                                      "process that sent the message\"";
  char buf[16];
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "b", 1, 0), SyscallSucceeds());
  EXPECT_FALSE(usr1.Take(nullptr))
      << "man 3 mq_notify: \"Notification occurs once: after a notification is delivered, the "
         "notification registration is removed\" (a second empty->non-empty gave a signal)";
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
                         struct sigevent none = {};
                         none.sigev_notify = SIGEV_NONE;
                         return mq_notify(q.fd(), &none) == 0 ? 0 : errno;
                       }));
  EXPECT_TRUE(st.ExitedWith(0)) << "man 3 mq_notify: after the notification \"another process "
                                   "can register\": "
                                << st;
}

// man 3 mq_notify: "Message notification occurs only when a new message
// arrives and the queue was previously empty. If the queue was not empty at
// the time mq_notify() was called, then a notification will occur only after
// the queue is emptied and a new message arrives."
TEST(PosixMq, NotificationOnlyWhenTheQueueWasEmpty) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  BlockedSignal usr1(SIGUSR1);
  ASSERT_THAT(mq_send(q.fd(), "a", 1, 0), SyscallSucceeds());
  struct sigevent ev = SignalEvent(SIGUSR1);
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "b", 1, 0), SyscallSucceeds());
  EXPECT_FALSE(usr1.Take(nullptr)) << "man 3 mq_notify: no notification for a message arriving "
                                      "on a non-empty queue";
  char buf[16];
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceeds());
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceeds());
  EXPECT_FALSE(usr1.Take(nullptr)) << "emptying the queue notifies nothing";
  ASSERT_THAT(mq_send(q.fd(), "c", 1, 0), SyscallSucceeds());
  EXPECT_TRUE(usr1.Take(nullptr))
      << "man 3 mq_notify: \"a notification will occur only after the queue is emptied and a new "
         "message arrives\"";
}

// man 3 mq_notify: "If another process or thread is waiting to read a
// message from an empty queue using mq_receive(3), then any message
// notification registration is ignored: the message is delivered to the
// process or thread calling mq_receive(3), and the message notification
// registration remains in effect."
TEST(PosixMq, NoNotificationWhileAReceiverIsBlocked) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  BlockedSignal usr1(SIGUSR1);
  struct sigevent ev = SignalEvent(SIGUSR1);
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto got, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         char buf[16] = {};
                         *got = Record("mq_receive", mq_receive(q.fd(), buf, sizeof buf, nullptr));
                         got->extra = std::memcmp(buf, "wake", 4) == 0;  // 1: it read "wake"
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_mq_timedreceive}));
  ASSERT_THAT(mq_send(q.fd(), "wake", 4, 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_TRUE(got->ret == 4 && got->extra == 1)
      << "man 3 mq_notify: \"the message is delivered to the process ... calling "
         "mq_receive(3)\": the child's "
      << *got << " (then 1: the message was \"wake\")";
  EXPECT_FALSE(usr1.Take(nullptr))
      << "man 3 mq_notify: with a receiver waiting \"any message notification registration is "
         "ignored\"";
  EXPECT_EQ(CurMsgs(q.fd()), 0);
  ASSERT_THAT(mq_send(q.fd(), "next", 4, 0), SyscallSucceeds());
  EXPECT_TRUE(usr1.Take(nullptr))
      << "man 3 mq_notify: \"the message notification registration remains in effect\": the "
         "next message on the empty queue is notified";
}

// --- lifetime --------------------------------------------------------------

// man 3 mq_unlink: "The message queue name is removed immediately. The queue
// itself is destroyed once any other processes that have the queue open
// close their descriptors referring to the queue."
TEST(PosixMq, UnlinkRemovesTheNameAtOnceAndTheQueueAtLastClose) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  std::string name = q.name.get();
  ASSERT_THAT(mq_send(q.fd(), "kept", 4, 2), SyscallSucceeds());
  ASSERT_NO_ERRNO(q.name.reset());  // mq_unlink
  EXPECT_THAT(mq_open(name.c_str(), O_RDWR), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_unlink: \"The message queue name is removed immediately.\"";
  // A new queue of the same name is a different, empty queue.
  ASSERT_OK_AND_ASSIGN(MqDescriptor other,
                       OpenMq(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 4, 16));
  PosixMqName other_name(name);
  EXPECT_EQ(CurMsgs(other.get()), 0) << "a new queue under the old name starts empty";
  char buf[16];
  unsigned prio = 0;
  EXPECT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(4))
      << "man 3 mq_unlink: \"The queue itself is destroyed once any other processes that have "
         "the queue open close their descriptors\": until then it works";
  EXPECT_EQ(prio, 2u);
  EXPECT_THAT(mq_send(q.fd(), "more", 4, 0), SyscallSucceeds());
  EXPECT_EQ(CurMsgs(other.get()), 0) << "the unlinked queue and the new one are distinct";
}

// man 7 mq_overview: "POSIX message queues have kernel persistence: if not
// removed by mq_unlink(3), a message queue will exist until the system is
// shut down." (Here: until this test's IPC namespace goes.)
TEST(PosixMq, QueueOutlivesItsCreator) {
  PosixMqName name(UniqueMqName("persist"));  // owner from the start: unlinks at the end
  ASSERT_OK_AND_ASSIGN(auto made, CallsInChild<2>([&](CallRecords<2>& r) {
                         struct mq_attr a = {0, 2, 16, 0};
                         mqd_t q = mq_open(name.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600, &a);
                         r[0] = Record("mq_open", q);
                         if (q != static_cast<mqd_t>(-1)) {
                           r[1] = Record("mq_send", mq_send(q, "persist", 7, 7));
                         }
                         // exits without mq_close or mq_unlink
                       }));
  ASSERT_EQ(made[1].ret, 0) << "creator child: " << ToString(made);
  ASSERT_OK_AND_ASSIGN(MqDescriptor q, OpenMq(name.get(), O_RDONLY | O_CLOEXEC));
  char buf[16];
  unsigned prio = 0;
  EXPECT_THAT(mq_receive(q.get(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(7))
      << "man 7 mq_overview: \"POSIX message queues have kernel persistence\": the queue and its "
         "message outlive the process that made them";
  EXPECT_EQ(std::string(buf, 7), "persist");
  EXPECT_EQ(prio, 7u);
}

}  // namespace
}  // namespace ipcspec
