// POSIX message queues as files (man 7 mq_overview, "Mounting the message
// queue filesystem", "Obtaining information about a message queue", "Linux
// implementation of message queue descriptors"; man 7 ipc_namespaces): the
// queue's file in the mqueue file system, read(2) of it, poll(2) on a queue
// descriptor, open(2) and unlink(2) of the file, and a descriptor kept across
// unshare(CLONE_NEWIPC). Each test has its own IPC namespace and a private
// mqueue mount (the ipcspec main, impl/core/sandbox.h).
#include <fcntl.h>
#include <mqueue.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/syscall_matchers.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

struct Queue {
  PosixMqName name;
  MqDescriptor mqd;
  int fd() const { return mqd.get(); }
};

PosixErrorOr<Queue> MakeQueue(long maxmsg, long msgsize) {
  Queue q;
  std::string name = UniqueMqName("mq_fs");
  IPCSPEC_ASSIGN_OR_RETURN(q.mqd,
                           OpenMq(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, maxmsg, msgsize));
  q.name = PosixMqName(name);
  return q;
}

// `feature:mqueue-mount`: this test's mqueue file system is mounted where the
// sandbox says.
Need MqueueMount() {
  return Need::Feature("mqueue-mount", []() -> std::optional<std::string> {
    if (IpcSandbox::Get().mqueue_dir().empty()) return "no mqueue file system mounted";
    return std::nullopt;
  });
}

std::string PathOf(const Queue& q) { return IpcSandbox::Get().mqueue_dir() + q.name.get(); }

// The fields of a queue file's text.
struct QueueText {
  unsigned long qsize = ~0UL;
  int notify = -1, signo = -1, notify_pid = -1;
  std::string raw;
};

// One read(2) of the queue file from its start.
PosixErrorOr<QueueText> ReadQueueFile(int fd) {
  char buf[256] = {};
  ssize_t n = read(fd, buf, sizeof buf - 1);
  if (n < 0) return ErrnoError("read(queue file)");
  QueueText t;
  t.raw.assign(buf, static_cast<size_t>(n));
  if (std::sscanf(buf, "QSIZE:%lu NOTIFY:%d SIGNO:%d NOTIFY_PID:%d", &t.qsize, &t.notify,
                  &t.signo, &t.notify_pid) != 4) {
    return PosixError(EINVAL, "the queue file's text is not \"QSIZE:... NOTIFY:... SIGNO:... "
                              "NOTIFY_PID:...\": \"" + t.raw + "\"");
  }
  return t;
}

PosixErrorOr<QueueText> ReadQueuePath(const std::string& path) {
  FileDescriptor fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoError("open(" + path + ")");
  return ReadQueueFile(fd.get());
}

