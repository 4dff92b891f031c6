// The life of an AF_UNIX connection: shutdown(2) with SHUT_RD, SHUT_WR and
// SHUT_RDWR (what each end then sees: end of file, EAGAIN, EPIPE, poll
// flags), a peer that closes with unread data (ECONNRESET), a listener
// closed with connections pending, listen(2) backlog 0, listen/accept on the
// wrong type or state, datagram connect/reconnect/disconnect, and
// getsockname/getpeername (man 2 shutdown, man 7 unix, man 2 listen, man 2
// accept, man 2 connect, man 2 getsockname, man 2 getpeername, man 2 recv,
// man 2 send, man 2 poll).
//
// Most tests run over every kind of connected pair (LifeKind): socketpair,
// a pathname-bound listener with the connecting and the accepted end, an
// abstract-bound one; SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM (datagram
// sockets bound and connected to each other); each also reversed (the two
// ends swapped). Every socket is non-blocking; a wait is a poll with a
// deadline, or a child seen blocked in ppoll(2) (impl/core/blocked.h).
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


// ---------------------------------------------------------------------------
// Man page sentences.

constexpr const char* kShutRdCite =
    "man 2 shutdown: \"If how is SHUT_RD, further receptions will be disallowed.\"";
constexpr const char* kShutWrCite =
    "man 2 shutdown: \"If how is SHUT_WR, further transmissions will be disallowed.\"";
constexpr const char* kShutRdwrCite =
    "man 2 shutdown: \"If how is SHUT_RDWR, further receptions and transmissions will be "
    "disallowed.\"";
constexpr const char* kSendEpipeCite =
    "man 2 send, ERRORS: \"EPIPE The local end has been shut down on a connection oriented "
    "socket.\"";
constexpr const char* kUnixEpipeCite =
    "man 7 unix, ERRORS: \"EPIPE Remote socket was closed on a stream socket.\"";
constexpr const char* kEofCite =
    "man 2 recv: \"When a stream socket peer has performed an orderly shutdown, the return "
    "value will be 0 (the traditional \"end-of-file\" return).\"";
constexpr const char* kEagainCite =
    "man 2 recv, ERRORS: \"EAGAIN or EWOULDBLOCK The socket is marked nonblocking and the "
    "receive operation would block\"";
constexpr const char* kEconnresetCite =
    "man 7 unix, ERRORS: \"ECONNRESET Remote socket was unexpectedly closed.\"";
constexpr const char* kPollHupCite =
    "man 2 poll: \"POLLHUP Hang up (only returned in revents; ignored in events).\"";
constexpr const char* kPollRdhupCite =
    "man 2 poll: \"POLLRDHUP (since Linux 2.6.17) Stream socket peer closed connection, or "
    "shut down writing half of connection.\"";
constexpr const char* kGetsocknameCite =
    "man 2 getsockname: \"getsockname() returns the current address to which the socket "
    "sockfd is bound\"; man 7 unix: \"unnamed: A stream socket that has not been bound to a "
    "pathname using bind(2) has no name.\"";
constexpr const char* kGetpeernameCite =
    "man 2 getpeername: \"getpeername() returns the address of the peer connected to the "
    "socket sockfd\"";
constexpr const char* kEnotconnCite =
    "man 2 getpeername, ERRORS: \"ENOTCONN The socket is not connected.\"";
constexpr const char* kListenEopnotsuppCite =
    "man 2 listen, ERRORS: \"EOPNOTSUPP The socket is not of a type that supports the "
    "listen() operation.\"";
constexpr const char* kAcceptEopnotsuppCite =
    "man 2 accept, ERRORS: \"EOPNOTSUPP The referenced socket is not of type SOCK_STREAM.\"";
constexpr const char* kAcceptEinvalCite =
    "man 2 accept, ERRORS: \"EINVAL Socket is not listening for connections\"";
constexpr const char* kUnixEinvalCite =
    "man 7 unix, ERRORS: \"EINVAL Invalid argument passed.  A common cause is that the value "
    "AF_UNIX was not specified in the sun_type field of passed addresses, or the socket was "
    "in an invalid state for the applied operation.\"";
constexpr const char* kBacklogCite =
    "man 2 listen: \"The backlog argument defines the maximum length to which the queue of "
    "pending connections for sockfd may grow.\"; man 2 connect, ERRORS: \"EAGAIN For "
    "nonblocking UNIX domain sockets, the socket is nonblocking, and the connection cannot "
    "be completed immediately.\"";
constexpr const char* kDgramConnectCite =
    "man 2 connect: \"If the socket sockfd is of type SOCK_DGRAM, then addr is the address to "
    "which datagrams are sent by default, and the only address from which datagrams are "
    "received.\"";
constexpr const char* kReconnectCite =
    "man 2 connect: \"Some protocol sockets (e.g., datagram sockets in the UNIX and Internet "
    "domains) may use connect() multiple times to change their association.\"";
constexpr const char* kAfUnspecCite =
    "man 2 connect: \"Connectionless sockets may dissolve the association by connecting to "
    "an address with the sa_family member of sockaddr set to AF_UNSPEC; thereafter, the "
    "socket can be connected to another address.\"";

// ---------------------------------------------------------------------------
// Kinds of connected pairs.

enum class How { kPair, kPath, kAbstract };

struct LifeKind {
  int type;
  How how;
  bool reversed;
  std::string Name() const {
    std::string t = type == SOCK_STREAM ? "stream" : type == SOCK_SEQPACKET ? "seqpacket" : "dgram";
    std::string h = how == How::kPair ? "pair" : how == How::kPath ? "path" : "abstract";
    return t + "_" + h + (reversed ? "_rev" : "");
  }
  bool Connected() const { return type != SOCK_DGRAM; }
};

// Every (type, how) in `types`; `reversed` adds the pathname kinds with the
// ends swapped (the accepted end as `a`) for SOCK_STREAM and SOCK_SEQPACKET,
// where the two ends differ (a socketpair's and two bound datagram sockets'
// ends are alike; an abstract listener's ends are a pathname one's, which
// the other tests cover).
std::vector<LifeKind> KindsOf(std::vector<int> types, bool reversed = true,
                              std::vector<How> hows = {How::kPair, How::kPath, How::kAbstract}) {
  std::vector<LifeKind> v;
  for (int t : types) {
    for (How h : hows) {
      v.push_back(LifeKind{t, h, false});
      if (reversed && t != SOCK_DGRAM && h == How::kPath) v.push_back(LifeKind{t, h, true});
    }
  }
  return v;
}

