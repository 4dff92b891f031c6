// AF_UNIX socket options, ioctls and receive flags, and the corners of
// names and credentials: unknown options and levels, bind errors,
// SIOCINQ/SIOCOUTQ, open(2) of a socket, sendto on a connected socket,
// SO_LINGER, SO_SNDBUF limits and a writer woken by a larger SO_SNDBUF,
// zero-length receives, MSG_PEEK, MSG_TRUNC|MSG_PEEK with no buffer,
// scatter/gather of one message, SO_SNDTIMEO, recvmmsg's timeout, SO_PEERCRED
// of a listener and of a peer that exited, descriptors on partial and
// zero-length stream messages, and names across network namespaces (man 7
// unix, man 7 socket, man 2 getsockopt, man 2 bind, man 2 open, man 2 send,
// man 2 recv, man 2 recvmmsg, man 7 namespaces).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


std::string TypeParamName(const ::testing::TestParamInfo<int>& i) {
  return i.param == SOCK_STREAM ? "stream" : i.param == SOCK_SEQPACKET ? "seqpacket" : "dgram";
}

// ---------------------------------------------------------------------------
// Options and levels.

// man 2 getsockopt, ERRORS: "ENOPROTOOPT The option is unknown at the level
// indicated."
TEST(UnixSockopt, UnknownSolSocketOptionFailsEnoprotoopt) {
  constexpr const char* kCite =
      "man 2 getsockopt, ERRORS: \"ENOPROTOOPT The option is unknown at the level indicated.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  int v = 0;
  socklen_t len = sizeof v;
  EXPECT_THAT(getsockopt(sp.a.get(), SOL_SOCKET, -1, &v, &len), SyscallFailsWithErrno(ENOPROTOOPT))
      << kCite << ": SOL_SOCKET option -1";
}

// man 7 unix, ERRORS: "EOPNOTSUPP Stream operation called on non-stream
// oriented socket or tried to use the out-of-band data option." Linux:
// getsockopt and setsockopt at a level an AF_UNIX socket has no options for
// (SOL_PACKET, IPPROTO_TCP) fail EOPNOTSUPP, not the ENOPROTOOPT that man 2
// getsockopt gives for an unknown option.
TEST(UnixSockopt, ALevelTheSocketLacksFailsEopnotsupp) {
  constexpr const char* kCite =
      "man 2 getsockopt: \"ENOPROTOOPT The option is unknown at the level indicated.\" [Linux: "
      "a level AF_UNIX lacks gives EOPNOTSUPP, man 7 unix: \"EOPNOTSUPP Stream operation called "
      "on non-stream oriented socket\"]";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  for (int level : {SOL_PACKET, static_cast<int>(IPPROTO_TCP)}) {
    int v = 1;
    socklen_t len = sizeof v;
    EXPECT_THAT(getsockopt(sp.a.get(), level, 1, &v, &len), SyscallFailsWithErrno(EOPNOTSUPP))
        << kCite << ": getsockopt at level " << level;
    EXPECT_THAT(setsockopt(sp.a.get(), level, 1, &v, sizeof v), SyscallFailsWithErrno(EOPNOTSUPP))
        << kCite << ": setsockopt at level " << level;
  }
}

// man 7 socket: "SO_LINGER Sets or gets the SO_LINGER option.  The argument
// is a linger structure." What is set is read back.
TEST(UnixSockopt, SoLingerIsReadBack) {
  constexpr const char* kCite =
      "man 7 socket: \"SO_LINGER Sets or gets the SO_LINGER option.  The argument is a linger "
      "structure.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  struct linger l = {1, 7};
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_LINGER, &l, sizeof l), SyscallSucceeds())
      << kCite;
  struct linger got = {-1, -1};
  socklen_t len = sizeof got;
  ASSERT_THAT(getsockopt(sp.a.get(), SOL_SOCKET, SO_LINGER, &got, &len), SyscallSucceeds())
      << kCite;
  EXPECT_TRUE(got.l_onoff != 0 && got.l_linger == 7)
      << kCite << ": set {1, 7}, read {" << got.l_onoff << ", " << got.l_linger << "}";
}

std::optional<long> ReadSysctl(const char* path) {
  std::ifstream f(path);
  long v;
  if (f >> v) return v;
  return std::nullopt;
}

// man 7 socket: "SO_SNDBUF Sets or gets the maximum socket send buffer in
// bytes.  The kernel doubles this value (to allow space for bookkeeping
// overhead) when it is set using setsockopt(2), and this doubled value is
// returned by getsockopt(2).  The default value is set by the
// /proc/sys/net/core/wmem_default file and the maximum allowed value is set
// by the /proc/sys/net/core/wmem_max file.  The minimum (doubled) value for
// this option is 2048." INT_MAX reads back as twice wmem_max; 0 reads back
// as the minimum, at least 2048 (Linux's minimum is larger than the page's
// 2048: it counts the kernel's per-buffer bookkeeping), and not more than
// one page.
TEST(UnixSockopt, SoSndbufIsClampedBetweenAMinimumAndTwiceWmemMax) {
  constexpr const char* kCite =
      "man 7 socket: \"SO_SNDBUF ... The kernel doubles this value ... the maximum allowed value "
      "is set by the /proc/sys/net/core/wmem_max file.  The minimum (doubled) value for this "
      "option is 2048.\"";
  std::optional<long> wmem_max;
  IPCSPEC_NEEDS(Need::Feature("sysctl:net.core.wmem_max", [&]() -> std::optional<std::string> {
    wmem_max = ReadSysctl("/proc/sys/net/core/wmem_max");
    if (!wmem_max) return std::string("/proc/sys/net/core/wmem_max is not readable");
    return std::nullopt;
  }));
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  auto get = [&] {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &v, &len) != 0) return -1;
    return v;
  };
  const int big = INT_MAX;
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &big, sizeof big), SyscallSucceeds());
  EXPECT_EQ(get(), 2 * *wmem_max) << kCite << ": set INT_MAX";
  const int zero = 0;
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &zero, sizeof zero),
              SyscallSucceeds());
  int min = get();
  EXPECT_TRUE(min >= 2048 && min <= 4 * 4096)
      << kCite << " [Linux: its minimum counts bookkeeping too]: set 0, read " << min;
}

// ---------------------------------------------------------------------------
// bind(2) errors.

// man 2 bind, ERRORS: "ENOENT A component in the directory prefix of the
// socket pathname does not exist."
TEST(UnixBind, APathInAMissingDirectoryFailsEnoent) {
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  ASSERT_OK_AND_ASSIGN(UnixAddress a, PathAddress(dir.Join("absent/s")));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_SEQPACKET));
  EXPECT_THAT(bind(s.get(), a.get(), a.len), SyscallFailsWithErrno(ENOENT))
      << "man 2 bind, ERRORS: \"ENOENT A component in the directory prefix of the socket "
         "pathname does not exist.\"";
}

// man 7 unix, ERRORS: "EINVAL Invalid argument passed.  A common cause is
// that the value AF_UNIX was not specified in the sun_type field of passed
// addresses"; man 2 bind: "EINVAL ... addr is not a valid address for this
// socket's domain."
TEST(UnixBind, AnotherFamilyFailsEinval) {
  UnixAddress a = AbstractAddress(UniqueAbstractName("family"));
  a.addr.sun_family = AF_INET;
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  EXPECT_THAT(bind(s.get(), a.get(), a.len), SyscallFailsWithErrno(EINVAL))
      << "man 7 unix, ERRORS: \"EINVAL Invalid argument passed.  A common cause is that the "
         "value AF_UNIX was not specified in the sun_type field of passed addresses\"";
}

// ---------------------------------------------------------------------------
// open(2) of a socket.

constexpr const char* kEnxioCite = "man 2 open, ERRORS: \"ENXIO The file is a UNIX domain socket.\"";

// kEnxioCite: a socket file cannot be opened, with or without O_TRUNC.
TEST(UnixOpen, OpeningASocketFileFailsEnxio) {
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("s");
  ASSERT_OK_AND_ASSIGN(UnixAddress a, PathAddress(path));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  ASSERT_NO_ERRNO(Bind(s.get(), a));
  for (int flags : {O_RDONLY, O_RDWR | O_TRUNC}) {
    int fd = open(path.c_str(), flags | O_CLOEXEC);
    FileDescriptor guard(fd >= 0 ? fd : -1);
    EXPECT_TRUE(fd == -1 && errno == ENXIO)
        << kEnxioCite << ": open(flags " << flags << ") gave " << fd << " errno " << errno;
  }
}