// man 7 mq_overview: "The contents of each file in the directory consist of a
// single line containing information about the queue": "QSIZE Number of bytes
// of data in all messages in the queue" (BUGS: counted kernel overhead in
// Linux 3.5 to 4.1), "NOTIFY_PID If this is nonzero, then the process with
// this PID has used mq_notify(3) to register", "NOTIFY Notification method: 0
// is SIGEV_SIGNAL; 1 is SIGEV_NONE; and 2 is SIGEV_THREAD.", "SIGNO Signal
// number to be used for SIGEV_SIGNAL." read(2) of a queue descriptor gives the
// same line.
TEST(PosixMqFs, QueueFileShowsQsizeAndTheNotification) {
  IPCSPEC_NEEDS(MqueueMount());
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 32));
  {
    ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueueFile(q.fd()));
    EXPECT_EQ(t.qsize, 0u) << "man 7 mq_overview: read(2) of the queue descriptor: QSIZE of an "
                              "empty queue is 0: "
                           << t.raw;
    EXPECT_EQ(t.notify_pid, 0) << "man 7 mq_overview: NOTIFY_PID 0: nobody registered: " << t.raw;
    EXPECT_EQ(t.notify, 0) << t.raw;
    EXPECT_EQ(t.signo, 0) << t.raw;
  }
  ASSERT_THAT(mq_send(q.fd(), "abc", 3, 0), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "defgh", 5, 7), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "", 0, 1), SyscallSucceeds());
  {
    ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueuePath(PathOf(q)));
    EXPECT_EQ(t.qsize, 8u) << "man 7 mq_overview: \"QSIZE Number of bytes of data in all "
                              "messages in the queue\" (3 + 5 + 0; Linux 4.2 and later): "
                           << t.raw;
  }
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_SIGNAL;
  ev.sigev_signo = SIGUSR2;
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  {
    ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueuePath(PathOf(q)));
    EXPECT_EQ(t.notify_pid, getpid()) << "man 7 mq_overview: \"NOTIFY_PID If this is nonzero, "
                                         "then the process with this PID has used mq_notify(3)\": "
                                      << t.raw;
    EXPECT_EQ(t.notify, 0) << "man 7 mq_overview: \"NOTIFY Notification method: 0 is "
                              "SIGEV_SIGNAL\": "
                           << t.raw;
    EXPECT_EQ(t.signo, SIGUSR2) << "man 7 mq_overview: \"SIGNO Signal number to be used for "
                                   "SIGEV_SIGNAL.\": "
                                << t.raw;
  }
  ASSERT_THAT(mq_notify(q.fd(), nullptr), SyscallSucceeds());
  ev = {};
  ev.sigev_notify = SIGEV_NONE;
  ASSERT_THAT(mq_notify(q.fd(), &ev), SyscallSucceeds());
  {
    ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueuePath(PathOf(q)));
    EXPECT_EQ(t.notify, 1) << "man 7 mq_overview: \"NOTIFY Notification method: ... 1 is "
                              "SIGEV_NONE\": "
                           << t.raw;
    EXPECT_EQ(t.notify_pid, getpid()) << t.raw;
  }
  ASSERT_THAT(mq_notify(q.fd(), nullptr), SyscallSucceeds());
  {
    ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueuePath(PathOf(q)));
    EXPECT_EQ(t.notify_pid, 0) << "man 7 mq_overview: NOTIFY_PID is 0 once the registration is "
                                  "removed: "
                               << t.raw;
    EXPECT_EQ(t.qsize, 8u) << "reading the queue file takes no message: " << t.raw;
  }
}

