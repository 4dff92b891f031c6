#include "impl/core/leak_audit.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;

// Makes one object, checks that the audit reports exactly it, reclaims it and
// checks that nothing is left.
void ExpectCaught(const std::function<void()>& leak_one, Leak::Sort sort,
                  const std::string& text) {
  IpcInventory before = TakeInventory();
  leak_one();
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].sort, sort);
  EXPECT_THAT(leaks[0].ToString(), HasSubstr(text));
  EXPECT_TRUE(Reclaim(leaks).empty());
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
}

TEST(LeakAudit, CatchesSysvMessageQueue) {
  ExpectCaught([] { ASSERT_GE(msgget(IPC_PRIVATE, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvMsg, "SysV message queue id");
}

TEST(LeakAudit, CatchesSysvSemaphoreSet) {
  ExpectCaught([] { ASSERT_GE(semget(0x1234, 2, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvSem, "key=0x1234");
}

TEST(LeakAudit, CatchesSysvSharedMemory) {
  ExpectCaught([] { ASSERT_GE(shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvShm, "size=8192 nattch=0");
}

TEST(LeakAudit, CatchesPosixMessageQueue) {
  IPCSPEC_NEEDS(Need::Feature("mqueue-mount", []() -> std::optional<std::string> {
    if (!IpcSandbox::Get().mqueue_dir().empty()) return std::nullopt;
    return "no mqueue filesystem mounted to list POSIX message queues in";
  }));
  ExpectCaught(
      [] {
        mqd_t q = mq_open("/audit-mq", O_CREAT | O_RDWR, 0600, nullptr);
        ASSERT_NE(q, (mqd_t)-1) << strerror(errno);
        mq_close(q);
      },
      Leak::Sort::kPosixMq, "/audit-mq");
}

TEST(LeakAudit, CatchesShmName) {
  ExpectCaught(
      [] {
        int fd = shm_open("/audit-shm", O_CREAT | O_RDWR, 0600);
        ASSERT_GE(fd, 0);
        close(fd);
      },
      Leak::Sort::kShmName, "/audit-shm");
}

TEST(LeakAudit, CatchesFd) {
  ExpectCaught([] { ASSERT_GE(open("/dev/null", O_RDONLY), 0); }, Leak::Sort::kFd,
               "/dev/null");
}

TEST(LeakAudit, CatchesChild) {
  ExpectCaught(
      [] {
        auto c = Child::Fork([] {
          pause();
          return 0;
        });
        ASSERT_TRUE(c.ok());
        c.value().Release();  // leak it on purpose
      },
      Leak::Sort::kChild, "child process pid");
}

// ---------------------------------------------------------------------------
// Sockets in flight: held by no descriptor, only by an SCM_RIGHTS message
// queued on another socket (man 7 unix, SCM_RIGHTS).

Need SocketAudit() {
  return Need::Feature("socket-audit", []() -> std::optional<std::string> {
    if (!IpcSandbox::Get().private_network_namespace()) {
      return "no network namespace of this process's own (" +
             IpcSandbox::Get().why_no_network_namespace() + ")";
    }
    if (access("/proc/thread-self/net/unix", R_OK) != 0) {
      return std::string("/proc/thread-self/net/unix unreadable: ") + strerror(errno);
    }
    return std::nullopt;
  });
}

// One byte and room for one SCM_RIGHTS descriptor (man 3 cmsg).
struct OneFdMessage {
  char byte = 'x';
  struct iovec iov = {&byte, 1};
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct msghdr m = {};
  OneFdMessage() {
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
  }
  OneFdMessage(const OneFdMessage&) = delete;
};

// Sends `what` over `via` in one SCM_RIGHTS message.
void SendFd(int via, int what) {
  OneFdMessage msg;
  struct cmsghdr* c = CMSG_FIRSTHDR(&msg.m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &what, sizeof what);
  ASSERT_THAT(sendmsg(via, &msg.m, 0), SyscallSucceedsWithValue(1));
}

long InodeOf(int fd) {
  struct stat st = {};
  return fstat(fd, &st) == 0 ? static_cast<long>(st.st_ino) : -1;
}

// A new AF_UNIX socket of `type`, sent over `via` and closed: in flight.
// Returns its inode.
long SendAwayANewSocket(int via, int type) {
  FileDescriptor c(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  EXPECT_TRUE(c.valid()) << "socket(AF_UNIX): " << strerror(errno);
  const long inode = InodeOf(c.get());
  SendFd(via, c.get());
  return inode;  // c is closed here
}

std::vector<Leak> OfSort(const std::vector<Leak>& leaks, Leak::Sort sort) {
  std::vector<Leak> out;
  for (const Leak& l : leaks) {
    if (l.sort == sort) out.push_back(l);
  }
  return out;
}

// A socketpair whose two ends are each sent over themselves (each lands on
// the other's queue), then both closed: a cycle that only the kernel's
// garbage collector can free. It frees it when any AF_UNIX socket on the
// machine is released, so another process may have it collected between the
// test's close and the audit's look (a window of microseconds): then it is
// made again, up to 5 times.
TEST(LeakAudit, CatchesUnixSocketsInFlightInACycle) {
  IPCSPEC_NEEDS(SocketAudit());
  for (int attempt = 0; attempt < 5; ++attempt) {
    IpcInventory before = TakeInventory();
    int sv[2];
    ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), SyscallSucceeds());
    const long inodes[2] = {InodeOf(sv[0]), InodeOf(sv[1])};
    SendFd(sv[0], sv[0]);
    SendFd(sv[1], sv[1]);
    ASSERT_THAT(close(sv[0]), SyscallSucceeds());
    ASSERT_THAT(close(sv[1]), SyscallSucceeds());
    std::vector<Leak> leaks = Leaks(before, TakeInventory());
    if (leaks.size() < 2) {  // (part of) the cycle was collected already
      EXPECT_TRUE(Reclaim(leaks).empty());
      continue;
    }
    ASSERT_EQ(leaks.size(), 2u);
    for (int i = 0; i < 2; ++i) {
      EXPECT_EQ(leaks[i].sort, Leak::Sort::kUnixSocket);
      EXPECT_THAT(leaks[i].ToString(),
                  HasSubstr("AF_UNIX socket inode " + std::to_string(leaks[i].id) +
                            " (in flight: held by no descriptor; stream"));
    }
    EXPECT_TRUE((leaks[0].id == inodes[0] && leaks[1].id == inodes[1]) ||
                (leaks[0].id == inodes[1] && leaks[1].id == inodes[0]))
        << leaks[0].ToString() << ", " << leaks[1].ToString() << "; the pair's inodes: " << inodes[0]
        << " " << inodes[1];
    std::vector<std::string> stuck = Reclaim(leaks);
    EXPECT_TRUE(stuck.empty()) << stuck[0];
    if (stuck.empty()) {
      EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
    }
    return;
  }
  FAIL() << "the cycle was collected before the audit looked, 5 times in a row";
}

// A socket sent to a receiver the test keeps open, then closed by the
// sender: the fds of the pair are leaks, and so is the socket in flight,
// which goes when the receiver is closed (Reclaim closes the leaked fds
// first).
TEST(LeakAudit, CatchesAUnixSocketInFlightOnAnOpenReceiver) {
  IPCSPEC_NEEDS(SocketAudit());
  IpcInventory before = TakeInventory();
  int sv[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), SyscallSucceeds());
  const long inode = SendAwayANewSocket(sv[0], SOCK_DGRAM);
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  EXPECT_EQ(OfSort(leaks, Leak::Sort::kFd).size(), 2u);
  std::vector<Leak> sockets = OfSort(leaks, Leak::Sort::kUnixSocket);
  ASSERT_EQ(sockets.size(), 1u);
  EXPECT_EQ(sockets[0].id, inode);
  EXPECT_EQ(sockets[0].ToString(), "AF_UNIX socket inode " + std::to_string(inode) +
                                       " (in flight: held by no descriptor; dgram)");
  std::vector<std::string> stuck = Reclaim(leaks);
  EXPECT_TRUE(stuck.empty()) << (stuck.empty() ? "" : stuck[0]);
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
}

// The pair was there before: only the socket in flight is new. It stays
// while the pair is open and goes with it (Linux frees it when the receiving
// end closes; gVisor when both ends have).
TEST(LeakAudit, ASocketInFlightGoesWithTheSocketThatHoldsIt) {
  IPCSPEC_NEEDS(SocketAudit());
  int sv[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), SyscallSucceeds());
  FileDescriptor a(sv[0]), b(sv[1]);
  IpcInventory before = TakeInventory();
  SendAwayANewSocket(a.get(), SOCK_SEQPACKET);
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_THAT(leaks[0].ToString(), HasSubstr("(in flight: held by no descriptor; seqpacket)"));
  b.reset();
  a.reset();
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
}

// Not vacuous: the fd audit alone does not see a socket in flight; the
// socket inventory does.
TEST(LeakAudit, WithoutTheSocketInventoryASocketInFlightEscapes) {
  IPCSPEC_NEEDS(SocketAudit());
  int sv[2];
  ASSERT_THAT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), SyscallSucceeds());
  FileDescriptor a(sv[0]), b(sv[1]);
  IpcInventory before = TakeInventory();
  SetSocketInventoryForTesting(false);
  Cleanup on([] { SetSocketInventoryForTesting(true); });
  IpcInventory before_off = TakeInventory();
  SendAwayANewSocket(a.get(), SOCK_STREAM);
  EXPECT_TRUE(Leaks(before_off, TakeInventory()).empty());
  SetSocketInventoryForTesting(true);
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].sort, Leak::Sort::kUnixSocket);
}

// Sockets sent and received, then closed, are no leak.
TEST(LeakAudit, SocketsSentAndReceivedAreNotLeaks) {
  IPCSPEC_NEEDS(SocketAudit());
  IpcInventory before = TakeInventory();
  {
    int sv[2];
    ASSERT_THAT(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv), SyscallSucceeds());
    FileDescriptor a(sv[0]), b(sv[1]);
    SendAwayANewSocket(a.get(), SOCK_STREAM);
    OneFdMessage msg;
    ASSERT_THAT(recvmsg(b.get(), &msg.m, MSG_CMSG_CLOEXEC), SyscallSucceedsWithValue(1));
    struct cmsghdr* h = CMSG_FIRSTHDR(&msg.m);
    ASSERT_NE(h, nullptr);
    int got = -1;
    std::memcpy(&got, CMSG_DATA(h), sizeof got);
    ASSERT_THAT(close(got), SyscallSucceeds());
  }
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
}

TEST(LeakAudit, ObjectsPresentBeforeAreNotLeaks) {
  int fd = open("/dev/null", O_RDONLY);
  IpcInventory before = TakeInventory();
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
  close(fd);
}

}  // namespace
}  // namespace ipcspec