// kEnxioCite: /proc/self/fd/N of a socket names the socket; opening it fails
// ENXIO as well.
TEST(UnixOpen, ReopeningASocketThroughProcFails) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM));
  const std::string path = "/proc/self/fd/" + std::to_string(sp.a.get());
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  FileDescriptor guard(fd >= 0 ? fd : -1);
  EXPECT_TRUE(fd == -1 && errno == ENXIO)
      << kEnxioCite << ": open(" << path << ") gave " << fd << " errno " << errno;
}

// ---------------------------------------------------------------------------
// ioctls.

// man 7 unix, "Ioctls": "SIOCINQ For SOCK_STREAM sockets, this call returns
// the number of unread bytes in the receive buffer." SIOCOUTQ (man 7 tcp's
// name for the bytes not yet taken by the peer): 0 on a fresh socket, at
// least the unread bytes while the peer has not read them (Linux counts its
// allocations, not bytes), 0 again once the peer read them.
TEST(UnixIoctl, SiocinqAndSiocoutqCountTheQueuedBytes) {
  constexpr const char* kInqCite =
      "man 7 unix, Ioctls: \"SIOCINQ For SOCK_STREAM sockets, this call returns the number of "
      "unread bytes in the receive buffer.\"";
  constexpr const char* kOutqCite =
      "man 7 tcp: \"SIOCOUTQ Returns the amount of unsent data in the socket send queue.\" "
      "[Linux AF_UNIX: what the peer has not read, counted with allocation overhead]";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  int n = -1;
  ASSERT_THAT(ioctl(sp.a.get(), SIOCOUTQ, &n), SyscallSucceeds()) << kOutqCite;
  EXPECT_EQ(n, 0) << kOutqCite << ": fresh socket";
  ASSERT_THAT(ioctl(sp.b.get(), SIOCINQ, &n), SyscallSucceeds()) << kInqCite;
  EXPECT_EQ(n, 0) << kInqCite << ": nothing sent";
  ASSERT_THAT(send(sp.a.get(), "0123456789", 10, 0), SyscallSucceedsWithValue(10));
  ASSERT_THAT(send(sp.a.get(), "abc", 3, 0), SyscallSucceedsWithValue(3));
  ASSERT_THAT(ioctl(sp.b.get(), SIOCINQ, &n), SyscallSucceeds()) << kInqCite;
  EXPECT_EQ(n, 13) << kInqCite << ": two sends of 10 and 3 bytes unread";
  ASSERT_THAT(ioctl(sp.a.get(), SIOCOUTQ, &n), SyscallSucceeds()) << kOutqCite;
  EXPECT_GE(n, 13) << kOutqCite << ": 13 bytes not yet read by the peer";
  char buf[32];
  ASSERT_THAT(recv(sp.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(13));
  ASSERT_THAT(ioctl(sp.b.get(), SIOCINQ, &n), SyscallSucceeds()) << kInqCite;
  EXPECT_EQ(n, 0) << kInqCite << ": all read";
  ASSERT_THAT(ioctl(sp.a.get(), SIOCOUTQ, &n), SyscallSucceeds()) << kOutqCite;
  EXPECT_EQ(n, 0) << kOutqCite << ": the peer read everything";
}

// SO_INQ / SCM_INQ (Linux 6.17 and later for AF_UNIX streams): no man page
// documents them yet; the value they report is SIOCINQ's (man 7 unix,
// Ioctls: "SIOCINQ For SOCK_STREAM sockets, this call returns the number of
// unread bytes in the receive buffer."). The constants, from the kernel's
// uapi asm-generic/socket.h, in case the installed headers predate them.
constexpr int kSoInq = 84;
constexpr int kScmInq = kSoInq;

Need SoInqNeed() {
  return Need::Feature("so_inq", []() -> std::optional<std::string> {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return std::string("socketpair");
    const int on = 1;
    const int rc = setsockopt(sv[1], SOL_SOCKET, kSoInq, &on, sizeof on);
    const int err = errno;
    close(sv[0]);
    close(sv[1]);
    if (rc != 0) return "setsockopt(SO_INQ) on a stream: errno " + std::to_string(err);
    return std::nullopt;
  });
}

constexpr const char* kInqCite =
    "man 7 unix, Ioctls: \"SIOCINQ For SOCK_STREAM sockets, this call returns the number of "
    "unread bytes in the receive buffer.\" [SO_INQ/SCM_INQ, Linux 6.17+, undocumented: each "
    "receive reports that number]";

// The SCM_INQ value of one stream recvmsg of up to `n` bytes, or -1.
int RecvWithInq(int fd, size_t n, ssize_t* got) {
  char buf[1024];
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  struct iovec iov = {buf, std::min(n, sizeof buf)};
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  *got = recvmsg(fd, &m, MSG_DONTWAIT);
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  if (*got < 0 || c == nullptr || c->cmsg_level != SOL_SOCKET || c->cmsg_type != kScmInq ||
      c->cmsg_len != CMSG_LEN(sizeof(int))) {
    return -1;
  }
  int v;
  memcpy(&v, CMSG_DATA(c), sizeof v);
  return v;
}

// kInqCite: with SO_INQ on a stream receiver, each receive carries SCM_INQ
// equal to SIOCINQ afterwards: after each of several whole chunks, and the
// bytes still queued after each part of a partial read.
TEST(UnixInq, EachStreamReceiveReportsTheBytesStillQueued) {
  IPCSPEC_NEEDS(SoInqNeed());
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  const int on = 1;
  ASSERT_THAT(setsockopt(sp.b.get(), SOL_SOCKET, kSoInq, &on, sizeof on), SyscallSucceeds());
  int inq = -1;
  ASSERT_THAT(ioctl(sp.b.get(), SIOCINQ, &inq), SyscallSucceeds());
  EXPECT_EQ(inq, 0) << kInqCite;
  std::string chunk(256, 'c');
  for (int i = 0; i < 8; ++i) {
    ASSERT_THAT(send(sp.a.get(), chunk.data(), chunk.size(), 0), SyscallSucceedsWithValue(256));
  }
  for (int i = 0; i < 8; ++i) {
    ssize_t got = 0;
    int reported = RecvWithInq(sp.b.get(), 256, &got);
    ASSERT_EQ(got, 256) << kInqCite << ": chunk " << i;
    ASSERT_THAT(ioctl(sp.b.get(), SIOCINQ, &inq), SyscallSucceeds());
    EXPECT_EQ(reported, inq) << kInqCite << ": chunk " << i << " (-1: no SCM_INQ)";
  }
  std::string big(768, 'p');
  ASSERT_THAT(send(sp.a.get(), big.data(), big.size(), 0), SyscallSucceedsWithValue(768));
  for (int remain : {512, 256, 0}) {
    ssize_t got = 0;
    int reported = RecvWithInq(sp.b.get(), 256, &got);
    ASSERT_EQ(got, 256) << kInqCite;
    EXPECT_EQ(reported, remain) << kInqCite << ": a partial read of a 768-byte send";
  }
}

// SO_INQ is for streams: on SOCK_DGRAM and SOCK_SEQPACKET setsockopt fails
// ENOPROTOOPT (man 2 setsockopt, ERRORS: "ENOPROTOOPT The option is unknown
// at the level indicated.").
TEST(UnixInq, MessageSocketsRefuseSoInq) {
  IPCSPEC_NEEDS(SoInqNeed());
  for (int type : {SOCK_DGRAM, SOCK_SEQPACKET}) {
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(type));
    const int on = 1;
    EXPECT_THAT(setsockopt(sp.b.get(), SOL_SOCKET, kSoInq, &on, sizeof on),
                SyscallFailsWithErrno(ENOPROTOOPT))
        << "man 2 setsockopt, ERRORS: \"ENOPROTOOPT The option is unknown at the level "
           "indicated.\" [SO_INQ on " << TypeName(type) << "]";
  }
}

// ---------------------------------------------------------------------------
// send(2) and the address on a connected socket.

constexpr const char* kEisconnCite =
    "man 2 send, ERRORS: \"EISCONN The connection-mode socket was connected already but a "
    "recipient was specified.  (Now either this error is returned, or the recipient "
    "specification is ignored.)\"";