void PrintTo(const LifeKind& k, std::ostream* os) { *os << k.Name(); }

std::string KindParamName(const ::testing::TestParamInfo<LifeKind>& i) { return i.param.Name(); }

// Two connected non-blocking ends, with the names getsockname and
// getpeername must give for each.
struct Conn {
  std::optional<SocketDir> dir;
  FileDescriptor a, b;
  UnixAddress a_name, b_name;  // getsockname of a and of b
  std::string kind;
  std::string Where() const { return " [" + kind + "]"; }
};

UnixAddress Unnamed() { return FamilyOnlyAddress(); }

PosixErrorOr<FileDescriptor> AcceptOne(int listener) {
  IPCSPEC_RETURN_IF_ERROR(WaitReadable(listener, Deadline::Default()));
  int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return ErrnoError("accept4");
  return FileDescriptor(fd);
}

PosixErrorOr<Conn> Open(const LifeKind& k) {
  Conn c;
  c.kind = k.Name();
  if (k.how == How::kPair) {
    IPCSPEC_ASSIGN_OR_RETURN(auto sp, MakeSocketPair(k.type | SOCK_NONBLOCK));
    c.a = std::move(sp.a);
    c.b = std::move(sp.b);
    c.a_name = Unnamed();
    c.b_name = Unnamed();
  } else {
    auto name = [&](const std::string& tag) -> PosixErrorOr<UnixAddress> {
      if (k.how == How::kAbstract) return AbstractAddress(UniqueAbstractName(tag));
      return PathAddress(c.dir->Join(tag));
    };
    if (k.how == How::kPath) {
      IPCSPEC_ASSIGN_OR_RETURN(auto d, MakeSocketDir());
      c.dir = std::move(d);
    }
    if (k.type == SOCK_DGRAM) {
      IPCSPEC_ASSIGN_OR_RETURN(c.a_name, name("a"));
      IPCSPEC_ASSIGN_OR_RETURN(c.b_name, name("b"));
      IPCSPEC_ASSIGN_OR_RETURN(c.a, MakeSocket(k.type | SOCK_NONBLOCK));
      IPCSPEC_ASSIGN_OR_RETURN(c.b, MakeSocket(k.type | SOCK_NONBLOCK));
      IPCSPEC_RETURN_IF_ERROR(Bind(c.a.get(), c.a_name));
      IPCSPEC_RETURN_IF_ERROR(Bind(c.b.get(), c.b_name));
      IPCSPEC_RETURN_IF_ERROR(Connect(c.a.get(), c.b_name));
      IPCSPEC_RETURN_IF_ERROR(Connect(c.b.get(), c.a_name));
    } else {
      IPCSPEC_ASSIGN_OR_RETURN(UnixAddress srv, name("srv"));
      IPCSPEC_ASSIGN_OR_RETURN(auto listener, MakeSocket(k.type | SOCK_NONBLOCK));
      IPCSPEC_RETURN_IF_ERROR(Bind(listener.get(), srv));
      if (listen(listener.get(), 4) != 0) return ErrnoError("listen");
      IPCSPEC_ASSIGN_OR_RETURN(c.a, MakeSocket(k.type | SOCK_NONBLOCK));
      IPCSPEC_RETURN_IF_ERROR(Connect(c.a.get(), srv));
      IPCSPEC_ASSIGN_OR_RETURN(c.b, AcceptOne(listener.get()));
      c.a_name = Unnamed();  // the connecting end was never bound
      c.b_name = srv;        // the accepted end carries the listener's name
    }
  }
  if (k.reversed) {
    std::swap(c.a, c.b);
    std::swap(c.a_name, c.b_name);
  }
  return c;
}

// poll(2) with a zero timeout: the revents, or -1 with errno.
int PollNow(int fd, short events) {
  struct pollfd p = {fd, events, 0};
  int n = poll(&p, 1, 0);
  if (n < 0) return -1;
  return n == 0 ? 0 : p.revents;
}

std::string Revents(int r) {
  if (r < 0) return "poll failed errno " + std::to_string(errno);
  std::string s;
  auto add = [&](int bit, const char* n) {
    if (r & bit) s += std::string(s.empty() ? "" : "|") + n;
  };
  add(POLLIN, "POLLIN");
  add(POLLOUT, "POLLOUT");
  add(POLLRDHUP, "POLLRDHUP");
  add(POLLHUP, "POLLHUP");
  add(POLLERR, "POLLERR");
  add(POLLPRI, "POLLPRI");
  return s.empty() ? std::string("0") : s;
}

// A child blocks in ppoll(fd, events) (no timeout of its own: the parent's
// deadline kills it); once it is seen asleep in ppoll, the parent runs
// `trigger`; returns the child's revents (-1: ppoll failed, -2: not reached).
struct PollResult {
  long ret = -2;
  int revents = 0;
  int err = 0;
};
template <typename Trigger>
PosixErrorOr<PollResult> PollDuring(int fd, short events, Trigger trigger) {
  IPCSPEC_ASSIGN_OR_RETURN(auto res, SharedObject<PollResult>::Create());
  IPCSPEC_ASSIGN_OR_RETURN(Child poller, Child::Fork([&] {
    struct pollfd p = {fd, events, 0};
    // The trigger wakes a poller at once where it works: 3 s (scaled by
    // IPCSPEC_TIMEOUT_SCALE) is a wide margin, and where the wake never comes
    // (gVisor) the poller returns 0 then, before the Wait() deadline of 10 s:
    // one failure, "ppoll returned 0", not a race of two deadlines.
    struct timespec ts = Deadline::In(std::chrono::milliseconds(3000)).RemainingTimespec();
    long n = syscall(SYS_ppoll, &p, 1, &ts, nullptr, 8);
    res->err = errno;
    res->revents = p.revents;
    res->ret = n;
    return 0;
  }));
  IPCSPEC_RETURN_IF_ERROR(WaitUntilBlocked(poller.pid(), {SYS_ppoll}));
  if (res->ret != -2) return PosixError(EBUSY, "the poller returned before the trigger");
  trigger();
  IPCSPEC_ASSIGN_OR_RETURN(WaitStatus st, poller.Wait());
  if (!st.ExitedWith(0)) return PosixError(ECHILD, "the poller did not exit 0");
  return *res.operator->();
}