short PollNow(int fd) {
  struct pollfd p = {fd, POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM, 0};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

// man 7 mq_overview: "On Linux, a message queue descriptor is actually a file
// descriptor. ... This means that a message queue descriptor can be monitored
// using select(2), poll(2), or epoll(7). This is not portable." Readable when
// a message waits, writable while there is room; a poll waiting for input
// wakes when a message arrives.
TEST(PosixMqFs, PollReportsMessagesAndRoom) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  EXPECT_EQ(PollNow(q.fd()), POLLOUT | POLLWRNORM)
      << "man 7 mq_overview: a queue descriptor can be monitored with poll(2): an empty queue "
         "is writable, not readable (no POLLIN)";
  ASSERT_THAT(mq_send(q.fd(), "a", 1, 0), SyscallSucceeds());
  EXPECT_EQ(PollNow(q.fd()), POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM)
      << "man 7 mq_overview: poll(2): a message waits (POLLIN) and there is room (POLLOUT)";
  ASSERT_THAT(mq_send(q.fd(), "b", 1, 0), SyscallSucceeds());
  EXPECT_EQ(PollNow(q.fd()), POLLIN | POLLRDNORM)
      << "man 7 mq_overview: poll(2): a full queue is readable, not writable (no POLLOUT)";
  char buf[16];
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceeds());
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, nullptr), SyscallSucceeds());
  // The child's poll (0: timed out), then the revents it saw.
  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());
  CallRecord* r = rec.get();
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&] {
                         struct pollfd p = {q.fd(), POLLIN, 0};
                         *r = Record("poll", poll(&p, 1, 8000));
                         r->extra = p.revents;
                         return 0;
                       }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(c.pid(), {SYS_poll, SYS_ppoll}));
  ASSERT_THAT(mq_send(q.fd(), "c", 1, 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_NO_ERRNO(ReachedEnd(st, "the polling child"));
  EXPECT_TRUE(r->ret == 1 && (r->extra & POLLIN))
      << "man 7 mq_overview: poll(2) on an empty queue's descriptor wakes with POLLIN when a "
         "message arrives (returned 0: timed out; then: the revents): "
      << *r;
}

// man 7 mq_overview: "After the filesystem has been mounted, the message
// queues on the system can be viewed and manipulated using the commands
// usually used for files (e.g., ls(1) and rm(1))."; "The sticky bit is
// automatically enabled on the mount directory." The queue is a file with
// the creator's mode and owner; open(2) of it is a queue descriptor;
// unlink(2) of it removes the queue's name, as mq_unlink(3) would.
TEST(PosixMqFs, QueuesAreFilesThatOpenAndUnlinkReach) {
  IPCSPEC_NEEDS(MqueueMount());
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(3, 16));
  struct stat dir;
  ASSERT_THAT(stat(IpcSandbox::Get().mqueue_dir().c_str(), &dir), SyscallSucceeds());
  EXPECT_TRUE(dir.st_mode & S_ISVTX) << "man 7 mq_overview: \"The sticky bit is automatically "
                                        "enabled on the mount directory.\"";
  struct stat st;
  ASSERT_THAT(stat(PathOf(q).c_str(), &st), SyscallSucceeds())
      << "man 7 mq_overview: the queue is listed in the mqueue file system";
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the queue is a regular file: " << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the file has the queue's mode (0600)";
  EXPECT_EQ(st.st_uid, geteuid()) << "man 3 mq_open: \"The owner (user ID) of the message queue "
                                     "is set to the effective user ID\"";
  {
    FileDescriptor f(open(PathOf(q).c_str(), O_RDWR | O_CLOEXEC));
    ASSERT_TRUE(f.valid()) << "open(2) of the queue file: " << ErrnoName(errno);
    ASSERT_THAT(mq_send(f.get(), "via", 3, 2), SyscallSucceeds())
        << "man 7 mq_overview: the queue \"can be ... manipulated using the commands usually "
           "used for files\": open(2) gives a queue descriptor";
    char buf[16];
    unsigned prio = 0;
    EXPECT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(3));
    EXPECT_EQ(prio, 2u);
  }
  ASSERT_THAT(unlink(PathOf(q).c_str()), SyscallSucceeds())
      << "man 7 mq_overview: rm(1) (unlink(2)) of the queue file";
  std::string name = q.name.release();  // unlinked by unlink(2)
  EXPECT_THAT(mq_open(name.c_str(), O_RDWR), SyscallFailsWithErrno(ENOENT))
      << "man 7 mq_overview: unlink(2) of the file removes the queue's name (mq_open: ENOENT)";
  EXPECT_THAT(mq_unlink(name.c_str()), SyscallFailsWithErrno(ENOENT))
      << "after unlink(2) the name is gone for mq_unlink too (ENOENT)";
  EXPECT_THAT(mq_send(q.fd(), "still", 5, 0), SyscallSucceeds())
      << "man 3 mq_unlink: the queue itself lives on while a descriptor refers to it";
}