// kEisconnCite: on a connected SOCK_STREAM socket Linux returns the error.
TEST(UnixSendto, AnAddressOnAConnectedStreamFailsEisconn) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  const UnixAddress a = AbstractAddress(UniqueAbstractName("eisconn"));
  EXPECT_THAT(sendto(sp.a.get(), "x", 1, MSG_NOSIGNAL, a.get(), a.len),
              SyscallFailsWithErrno(EISCONN))
      << kEisconnCite << " [Linux, SOCK_STREAM: the error]";
}

// kEisconnCite: on a connected SOCK_SEQPACKET socket Linux ignores the
// recipient: the message goes to the peer, even when the address names no
// socket.
TEST(UnixSendto, AnAddressOnAConnectedSeqpacketIsIgnored) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_SEQPACKET | SOCK_NONBLOCK));
  const UnixAddress a = AbstractAddress(UniqueAbstractName("nobody"));
  EXPECT_THAT(sendto(sp.a.get(), "x", 1, MSG_NOSIGNAL, a.get(), a.len), SyscallSucceedsWithValue(1))
      << kEisconnCite << " [Linux, SOCK_SEQPACKET: the recipient is ignored]";
  ASSERT_OK_AND_ASSIGN(Received r, Receive(sp.b.get(), RecvOptions{.buffer = 8, .wait = false}));
  EXPECT_EQ(r.data, "x") << kEisconnCite << ": the peer receives the message";
}

// man 2 send, ERRORS: "EAGAIN or EWOULDBLOCK The socket is marked
// nonblocking and the requested operation would block." A non-blocking
// stream end that fills the way to its peer gets EAGAIN, and sends again
// once the peer read.
TEST(UnixSend, AFullNonBlockingStreamFailsEagain) {
  constexpr const char* kCite =
      "man 2 send, ERRORS: \"EAGAIN or EWOULDBLOCK The socket is marked nonblocking and the "
      "requested operation would block.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  std::string chunk(16384, 'x');
  ssize_t k = 0;
  int sends = 0;
  for (; sends < 4096; ++sends) {
    k = send(sp.a.get(), chunk.data(), chunk.size(), 0);
    if (k < 0) break;
  }
  EXPECT_TRUE(k == -1 && errno == EAGAIN)
      << kCite << ": after " << sends << " sends of 16 KiB the last gave " << k << " errno "
      << errno;
  char buf[65536];
  while (recv(sp.b.get(), buf, sizeof buf, 0) > 0) {
  }
  EXPECT_THAT(send(sp.a.get(), "y", 1, 0), SyscallSucceedsWithValue(1))
      << kCite << ": after the peer read everything";
}

// man 2 send, ERRORS: "EFAULT An invalid user space address was specified
// for an argument." Sending from a shared mapping of an empty file (a page
// past its end) fails EFAULT instead of raising SIGBUS, and sends nothing.
TEST(UnixSend, SendingFromAMappingPastTheEndOfItsFileFailsEfault) {
  constexpr const char* kCite =
      "man 2 send, ERRORS: \"EFAULT An invalid user space address was specified for an "
      "argument.\"";
  IPCSPEC_NEEDS(Need::MemfdCreate());
  int mfd = static_cast<int>(syscall(SYS_memfd_create, "ipcspec-unix-efault", MFD_CLOEXEC));
  ASSERT_THAT(mfd, SyscallSucceeds());
  FileDescriptor memfd(mfd);
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  void* p = mmap(nullptr, page, PROT_READ, MAP_SHARED, memfd.get(), 0);
  ASSERT_NE(p, MAP_FAILED) << "mmap";
  Cleanup unmap([&] { munmap(p, page); });
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  EXPECT_THAT(send(sp.a.get(), p, page, MSG_NOSIGNAL), SyscallFailsWithErrno(EFAULT))
      << kCite << ": a page past the end of an empty file";
  char c;
  EXPECT_THAT(recv(sp.b.get(), &c, 1, 0), SyscallFailsWithErrno(EAGAIN))
      << kCite << ": nothing was sent";
}

// man 7 socket: "SO_SNDBUF Sets or gets the maximum socket send buffer in
// bytes." A writer asleep in send(2) because its (small) send buffer is full
// (a forked child, seen blocked in sendto) is woken by a larger SO_SNDBUF,
// and its send completes. Linux wakes it only when the new size leaves room
// for four times what is in flight (its "writable" rule), so the test starts
// from a small buffer and raises it well above. Over every type.
class UnixBlocking : public ::testing::TestWithParam<int> {};

TEST_P(UnixBlocking, RaisingSoSndbufWakesABlockedWriter) {
  constexpr const char* kCite =
      "man 7 socket: \"SO_SNDBUF Sets or gets the maximum socket send buffer in bytes.\" [Linux: "
      "raising it wakes a writer waiting for room]";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  const int small = 8192;
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &small, sizeof small),
              SyscallSucceeds());
  std::vector<char> chunk(2048, 'x');
  int sends = 0;
  for (;; ++sends) {
    ASSERT_LT(sends, 4096) << "the send buffer never filled";
    if (send(sp.a.get(), chunk.data(), chunk.size(), MSG_DONTWAIT) < 0) {
      ASSERT_EQ(errno, EAGAIN) << "filling";
      break;
    }
  }
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  // A writer that is never woken is interrupted by its watchdog (EINTR) and
  // reported; one that the watchdog's signal does not get out of the call
  // is killed at the parent's later deadline and reported the same way.
  ASSERT_OK_AND_ASSIGN(Child writer, Child::Fork([&] {
    Watchdog wd(Deadline::Default());
    *res = Record("send", send(sp.a.get(), chunk.data(), chunk.size(), 0));
    return 0;
  }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(writer.pid(), {SYS_sendto}))
      << kCite << ": the writer must block on the full buffer";
  const int bigger = 65536;
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &bigger, sizeof bigger),
              SyscallSucceeds());
  auto waited = writer.Wait(Deadline::In(2 * Deadline::Default().Budget()));
  if (!waited.ok()) {
    (void)writer.KillAndWait();
    ADD_FAILURE() << kCite
                  << ": the blocked send after SO_SNDBUF was raised: still blocked at the deadline";
    return;
  }
  EXPECT_TRUE(waited.value().ExitedWith(0)) << waited.value();
  EXPECT_EQ(res->ret, static_cast<long>(chunk.size()))
      << kCite << ": the blocked send after SO_SNDBUF was raised: " << res->ToString();
}

INSTANTIATE_TEST_SUITE_P(Types, UnixBlocking,
                         ::testing::Values(SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM),
                         TypeParamName);

// man 7 socket: "SO_RCVTIMEO and SO_SNDTIMEO Specify the receiving or
// sending timeouts until reporting an error. ... If no data has been
// transferred and the timeout has been reached, then -1 is returned with
// errno set to EAGAIN or EWOULDBLOCK". A blocking send to a full peer with
// SO_SNDTIMEO of 20 ms returns EAGAIN instead of blocking (the watchdog is
// only the suite's safety net).
TEST_P(UnixBlocking, SoSndtimeoEndsABlockedSendWithEagain) {
  constexpr const char* kCite =
      "man 7 socket: \"SO_RCVTIMEO and SO_SNDTIMEO Specify the receiving or sending timeouts "
      "until reporting an error.\"; \"If no data has been transferred and the timeout has been "
      "reached, then -1 is returned with errno set to EAGAIN or EWOULDBLOCK\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  std::string chunk(16384, 'x');
  for (int sends = 0;; ++sends) {
    ASSERT_LT(sends, 4096) << "the send buffer never filled";
    if (send(sp.a.get(), chunk.data(), chunk.size(), MSG_DONTWAIT) < 0) break;
  }
  struct timeval tv = {0, 20000};
  ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv), SyscallSucceeds());
  Watchdog wd(Deadline::Default());
  ssize_t k = send(sp.a.get(), chunk.data(), chunk.size(), 0);
  int err = errno;
  EXPECT_FALSE(wd.fired()) << kCite << ": the send blocked past the suite's deadline";
  EXPECT_TRUE(k == -1 && err == EAGAIN) << kCite << ": send gave " << k << " errno " << err;
}

// ---------------------------------------------------------------------------
// Receiving.