PosixErrorOr<std::string> ReceiveNow(int fd, size_t n = 64) {
  IPCSPEC_ASSIGN_OR_RETURN(Received r, Receive(fd, RecvOptions{.buffer = n, .wait = false}));
  return r.data;
}

// recv(fd, MSG_DONTWAIT): the return value, errno in *err.
ssize_t RecvNow(int fd, int* err, size_t n = 64, int flags = 0) {
  char buf[256];
  errno = 0;
  ssize_t k = recv(fd, n ? buf : nullptr, n, flags | MSG_DONTWAIT);
  *err = errno;
  return k;
}

// ---------------------------------------------------------------------------
// Every kind.

class UnixLife : public ::testing::TestWithParam<LifeKind> {
 protected:
  const LifeKind& kind() const { return GetParam(); }
};

// What differs between the two ends (the names, the direction of data):
// also over the reversed kinds.
class UnixEnds : public UnixLife {};

// man 2 send and man 2 recv: a byte sent on one end is received on the
// other, both ways. (The pair kinds' setup: a stream/seqpacket client
// reaches a pathname- or abstract-bound listener; a datagram socket
// connects to a pathname- or abstract-bound datagram socket, man 2 connect,
// kDgramConnectCite.)
TEST_P(UnixEnds, DataFlowsBothWays) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(send(c.a.get(), "ab", 2, MSG_NOSIGNAL), SyscallSucceedsWithValue(2)) << c.Where();
  ASSERT_OK_AND_ASSIGN(Received r, Receive(c.b.get(), RecvOptions{.buffer = 16}));
  EXPECT_EQ(r.data, "ab") << kDgramConnectCite << c.Where() << ": a to b";
  ASSERT_THAT(send(c.b.get(), "cd", 2, MSG_NOSIGNAL), SyscallSucceedsWithValue(2)) << c.Where();
  ASSERT_OK_AND_ASSIGN(Received r2, Receive(c.a.get(), RecvOptions{.buffer = 16}));
  EXPECT_EQ(r2.data, "cd") << kDgramConnectCite << c.Where() << ": b to a";
}

// man 2 getsockname and man 2 getpeername (kGetsocknameCite,
// kGetpeernameCite): each end's own name is the name it was bound to (the
// accepted end carries the listener's name; an unbound or socketpair end is
// unnamed: addrlen sizeof(sa_family_t)), and its peer's name is the other
// end's.
TEST_P(UnixEnds, GetsocknameAndGetpeernameGiveTheBoundNames) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  struct End {
    int fd;
    const UnixAddress& self;
    const UnixAddress& peer;
    const char* name;
  };
  for (const End& e : {End{c.a.get(), c.a_name, c.b_name, "a"},
                       End{c.b.get(), c.b_name, c.a_name, "b"}}) {
    ASSERT_OK_AND_ASSIGN(UnixAddress self, SockName(e.fd));
    EXPECT_TRUE(self == e.self) << kGetsocknameCite << c.Where() << ": end " << e.name
                                << " getsockname " << self.ToString() << ", want "
                                << e.self.ToString();
    UnixAddress peer;
    peer.len = sizeof(peer.addr);
    ASSERT_THAT(getpeername(e.fd, reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
                SyscallSucceeds())
        << kGetpeernameCite << c.Where();
    EXPECT_TRUE(peer == e.peer) << kGetpeernameCite << c.Where() << ": end " << e.name
                                << " getpeername " << peer.ToString() << ", want "
                                << e.peer.ToString();
  }
}