// man 7 ipc_namespaces: "Each IPC namespace has its own set of System V IPC
// identifiers and its own POSIX message queue filesystem." A process that
// moves to a new IPC namespace keeps its open queue descriptor (it still
// sends, receives and reads the queue file), but the queue's name is not in
// the new namespace (mq_open and mq_unlink: ENOENT).
TEST(PosixMqFs, DescriptorKeepsWorkingAfterUnshareOfTheIpcNamespace) {
  IPCSPEC_NEEDS(Need::NewIpcNamespace());
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(3, 16));
  enum { kUnshare, kSend, kRead, kOpen, kUnlink };
  ASSERT_OK_AND_ASSIGN(CallRecords<5> calls, CallsInChild<5>([&](CallRecords<5>& r) {
                         r[kUnshare] = Record("unshare(CLONE_NEWIPC)", unshare(CLONE_NEWIPC));
                         if (r[kUnshare].failed()) return;
                         r[kSend] = Record("mq_send", mq_send(q.fd(), "moved", 5, 0));
                         char buf[128];
                         r[kRead] = Record("read", read(q.fd(), buf, sizeof buf));
                         mqd_t m = mq_open(q.name.c_str(), O_RDWR);
                         r[kOpen] = Record("mq_open", m == static_cast<mqd_t>(-1) ? -1 : 0);
                         if (m != static_cast<mqd_t>(-1)) {
                           close(m);
                           return;
                         }
                         r[kUnlink] = Record("mq_unlink", mq_unlink(q.name.c_str()));
                       }));
  const char* step = calls[kSend].ret != 0   ? "mq_send on the kept descriptor failed. "
                     : calls[kRead].ret <= 0 ? "read(2) of the kept descriptor failed. "
                     : calls[kOpen].ret == 0 ? "the name opened in the new namespace. "
                     : !calls[kUnlink].FailedWith(ENOENT)
                         ? "mq_unlink of the name did not fail ENOENT. "
                         : "";
  const bool kept_and_unnamed = calls[kSend].ret == 0 && calls[kRead].ret > 0 &&
                                calls[kOpen].FailedWith(ENOENT) &&
                                calls[kUnlink].FailedWith(ENOENT);
  EXPECT_TRUE(kept_and_unnamed)
      << "man 7 ipc_namespaces: \"Each IPC namespace has its own ... POSIX message queue "
         "filesystem\": after unshare(CLONE_NEWIPC) the open descriptor works and the name is "
         "not found. "
      << step << ToString(calls);
  struct mq_attr a;
  ASSERT_THAT(mq_getattr(q.fd(), &a), SyscallSucceeds());
  EXPECT_EQ(a.mq_curmsgs, 1) << "the child's message, sent from the new namespace, is in our "
                                "queue";
}

// A directory made for a test, with the mqueue file system mounted on it;
// unmounted and removed at scope exit.
struct MqueueMountPoint {
  std::string dir;
  bool mounted = false;
  PosixError Make() {
    char tmpl[] = "/tmp/ipcspec-mq-mnt.XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return ErrnoError("mkdtemp");
    dir = tmpl;
    if (mount("mqueue", dir.c_str(), "mqueue", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0)
      return ErrnoError("mount(mqueue, " + dir + ")");
    mounted = true;
    return NoError();
  }
  ~MqueueMountPoint() {
    if (mounted) umount2(dir.c_str(), MNT_DETACH);
    if (!dir.empty()) rmdir(dir.c_str());
  }
};

// `feature:mount-mqueue`: this process may mount the mqueue file system (its
// own mount namespace, CAP_SYS_ADMIN there).
Need MayMountMqueue() {
  return Need::Feature("mount-mqueue", []() -> std::optional<std::string> {
    MqueueMountPoint m;
    PosixError e = m.Make();
    if (!e.ok() && (e.errno_value() == EPERM || e.errno_value() == EACCES)) return e.ToString();
    return std::nullopt;
  });
}

// man 7 mq_overview: "This filesystem can be mounted (by the superuser)";
// "After the filesystem has been mounted, the message queues on the system
// can be viewed and manipulated using the commands usually used for files".
// Every mount of the IPC namespace's mqueue file system lists the same
// queues.
TEST(PosixMqFs, EveryMountListsTheNamespacesQueues) {
  // The private IPC namespace comes with a private mount namespace: the
  // mounts never reach the host.
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), MayMountMqueue());
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 8));
  MqueueMountPoint a, b;
  ASSERT_NO_ERRNO(a.Make());
  ASSERT_NO_ERRNO(b.Make());
  for (const MqueueMountPoint* m : {&a, &b}) {
    struct stat st;
    EXPECT_THAT(stat((m->dir + q.name.get()).c_str(), &st), SyscallSucceeds())
        << "man 7 mq_overview: after the file system is mounted the queues \"can be viewed\": "
        << m->dir << q.name.get();
  }
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(QueueText t, ReadQueuePath(b.dir + q.name.get()));
  EXPECT_EQ(t.qsize, 1u) << "the second mount shows the same queue (QSIZE 1): " << t.raw;
}

}  // namespace
}  // namespace ipcspec