// man 2 recvmmsg, BUGS: "The timeout argument does not work as intended.
// The timeout is checked only after the receipt of each datagram". With one
// message queued and a timeout of 1 ns, a blocking recvmmsg for two returns
// the one (the timeout has passed once it is received).
TEST_P(UnixBlocking, RecvmmsgWithATimeoutReturnsTheQueuedMessage) {
  constexpr const char* kCite =
      "man 2 recvmmsg, BUGS: \"The timeout argument does not work as intended.  The timeout is "
      "checked only after the receipt of each datagram\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  ASSERT_THAT(send(sp.a.get(), "0123456789", 10, 0), SyscallSucceedsWithValue(10));
  char bufs[2][10];
  struct iovec iov[2] = {{bufs[0], 10}, {bufs[1], 10}};
  struct mmsghdr m[2] = {};
  for (int i = 0; i < 2; ++i) {
    m[i].msg_hdr.msg_iov = &iov[i];
    m[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec ts = {0, 1};
  Watchdog wd(Deadline::Default());
  int n = recvmmsg(sp.b.get(), m, 2, 0, &ts);
  int err = errno;
  EXPECT_FALSE(wd.fired()) << kCite << ": recvmmsg blocked";
  EXPECT_EQ(n, 1) << kCite << ": errno " << err;
  EXPECT_EQ(m[0].msg_len, 10u) << kCite;
}

// man 2 recv, RETURN VALUE: "The value 0 may also be returned if the
// requested number of bytes to receive from a stream socket was 0." With
// data queued a zero-length stream receive returns 0 and takes nothing
// (MSG_TRUNC changes nothing on a stream); with nothing queued a
// non-blocking one fails EAGAIN (man 2 recv: "EAGAIN or EWOULDBLOCK The
// socket is marked nonblocking and the receive operation would block").
TEST(UnixZeroLengthReceive, OnAStreamReturnsZeroOrEagainAndTakesNothing) {
  constexpr const char* kCite =
      "man 2 recv: \"The value 0 may also be returned if the requested number of bytes to "
      "receive from a stream socket was 0.\"";
  constexpr const char* kEagain =
      "man 2 recv, ERRORS: \"EAGAIN or EWOULDBLOCK The socket is marked nonblocking and the "
      "receive operation would block\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  char c;
  EXPECT_THAT(recv(sp.b.get(), &c, 0, 0), SyscallFailsWithErrno(EAGAIN))
      << kEagain << ": zero-length receive, nothing queued";
  ASSERT_THAT(send(sp.a.get(), "abc", 3, 0), SyscallSucceedsWithValue(3));
  for (int flags : {0, static_cast<int>(MSG_TRUNC)}) {
    EXPECT_THAT(recv(sp.b.get(), &c, 0, flags), SyscallSucceedsWithValue(0))
        << kCite << ": data queued, flags " << flags;
  }
  char buf[8];
  EXPECT_THAT(recv(sp.b.get(), buf, sizeof buf, 0), SyscallSucceedsWithValue(3))
      << kCite << ": the zero-length receives took nothing";
}

// man 2 recv: "MSG_TRUNC ... return the real length of the packet or
// datagram, even when it was longer than the passed buffer." and "Datagram
// sockets ... permit zero-length datagrams"; a zero-length receive of a
// message takes it (returning 0, MSG_TRUNC set in msg_flags), or its real
// length with MSG_TRUNC; with MSG_PEEK it stays queued; on an empty queue a
// non-blocking one fails EAGAIN.
class UnixMessageZero : public ::testing::TestWithParam<int> {};

TEST_P(UnixMessageZero, AZeroLengthReceiveTakesTheMessageUnlessPeek) {
  constexpr const char* kCite =
      "man 2 recv: \"MSG_TRUNC (since Linux 2.2) ... return the real length of the packet or "
      "datagram, even when it was longer than the passed buffer.\"; \"If a message is too long "
      "to fit in the supplied buffer, excess bytes may be discarded\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam() | SOCK_NONBLOCK));
  auto recv0 = [&](int flags, int* msg_flags) {
    struct msghdr m = {};
    ssize_t k = recvmsg(sp.b.get(), &m, flags);
    *msg_flags = m.msg_flags;
    return k;
  };
  int mf = 0;
  errno = 0;
  EXPECT_EQ(recv0(0, &mf), -1) << "empty queue";
  EXPECT_EQ(errno, EAGAIN) << "man 2 recv, ERRORS: \"EAGAIN or EWOULDBLOCK The socket is marked "
                              "nonblocking and the receive operation would block\"";
  ASSERT_THAT(send(sp.a.get(), "abcde", 5, 0), SyscallSucceedsWithValue(5));
  ASSERT_THAT(send(sp.a.get(), "xy", 2, 0), SyscallSucceedsWithValue(2));
  EXPECT_EQ(recv0(MSG_PEEK | MSG_TRUNC, &mf), 5) << kCite << ": MSG_PEEK|MSG_TRUNC";
  EXPECT_EQ(recv0(MSG_PEEK, &mf), 0) << kCite << ": MSG_PEEK";
  EXPECT_TRUE(mf & MSG_TRUNC) << kCite << ": msg_flags after a zero-length peek " << mf;
  EXPECT_EQ(recv0(0, &mf), 0) << kCite << ": zero-length receive of a 5-byte message";
  EXPECT_TRUE(mf & MSG_TRUNC) << kCite << ": msg_flags " << mf;
  EXPECT_EQ(recv0(MSG_TRUNC, &mf), 2) << kCite
                                      << ": the 5-byte message was taken, the next is 2 bytes";
  errno = 0;
  EXPECT_EQ(recv0(0, &mf), -1) << kCite << ": both messages were taken";
}

// man 2 recv: "MSG_TRUNC ... return the real length of the packet or
// datagram, even when it was longer than the passed buffer." A receiver
// blocked in recv(fd, NULL, 0, MSG_TRUNC|MSG_PEEK) (a forked child seen
// asleep in recvfrom) returns the length of the message that then arrives,
// which stays queued.
TEST_P(UnixMessageZero, ABlockedTruncPeekWithNoBufferReturnsTheNextLength) {
  constexpr const char* kCite =
      "man 2 recv: \"MSG_TRUNC ... return the real length of the packet or datagram, even when "
      "it was longer than the passed buffer.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam()));
  ASSERT_OK_AND_ASSIGN(auto res, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(Child reader, Child::Fork([&] {
    Watchdog wd(Deadline::Default());
    *res = Record("recv", recv(sp.b.get(), nullptr, 0, MSG_TRUNC | MSG_PEEK));
    return 0;
  }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(reader.pid(), {SYS_recvfrom}));
  ASSERT_THAT(send(sp.a.get(), "seven!!", 7, 0), SyscallSucceedsWithValue(7));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, reader.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(res->ret, 7) << kCite << ": " << res->ToString();
  char buf[16];
  EXPECT_THAT(recv(sp.b.get(), buf, sizeof buf, MSG_DONTWAIT), SyscallSucceedsWithValue(7))
      << kCite << ": the peeked message is still queued";
}

// man 2 recv: "The fields msg_iov and msg_iovlen describe scatter-gather
// locations, as discussed in readv(2)."; man 7 unix: "For datagram sockets,
// the SO_SNDBUF value imposes an upper limit on the size of outgoing
// datagrams." A message nearly as large as the smaller of SO_SNDBUF and
// SO_RCVBUF, gathered from 1024 iovecs, arrives whole in one receive
// scattered over 1024 iovecs, byte for byte.
TEST_P(UnixMessageZero, ALargeMessageIsGatheredAndScatteredWhole) {
  constexpr const char* kCite =
      "man 2 recv: \"The fields msg_iov and msg_iovlen describe scatter-gather locations, as "
      "discussed in readv(2).\"; man 7 unix: \"the SO_SNDBUF value imposes an upper limit on the "
      "size of outgoing datagrams\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam() | SOCK_NONBLOCK));
  int snd = 0, rcv = 0;
  socklen_t len = sizeof snd;
  ASSERT_THAT(getsockopt(sp.a.get(), SOL_SOCKET, SO_SNDBUF, &snd, &len), SyscallSucceeds());
  len = sizeof rcv;
  ASSERT_THAT(getsockopt(sp.b.get(), SOL_SOCKET, SO_RCVBUF, &rcv, &len), SyscallSucceeds());
  constexpr size_t kIovs = 1024;
  const size_t piece = (static_cast<size_t>(std::min(snd, rcv)) - 1024) / kIovs;
  ASSERT_GT(piece, 0u);
  std::string out(piece * kIovs, '\0');
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<char>('a' + (i * 7 + i / 251) % 26);
  std::vector<struct iovec> iov(kIovs);
  for (size_t i = 0; i < kIovs; ++i) iov[i] = {out.data() + i * piece, piece};
  struct msghdr m = {};
  m.msg_iov = iov.data();
  m.msg_iovlen = kIovs;
  ASSERT_THAT(sendmsg(sp.a.get(), &m, 0), SyscallSucceedsWithValue(out.size()))
      << kCite << ": a message of " << out.size() << " bytes (SO_SNDBUF " << snd << ", SO_RCVBUF "
      << rcv << ")";
  std::string in(out.size(), '\0');
  for (size_t i = 0; i < kIovs; ++i) iov[i] = {in.data() + i * piece, piece};
  struct msghdr r = {};
  r.msg_iov = iov.data();
  r.msg_iovlen = kIovs;
  ASSERT_THAT(recvmsg(sp.b.get(), &r, 0), SyscallSucceedsWithValue(out.size())) << kCite;
  EXPECT_TRUE(in == out) << kCite << ": the scattered bytes differ from the gathered ones";
  EXPECT_EQ(r.msg_flags & MSG_TRUNC, 0) << kCite;
}

INSTANTIATE_TEST_SUITE_P(Types, UnixMessageZero, ::testing::Values(SOCK_SEQPACKET, SOCK_DGRAM),
                         TypeParamName);

// man 2 recv: "MSG_PEEK This flag causes the receive operation to return
// data from the beginning of the receive queue without removing that data
// from the queue.  Thus, a subsequent receive call will return the same
// data."
TEST(UnixPeek, APeekOnAStreamIsReadAgain) {
  constexpr const char* kCite =
      "man 2 recv: \"MSG_PEEK ... Thus, a subsequent receive call will return the same data.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_THAT(send(sp.a.get(), "peekaboo", 8, 0), SyscallSucceedsWithValue(8));
  char p[16] = {}, q[16] = {};
  ASSERT_THAT(recv(sp.b.get(), p, sizeof p, MSG_PEEK), SyscallSucceedsWithValue(8)) << kCite;
  ASSERT_THAT(recv(sp.b.get(), q, sizeof q, 0), SyscallSucceedsWithValue(8)) << kCite;
  EXPECT_EQ(std::string(p, 8), std::string(q, 8)) << kCite;
  EXPECT_EQ(std::string(q, 8), "peekaboo") << kCite;
}

// ---------------------------------------------------------------------------
// SO_PEEK_OFF.

constexpr const char* kPeekOffCite =
    "man 7 socket: \"SO_PEEK_OFF ... When the option is set to a value greater than or equal to "
    "zero, then the next peek at data queued in the socket will occur at the byte offset "
    "specified by the option value.  At the same time, the \"peek offset\" will be incremented "
    "by the number of bytes that were peeked from the queue, so that a subsequent peek will "
    "return the next data in the queue.\"";

class UnixPeekOff : public ::testing::TestWithParam<int> {
 protected:
  // A blocking pair (for the waiting peeks) with SO_PEEK_OFF 0 on b.
  PosixErrorOr<SocketPair> Pair() {
    IPCSPEC_ASSIGN_OR_RETURN(auto sp, MakeSocketPair(GetParam()));
    const int zero = 0;
    if (setsockopt(sp.b.get(), SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero) != 0) {
      return ErrnoError("setsockopt(SO_PEEK_OFF, 0)");
    }
    return sp;
  }
  static std::string Peek(int fd, size_t n, int flags = MSG_DONTWAIT) {
    char buf[128] = {};
    ssize_t k = recv(fd, buf, n, MSG_PEEK | flags);
    if (k < 0) return "errno " + std::to_string(errno);
    return std::string(buf, k);
  }
};

// kPeekOffCite: peeks walk through one chunk and then through the next,
// on every type (a datagram is peeked from the offset inside it).
TEST_P(UnixPeekOff, PeeksWalkThroughTheQueue) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_THAT(send(sp.a.get(), "aaaabbbb", 8, 0), SyscallSucceedsWithValue(8));
  EXPECT_EQ(Peek(sp.b.get(), 4), "aaaa") << kPeekOffCite << ": one chunk, first peek";
  EXPECT_EQ(Peek(sp.b.get(), 100), "bbbb") << kPeekOffCite << ": one chunk, second peek";
  ASSERT_OK_AND_ASSIGN(auto sp2, Pair());
  ASSERT_THAT(send(sp2.a.get(), "aaaa", 4, 0), SyscallSucceedsWithValue(4));
  ASSERT_THAT(send(sp2.a.get(), "bbbb", 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_EQ(Peek(sp2.b.get(), 4), "aaaa") << kPeekOffCite << ": two chunks, first peek";
  EXPECT_EQ(Peek(sp2.b.get(), 100), "bbbb") << kPeekOffCite << ": two chunks, second peek";
}

// kPeekOffCite, with man 7 unix's message boundaries: after a partial peek
// of a chunk, a second chunk arrives; on a stream the next peek fills its
// buffer across the two ("aabb"), on SOCK_DGRAM and SOCK_SEQPACKET it stops
// at the end of the first message ("aa"). A blocking peek with data at the
// offset returns at once, without waiting for more.
TEST_P(UnixPeekOff, APeekAfterAPartialPeekStopsAtMessageBoundaries) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_THAT(send(sp.a.get(), "aaaa", 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_EQ(Peek(sp.b.get(), 2), "aa") << kPeekOffCite;
  {
    Watchdog wd(Deadline::Default());
    EXPECT_EQ(Peek(sp.b.get(), 1, 0), "a")
        << kPeekOffCite << ": a blocking peek with data at the offset";
    EXPECT_FALSE(wd.fired());
  }
  ASSERT_THAT(send(sp.a.get(), "bbbb", 4, 0), SyscallSucceedsWithValue(4));
  if (GetParam() == SOCK_STREAM) {
    EXPECT_EQ(Peek(sp.b.get(), 3), "abb") << kPeekOffCite << " [stream: across chunks]";
    EXPECT_EQ(Peek(sp.b.get(), 100), "bb") << kPeekOffCite;
  } else {
    EXPECT_EQ(Peek(sp.b.get(), 100), "a") << kPeekOffCite << " [messages: the first one's rest]";
    EXPECT_EQ(Peek(sp.b.get(), 100), "bbbb") << kPeekOffCite << " [messages: the next one]";
  }
}

// kPeekOffCite; man 2 recv: "If no messages are available at the socket,
// the receive calls wait for a message to arrive". A peek that finds
// nothing at the offset (a forked child seen asleep in recvfrom) waits, and
// returns the data sent then, from the offset.
TEST_P(UnixPeekOff, ABlockedPeekReturnsTheNextChunk) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_THAT(send(sp.a.get(), "aaaa", 4, 0), SyscallSucceedsWithValue(4));
  EXPECT_EQ(Peek(sp.b.get(), 4), "aaaa") << kPeekOffCite;
  struct Out {
    long n = -2;
    int err = 0;
    char data[16] = {};
  };
  ASSERT_OK_AND_ASSIGN(auto out, SharedObject<Out>::Create());
  ASSERT_OK_AND_ASSIGN(Child peeker, Child::Fork([&] {
    Watchdog wd(Deadline::Default());
    out->n = recv(sp.b.get(), out->data, sizeof out->data - 1, MSG_PEEK);
    out->err = errno;
    return 0;
  }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(peeker.pid(), {SYS_recvfrom}))
      << kPeekOffCite << ": nothing at the offset: the peek must wait";
  ASSERT_THAT(send(sp.a.get(), "bbbb", 4, 0), SyscallSucceedsWithValue(4));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, peeker.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(std::string(out->data, out->n > 0 ? out->n : 0), "bbbb")
      << kPeekOffCite << ": the blocked peek returned " << out->n << " errno " << out->err;
}

INSTANTIATE_TEST_SUITE_P(Types, UnixPeekOff,
                         ::testing::Values(SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM),
                         TypeParamName);

// ---------------------------------------------------------------------------
// Descriptors and credentials on a stream.

// man 7 unix: "When receiving from a stream socket, ancillary data forms a
// kind of barrier for the received data." A stream message of 6 bytes with
// one descriptor read 3 bytes at a time: the descriptor comes with the first
// 3, the rest comes without one.
TEST(UnixStreamAncillary, DescriptorsComeWithTheFirstPartOfAPartialRead) {
  constexpr const char* kCite =
      "man 7 unix: \"When receiving from a stream socket, ancillary data forms a kind of barrier "
      "for the received data.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  int pfd[2];
  ASSERT_THAT(pipe2(pfd, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(pfd[0]), w(pfd[1]);
  const int one[] = {r.get()};
  ASSERT_THAT(SendFds(sp.a.get(), "abcdef", 6, one), SyscallSucceedsWithValue(6));
  ASSERT_OK_AND_ASSIGN(Received first, Receive(sp.b.get(), RecvOptions{.buffer = 3,
                                                                       .control = 256}));
  EXPECT_EQ(first.data, "abc") << kCite << ": " << first.ToString();
  EXPECT_EQ(first.fds.size(), 1u) << kCite << ": the descriptor with the first part: "
                                  << first.ToString();
  ASSERT_OK_AND_ASSIGN(Received rest, Receive(sp.b.get(), RecvOptions{.buffer = 16,
                                                                      .control = 256}));
  EXPECT_EQ(rest.data, "def") << kCite << ": " << rest.ToString();
  EXPECT_EQ(rest.fds.size(), 0u) << kCite << ": no descriptor with the rest: " << rest.ToString();
}

// man 7 unix: "At least one byte of real data should be sent when sending
// ancillary data.  On Linux, this is required to successfully send ancillary
// data over a UNIX domain stream socket." A stream sendmsg of no data with a
// descriptor returns 0 and delivers nothing.
TEST(UnixStreamAncillary, DescriptorsWithNoDataAreNotDelivered) {
  constexpr const char* kCite =
      "man 7 unix: \"On Linux, this is required to successfully send ancillary data over a UNIX "
      "domain stream socket.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  int pfd[2];
  ASSERT_THAT(pipe2(pfd, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(pfd[0]), w(pfd[1]);
  const int one[] = {r.get()};
  EXPECT_THAT(SendFds(sp.a.get(), "", 0, one), SyscallSucceedsWithValue(0)) << kCite;
  ASSERT_THAT(send(sp.a.get(), "z", 1, 0), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(Received got, Receive(sp.b.get(), RecvOptions{.buffer = 16,
                                                                     .control = 256}));
  EXPECT_EQ(got.data, "z") << kCite;
  EXPECT_EQ(got.fds.size(), 0u) << kCite << ": a descriptor sent with no data arrived: "
                                << got.ToString();
}

// man 7 unix, SO_PASSCRED: "Enabling this socket option causes receipt of
// the credentials of the sending process in an SCM_CREDENTIALS ancillary
// message in each subsequently received message." Stream data sent before
// the receiver turned SO_PASSCRED on (it carries no credentials) and data
// sent after (it does) are not merged in one read: the first read returns
// the earlier data only, without credentials.
TEST(UnixStreamAncillary, DataFromBeforeSoPasscredIsNotMergedWithDataAfter) {
  constexpr const char* kCite =
      "man 7 unix: \"SO_PASSCRED ... Enabling this socket option causes receipt of the "
      "credentials of the sending process in an SCM_CREDENTIALS ancillary message in each "
      "subsequently received message.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_THAT(send(sp.a.get(), "before", 6, 0), SyscallSucceedsWithValue(6));
  const int on = 1;
  ASSERT_THAT(setsockopt(sp.b.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), SyscallSucceeds());
  ASSERT_THAT(send(sp.a.get(), "after", 5, 0), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(Received first, Receive(sp.b.get(), RecvOptions{.buffer = 64,
                                                                       .control = 256}));
  EXPECT_EQ(first.data, "before") << kCite << ": " << first.ToString();
  ASSERT_OK_AND_ASSIGN(Received second, Receive(sp.b.get(), RecvOptions{.buffer = 64,
                                                                        .control = 256}));
  EXPECT_EQ(second.data, "after") << kCite << ": " << second.ToString();
  EXPECT_TRUE(second.creds.has_value()) << kCite << ": " << second.ToString();
}

// ---------------------------------------------------------------------------
// SO_PEERCRED.

constexpr const char* kPeercredCite =
    "man 7 unix: \"SO_PEERCRED This read-only socket option returns the credentials of the peer "
    "process connected to this socket.  The returned credentials are those that were in effect "
    "at the time of the call to connect(2) or socketpair(2).\"";

PosixErrorOr<struct ucred> PeerCred(int fd) {
  struct ucred c = {};
  socklen_t len = sizeof c;
  if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len) != 0) return ErrnoError("SO_PEERCRED");
  return c;
}

// kPeercredCite, and Linux beyond the page: listen(2) also records the
// caller's credentials, so SO_PEERCRED of a listening socket names the
// listener's own process.
TEST(UnixPeercred, AListenerReportsItsOwnProcess) {
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  ASSERT_NO_ERRNO(Bind(s.get(), AbstractAddress(UniqueAbstractName("pclisten"))));
  ASSERT_THAT(listen(s.get(), 1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(struct ucred c, PeerCred(s.get()));
  EXPECT_TRUE(c.pid == getpid() && c.uid == geteuid() && c.gid == getegid())
      << kPeercredCite << " [Linux: listen(2) records them too]: pid " << c.pid << " uid "
      << c.uid << " gid " << c.gid << ", this process " << getpid();
}

// kPeercredCite: the credentials are those in effect at connect(2); the
// connecting process having exited since changes nothing: the accepted end
// still names its pid.
TEST(UnixPeercred, ThePeersCredentialsOutliveIt) {
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("pcexit"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Child client, Child::Fork([&] {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0) return 1;
    return connect(fd, srv.get(), srv.len) == 0 ? 0 : 2;
  }));
  const pid_t pid = client.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, client.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_OK_AND_ASSIGN(FileDescriptor accepted, [&]() -> PosixErrorOr<FileDescriptor> {
    IPCSPEC_RETURN_IF_ERROR(WaitReadable(listener.get(), Deadline::Default()));
    int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return ErrnoError("accept4");
    return FileDescriptor(fd);
  }());
  ASSERT_OK_AND_ASSIGN(struct ucred c, PeerCred(accepted.get()));
  EXPECT_EQ(c.pid, pid) << kPeercredCite << ": the client exited before the accept";
}

// kPeercredCite: a socket that never connected, listened or came from
// socketpair has no peer: Linux gives pid 0 and uid and gid -1.
TEST(UnixPeercred, AnUnconnectedSocketHasNoPeer) {
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  ASSERT_OK_AND_ASSIGN(struct ucred c, PeerCred(s.get()));
  EXPECT_TRUE(c.pid == 0 && c.uid == static_cast<uid_t>(-1) && c.gid == static_cast<gid_t>(-1))
      << kPeercredCite << " [Linux: no peer: pid 0, uid and gid -1]: pid " << c.pid << " uid "
      << c.uid << " gid " << c.gid;
}

// Enters a new PID namespace for the children of the caller (and a user
// namespace if that is what it takes). Child-safe.
bool UnsharePidns() {
  if (unshare(CLONE_NEWPID) == 0) return true;
  return unshare(CLONE_NEWUSER | CLONE_NEWPID) == 0;
}

// man 7 pid_namespaces: "When a process ID is passed over a UNIX domain
// socket to a process in a different PID namespace (see the description of
// SCM_CREDENTIALS in unix(7)), it is translated into the corresponding PID
// value in the receiving process's PID namespace." Linux does the same for
// SO_PEERCRED (kPeercredCite): a process in a new PID namespace connects to
// a listener outside it; the listener reads the client's pid as its own
// namespace numbers it, and the client reads 0 for the listener's process,
// which its namespace cannot name.
TEST(UnixPeercred, ThePidIsTranslatedIntoTheReadersPidNamespace) {
  constexpr const char* kCite =
      "man 7 pid_namespaces: \"When a process ID is passed over a UNIX domain socket to a "
      "process in a different PID namespace ..., it is translated into the corresponding PID "
      "value in the receiving process's PID namespace.\" [Linux: SO_PEERCRED too; 0 where the "
      "reader's namespace cannot name it]";
  IPCSPEC_NEEDS(Need::Feature("pidns", []() -> std::optional<std::string> {
    auto st = ForkAndWait([] { return UnsharePidns() ? 0 : 1; });
    if (!st.ok()) return std::string("fork: ") + st.error().ToString();
    if (!st.value().ExitedWith(0)) return std::string("a child cannot unshare(CLONE_NEWPID)");
    return std::nullopt;
  }));
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("pidns"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 1), SyscallSucceeds());
  struct Out {
    // unshare and fork, then the grandchild's socket, connect and getsockopt
    CallRecords<5> calls;
    pid_t grandchild = -1;     // as this process's namespace names it
    pid_t seen_inside = -2;    // SO_PEERCRED pid read inside the new namespace
    pid_t self_inside = -2;    // the grandchild's getpid()
  };
  ASSERT_OK_AND_ASSIGN(auto out, SharedObject<Out>::Create());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&]() -> int {
    CallRecords<5>& r = out->calls;
    r[0] = Record("unshare(CLONE_NEWPID)", UnsharePidns() ? 0 : -1);
    if (r[0].failed()) return 0;
    pid_t g = fork();
    r[1] = Record("fork", g < 0 ? -1 : 0);
    if (g < 0) return 0;
    if (g == 0) {
      out->self_inside = getpid();
      int fd = socket(AF_UNIX, SOCK_STREAM, 0);
      r[2] = Record("socket", fd);
      if (fd < 0) _exit(0);
      r[3] = Record("connect", connect(fd, srv.get(), srv.len));
      if (r[3].failed()) _exit(0);
      struct ucred c = {};
      socklen_t len = sizeof c;
      r[4] = Record("getsockopt(SO_PEERCRED)", getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c, &len));
      out->seen_inside = c.pid;
      _exit(0);
    }
    out->grandchild = g;
    // The grandchild's calls do not block: the listener's backlog has room.
    int status = 0;
    if (waitpid(g, &status, 0) != g) return 1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
  }));
  ASSERT_NO_ERRNO(ReachedEnd(st)) << ToString(out->calls);
  ASSERT_EQ(out->calls[4].ret, 0) << ToString(out->calls);
  ASSERT_NO_ERRNO(WaitReadable(listener.get(), Deadline::Default()));
  int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor accepted(fd);
  ASSERT_OK_AND_ASSIGN(struct ucred c, PeerCred(accepted.get()));
  EXPECT_EQ(out->self_inside, 1) << "the grandchild is the new namespace's first process";
  EXPECT_EQ(c.pid, out->grandchild)
      << kCite << ": the listener reads the client's pid in its own namespace (the client is "
      << "pid " << out->self_inside << " in its own)";
  EXPECT_EQ(out->seen_inside, 0)
      << kCite << ": inside the new namespace the listener's process has no pid";
}

// ---------------------------------------------------------------------------
// sendto(2) on sockets that are not connected.

// man 2 send: "If sendto() is used on a connection-mode (SOCK_STREAM,
// SOCK_SEQPACKET) socket, the arguments dest_addr and addrlen are ignored
// (and the error EISCONN may be returned when they are not NULL and 0), and
// the error ENOTCONN is returned when the socket was not actually
// connected." An unconnected SOCK_SEQPACKET socket fails ENOTCONN; Linux
// fails an unconnected SOCK_STREAM socket EOPNOTSUPP (man 7 unix:
// "EOPNOTSUPP Stream operation called on non-stream oriented socket"); the
// address, a path, is not created either way.
TEST(UnixSendtoUnconnected, ConnectionModeSocketsFailAndCreateNothing) {
  constexpr const char* kCite =
      "man 2 send: \"If sendto() is used on a connection-mode (SOCK_STREAM, SOCK_SEQPACKET) "
      "socket, the arguments dest_addr and addrlen are ignored ... and the error ENOTCONN is "
      "returned when the socket was not actually connected.\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("nobody");
  ASSERT_OK_AND_ASSIGN(UnixAddress a, PathAddress(path));
  for (auto [type, want] : {std::pair<int, int>{SOCK_SEQPACKET, ENOTCONN},
                            std::pair<int, int>{SOCK_STREAM, EOPNOTSUPP}}) {
    ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(type | SOCK_NONBLOCK));
    EXPECT_THAT(sendto(s.get(), "x", 1, MSG_NOSIGNAL, a.get(), a.len), SyscallFailsWithErrno(want))
        << kCite << (type == SOCK_STREAM ? " [Linux, SOCK_STREAM: EOPNOTSUPP]" : "") << ": "
        << TypeName(type);
    struct stat st;
    EXPECT_THAT(stat(path.c_str(), &st), SyscallFailsWithErrno(ENOENT))
        << kCite << ": the address was not created: " << TypeName(type);
  }
}

// man 7 unix: "SOCK_DGRAM, for a datagram-oriented socket that preserves
// message boundaries"; man 2 send: "the address of the target is given by
// dest_addr". An unconnected, unbound datagram socket sends to a bound name;
// the receiver, with SO_PASSCRED, gets the sender's credentials (man 7
// unix, SO_PASSCRED: "... a default that includes the sender's PID, real
// user ID, and real group ID").
TEST(UnixSendtoUnconnected, ADatagramReachesANameWithTheSendersCredentials) {
  constexpr const char* kCite =
      "man 2 send: \"the address of the target is given by dest_addr with addrlen specifying its "
      "size\"; man 7 unix: \"SO_PASSCRED ... or a default that includes the sender's PID, real "
      "user ID, and real group ID\"";
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("dgto"));
  ASSERT_OK_AND_ASSIGN(auto r, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(r.get(), srv));
  const int on = 1;
  ASSERT_THAT(setsockopt(r.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_THAT(sendto(s.get(), "hello", 5, 0, srv.get(), srv.len), SyscallSucceedsWithValue(5))
      << kCite;
  ASSERT_OK_AND_ASSIGN(Received got, Receive(r.get(), RecvOptions{.buffer = 16, .control = 256}));
  EXPECT_EQ(got.data, "hello") << kCite << ": " << got.ToString();
  ASSERT_TRUE(got.creds.has_value()) << kCite << ": " << got.ToString();
  EXPECT_TRUE(got.creds->pid == getpid() && got.creds->uid == getuid() &&
              got.creds->gid == getgid())
      << kCite << ": " << got.ToString();
}

// ---------------------------------------------------------------------------
// Names.

// man 2 bind: "EADDRINUSE The given address is already in use."; man 7
// unix, "autobind": an autobound abstract name is a name like any other:
// binding a second socket to it fails EADDRINUSE.
TEST(UnixNames, AnAutoboundNameIsInUse) {
  ASSERT_OK_AND_ASSIGN(auto a, MakeSocket(SOCK_DGRAM));
  ASSERT_NO_ERRNO(Bind(a.get(), FamilyOnlyAddress()));
  ASSERT_OK_AND_ASSIGN(UnixAddress name, SockName(a.get()));
  ASSERT_TRUE(name.IsAbstract()) << name.ToString();
  ASSERT_OK_AND_ASSIGN(auto b, MakeSocket(SOCK_DGRAM));
  EXPECT_THAT(bind(b.get(), name.get(), name.len), SyscallFailsWithErrno(EADDRINUSE))
      << "man 7 unix: \"autobind: If a bind(2) call specifies addrlen as sizeof(sa_family_t) ... "
         "then the socket is autobound to an abstract address.\"; man 2 bind: \"EADDRINUSE The "
         "given address is already in use.\": " << name.ToString();
}

// man 7 unix, "abstract": "The socket's address in this namespace is given
// by the additional bytes in sun_path that are covered by the specified
// length of the address structure." Bound with one byte less than its
// name's length, getsockname returns that shorter length.
TEST(UnixNames, GetsocknameReturnsTheAbstractLengthBound) {
  constexpr const char* kCite =
      "man 7 unix: \"The socket's address in this namespace is given by the additional bytes in "
      "sun_path that are covered by the specified length of the address structure.\"";
  UnixAddress a = AbstractAddress(UniqueAbstractName("partial"));
  a.len -= 1;
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_STREAM));
  ASSERT_NO_ERRNO(Bind(s.get(), a));
  ASSERT_OK_AND_ASSIGN(UnixAddress got, SockName(s.get()));
  EXPECT_EQ(got.len, a.len) << kCite << ": " << got.ToString();
}

// man 7 unix, "abstract" ("Null bytes in the name have no special
// significance."): a name that fills sun_path is a name like any other; two
// that differ only in their last byte are distinct (both binds succeed), and
// a sun_path of NULs only, at full length, is a valid abstract name.
TEST(UnixNames, FullLengthAbstractNamesAreDistinctToTheLastByte) {
  constexpr const char* kCite =
      "man 7 unix: \"The socket's address in this namespace is given by the additional bytes in "
      "sun_path that are covered by the specified length of the address structure.  (Null bytes "
      "in the name have no special significance.)\"";
  UnixAddress a = AbstractAddress(UniqueAbstractName("full"));
  a.len = sizeof(sockaddr_un);  // the rest of sun_path (NULs) is part of the name
  UnixAddress b = a;
  b.addr.sun_path[sizeof(b.addr.sun_path) - 1] = '/';
  ASSERT_OK_AND_ASSIGN(auto s1, MakeSocket(SOCK_STREAM));
  ASSERT_OK_AND_ASSIGN(auto s2, MakeSocket(SOCK_STREAM));
  EXPECT_THAT(bind(s1.get(), a.get(), a.len), SyscallSucceeds()) << kCite << ": full length";
  EXPECT_THAT(bind(s2.get(), b.get(), b.len), SyscallSucceeds())
      << kCite << ": the same name but a trailing '/'";
  sockaddr_un zero = {};
  zero.sun_family = AF_UNIX;
  ASSERT_OK_AND_ASSIGN(auto s3, MakeSocket(SOCK_DGRAM));
  EXPECT_THAT(bind(s3.get(), reinterpret_cast<sockaddr*>(&zero), sizeof zero), SyscallSucceeds())
      << kCite << ": a name of NULs only";
}

// man 7 unix, BUGS: "When binding a socket to an address, Linux is one of
// the implementations that appends a null terminator if none is supplied in
// sun_path." A pathname ends at its first NUL: "p\0x" and "p\0y" name the
// same file, so the second bind fails EADDRINUSE.
TEST(UnixNames, APathnameEndsAtItsFirstNul) {
  constexpr const char* kCite =
      "man 7 unix: \"pathname: ... sun_path should be a null-terminated pathname\"; man 2 bind: "
      "\"EADDRINUSE The given address is already in use.\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  ASSERT_OK_AND_ASSIGN(UnixAddress base, PathAddress(dir.Join("p")));
  auto with_tail = [&](char tail) {
    UnixAddress a = base;
    size_t n = strlen(a.addr.sun_path);
    a.addr.sun_path[n] = '\0';
    a.addr.sun_path[n + 1] = tail;
    a.len = offsetof(sockaddr_un, sun_path) + n + 2;
    return a;
  };
  ASSERT_OK_AND_ASSIGN(auto s1, MakeSocket(SOCK_DGRAM));
  ASSERT_OK_AND_ASSIGN(auto s2, MakeSocket(SOCK_DGRAM));
  UnixAddress x = with_tail('x'), y = with_tail('y');
  ASSERT_THAT(bind(s1.get(), x.get(), x.len), SyscallSucceeds()) << kCite;
  EXPECT_THAT(bind(s2.get(), y.get(), y.len), SyscallFailsWithErrno(EADDRINUSE))
      << kCite << ": the bytes after the NUL are not part of the path";
}

// ---------------------------------------------------------------------------
// Network namespaces (man 7 unix, man 7 network_namespaces).

// Enters a new network namespace (and a user namespace if that is what it
// takes). Child-safe.
bool EnterNewNetns() {
  if (unshare(CLONE_NEWNET) == 0) return true;
  return unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0;
}

Need NetnsNeed() {
  return Need::Feature("netns", []() -> std::optional<std::string> {
    auto st = ForkAndWait([] { return EnterNewNetns() ? 0 : 1; });
    if (!st.ok()) return std::string("fork: ") + st.error().ToString();
    if (!st.value().ExitedWith(0)) return std::string("a child cannot unshare(CLONE_NEWNET)");
    return std::nullopt;
  });
}

class UnixNetns : public ::testing::TestWithParam<int> {};

// man 7 network_namespaces: "Network namespaces provide isolation of the
// system resources associated with networking: ... the UNIX domain abstract
// socket namespace (see unix(7))". A connect from another network namespace
// to an abstract name bound here fails ECONNREFUSED (man 7 unix, ERRORS:
// "ECONNREFUSED The remote address specified by connect(2) was not a
// listening socket."); from here it succeeds (control).
TEST_P(UnixNetns, AbstractNamesBelongToTheirNetworkNamespace) {
  constexpr const char* kCite =
      "man 7 network_namespaces: \"Network namespaces provide isolation of the system resources "
      "associated with networking: ... the UNIX domain abstract socket namespace\"";
  IPCSPEC_NEEDS(NetnsNeed());
  const int type = GetParam();
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("netns"));
  ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(type | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(server.get(), srv));
  if (type != SOCK_DGRAM) {
    ASSERT_THAT(listen(server.get(), 4), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<3>([&](CallRecords<3>& r) {
    r[0] = Record("unshare(CLONE_NEWNET)", EnterNewNetns() ? 0 : -1);
    if (r[0].failed()) return;
    const int fd = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
    r[1] = Record("socket", fd);
    if (fd >= 0) r[2] = Record("connect", connect(fd, srv.get(), srv.len));
  }));
  ASSERT_TRUE(calls[1].ret >= 0) << ToString(calls);
  EXPECT_TRUE(calls[2].FailedWith(ECONNREFUSED))
      << kCite << "; man 7 unix: \"ECONNREFUSED The remote address specified by connect(2) was "
      << "not a listening socket.\": connect from another network namespace: "
      << calls[2];
  ASSERT_OK_AND_ASSIGN(auto here, MakeSocket(type | SOCK_NONBLOCK));
  EXPECT_THAT(Connect(here.get(), srv), SyscallSucceeds())
      << kCite << ": the same connect from this namespace (control)";
}

// man 7 network_namespaces lists the abstract namespace only; a pathname
// socket is a file (man 7 unix: "pathname: a UNIX domain socket can be bound
// to a null-terminated filesystem pathname using bind(2)"), so a socket bound
// to a path is reachable from another network namespace.
TEST_P(UnixNetns, PathnameSocketsAreReachableFromAnotherNetworkNamespace) {
  constexpr const char* kCite =
      "man 7 unix: \"pathname: a UNIX domain socket can be bound to a null-terminated "
      "filesystem pathname using bind(2).\" [the file system, not the network namespace]";
  IPCSPEC_NEEDS(NetnsNeed());
  const int type = GetParam();
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  ASSERT_OK_AND_ASSIGN(UnixAddress srv, PathAddress(dir.Join("srv")));
  ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(type | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(server.get(), srv));
  if (type != SOCK_DGRAM) {
    ASSERT_THAT(listen(server.get(), 4), SyscallSucceeds());
  }
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<4>([&](CallRecords<4>& r) {
    r[0] = Record("unshare(CLONE_NEWNET)", EnterNewNetns() ? 0 : -1);
    if (r[0].failed()) return;
    const int fd = socket(AF_UNIX, type | SOCK_NONBLOCK, 0);
    r[1] = Record("socket", fd);
    if (fd < 0) return;
    r[2] = Record("connect", connect(fd, srv.get(), srv.len));
    if (r[2].ret == 0) r[3] = Record("send", send(fd, "n", 1, MSG_NOSIGNAL));
  }));
  ASSERT_TRUE(calls[1].ret >= 0) << ToString(calls);
  EXPECT_TRUE(calls[2].ret == 0 && calls[3].ret == 1)
      << kCite << ": connect and send from another network namespace: " << ToString(calls);
  if (type == SOCK_DGRAM) {
    ASSERT_OK_AND_ASSIGN(Received r, Receive(server.get(), RecvOptions{.buffer = 8}));
    EXPECT_EQ(r.data, "n") << kCite;
  }
}

INSTANTIATE_TEST_SUITE_P(Types, UnixNetns, ::testing::Values(SOCK_STREAM, SOCK_DGRAM),
                         TypeParamName);

}  // namespace
}  // namespace ipcspec