// man 2 shutdown (kShutWrCite), man 2 send (kSendEpipeCite): after
// shutdown(SHUT_WR) the end's own sends fail EPIPE, on every type (Linux
// gives EPIPE on SOCK_DGRAM too, which the page's "connection oriented" does
// not promise).
TEST_P(UnixLife, ShutdownWrMakesTheOwnSendFailEpipe) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(shutdown(c.a.get(), SHUT_WR), SyscallSucceeds()) << kShutWrCite << c.Where();
  EXPECT_THAT(send(c.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
      << kShutWrCite << "; " << kSendEpipeCite << c.Where();
  // The other direction is untouched.
  EXPECT_THAT(send(c.b.get(), "y", 1, MSG_NOSIGNAL), SyscallSucceedsWithValue(1))
      << kShutWrCite << c.Where() << ": only a's transmissions are disallowed";
  ASSERT_OK_AND_ASSIGN(std::string got, ReceiveNow(c.a.get()));
  EXPECT_EQ(got, "y") << kShutWrCite << c.Where() << ": a still receives";
}

// man 2 shutdown (kShutWrCite), man 2 recv (kEofCite): the peer of an end
// that shut down writing first reads what was queued, then end of file (0)
// on SOCK_STREAM and SOCK_SEQPACKET, also for a zero-length receive. On
// SOCK_DGRAM Linux does not pass the shutdown to the peer (a datagram socket
// has no connection): the peer's non-blocking receive fails EAGAIN
// (kEagainCite) and no POLLRDHUP appears.
TEST_P(UnixLife, ShutdownWrGivesThePeerQueuedDataThenEof) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(send(c.a.get(), "abc", 3, MSG_NOSIGNAL), SyscallSucceedsWithValue(3));
  ASSERT_THAT(shutdown(c.a.get(), SHUT_WR), SyscallSucceeds()) << kShutWrCite << c.Where();
  EXPECT_THAT(send(c.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
      << kShutWrCite << "; " << kSendEpipeCite << c.Where();
  ASSERT_OK_AND_ASSIGN(std::string got, ReceiveNow(c.b.get()));
  EXPECT_EQ(got, "abc") << kShutWrCite << c.Where() << ": data queued before the shutdown";
  int err = 0;
  for (size_t len : {size_t{64}, size_t{0}}) {
    ssize_t k = RecvNow(c.b.get(), &err, len);
    if (kind().Connected()) {
      EXPECT_EQ(k, 0) << kShutWrCite << "; " << kEofCite << c.Where() << ": recv of " << len
                      << " bytes gave " << k << " errno " << err;
    } else {
      EXPECT_TRUE(k == -1 && err == EAGAIN)
          << kShutWrCite << "; " << kEagainCite << c.Where()
          << " [Linux: a datagram peer sees no end of file]: recv of " << len << " bytes gave "
          << k << " errno " << err;
    }
  }
  int r = PollNow(c.b.get(), POLLIN | POLLRDHUP);
  if (kind().Connected()) {
    EXPECT_EQ(r, POLLIN | POLLRDHUP) << kPollRdhupCite << c.Where() << ": peer polls "
                                     << Revents(r);
  } else {
    EXPECT_EQ(r, 0) << kPollRdhupCite << c.Where()
                    << " [Linux: no propagation on SOCK_DGRAM]: peer polls " << Revents(r);
  }
}

// man 2 shutdown (kShutRdCite), man 7 unix (kUnixEpipeCite): after one end
// shut down reading, the peer's sends fail EPIPE on every type (Linux checks
// the receiver's shutdown for datagrams as well), and the end's own empty
// receive returns 0 on SOCK_STREAM and SOCK_SEQPACKET; on SOCK_DGRAM Linux
// gives EAGAIN (kEagainCite).
TEST_P(UnixLife, ShutdownRdMakesThePeerSendFailEpipe) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(shutdown(c.a.get(), SHUT_RD), SyscallSucceeds()) << kShutRdCite << c.Where();
  EXPECT_THAT(send(c.b.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
      << kShutRdCite << "; " << kUnixEpipeCite << c.Where() << ": the peer's send";
  int err = 0;
  ssize_t k = RecvNow(c.a.get(), &err);
  if (kind().Connected()) {
    EXPECT_EQ(k, 0) << kShutRdCite << "; " << kEofCite << c.Where() << ": own recv gave " << k
                    << " errno " << err;
  } else {
    EXPECT_TRUE(k == -1 && err == EAGAIN)
        << kShutRdCite << "; " << kEagainCite << c.Where()
        << " [Linux: a datagram socket reads no end of file]: own recv gave " << k << " errno "
        << err;
  }
  // a may still send.
  EXPECT_THAT(send(c.a.get(), "y", 1, MSG_NOSIGNAL), SyscallSucceedsWithValue(1))
      << kShutRdCite << c.Where() << ": a's transmissions are still allowed";
}

// man 2 shutdown (kShutRdwrCite): SHUT_RDWR succeeds on both ends; then
// neither end may send (EPIPE, kSendEpipeCite) and poll(2) reports on each
// end POLLIN (a receive does not block), POLLOUT, POLLRDHUP and POLLHUP
// (kPollHupCite: the end shut down both ways). Linux's POLLOUT after the
// shutdown: it follows room in the buffer, not the shutdown.
TEST_P(UnixLife, ShutdownRdwrOnBothEnds) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  for (int fd : {c.a.get(), c.b.get()}) {
    // a first, polled before b shuts down; then b.
    ASSERT_THAT(shutdown(fd, SHUT_RDWR), SyscallSucceeds()) << kShutRdwrCite << c.Where();
    EXPECT_THAT(send(fd, "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
        << kShutRdwrCite << "; " << kSendEpipeCite << c.Where();
    int r = PollNow(fd, POLLIN | POLLOUT | POLLRDHUP);
    EXPECT_EQ(r, POLLIN | POLLOUT | POLLRDHUP | POLLHUP)
        << kShutRdwrCite << "; " << kPollHupCite << "; " << kPollRdhupCite << c.Where()
        << ": poll gave " << Revents(r);
  }
}

// A waiter blocked in poll(2) (a forked child seen asleep in ppoll): over
// socketpairs and abstract-bound pairs of each type (each waiter costs a
// child, so not over every kind).
class UnixWake : public UnixLife {};

// man 2 poll (kPollHupCite: POLLHUP is reported though not asked for): a
// child blocked in poll with events 0 wakes with exactly POLLHUP when its
// socket is shut down both ways.
TEST_P(UnixWake, ShutdownRdwrWakesAHangupOnlyPoller) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  const int fd = c.a.get();
  ASSERT_OK_AND_ASSIGN(PollResult r, PollDuring(fd, 0, [&] {
    EXPECT_THAT(shutdown(fd, SHUT_RDWR), SyscallSucceeds()) << kShutRdwrCite << c.Where();
  }));
  EXPECT_EQ(r.ret, 1) << kPollHupCite << c.Where() << ": ppoll returned " << r.ret << " errno "
                      << r.err;
  EXPECT_EQ(r.revents, POLLHUP) << kShutRdwrCite << "; " << kPollHupCite << c.Where()
                                << ": revents " << Revents(r.revents);
}

// man 2 poll (kPollRdhupCite); man 2 shutdown (kShutRdCite): a child blocked
// in poll for POLLRDHUP only wakes with exactly POLLRDHUP when its own socket
// shuts down reading (Linux reports the end's own read shutdown as
// POLLRDHUP, on every type).
TEST_P(UnixWake, ShutdownRdWakesARdhupOnlyPoller) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  const int fd = c.a.get();
  ASSERT_OK_AND_ASSIGN(PollResult r, PollDuring(fd, POLLRDHUP, [&] {
    EXPECT_THAT(shutdown(fd, SHUT_RD), SyscallSucceeds()) << kShutRdCite << c.Where();
  }));
  EXPECT_EQ(r.ret, 1) << kPollRdhupCite << c.Where() << ": ppoll returned " << r.ret
                      << " errno " << r.err;
  EXPECT_EQ(r.revents, POLLRDHUP) << kShutRdCite << "; " << kPollRdhupCite << c.Where()
                                  << ": revents " << Revents(r.revents);
}

// man 2 poll: "POLLOUT Writing is now possible"; man 2 shutdown
// (kShutWrCite). Linux reports POLLOUT from room, not from the shutdown: an
// end whose sends fill the way to its peer (EAGAIN) polls no POLLOUT, still
// none after its own SHUT_WR, and POLLOUT again once the peer drained its
// queue, although every send would now fail EPIPE.
TEST_P(UnixLife, PollOutAfterShutdownWrFollowsRoom) {
  constexpr const char* kPollOutCite = "man 2 poll: \"POLLOUT Writing is now possible\"";
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  std::string chunk(4096, 'x');
  int sends = 0;
  for (;; ++sends) {
    ASSERT_LT(sends, 4096) << "the way to the peer never filled" << c.Where();
    ssize_t k = send(c.a.get(), chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (k < 0) {
      ASSERT_EQ(errno, EAGAIN) << "filling" << c.Where();
      break;
    }
  }
  int r = PollNow(c.a.get(), POLLOUT);
  EXPECT_EQ(r, 0) << kPollOutCite << c.Where() << ": full, poll gave " << Revents(r);
  ASSERT_THAT(shutdown(c.a.get(), SHUT_WR), SyscallSucceeds()) << kShutWrCite << c.Where();
  r = PollNow(c.a.get(), POLLOUT);
  EXPECT_EQ(r, 0) << kShutWrCite << "; " << kPollOutCite
                  << " [Linux: POLLOUT follows room, not the shutdown]" << c.Where()
                  << ": full and shut down, poll gave " << Revents(r);
  char buf[8192];
  for (int i = 0;; ++i) {
    ASSERT_LT(i, 1 << 16) << "draining never ended" << c.Where();
    if (recv(c.b.get(), buf, sizeof buf, MSG_DONTWAIT) <= 0) break;  // EAGAIN, or EOF
  }
  r = PollNow(c.a.get(), POLLOUT);
  EXPECT_EQ(r, POLLOUT) << kShutWrCite << "; " << kPollOutCite
                        << " [Linux: POLLOUT follows room, not the shutdown]" << c.Where()
                        << ": drained, poll gave " << Revents(r);
  EXPECT_THAT(send(c.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
      << kShutWrCite << "; " << kSendEpipeCite << c.Where();
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnixEnds,
                         ::testing::ValuesIn(KindsOf({SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM})),
                         KindParamName);
// Shutdown and hangup act on the socket whichever end it is: no reversal.
INSTANTIATE_TEST_SUITE_P(Kinds, UnixLife,
                         ::testing::ValuesIn(KindsOf({SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM},
                                                     false)),
                         KindParamName);

INSTANTIATE_TEST_SUITE_P(Kinds, UnixWake,
                         ::testing::ValuesIn(KindsOf({SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM},
                                                     false, {How::kPair, How::kAbstract})),
                         KindParamName);

// ---------------------------------------------------------------------------
// Connection-oriented kinds.

class UnixConnLife : public UnixLife {};
class UnixConnWake : public UnixLife {};

// man 2 poll (kPollHupCite): the peer's SHUT_RDWR wakes a child blocked in
// poll with events 0 with exactly POLLHUP (Linux: the peer's shutdown both
// ways is a hangup of this end).
TEST_P(UnixConnWake, PeerShutdownRdwrWakesAHangupOnlyPoller) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_OK_AND_ASSIGN(PollResult r, PollDuring(c.a.get(), 0, [&] {
    EXPECT_THAT(shutdown(c.b.get(), SHUT_RDWR), SyscallSucceeds()) << kShutRdwrCite << c.Where();
  }));
  EXPECT_EQ(r.ret, 1) << kPollHupCite << c.Where() << ": ppoll returned " << r.ret;
  EXPECT_EQ(r.revents, POLLHUP) << kShutRdwrCite << "; " << kPollHupCite << c.Where()
                                << ": revents " << Revents(r.revents);
}

// man 2 poll (kPollRdhupCite: "Stream socket peer ... shut down writing half
// of connection"): the peer's SHUT_WR wakes a child blocked in poll for
// POLLRDHUP only, with exactly POLLRDHUP (SOCK_SEQPACKET too).
TEST_P(UnixConnWake, PeerShutdownWrWakesARdhupOnlyPoller) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_OK_AND_ASSIGN(PollResult r, PollDuring(c.a.get(), POLLRDHUP, [&] {
    EXPECT_THAT(shutdown(c.b.get(), SHUT_WR), SyscallSucceeds()) << kShutWrCite << c.Where();
  }));
  EXPECT_EQ(r.ret, 1) << kPollRdhupCite << c.Where() << ": ppoll returned " << r.ret;
  EXPECT_EQ(r.revents, POLLRDHUP) << kShutWrCite << "; " << kPollRdhupCite << c.Where()
                                  << ": revents " << Revents(r.revents);
}

// man 7 unix (kEconnresetCite): when an end closes with data it never read,
// the peer's next receive fails ECONNRESET (Linux: once; later receives give
// end of file), and its sends fail EPIPE (kUnixEpipeCite).
TEST_P(UnixConnLife, PeerClosedWithUnreadDataGivesEconnreset) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(send(c.a.get(), "unread", 6, MSG_NOSIGNAL), SyscallSucceedsWithValue(6));
  c.b.reset();
  int err = 0;
  ssize_t k = RecvNow(c.a.get(), &err);
  EXPECT_TRUE(k == -1 && err == ECONNRESET)
      << kEconnresetCite << c.Where() << ": the peer closed with unread data; recv gave " << k
      << " errno " << err;
  k = RecvNow(c.a.get(), &err);
  EXPECT_EQ(k, 0) << kEofCite << c.Where() << " [Linux: ECONNRESET is reported once]: the next "
                  << "recv gave " << k << " errno " << err;
  EXPECT_THAT(send(c.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(EPIPE))
      << kUnixEpipeCite << c.Where();
}

// man 2 recv (kEofCite): the peer closed with nothing unread: no error, end
// of file, even with MSG_WAITALL.
TEST_P(UnixConnLife, PeerClosedWithNothingUnreadGivesEofEvenWithWaitall) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  c.b.reset();
  int err = 0;
  ssize_t k = RecvNow(c.a.get(), &err, 64, MSG_WAITALL);
  EXPECT_EQ(k, 0) << kEofCite << c.Where() << ": recv(MSG_WAITALL) gave " << k << " errno "
                  << err;
  int soerr = -1;
  socklen_t len = sizeof soerr;
  ASSERT_THAT(getsockopt(c.a.get(), SOL_SOCKET, SO_ERROR, &soerr, &len), SyscallSucceeds());
  EXPECT_EQ(soerr, 0) << kEofCite << c.Where() << ": an orderly close is no error (SO_ERROR)";
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnixConnWake,
                         ::testing::ValuesIn(KindsOf({SOCK_STREAM, SOCK_SEQPACKET}, false,
                                                     {How::kPair, How::kAbstract})),
                         KindParamName);
INSTANTIATE_TEST_SUITE_P(Kinds, UnixConnLife,
                         ::testing::ValuesIn(KindsOf({SOCK_STREAM, SOCK_SEQPACKET}, false)),
                         KindParamName);

// ---------------------------------------------------------------------------
// Datagram kinds.

class UnixDgramLife : public UnixLife {};

// man 2 recv (kEagainCite): a datagram socket has no end of file: after its
// connected peer closed (with a datagram of ours unread), a non-blocking
// receive fails EAGAIN (Linux), neither 0 nor ECONNRESET.
TEST_P(UnixDgramLife, ReceiveAfterThePeerClosedFailsEagain) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  // The peer closes with a datagram of ours unread: still no ECONNRESET.
  ASSERT_THAT(send(c.a.get(), "unread", 6, 0), SyscallSucceedsWithValue(6));
  c.b.reset();
  int err = 0;
  ssize_t k = RecvNow(c.a.get(), &err);
  EXPECT_TRUE(k == -1 && err == EAGAIN)
      << kEagainCite << c.Where() << " [Linux: no end of file on SOCK_DGRAM]: recv gave " << k
      << " errno " << err;
}

// man 2 poll (kPollRdhupCite speaks of stream sockets): the peer's SHUT_WR
// is not passed to a datagram socket (Linux): no POLLRDHUP, no POLLHUP.
TEST_P(UnixDgramLife, PeerShutdownIsNotSeenOnDatagrams) {
  ASSERT_OK_AND_ASSIGN(Conn c, Open(kind()));
  ASSERT_THAT(shutdown(c.b.get(), SHUT_RDWR), SyscallSucceeds()) << kShutRdwrCite << c.Where();
  int r = PollNow(c.a.get(), POLLIN | POLLRDHUP);
  EXPECT_EQ(r, 0) << kPollRdhupCite << c.Where()
                  << " [Linux: a datagram peer's shutdown does not propagate]: poll gave "
                  << Revents(r);
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnixDgramLife, ::testing::ValuesIn(KindsOf({SOCK_DGRAM})),
                         KindParamName);

// ---------------------------------------------------------------------------
// Listeners.

class UnixListener : public ::testing::TestWithParam<int> {};

std::string TypeParamName(const ::testing::TestParamInfo<int>& i) {
  return i.param == SOCK_STREAM ? "stream" : "seqpacket";
}

// man 7 unix (kEconnresetCite): a listener closed with connections it never
// accepted resets them: the client's SO_ERROR is ECONNRESET (and reading it
// clears it, man 7 socket: "SO_ERROR Get and clear the pending socket
// error"); a second client polls POLLHUP and POLLERR (epoll: EPOLLHUP and
// EPOLLERR), its first receive fails ECONNRESET and the next returns 0.
TEST_P(UnixListener, ClosingAListenerResetsItsPendingConnections) {
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("pending"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 4), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto c1, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto c2, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(c1.get(), srv));
  ASSERT_NO_ERRNO(Connect(c2.get(), srv));
  listener.reset();
  int soerr = -1;
  socklen_t len = sizeof soerr;
  ASSERT_THAT(getsockopt(c1.get(), SOL_SOCKET, SO_ERROR, &soerr, &len), SyscallSucceeds());
  EXPECT_EQ(soerr, ECONNRESET) << kEconnresetCite
                               << ": SO_ERROR of a connection pending on a closed listener";
  ASSERT_THAT(getsockopt(c1.get(), SOL_SOCKET, SO_ERROR, &soerr, &len), SyscallSucceeds());
  EXPECT_EQ(soerr, 0) << "man 7 socket: \"SO_ERROR Get and clear the pending socket error.\"";
  int r = PollNow(c2.get(), POLLIN);
  EXPECT_TRUE((r & POLLHUP) && (r & POLLERR))
      << kPollHupCite << "; man 2 poll: \"POLLERR Error condition\": the reset connection polls "
      << Revents(r);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_THAT(ep, SyscallSucceeds());
  FileDescriptor epfd(ep);
  struct epoll_event ev = {};
  ev.events = EPOLLIN;
  ASSERT_THAT(epoll_ctl(epfd.get(), EPOLL_CTL_ADD, c2.get(), &ev), SyscallSucceeds());
  struct epoll_event got = {};
  ASSERT_THAT(epoll_wait(epfd.get(), &got, 1, 0), SyscallSucceedsWithValue(1))
      << "man 7 epoll: the reset connection is ready";
  EXPECT_TRUE((got.events & EPOLLHUP) && (got.events & EPOLLERR))
      << "man 2 epoll_ctl: \"EPOLLERR Error condition happened on the associated file "
         "descriptor.\"; \"EPOLLHUP Hang up happened\": events " << got.events;
  int err = 0;
  ssize_t k = RecvNow(c2.get(), &err);
  EXPECT_TRUE(k == -1 && err == ECONNRESET)
      << kEconnresetCite << ": recv on a connection pending on a closed listener gave " << k
      << " errno " << err;
  k = RecvNow(c2.get(), &err);
  EXPECT_EQ(k, 0) << kEofCite << " [Linux: ECONNRESET is reported once, then end of file]: "
                  << k << " errno " << err;
}

// man 2 listen, man 2 connect (kBacklogCite): with backlog 0 Linux queues
// one connection (its queue is full when it holds more than backlog), and
// the next non-blocking connect fails EAGAIN; once the first is accepted,
// there is room again.
TEST_P(UnixListener, BacklogZeroQueuesOneConnection) {
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("backlog0"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto c1, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto c2, MakeSocket(GetParam() | SOCK_NONBLOCK));
  EXPECT_THAT(connect(c1.get(), srv.get(), srv.len), SyscallSucceeds())
      << kBacklogCite << " [Linux: backlog 0 still queues one connection]";
  EXPECT_THAT(connect(c2.get(), srv.get(), srv.len), SyscallFailsWithErrno(EAGAIN))
      << kBacklogCite << ": the second connect with backlog 0";
  ASSERT_OK_AND_ASSIGN(auto accepted, AcceptOne(listener.get()));
  EXPECT_THAT(connect(c2.get(), srv.get(), srv.len), SyscallSucceeds())
      << kBacklogCite << ": after the accept the queue has room";
}

// man 2 accept (kAcceptEinvalCite): accept on a bound socket that is not
// listening fails EINVAL, and so does accept on a connected socketpair end.
TEST_P(UnixListener, AcceptOnASocketNotListeningFailsEinval) {
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("notlistening"));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(s.get(), srv));
  EXPECT_THAT(accept4(s.get(), nullptr, nullptr, SOCK_CLOEXEC), SyscallFailsWithErrno(EINVAL))
      << kAcceptEinvalCite << ": bound, not listening";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam() | SOCK_NONBLOCK));
  EXPECT_THAT(accept4(sp.a.get(), nullptr, nullptr, SOCK_CLOEXEC), SyscallFailsWithErrno(EINVAL))
      << kAcceptEinvalCite << ": a connected socketpair end";
}

// man 7 unix (kUnixEinvalCite: "the socket was in an invalid state for the
// applied operation"): listen on a connected end (socketpair) and on an
// unbound socket fails EINVAL on Linux (man 2 listen lists no EINVAL; Linux
// neither autobinds nor listens on an unbound AF_UNIX socket).
TEST_P(UnixListener, ListenOnAConnectedOrUnboundSocketFailsEinval) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(GetParam() | SOCK_NONBLOCK));
  EXPECT_THAT(listen(sp.a.get(), 1), SyscallFailsWithErrno(EINVAL))
      << kUnixEinvalCite << " [Linux; man 2 listen lists no EINVAL]: a connected end";
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(GetParam() | SOCK_NONBLOCK));
  EXPECT_THAT(listen(s.get(), 1), SyscallFailsWithErrno(EINVAL))
      << kUnixEinvalCite << " [Linux; man 2 listen lists no EINVAL]: an unbound socket";
  // Bound, then connected to a listener: not in a state to listen either.
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("lsrv"));
  ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(server.get(), srv));
  ASSERT_THAT(listen(server.get(), 4), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto c, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(c.get(), AbstractAddress(UniqueAbstractName("lcli"))));
  ASSERT_NO_ERRNO(Connect(c.get(), srv));
  EXPECT_THAT(listen(c.get(), 1), SyscallFailsWithErrno(EINVAL))
      << kUnixEinvalCite << " [Linux; man 2 listen lists no EINVAL]: a bound, connected socket";
}

// man 2 listen: "listen() marks the socket referred to by sockfd as a
// passive socket"; calling it again on a listening socket (with another
// backlog) succeeds and the socket keeps listening.
TEST_P(UnixListener, ListeningAgainSucceeds) {
  constexpr const char* kCite =
      "man 2 listen: \"listen() marks the socket referred to by sockfd as a passive socket, "
      "that is, as a socket that will be used to accept incoming connection requests using "
      "accept(2).\"";
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("relisten"));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(s.get(), srv));
  ASSERT_THAT(listen(s.get(), 8), SyscallSucceeds()) << kCite << ": a bound socket";
  EXPECT_THAT(listen(s.get(), 16), SyscallSucceeds()) << kCite << ": listening again";
  ASSERT_OK_AND_ASSIGN(auto c, MakeSocket(GetParam() | SOCK_NONBLOCK));
  EXPECT_THAT(Connect(c.get(), srv), SyscallSucceeds()) << kCite << ": it still accepts connections";
}

// man 7 socket: "SO_ACCEPTCONN Returns a value indicating whether or not
// this socket has been marked to accept connections with listen(2).  The
// value 0 indicates that this is not a listening socket, the value 1
// indicates that this is a listening socket."
TEST_P(UnixListener, SoAcceptconnIsOneOnlyOnTheListener) {
  constexpr const char* kCite =
      "man 7 socket: \"SO_ACCEPTCONN Returns a value indicating whether or not this socket has "
      "been marked to accept connections with listen(2).\"";
  auto get = [](int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len) != 0) return -100 - errno;
    return v;
  };
  for (How h : {How::kPair, How::kAbstract}) {
    ASSERT_OK_AND_ASSIGN(Conn c, Open(LifeKind{GetParam(), h, false}));
    EXPECT_EQ(get(c.a.get()), 0) << kCite << c.Where() << ": the connecting/first end";
    EXPECT_EQ(get(c.b.get()), 0) << kCite << c.Where() << ": the accepted/second end";
  }
  const UnixAddress srv = AbstractAddress(UniqueAbstractName("acceptconn"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(GetParam() | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  EXPECT_EQ(get(listener.get()), 0) << kCite << ": bound, before listen";
  ASSERT_THAT(listen(listener.get(), 1), SyscallSucceeds());
  EXPECT_EQ(get(listener.get()), 1) << kCite << ": after listen";
}

INSTANTIATE_TEST_SUITE_P(Types, UnixListener, ::testing::Values(SOCK_STREAM, SOCK_SEQPACKET),
                         TypeParamName);

// man 2 listen (kListenEopnotsuppCite), man 2 accept (kAcceptEopnotsuppCite):
// a datagram socket, bound or not, neither listens nor accepts.
TEST(UnixDatagramListen, ListenAndAcceptFailEopnotsupp) {
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  EXPECT_THAT(listen(s.get(), 1), SyscallFailsWithErrno(EOPNOTSUPP))
      << kListenEopnotsuppCite << ": unbound SOCK_DGRAM";
  EXPECT_THAT(accept4(s.get(), nullptr, nullptr, SOCK_CLOEXEC), SyscallFailsWithErrno(EOPNOTSUPP))
      << kAcceptEopnotsuppCite << ": unbound SOCK_DGRAM";
  ASSERT_NO_ERRNO(Bind(s.get(), AbstractAddress(UniqueAbstractName("dglisten"))));
  EXPECT_THAT(listen(s.get(), 1), SyscallFailsWithErrno(EOPNOTSUPP))
      << kListenEopnotsuppCite << ": bound SOCK_DGRAM";
  EXPECT_THAT(accept4(s.get(), nullptr, nullptr, SOCK_CLOEXEC), SyscallFailsWithErrno(EOPNOTSUPP))
      << kAcceptEopnotsuppCite << ": bound SOCK_DGRAM";
}

// ---------------------------------------------------------------------------
// Datagram association (man 2 connect).

// kDgramConnectCite: a bound datagram socket may connect to its own name;
// what it sends then comes back to itself, and getpeername gives its name.
TEST(UnixDatagramConnect, SelfConnect) {
  const UnixAddress me = AbstractAddress(UniqueAbstractName("self"));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(s.get(), me));
  ASSERT_THAT(connect(s.get(), me.get(), me.len), SyscallSucceeds())
      << kDgramConnectCite << ": connect to its own name";
  ASSERT_THAT(send(s.get(), "me", 2, 0), SyscallSucceedsWithValue(2)) << kDgramConnectCite;
  ASSERT_OK_AND_ASSIGN(std::string got, ReceiveNow(s.get()));
  EXPECT_EQ(got, "me") << kDgramConnectCite << ": a self-connected socket receives its own send";
  UnixAddress peer;
  peer.len = sizeof(peer.addr);
  ASSERT_THAT(getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
              SyscallSucceeds());
  EXPECT_TRUE(peer == me) << kGetpeernameCite << ": " << peer.ToString();
}

// kReconnectCite, kDgramConnectCite: a second connect succeeds and moves the
// association: sends go to the new peer, getpeername names it, and the old
// peer's datagrams are no longer received (its send fails EPERM on Linux,
// which man 7 unix does not list).
TEST(UnixDatagramConnect, ReconnectMovesTheAssociation) {
  const UnixAddress me = AbstractAddress(UniqueAbstractName("me"));
  const UnixAddress p1 = AbstractAddress(UniqueAbstractName("p1"));
  const UnixAddress p2 = AbstractAddress(UniqueAbstractName("p2"));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto r1, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto r2, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(s.get(), me));
  ASSERT_NO_ERRNO(Bind(r1.get(), p1));
  ASSERT_NO_ERRNO(Bind(r2.get(), p2));
  ASSERT_THAT(connect(s.get(), p1.get(), p1.len), SyscallSucceeds()) << kDgramConnectCite;
  ASSERT_THAT(connect(s.get(), p2.get(), p2.len), SyscallSucceeds())
      << kReconnectCite << ": the second connect";
  ASSERT_THAT(send(s.get(), "2", 1, 0), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(std::string got, ReceiveNow(r2.get()));
  EXPECT_EQ(got, "2") << kReconnectCite << ": the datagram goes to the new peer";
  int err = 0;
  EXPECT_EQ(RecvNow(r1.get(), &err), -1) << kReconnectCite << ": the old peer got a datagram";
  UnixAddress peer;
  peer.len = sizeof(peer.addr);
  ASSERT_THAT(getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
              SyscallSucceeds());
  EXPECT_TRUE(peer == p2) << kReconnectCite << "; " << kGetpeernameCite << ": "
                          << peer.ToString();
  EXPECT_THAT(sendto(r1.get(), "1", 1, 0, me.get(), me.len), SyscallFailsWithErrno(EPERM))
      << kDgramConnectCite << " [Linux: EPERM]: a datagram from an address that is not the peer";
}

// kAfUnspecCite: connecting to AF_UNSPEC dissolves the association:
// getpeername then fails ENOTCONN (kEnotconnCite), a send without an address
// fails ENOTCONN (man 2 send: "ENOTCONN The socket is not connected, and no
// target has been given."), a datagram from anyone is received again, and
// the socket can be connected anew.
TEST(UnixDatagramConnect, AfUnspecDissolvesTheAssociation) {
  constexpr const char* kSendEnotconn =
      "man 2 send, ERRORS: \"ENOTCONN The socket is not connected, and no target has been "
      "given.\"";
  const UnixAddress me = AbstractAddress(UniqueAbstractName("me"));
  const UnixAddress p1 = AbstractAddress(UniqueAbstractName("p1"));
  ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto r1, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto other, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(s.get(), me));
  ASSERT_NO_ERRNO(Bind(r1.get(), p1));
  ASSERT_THAT(connect(s.get(), p1.get(), p1.len), SyscallSucceeds()) << kDgramConnectCite;
  sockaddr unspec = {};
  unspec.sa_family = AF_UNSPEC;
  ASSERT_THAT(connect(s.get(), &unspec, sizeof unspec), SyscallSucceeds()) << kAfUnspecCite;
  UnixAddress peer;
  peer.len = sizeof(peer.addr);
  EXPECT_THAT(getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
              SyscallFailsWithErrno(ENOTCONN))
      << kAfUnspecCite << "; " << kEnotconnCite;
  EXPECT_THAT(send(s.get(), "x", 1, 0), SyscallFailsWithErrno(ENOTCONN))
      << kAfUnspecCite << "; " << kSendEnotconn;
  EXPECT_THAT(sendto(other.get(), "o", 1, 0, me.get(), me.len), SyscallSucceedsWithValue(1))
      << kAfUnspecCite << ": a datagram from a socket that was never the peer";
  ASSERT_OK_AND_ASSIGN(std::string got, ReceiveNow(s.get()));
  EXPECT_EQ(got, "o") << kAfUnspecCite;
  EXPECT_THAT(connect(s.get(), p1.get(), p1.len), SyscallSucceeds())
      << kAfUnspecCite << ": \"thereafter, the socket can be connected to another address\"";
}

// kEnotconnCite: getpeername of a socket never connected (every type) fails
// ENOTCONN; so does that of a listener.
TEST(UnixNames, GetpeernameOfAnUnconnectedSocketFailsEnotconn) {
  for (int type : {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM}) {
    ASSERT_OK_AND_ASSIGN(auto s, MakeSocket(type | SOCK_NONBLOCK));
    UnixAddress peer;
    peer.len = sizeof(peer.addr);
    EXPECT_THAT(getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
                SyscallFailsWithErrno(ENOTCONN))
        << kEnotconnCite << ": " << TypeName(type);
    if (type == SOCK_DGRAM) continue;
    ASSERT_NO_ERRNO(Bind(s.get(), AbstractAddress(UniqueAbstractName("gpn"))));
    ASSERT_THAT(listen(s.get(), 1), SyscallSucceeds());
    peer.len = sizeof(peer.addr);
    EXPECT_THAT(getpeername(s.get(), reinterpret_cast<sockaddr*>(&peer.addr), &peer.len),
                SyscallFailsWithErrno(ENOTCONN))
        << kEnotconnCite << ": a listening " << TypeName(type);
  }
}

}  // namespace
}  // namespace ipcspec
