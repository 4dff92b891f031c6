// Ancillary data on AF_UNIX sockets, over socketpairs of every type:
// SCM_RIGHTS with one to three descriptors, a control buffer too small for
// them (MSG_CTRUNC), an unpadded control buffer, malformed cmsg_len, MSG_PEEK
// of a message with descriptors, descriptor messages kept apart, an empty
// SCM_RIGHTS, close-on-exec of received descriptors, SCM_CREDENTIALS that
// the receiver did or did not ask for (SO_PASSCRED on either end, before or
// after the send), truncated credentials, credentials with descriptors,
// SO_PASSCRED itself and its inheritance by an accepted socket (man 7 unix,
// man 3 cmsg, man 2 recvmsg, man 7 socket).
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/core/watchdog.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


constexpr const char* kRightsCite =
    "man 7 unix: \"SCM_RIGHTS Send or receive a set of open file descriptors from another "
    "process.  The data portion contains an integer array of the file descriptors.\"";
constexpr const char* kCtruncCite =
    "man 2 recvmsg: \"MSG_CTRUNC indicates that some control data was discarded due to lack of "
    "space in the buffer for ancillary data.\"";
constexpr const char* kCredsCite =
    "man 7 unix: \"SCM_CREDENTIALS Send or receive UNIX credentials.\"; \"SO_PASSCRED Enabling "
    "this socket option causes receipt of the credentials of the sending process in an "
    "SCM_CREDENTIALS ancillary message in each subsequently received message.\"";
constexpr const char* kEinvalCite =
    "man 7 unix, ERRORS: \"EINVAL Invalid argument passed.\"; man 3 cmsg: \"cmsg_len ... Data "
    "byte count, including header (type is socklen_t in POSIX)\"";

std::string TypeParamName(const ::testing::TestParamInfo<int>& i) {
  return i.param == SOCK_STREAM ? "stream" : i.param == SOCK_SEQPACKET ? "seqpacket" : "dgram";
}

// sendmsg with `data`, an SCM_RIGHTS of `fds` (when `rights`), and an
// SCM_CREDENTIALS of `creds` (when set). Returns sendmsg's result.
ssize_t Send(int sock, const std::string& data, const std::vector<int>& fds, bool rights,
             std::optional<struct ucred> creds = std::nullopt) {
  alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof(ucred))];
  memset(control, 0, sizeof control);
  struct iovec iov = {const_cast<char*>(data.data()), data.size()};
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  size_t used = 0;
  if (rights || creds) {
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (rights) {
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
      if (!fds.empty()) memcpy(CMSG_DATA(c), fds.data(), sizeof(int) * fds.size());
      used += CMSG_SPACE(sizeof(int) * fds.size());
      c = reinterpret_cast<struct cmsghdr*>(control + used);
    }
    if (creds) {
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_CREDENTIALS;
      c->cmsg_len = CMSG_LEN(sizeof(ucred));
      memcpy(CMSG_DATA(c), &*creds, sizeof(ucred));
      used += CMSG_SPACE(sizeof(ucred));
    }
    m.msg_controllen = used;
  }
  return sendmsg(sock, &m, MSG_NOSIGNAL);
}

struct Cmsg {
  int level, type;
  size_t len;
  std::string data;
};
struct Got {
  ssize_t n = -1;
  int err = 0;
  int flags = 0;
  size_t controllen = 0;
  std::string data;
  std::vector<Cmsg> cmsgs;
  std::vector<FileDescriptor> fds;  // every descriptor installed
  std::optional<struct ucred> creds;
  std::string ToString() const {
    std::string s = "n=" + std::to_string(n) + " errno=" + std::to_string(err) +
                    " flags=" + std::to_string(flags) +
                    " controllen=" + std::to_string(controllen) + " data='" + data + "' cmsgs=[";
    for (const Cmsg& c : cmsgs) {
      s += "{" + std::to_string(c.level) + "," + std::to_string(c.type) + ",len " +
           std::to_string(c.len) + "}";
    }
    return s + "] fds=" + std::to_string(fds.size());
  }
};

// One non-blocking recvmsg with a `buffer`-byte data buffer and a
// `control`-byte control buffer (`null_control`: msg_control NULL with that
// length).
Got Recv(int sock, size_t buffer, size_t control, int flags = 0, bool null_control = false) {
  Got g;
  std::vector<char> buf(buffer + 1);
  alignas(struct cmsghdr) char ctl[512];
  memset(ctl, 0, sizeof ctl);
  struct iovec iov = {buf.data(), buffer};
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = null_control ? nullptr : (control ? ctl : nullptr);
  m.msg_controllen = control;
  g.n = recvmsg(sock, &m, flags | MSG_DONTWAIT);
  g.err = errno;
  if (g.n < 0) return g;
  g.flags = m.msg_flags;
  g.controllen = m.msg_controllen;
  g.data.assign(buf.data(), static_cast<size_t>(g.n) < buffer ? g.n : buffer);
  if (m.msg_control == nullptr) return g;
  for (struct cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
    size_t avail = m.msg_controllen - (reinterpret_cast<char*>(c) - ctl);
    size_t len = std::min<size_t>(c->cmsg_len, avail);
    Cmsg x{c->cmsg_level, c->cmsg_type, c->cmsg_len,
           std::string(reinterpret_cast<char*>(CMSG_DATA(c)),
                       len > CMSG_LEN(0) ? len - CMSG_LEN(0) : 0)};
    if (x.level == SOL_SOCKET && x.type == SCM_RIGHTS) {
      for (size_t i = 0; i + sizeof(int) <= x.data.size(); i += sizeof(int)) {
        int fd;
        memcpy(&fd, x.data.data() + i, sizeof fd);
        g.fds.emplace_back(fd);
      }
    }
    if (x.level == SOL_SOCKET && x.type == SCM_CREDENTIALS && x.data.size() >= sizeof(ucred)) {
      struct ucred u;
      memcpy(&u, x.data.data(), sizeof u);
      g.creds = u;
    }
    g.cmsgs.push_back(std::move(x));
  }
  return g;
}

struct Pipe {
  FileDescriptor r, w;
};
PosixErrorOr<Pipe> MakePipe() {
  int p[2];
  if (pipe2(p, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoError("pipe2");
  return Pipe{FileDescriptor(p[0]), FileDescriptor(p[1])};
}

// Whether `received` is a read end of `p`: a byte written to p.w is read
// from it.
bool SamePipe(int received, const Pipe& p) {
  if (write(p.w.get(), "p", 1) != 1) return false;
  char c = 0;
  return read(received, &c, 1) == 1 && c == 'p';
}

class UnixCmsg : public ::testing::TestWithParam<int> {
 protected:
  PosixErrorOr<SocketPair> Pair() { return MakeSocketPair(GetParam() | SOCK_NONBLOCK); }
};

// kRightsCite: one, two and three descriptors in one message arrive, in
// order, each a descriptor of the same pipe, with the data.
TEST_P(UnixCmsg, OneTwoAndThreeDescriptorsArriveInOrder) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  for (size_t n = 1; n <= 3; ++n) {
    std::vector<Pipe> pipes;
    std::vector<int> fds;
    for (size_t i = 0; i < n; ++i) {
      ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
      fds.push_back(p.r.get());
      pipes.push_back(std::move(p));
    }
    ASSERT_THAT(Send(sp.a.get(), "fds", fds, true), SyscallSucceedsWithValue(3));
    Got g = Recv(sp.b.get(), 16, CMSG_SPACE(sizeof(int) * 3));
    EXPECT_EQ(g.data, "fds") << kRightsCite << ": " << g.ToString();
    ASSERT_EQ(g.fds.size(), n) << kRightsCite << ": " << n << " sent: " << g.ToString();
    for (size_t i = 0; i < n; ++i) {
      EXPECT_TRUE(SamePipe(g.fds[i].get(), pipes[i]))
          << kRightsCite << ": descriptor " << i << " of " << n << " is not the pipe sent";
    }
  }
}

// kCtruncCite: with no room for the SCM_RIGHTS message (msg_control NULL,
// msg_controllen 0, or a buffer shorter than one header and one int) the
// data arrives, msg_controllen is 0, MSG_CTRUNC is set, and no descriptor
// is installed.
TEST_P(UnixCmsg, NoRoomForTheDescriptorsSetsMsgCtrunc) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  struct Case {
    const char* what;
    size_t control;
    bool null;
  };
  for (Case c : {Case{"msg_control NULL", 64, true}, Case{"msg_controllen 0", 0, false},
                 Case{"msg_controllen CMSG_LEN(0)", CMSG_LEN(0), false}}) {
    ASSERT_THAT(Send(sp.a.get(), "d", {p.r.get()}, true), SyscallSucceedsWithValue(1));
    ASSERT_OK_AND_ASSIGN(int before, CountOpenFds());
    Got g = Recv(sp.b.get(), 16, c.control, 0, c.null);
    ASSERT_OK_AND_ASSIGN(int after, CountOpenFds());
    EXPECT_EQ(g.data, "d") << kCtruncCite << ": " << c.what << ": " << g.ToString();
    EXPECT_EQ(g.controllen, 0u) << kCtruncCite << ": " << c.what << ": " << g.ToString();
    EXPECT_NE(g.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << c.what << ": " << g.ToString();
    EXPECT_EQ(after, before) << kCtruncCite << ": " << c.what << ": a descriptor was installed";
  }
}

// kCtruncCite; man 3 cmsg: "CMSG_LEN() returns the value to store in the
// cmsg_len member of the cmsghdr structure, taking into account any
// necessary alignment." A control buffer of exactly CMSG_LEN(n ints) (no
// trailing padding) receives n descriptors without MSG_CTRUNC; one with room
// for fewer descriptors than were sent receives those that fit, with
// MSG_CTRUNC and a cmsg_len that counts them.
TEST_P(UnixCmsg, AControlBufferTakesTheDescriptorsThatFit) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(Send(sp.a.get(), "1", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got one = Recv(sp.b.get(), 16, CMSG_LEN(sizeof(int)));
  EXPECT_EQ(one.flags & MSG_CTRUNC, 0) << kCtruncCite << ": unpadded room for one: "
                                       << one.ToString();
  ASSERT_EQ(one.cmsgs.size(), 1u) << one.ToString();
  EXPECT_EQ(one.cmsgs[0].len, CMSG_LEN(sizeof(int))) << one.ToString();
  EXPECT_EQ(one.fds.size(), 1u) << kRightsCite << ": " << one.ToString();
  for (auto [sent, room] : {std::pair<size_t, size_t>{3, CMSG_SPACE(2 * sizeof(int))},
                            std::pair<size_t, size_t>{2, CMSG_LEN(sizeof(int))}}) {
    std::vector<Pipe> pipes;
    std::vector<int> fds;
    for (size_t i = 0; i < sent; ++i) {
      ASSERT_OK_AND_ASSIGN(Pipe q, MakePipe());
      fds.push_back(q.r.get());
      pipes.push_back(std::move(q));
    }
    ASSERT_THAT(Send(sp.a.get(), "n", fds, true), SyscallSucceedsWithValue(1));
    Got g = Recv(sp.b.get(), 16, room);
    const size_t fit = (room - CMSG_LEN(0)) / sizeof(int);
    EXPECT_NE(g.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << sent << " sent, room for "
                                       << fit << ": " << g.ToString();
    ASSERT_EQ(g.cmsgs.size(), 1u) << g.ToString();
    EXPECT_EQ(g.cmsgs[0].len, CMSG_LEN(fit * sizeof(int)))
        << kCtruncCite << ": cmsg_len counts the descriptors that fit: " << g.ToString();
    EXPECT_EQ(g.fds.size(), fit) << kCtruncCite << ": " << g.ToString();
  }
}

// man 2 recvmsg: "The msg_flags field in the msghdr is set on return of
// recvmsg()." MSG_CTRUNC passed in by the caller (in flags and in
// msg_flags) does not come back when nothing was truncated.
TEST_P(UnixCmsg, MsgCtruncPassedInIsIgnored) {
  constexpr const char* kCite =
      "man 2 recvmsg: \"The msg_flags field in the msghdr is set on return of recvmsg().  It can "
      "contain several flags:\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(Send(sp.a.get(), "c", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  alignas(struct cmsghdr) char ctl[CMSG_SPACE(sizeof(int))];
  char b[4];
  struct iovec iov = {b, sizeof b};
  struct msghdr m = {};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = ctl;
  m.msg_controllen = sizeof ctl;
  m.msg_flags = MSG_CTRUNC;
  ASSERT_THAT(recvmsg(sp.b.get(), &m, MSG_CTRUNC | MSG_DONTWAIT), SyscallSucceedsWithValue(1))
      << kCite;
  EXPECT_EQ(m.msg_flags & MSG_CTRUNC, 0) << kCite << ": MSG_CTRUNC came back";
  struct cmsghdr* c = CMSG_FIRSTHDR(&m);
  ASSERT_NE(c, nullptr);
  int fd;
  memcpy(&fd, CMSG_DATA(c), sizeof fd);
  FileDescriptor guard(fd);
}

// kEinvalCite: a cmsg_len shorter than the header, and an SCM_CREDENTIALS
// message with no room for a struct ucred, make sendmsg fail EINVAL; a
// descriptor that is not open fails EBADF (man 7 unix: "EBADF ... An invalid
// file descriptor was passed in SCM_RIGHTS" [Linux]).
TEST_P(UnixCmsg, MalformedControlMessagesFail) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  auto send_raw = [&](int type, size_t cmsg_len) {
    alignas(struct cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    char d[4] = "abc";
    struct iovec iov = {d, 3};
    struct msghdr m = {};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    struct cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = type;
    c->cmsg_len = cmsg_len;
    int minus = -1;
    memcpy(CMSG_DATA(c), &minus, sizeof minus);
    return sendmsg(sp.a.get(), &m, MSG_NOSIGNAL);
  };
  EXPECT_THAT(send_raw(SCM_RIGHTS, 1), SyscallFailsWithErrno(EINVAL))
      << kEinvalCite << ": cmsg_len 1";
  EXPECT_THAT(send_raw(SCM_CREDENTIALS, CMSG_LEN(0)), SyscallFailsWithErrno(EINVAL))
      << kEinvalCite << ": SCM_CREDENTIALS with cmsg_len CMSG_LEN(0)";
  EXPECT_THAT(send_raw(SCM_RIGHTS, CMSG_LEN(sizeof(int))), SyscallFailsWithErrno(EBADF))
      << "man 2 sendmsg: \"EBADF ... An invalid descriptor was specified\" [the descriptor -1 "
         "in SCM_RIGHTS]";
}

// man 2 recv, MSG_PEEK: "return data from the beginning of the receive
// queue without removing that data from the queue"; kRightsCite. A peek of
// a message with a descriptor installs a descriptor of the same file; the
// message and its descriptor are still there for the next receive.
TEST_P(UnixCmsg, PeekingAMessageWithADescriptor) {
  constexpr const char* kCite =
      "man 2 recv: \"MSG_PEEK This flag causes the receive operation to return data from the "
      "beginning of the receive queue without removing that data from the queue.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(Send(sp.a.get(), "peek", {p.r.get()}, true), SyscallSucceedsWithValue(4));
  Got peeked = Recv(sp.b.get(), 16, CMSG_SPACE(sizeof(int)), MSG_PEEK);
  EXPECT_EQ(peeked.data, "peek") << kCite << ": " << peeked.ToString();
  ASSERT_EQ(peeked.fds.size(), 1u) << kCite << "; " << kRightsCite << ": " << peeked.ToString();
  EXPECT_TRUE(SamePipe(peeked.fds[0].get(), p)) << kCite << ": the peeked descriptor";
  peeked.fds.clear();
  Got got = Recv(sp.b.get(), 16, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(got.data, "peek") << kCite << ": " << got.ToString();
  ASSERT_EQ(got.fds.size(), 1u) << kCite << ": the descriptor after the peek: " << got.ToString();
  EXPECT_TRUE(SamePipe(got.fds[0].get(), p)) << kCite;
}

// man 7 unix: "When receiving from a stream socket, ancillary data forms a
// kind of barrier for the received data." Two messages with a descriptor
// each arrive in two receives, each with its own; plain data sent before
// a descriptor message is read without it, and plain data sent after it
// comes in a receive of its own.
TEST_P(UnixCmsg, DescriptorMessagesAreNotMerged) {
  constexpr const char* kCite =
      "man 7 unix: \"When receiving from a stream socket, ancillary data forms a kind of barrier "
      "for the received data.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p1, MakePipe());
  ASSERT_OK_AND_ASSIGN(Pipe p2, MakePipe());
  ASSERT_THAT(send(sp.a.get(), "head", 4, 0), SyscallSucceedsWithValue(4));
  ASSERT_THAT(Send(sp.a.get(), "one", {p1.r.get()}, true), SyscallSucceedsWithValue(3));
  ASSERT_THAT(Send(sp.a.get(), "two", {p2.r.get()}, true), SyscallSucceedsWithValue(3));
  ASSERT_THAT(send(sp.a.get(), "tail", 4, 0), SyscallSucceedsWithValue(4));
  // A buffer of exactly the plain bytes (on a stream a larger one would
  // also take the descriptor message's bytes and its descriptor: man 7 unix's
  // example, "The first call will receive five bytes of data, along with the
  // ancillary data sent by the second sendmsg(2) call").
  Got g0 = Recv(sp.b.get(), 4, CMSG_SPACE(sizeof(int) * 2));
  EXPECT_EQ(g0.data, "head") << kCite << ": " << g0.ToString();
  EXPECT_TRUE(g0.cmsgs.empty()) << kCite << ": " << g0.ToString();
  Got g1 = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(int) * 2));
  Got g2 = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(int) * 2));
  Got g3 = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(int) * 2));
  EXPECT_EQ(g1.data, "one") << kCite << ": " << g1.ToString();
  ASSERT_EQ(g1.fds.size(), 1u) << kCite << ": " << g1.ToString();
  EXPECT_TRUE(SamePipe(g1.fds[0].get(), p1)) << kCite;
  EXPECT_EQ(g2.data, "two") << kCite << ": " << g2.ToString();
  ASSERT_EQ(g2.fds.size(), 1u) << kCite << ": " << g2.ToString();
  EXPECT_TRUE(SamePipe(g2.fds[0].get(), p2)) << kCite;
  EXPECT_EQ(g3.data, "tail") << kCite << ": " << g3.ToString();
  EXPECT_TRUE(g3.cmsgs.empty()) << kCite << ": " << g3.ToString();
}

// man 7 unix: "If the buffer used to receive the ancillary data containing
// file descriptors is too small (or is absent), then the ancillary data is
// truncated (or discarded) and the excess file descriptors are automatically
// closed in the receiving process." read(2) of a message with a descriptor
// gets its data and installs no descriptor; plain data sent after it comes
// in the next receive, with no control message, and the socket still works.
TEST_P(UnixCmsg, ReadDropsTheDescriptors) {
  constexpr const char* kCite =
      "man 7 unix: \"If the buffer used to receive the ancillary data containing file "
      "descriptors is too small (or is absent), then the ancillary data is truncated (or "
      "discarded) and the excess file descriptors are automatically closed in the receiving "
      "process.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(Send(sp.a.get(), "withfd", {p.r.get()}, true), SyscallSucceedsWithValue(6));
  ASSERT_THAT(send(sp.a.get(), "plain", 5, 0), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(int before, CountOpenFds());
  char buf[6];
  ASSERT_THAT(read(sp.b.get(), buf, sizeof buf), SyscallSucceedsWithValue(6)) << kCite;
  EXPECT_EQ(std::string(buf, 6), "withfd") << kCite;
  ASSERT_OK_AND_ASSIGN(int after, CountOpenFds());
  EXPECT_EQ(after, before) << kCite << ": read(2) installed a descriptor";
  Got g = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(g.data, "plain") << kCite << ": " << g.ToString();
  EXPECT_TRUE(g.cmsgs.empty()) << kCite << ": " << g.ToString();
  ASSERT_THAT(send(sp.b.get(), "back", 4, 0), SyscallSucceedsWithValue(4));
  Got back = Recv(sp.a.get(), 64, 0);
  EXPECT_EQ(back.data, "back") << kCite << ": the socket still works: " << back.ToString();
}

// man 3 cmsg: "CMSG_LEN() returns the value to store in the cmsg_len
// member"; kRightsCite. An SCM_RIGHTS message holding no descriptor is
// accepted; the data arrives with no control message, and on a stream such
// messages merge like plain data.
TEST_P(UnixCmsg, AnEmptyScmRightsIsAccepted) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_THAT(Send(sp.a.get(), "ab", {}, true), SyscallSucceedsWithValue(2))
      << kRightsCite << ": no descriptor";
  ASSERT_THAT(Send(sp.a.get(), "cd", {}, true), SyscallSucceedsWithValue(2));
  Got g = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(int)));
  EXPECT_TRUE(g.cmsgs.empty()) << kRightsCite << ": " << g.ToString();
  EXPECT_EQ(g.flags & MSG_CTRUNC, 0) << g.ToString();
  if (GetParam() == SOCK_STREAM) {
    EXPECT_EQ(g.data, "abcd") << kRightsCite << " [stream: no barrier without descriptors]: "
                              << g.ToString();
  } else {
    EXPECT_EQ(g.data, "ab") << kRightsCite << ": " << g.ToString();
  }
}

// man 2 recvmsg: "MSG_CMSG_CLOEXEC (recvmsg() only; since Linux 2.6.23) Set
// the close-on-exec flag for the file descriptor received via a UNIX domain
// file descriptor using the SCM_RIGHTS operation". Without it, the received
// descriptor's close-on-exec flag is clear, whatever it was on the sender's.
TEST_P(UnixCmsg, AReceivedDescriptorIsNotCloseOnExecWithoutTheFlag) {
  constexpr const char* kCite =
      "man 2 recvmsg: \"MSG_CMSG_CLOEXEC (recvmsg() only; since Linux 2.6.23) Set the "
      "close-on-exec flag for the file descriptor received via a UNIX domain file descriptor "
      "using the SCM_RIGHTS operation\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());  // O_CLOEXEC on the sender's side
  ASSERT_THAT(Send(sp.a.get(), "x", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got g = Recv(sp.b.get(), 8, CMSG_SPACE(sizeof(int)));
  ASSERT_EQ(g.fds.size(), 1u) << g.ToString();
  EXPECT_THAT(fcntl(g.fds[0].get(), F_GETFD), SyscallSucceedsWithValue(0))
      << kCite << ": received without MSG_CMSG_CLOEXEC";
}

// man 2 recv: "The value 0 may also be returned if the requested number of
// bytes to receive from a stream socket was 0."; kRightsCite. A receive
// with a zero-length buffer takes the descriptors (and, on a message
// socket, the message: MSG_TRUNC); on a stream it takes the descriptor and
// leaves the byte, which a later receive gets without one.
TEST_P(UnixCmsg, AZeroLengthReceiveTakesTheDescriptors) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(Send(sp.a.get(), "a", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got g = Recv(sp.b.get(), 0, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(g.n, 0) << kRightsCite << ": " << g.ToString();
  ASSERT_EQ(g.fds.size(), 1u) << kRightsCite << ": a zero-length receive: " << g.ToString();
  EXPECT_TRUE(SamePipe(g.fds[0].get(), p)) << kRightsCite;
  if (GetParam() == SOCK_STREAM) {
    EXPECT_EQ(g.flags & MSG_TRUNC, 0) << g.ToString();
    Got rest = Recv(sp.b.get(), 8, CMSG_SPACE(sizeof(int)));
    EXPECT_EQ(rest.data, "a") << kRightsCite << ": " << rest.ToString();
    EXPECT_TRUE(rest.cmsgs.empty()) << kRightsCite << ": " << rest.ToString();
  } else {
    EXPECT_NE(g.flags & MSG_TRUNC, 0) << "man 2 recvmsg: \"MSG_TRUNC indicates that the trailing "
                                         "portion of a datagram was discarded\": "
                                      << g.ToString();
  }
}

// kRightsCite: a receiver already asleep in recvmsg (a forked child, seen
// blocked) gets a socket end sent to it, and uses it at once: it reads what
// the other end of that socket sends and echoes it back.
TEST(UnixCmsgBlocked, ASocketReceivedByABlockedReceiverWorks) {
  ASSERT_OK_AND_ASSIGN(auto carrier, MakeSocketPair(SOCK_STREAM));
  ASSERT_OK_AND_ASSIGN(auto passed, MakeSocketPair(SOCK_SEQPACKET));
  ASSERT_OK_AND_ASSIGN(Child receiver, Child::Fork([&] {
    Watchdog wd(Deadline::Default());
    char b[16];
    int fd = RecvOneFd(carrier.a.get(), b, sizeof b, nullptr);
    if (fd < 0) return 2;
    char m[32];
    ssize_t k = read(fd, m, sizeof m);
    if (k <= 0) return 3;
    return write(fd, m, k) == k ? 0 : 4;
  }));
  ASSERT_NO_ERRNO(WaitUntilBlocked(receiver.pid(), {SYS_recvmsg}))
      << kRightsCite << ": the receiver must wait in recvmsg";
  const int one[] = {passed.b.get()};
  ASSERT_THAT(SendFds(carrier.b.get(), "s", 1, one), SyscallSucceedsWithValue(1));
  passed.b.reset();
  ASSERT_THAT(send(passed.a.get(), "ping over a passed socket", 25, 0),
              SyscallSucceedsWithValue(25));
  ASSERT_OK_AND_ASSIGN(Received echo,
                       Receive(passed.a.get(), RecvOptions{.buffer = 64}));
  EXPECT_EQ(echo.data, "ping over a passed socket") << kRightsCite << ": " << echo.ToString();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, receiver.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << kRightsCite << ": the receiver " << st
                                << " (2: recvmsg, 3: read, 4: write)";
}

// SO_PASSRIGHTS (Linux 6.16 and later; not in the man pages yet): a
// receiver that turns it off refuses descriptors: sendmsg with SCM_RIGHTS to
// it fails EPERM (no man page lists this case yet; the kernel's selftest
// scm_rights.c checks it). Plain data still passes. For a listener, the connections it accepts inherit the setting.
constexpr int kSoPassrights = 83;  // asm-generic/socket.h, for older headers

TEST(UnixPassrights, AReceiverWithoutSoPassrightsRefusesDescriptors) {
  constexpr const char* kCite =
      "SO_PASSRIGHTS (Linux 6.16+, undocumented): off on the receiver, sendmsg with SCM_RIGHTS "
      "fails EPERM; man 7 unix: \"SCM_RIGHTS Send or receive a set of open file descriptors\"";
  IPCSPEC_NEEDS(Need::Feature("so_passrights", []() -> std::optional<std::string> {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) return std::string("socketpair");
    int v = -1;
    socklen_t len = sizeof v;
    const int rc = getsockopt(sv[0], SOL_SOCKET, kSoPassrights, &v, &len);
    const int err = errno;
    close(sv[0]);
    close(sv[1]);
    if (rc != 0) return "getsockopt(SO_PASSRIGHTS): errno " + std::to_string(err);
    return std::nullopt;
  }));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const int zero = 0;
  for (int type : {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET}) {
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(type | SOCK_NONBLOCK));
    int v = -1;
    socklen_t len = sizeof v;
    ASSERT_THAT(getsockopt(sp.a.get(), SOL_SOCKET, kSoPassrights, &v, &len), SyscallSucceeds());
    EXPECT_EQ(v, 1) << kCite << ": on by default, " << TypeName(type);
    ASSERT_THAT(setsockopt(sp.a.get(), SOL_SOCKET, kSoPassrights, &zero, sizeof zero),
                SyscallSucceeds());
    EXPECT_THAT(Send(sp.b.get(), "r", {p.r.get()}, true), SyscallFailsWithErrno(EPERM))
        << kCite << ": " << TypeName(type);
    EXPECT_THAT(Send(sp.b.get(), "d", {}, false), SyscallSucceedsWithValue(1))
        << kCite << ": plain data still passes, " << TypeName(type);
  }
  const UnixAddress srv =
      AbstractAddress(UniqueAbstractName("passrights"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 4), SyscallSucceeds());
  ASSERT_THAT(setsockopt(listener.get(), SOL_SOCKET, kSoPassrights, &zero, sizeof zero),
              SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(client.get(), srv));
  EXPECT_THAT(Send(client.get(), "r", {p.r.get()}, true), SyscallFailsWithErrno(EPERM))
      << kCite << ": to a connection the listener has not accepted yet";
}

// ---------------------------------------------------------------------------
// Credentials.

struct ucred Me() { return ucred{getpid(), getuid(), getgid()}; }

int SetPasscred(int fd, int on) { return setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on); }

// kCredsCite: data sent by sendmsg without ancillary data or by write(2)
// carries credentials exactly when one of the two ends had SO_PASSCRED at
// the time of the send and the receiver has it at the receive: then the
// sender's pid and real ids; when the receiver turned it on only after the
// send, Linux reports pid 0 and the overflow uid and gid (65534); when only
// the sender has it, nothing.
TEST_P(UnixCmsg, DefaultCredentialsDependOnWhoHasSoPasscredAndWhen) {
  struct Case {
    const char* what;
    bool use_write;
    bool send_end_before;  // SO_PASSCRED on the sending end before the send
    bool recv_end_before;  // on the receiving end before the send
    bool recv_end_after;   // on the receiving end after the send
    int want;              // 0: none, 1: real, 2: pid 0 and overflow ids
  };
  const Case cases[] = {
      {"sendmsg, receiver set after", false, false, false, true, 2},
      {"sendmsg, receiver set before", false, false, true, false, 1},
      {"sendmsg, sender set before, receiver never", false, true, false, false, 0},
      {"sendmsg, sender set before, receiver after", false, true, false, true, 1},
      {"write, receiver set after", true, false, false, true, 2},
      {"write, receiver set before", true, false, true, false, 1},
      {"write, sender set before, receiver never", true, true, false, false, 0},
      {"write, sender set before, receiver after", true, true, false, true, 1},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(auto sp, Pair());
    if (c.send_end_before) {
      ASSERT_THAT(SetPasscred(sp.a.get(), 1), SyscallSucceeds());
    }
    if (c.recv_end_before) {
      ASSERT_THAT(SetPasscred(sp.b.get(), 1), SyscallSucceeds());
    }
    if (c.use_write) {
      ASSERT_THAT(write(sp.a.get(), "cred", 4), SyscallSucceedsWithValue(4));
    } else {
      ASSERT_THAT(Send(sp.a.get(), "cred", {}, false), SyscallSucceedsWithValue(4));
    }
    if (c.recv_end_after) {
      ASSERT_THAT(SetPasscred(sp.b.get(), 1), SyscallSucceeds());
    }
    Got g = Recv(sp.b.get(), 16, CMSG_SPACE(sizeof(ucred)));
    EXPECT_EQ(g.data, "cred") << c.what << ": " << g.ToString();
    if (c.want == 0) {
      EXPECT_FALSE(g.creds.has_value()) << kCredsCite << ": " << c.what << ": " << g.ToString();
      continue;
    }
    ASSERT_TRUE(g.creds.has_value()) << kCredsCite << ": " << c.what << ": " << g.ToString();
    if (c.want == 1) {
      EXPECT_TRUE(g.creds->pid == getpid() && g.creds->uid == getuid() &&
                  g.creds->gid == getgid())
          << kCredsCite << ": " << c.what << ": pid " << g.creds->pid << " uid " << g.creds->uid
          << " gid " << g.creds->gid;
    } else {
      EXPECT_TRUE(g.creds->pid == 0 && g.creds->uid == 65534 && g.creds->gid == 65534)
          << kCredsCite << " [Linux: turned on after the send: pid 0, overflow ids]: " << c.what
          << ": pid " << g.creds->pid << " uid " << g.creds->uid << " gid " << g.creds->gid;
    }
  }
}

// kCtruncCite, kCredsCite: a control buffer with room for the header and
// part of the struct ucred gets a truncated SCM_CREDENTIALS (cmsg_len the
// buffer's size, its first field the pid) and MSG_CTRUNC; room for exactly
// CMSG_LEN(sizeof(struct ucred)) is no truncation; room for the header only
// gives the header and MSG_CTRUNC; less than a header gives nothing.
TEST_P(UnixCmsg, CredentialsAreTruncatedToTheControlBuffer) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_THAT(SetPasscred(sp.b.get(), 1), SyscallSucceeds());
  auto send_one = [&] {
    ASSERT_THAT(Send(sp.a.get(), "u", {}, false, Me()), SyscallSucceedsWithValue(1));
  };
  send_one();
  Got part = Recv(sp.b.get(), 8, CMSG_LEN(0) + sizeof(pid_t));
  EXPECT_NE(part.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << part.ToString();
  ASSERT_EQ(part.cmsgs.size(), 1u) << kCtruncCite << ": " << part.ToString();
  EXPECT_EQ(part.cmsgs[0].len, CMSG_LEN(0) + sizeof(pid_t)) << part.ToString();
  EXPECT_EQ(part.cmsgs[0].type, SCM_CREDENTIALS) << part.ToString();
  pid_t pid = 0;
  memcpy(&pid, part.cmsgs[0].data.data(), sizeof pid);
  EXPECT_EQ(pid, getpid()) << kCredsCite << ": the pid of truncated credentials";
  send_one();
  Got exact = Recv(sp.b.get(), 8, CMSG_LEN(sizeof(ucred)));
  EXPECT_EQ(exact.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << exact.ToString();
  EXPECT_TRUE(exact.creds.has_value()) << kCredsCite << ": " << exact.ToString();
  send_one();
  Got header = Recv(sp.b.get(), 8, CMSG_SPACE(0));
  EXPECT_NE(header.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << header.ToString();
  ASSERT_EQ(header.cmsgs.size(), 1u) << kCtruncCite << ": " << header.ToString();
  EXPECT_EQ(header.cmsgs[0].type, SCM_CREDENTIALS) << header.ToString();
  send_one();
  Got none = Recv(sp.b.get(), 8, CMSG_LEN(0) / 2);
  EXPECT_EQ(none.data, "u") << none.ToString();
  EXPECT_EQ(none.controllen, 0u) << kCtruncCite << ": less than a header: " << none.ToString();
}

// kCredsCite, kRightsCite: credentials and a descriptor in one message both
// arrive; a descriptor sent to a receiver with SO_PASSCRED (set before or
// before the send) comes with the sender's credentials (set after the send:
// pid 0 and the overflow ids, as for data); with room for the
// credentials header only, the credentials come first (truncated).
TEST_P(UnixCmsg, CredentialsAndDescriptorsTogether) {
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  const size_t both = CMSG_SPACE(sizeof(ucred)) + CMSG_SPACE(sizeof(int));
  ASSERT_THAT(SetPasscred(sp.b.get(), 1), SyscallSucceeds());
  ASSERT_THAT(Send(sp.a.get(), "cf", {p.r.get()}, true, Me()), SyscallSucceedsWithValue(2));
  Got g = Recv(sp.b.get(), 8, both);
  EXPECT_TRUE(g.creds.has_value() && g.creds->pid == getpid())
      << kCredsCite << "; " << kRightsCite << ": " << g.ToString();
  ASSERT_EQ(g.fds.size(), 1u) << kRightsCite << ": " << g.ToString();
  EXPECT_TRUE(SamePipe(g.fds[0].get(), p)) << kRightsCite;
  // A descriptor only; the receiver has SO_PASSCRED: default credentials.
  ASSERT_THAT(Send(sp.a.get(), "f", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got d = Recv(sp.b.get(), 8, both);
  EXPECT_TRUE(d.creds.has_value() && d.creds->pid == getpid())
      << kCredsCite << ": a descriptor sent to a receiver with SO_PASSCRED: " << d.ToString();
  EXPECT_EQ(d.fds.size(), 1u) << kRightsCite << ": " << d.ToString();
  // Room for the credentials header only: SCM_CREDENTIALS comes first.
  ASSERT_THAT(Send(sp.a.get(), "g", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got h = Recv(sp.b.get(), 8, CMSG_LEN(0));
  EXPECT_NE(h.flags & MSG_CTRUNC, 0) << kCtruncCite << ": " << h.ToString();
  ASSERT_EQ(h.cmsgs.size(), 1u) << kCtruncCite << ": " << h.ToString();
  EXPECT_EQ(h.cmsgs[0].type, SCM_CREDENTIALS) << kCredsCite << ": " << h.ToString();
  // Room for less than a header: no control message at all.
  ASSERT_THAT(Send(sp.a.get(), "i", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got tiny = Recv(sp.b.get(), 8, CMSG_LEN(0) / 2);
  EXPECT_EQ(tiny.data, "i") << tiny.ToString();
  EXPECT_EQ(tiny.controllen, 0u) << kCtruncCite << ": less than a header: " << tiny.ToString();
  // SO_PASSCRED turned on after a descriptor was sent: credentials too.
  ASSERT_OK_AND_ASSIGN(auto sp2, Pair());
  ASSERT_THAT(Send(sp2.a.get(), "h", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  ASSERT_THAT(SetPasscred(sp2.b.get(), 1), SyscallSucceeds());
  Got late = Recv(sp2.b.get(), 8, both);
  EXPECT_TRUE(late.creds.has_value() && late.creds->pid == 0 && late.creds->uid == 65534 &&
              late.creds->gid == 65534)
      << kCredsCite << " [Linux: turned on after the send: pid 0, overflow ids]: a descriptor "
      << "sent before SO_PASSCRED: " << late.ToString();
  EXPECT_EQ(late.fds.size(), 1u) << kRightsCite << ": " << late.ToString();
}

// man 7 unix: "SO_PASSCRED Enabling this socket option causes receipt of the
// credentials ..." (and man 7 socket: an option is per socket). It is off on
// both ends of a new pair, on only where set, and off again after 0.
TEST_P(UnixCmsg, SoPasscredIsPerSocketAndReadBack) {
  constexpr const char* kCite =
      "man 7 unix: \"SO_PASSCRED Enabling this socket option causes receipt of the credentials "
      "of the sending process in an SCM_CREDENTIALS ancillary message\"";
  ASSERT_OK_AND_ASSIGN(auto sp, Pair());
  auto get = [](int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    if (getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &v, &len) != 0) return -1;
    return v;
  };
  EXPECT_EQ(get(sp.a.get()), 0) << kCite << ": new socket";
  EXPECT_EQ(get(sp.b.get()), 0) << kCite << ": new socket";
  ASSERT_THAT(SetPasscred(sp.a.get(), 1), SyscallSucceeds());
  EXPECT_EQ(get(sp.a.get()), 1) << kCite << ": after setting it";
  EXPECT_EQ(get(sp.b.get()), 0) << kCite << ": the peer is unaffected";
  ASSERT_THAT(SetPasscred(sp.a.get(), 0), SyscallSucceeds());
  EXPECT_EQ(get(sp.a.get()), 0) << kCite << ": after clearing it";
}

INSTANTIATE_TEST_SUITE_P(Types, UnixCmsg,
                         ::testing::Values(SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM),
                         TypeParamName);

// ---------------------------------------------------------------------------
// Stream reads and credentials.

// kCredsCite; man 7 unix: "When receiving from a stream socket, ancillary
// data forms a kind of barrier for the received data." On a stream, writes
// merge into one read exactly when their credentials agree: what the sender
// attached depends on SO_PASSCRED at the time of each write (Linux: none
// when the receiver did not ask, later reported as pid 0 and the overflow
// ids); a read stops where they change, and a receiver without SO_PASSCRED
// at the read gets everything merged and no credentials.
TEST(UnixStreamCreds, WritesMergeInAReadOnlyWhenTheirCredentialsAgree) {
  constexpr const char* kBarrier =
      "man 7 unix: \"When receiving from a stream socket, ancillary data forms a kind of barrier "
      "for the received data.\"";
  enum Want { kNone, kReal, kAnon };
  struct Read {
    std::string data;
    Want creds;
  };
  struct Case {
    const char* name;
    std::string script;  // w<c>: write the byte c; +/-: SO_PASSCRED on/off on the receiver
    std::vector<Read> reads;
  };
  const std::vector<Case> cases = {
      {"on, write, off, write, on", "+wa-wb+", {{"a", kReal}, {"b", kAnon}}},
      {"on, write, off, write", "+wa-wb", {{"ab", kNone}}},
      {"write, write, on", "wawb+", {{"ab", kAnon}}},
      {"on, write, write", "+wawb", {{"ab", kReal}}},
      {"write, on, write", "wa+wb", {{"a", kAnon}, {"b", kReal}}},
      {"on, write, write, off, write", "+wawb-wc", {{"abc", kNone}}},
  };
  for (const Case& c : cases) {
    ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
    for (size_t i = 0; i < c.script.size(); ++i) {
      if (c.script[i] == '+' || c.script[i] == '-') {
        ASSERT_THAT(SetPasscred(sp.b.get(), c.script[i] == '+'), SyscallSucceeds());
      } else {
        ASSERT_THAT(write(sp.a.get(), &c.script[++i], 1), SyscallSucceedsWithValue(1));
      }
    }
    for (const Read& r : c.reads) {
      Got g = Recv(sp.b.get(), 64, CMSG_SPACE(sizeof(ucred)));
      EXPECT_EQ(g.data, r.data) << kBarrier << "; " << kCredsCite << ": " << c.name << ": "
                                << g.ToString();
      if (r.creds == kNone) {
        EXPECT_FALSE(g.creds.has_value()) << kCredsCite << ": " << c.name << ": " << g.ToString();
        continue;
      }
      ASSERT_TRUE(g.creds.has_value()) << kCredsCite << ": " << c.name << ": " << g.ToString();
      if (r.creds == kReal) {
        EXPECT_EQ(g.creds->pid, getpid()) << kCredsCite << ": " << c.name;
      } else {
        EXPECT_TRUE(g.creds->pid == 0 && g.creds->uid == 65534 && g.creds->gid == 65534)
            << kCredsCite << " [Linux: no credentials attached: pid 0, overflow ids]: " << c.name
            << ": pid " << g.creds->pid << " uid " << g.creds->uid;
      }
    }
  }
}

// kCredsCite: explicit credentials sent with a stream message come with each
// part of it when it is read in two halves; with SO_PASSCRED set only after
// the send.
TEST(UnixStreamCreds, ExplicitCredentialsComeWithEachPartOfAPartialRead) {
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_THAT(Send(sp.a.get(), "abcdef", {}, false, Me()), SyscallSucceedsWithValue(6));
  ASSERT_THAT(SetPasscred(sp.b.get(), 1), SyscallSucceeds());
  for (const char* part : {"abc", "def"}) {
    Got g = Recv(sp.b.get(), 3, CMSG_SPACE(sizeof(ucred)));
    EXPECT_EQ(g.data, part) << kCredsCite << ": " << g.ToString();
    EXPECT_TRUE(g.creds.has_value() && g.creds->pid == getpid())
        << kCredsCite << ": part '" << part << "': " << g.ToString();
  }
}

// man 7 unix's barrier example: "The first call will receive five bytes of
// data, along with the ancillary data sent by the second sendmsg(2) call."
// Plain data then a descriptor message merge into one recvmsg, which carries
// the descriptor. Two descriptor messages read with read(2) (no control
// buffer, descriptors dropped) do not merge on Linux: the barrier holds
// (gVisor's FDPassCoalescedRead expects them merged).
TEST(UnixStreamCreds, PlainDataMergesWithAFollowingDescriptorMessage) {
  constexpr const char* kCite =
      "man 7 unix: \"The first call will receive five bytes of data, along with the ancillary "
      "data sent by the second sendmsg(2) call.\"";
  constexpr const char* kBarrierCite =
      "man 7 unix: \"When receiving from a stream socket, ancillary data forms a kind of barrier "
      "for the received data.\"";
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(Pipe p, MakePipe());
  ASSERT_THAT(write(sp.a.get(), "abcd", 4), SyscallSucceedsWithValue(4));
  ASSERT_THAT(Send(sp.a.get(), "e", {p.r.get()}, true), SyscallSucceedsWithValue(1));
  Got g = Recv(sp.b.get(), 20, CMSG_SPACE(sizeof(int)));
  EXPECT_EQ(g.data, "abcde") << kCite << ": " << g.ToString();
  ASSERT_EQ(g.fds.size(), 1u) << kCite << ": " << g.ToString();
  EXPECT_TRUE(SamePipe(g.fds[0].get(), p)) << kCite;
  ASSERT_THAT(Send(sp.a.get(), "12", {p.r.get()}, true), SyscallSucceedsWithValue(2));
  ASSERT_THAT(Send(sp.a.get(), "34", {p.r.get()}, true), SyscallSucceedsWithValue(2));
  char buf[8] = {};
  EXPECT_THAT(read(sp.b.get(), buf, sizeof buf), SyscallSucceedsWithValue(2))
      << kBarrierCite << " [Linux: read(2) stops at each descriptor message too]";
  EXPECT_EQ(std::string(buf, 2), "12") << kBarrierCite;
  EXPECT_THAT(read(sp.b.get(), buf, sizeof buf), SyscallSucceedsWithValue(2)) << kBarrierCite;
  EXPECT_EQ(std::string(buf, 2), "34") << kBarrierCite;
}

// ---------------------------------------------------------------------------
// Garbage collection of sockets in flight.

// The AF_UNIX sockets in use in this network namespace: the "sockets" count
// of the "UNIX" line of /proc/net/protocols plus that of the "UNIX-STREAM"
// line where there is one (Linux >= 5.15 counts SOCK_STREAM sockets apart,
// on the "UNIX-STREAM" line; before, the "UNIX" line counts every type), or
// -1 when neither line is there. Child-safe (open/read only).
int UnixSocketsInUse() {
  int fd = open("/proc/net/protocols", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  char buf[8192];
  size_t n = 0;
  for (;;) {
    ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
    if (k <= 0) break;
    n += k;
    if (n == sizeof buf - 1) break;
  }
  close(fd);
  buf[n] = '\0';
  int total = -1;
  for (char* line = buf; line && *line;) {
    char* next = strchr(line, '\n');
    if (next) *next++ = '\0';
    for (const char* name : {"UNIX ", "UNIX-STREAM "}) {
      const size_t len = strlen(name);
      int size = 0, sockets = -1;
      if (strncmp(line, name, len) == 0 && sscanf(line + len, "%d %d", &size, &sockets) == 2) {
        total = (total < 0 ? 0 : total) + sockets;
      }
    }
    line = next;
  }
  return total;
}

struct GcKind {
  const char* name;
  int type;
  bool listener;  // the queue that holds the sockets is a listener's (embryos)
  int flags;      // of each sendmsg: MSG_OOB sends the descriptors with the urgent byte
};

class UnixGc : public ::testing::TestWithParam<GcKind> {};

// man 7 unix does not describe it; Linux's garbage collector for sockets in
// flight: a socket whose only references are SCM_RIGHTS messages queued on
// sockets that are themselves only in flight (a cycle) is freed once the
// process closes its descriptors. In a new network namespace (a forked
// child), with every descriptor closed, the count of AF_UNIX sockets in use
// returns to 0 (waited for with bounded polling: the collector runs
// asynchronously, and the kernel offers nothing to wait on) for: a socket
// sent over itself, cycles of two and three, two cycles sharing an edge, a
// cycle reached from outside it (and a cycle inside a cycle: not asserted,
// see below). The stream kinds also send the descriptors with MSG_OOB
// (Linux's AF_UNIX out-of-band data, CONFIG_AF_UNIX_OOB: see
// unix_oob_test.cc): a descriptor attached to the urgent byte is in flight
// the same way, and the same cycles are collected.
TEST_P(UnixGc, CyclesOfSocketsInFlightAreCollected) {
  constexpr const char* kCite =
      "man 7 unix: \"SCM_RIGHTS Send or receive a set of open file descriptors from another "
      "process.\" [Linux: sockets that are only in flight in a cycle are garbage collected]";
  IPCSPEC_NEEDS(Need::Feature("netns", []() -> std::optional<std::string> {
    auto st = ForkAndWait([] {
      if (unshare(CLONE_NEWNET) == 0) return 0;
      return unshare(CLONE_NEWUSER | CLONE_NEWNET) == 0 ? 0 : 1;
    });
    if (!st.ok()) return std::string("fork: ") + st.error().ToString();
    if (!st.value().ExitedWith(0)) return std::string("a child cannot unshare(CLONE_NEWNET)");
    return std::nullopt;
  }));
  const GcKind k = GetParam();
  if (k.flags & MSG_OOB) { IPCSPEC_NEEDS(UnixOobNeed()); }
  struct Scenario {
    const char* name;
    int sockets;                           // pairs (or listener + client)
    std::vector<std::pair<int, int>> edges;  // (in flight, receiver)
  };
  const std::vector<Scenario> scenarios = {
      {"self", 2, {{0, 0}, {1, 1}}},
      {"two", 2, {{0, 1}, {1, 0}}},
      {"three", 3, {{0, 1}, {1, 2}, {2, 0}}},
      {"shared edge", 4, {{0, 1}, {1, 2}, {2, 0}, {1, 3}, {3, 2}}},
      {"reached from outside", 5, {{0, 1}, {0, 4}, {1, 2}, {2, 3}, {3, 1}}},
      {"cycle in a cycle", 3, {{0, 1}, {1, 2}, {2, 1}, {1, 0}}},
  };
  // Observed on 6.18.44 and Debian's 6.1.0-50: the sockets of a cycle
  // inside a cycle stay in use (still counted after 10 s) for every kind
  // here, dgram, stream, listener and MSG_OOB alike, where the kernel
  // selftest (scm_rights.c, mixed_lowpoint) expects them collected; Linux
  // 5.10's older collector collects them. Not asserted here until it is
  // classified (a finding to report, not Linux's documented behaviour).
  auto asserted = [](const Scenario& sc) { return std::string(sc.name) != "cycle in a cycle"; };
  // The child's report, per scenario: the setup call that went wrong (not
  // reached when none did), and the sockets in use once it stopped waiting
  // (not reached when an earlier scenario stopped the child).
  struct GcReport {
    CallRecord setup;
    CallRecord in_use;
  };
  constexpr size_t kMaxScenarios = 8;
  ASSERT_LE(scenarios.size(), kMaxScenarios);
  using GcReports = std::array<GcReport, kMaxScenarios>;
  ASSERT_OK_AND_ASSIGN(auto out, SharedObject<GcReports>::Create());
  GcReports& reports = *out.get();
  // One child, in a new network namespace, runs the scenarios one after the
  // other: each starts with no AF_UNIX socket in use, and the child stops at
  // the first scenario whose sockets are not all collected.
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&]() -> int {
    if (unshare(CLONE_NEWNET) != 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) != 0) {
      reports[0].setup = Record("unshare(CLONE_NEWNET)", -1);
      return 0;
    }
    for (size_t s = 0; s < scenarios.size(); ++s) {
      const Scenario& sc = scenarios[s];
      GcReport* r = &reports[s];
      if (!asserted(sc)) continue;
      // Records the failed call (errno still its own) and ends the child.
      auto failed = [r](const char* call, long ret) {
        r->setup = Record(call, ret);
        return 0;
      };
      if (long n = UnixSocketsInUse(); n != 0) return failed("UnixSocketsInUse at the start", n);
      int fd[16];
      for (int i = 0; i < sc.sockets; ++i) {
        int* p = fd + 2 * i;
        if (!k.listener) {
          if (socketpair(AF_UNIX, k.type, 0, p) != 0) return failed("socketpair", -1);
          continue;
        }
        p[0] = socket(AF_UNIX, SOCK_STREAM, 0);
        sockaddr_un a = {};
        a.sun_family = AF_UNIX;
        socklen_t len = sizeof(sa_family_t);
        if (p[0] < 0 || bind(p[0], reinterpret_cast<sockaddr*>(&a), len) != 0) {
          return failed("socket or bind", -1);
        }
        if (listen(p[0], 4) != 0) return failed("listen", -1);
        len = sizeof a;
        if (getsockname(p[0], reinterpret_cast<sockaddr*>(&a), &len) != 0) {
          return failed("getsockname", -1);
        }
        p[1] = socket(AF_UNIX, SOCK_STREAM, 0);
        if (p[1] < 0 || connect(p[1], reinterpret_cast<sockaddr*>(&a), len) != 0) {
          return failed("socket or connect", -1);
        }
      }
      for (auto [inflight, receiver] : sc.edges) {
        // The first socket of `inflight`, twice, onto the queue of the
        // first socket of `receiver` (sent from its second).
        const int both[] = {fd[2 * inflight], fd[2 * inflight]};
        char control[CMSG_SPACE(sizeof both)] = {};
        char x = 'x';
        struct iovec iov = {&x, 1};
        struct msghdr m = {};
        m.msg_iov = &iov;
        m.msg_iovlen = 1;
        m.msg_control = control;
        m.msg_controllen = sizeof control;
        struct cmsghdr* c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof both);
        memcpy(CMSG_DATA(c), both, sizeof both);
        if (long n = sendmsg(fd[2 * receiver + 1], &m, k.flags); n != 1) {
          return failed(k.flags ? "sendmsg(MSG_OOB)" : "sendmsg", n);
        }
      }
      for (int i = 0; i < 2 * sc.sockets; ++i) close(fd[i]);
      PollUntil([] { return UnixSocketsInUse() == 0; }, Deadline::In(std::chrono::seconds(5)));
      r->in_use = Record("UnixSocketsInUse", UnixSocketsInUse());
      if (r->in_use.ret != 0) return 0;
    }
    return 0;
  }));
  ASSERT_NO_ERRNO(ReachedEnd(st)) << k.name;
  for (size_t s = 0; s < scenarios.size(); ++s) {
    const Scenario& sc = scenarios[s];
    const GcReport& r = reports[s];
    if (!asserted(sc)) continue;
    const bool collected = !r.setup.reached() && r.in_use.ret == 0;
    EXPECT_TRUE(collected)
        << kCite << ": " << k.name << ", " << sc.name << ": "
        << (r.setup.reached()   ? "the setup failed: " + r.setup.ToString()
            : r.in_use.reached() ? "sockets still in use at the deadline: " + r.in_use.ToString()
                                 : std::string("not run: an earlier scenario failed"));
  }
}

INSTANTIATE_TEST_SUITE_P(Kinds, UnixGc,
                         ::testing::Values(GcKind{"dgram", SOCK_DGRAM, false, 0},
                                           GcKind{"stream", SOCK_STREAM, false, 0},
                                           GcKind{"stream_listener", SOCK_STREAM, true, 0},
                                           GcKind{"stream_oob", SOCK_STREAM, false, MSG_OOB},
                                           GcKind{"stream_listener_oob", SOCK_STREAM, true,
                                                  MSG_OOB}),
                         [](const ::testing::TestParamInfo<GcKind>& i) {
                           return std::string(i.param.name);
                         });

// man 7 unix: "SO_PASSCRED ... When this option is set and the socket is not
// yet connected, a unique name in the abstract namespace will be generated
// automatically." An accepted socket inherits SO_PASSCRED from its listener
// (Linux; the page does not say).
TEST(UnixPasscred, AnAcceptedSocketInheritsSoPasscred) {
  constexpr const char* kCite =
      "man 7 unix: \"SO_PASSCRED Enabling this socket option causes receipt of the credentials "
      "of the sending process\" [Linux: an accepted socket inherits it from its listener]";
  const UnixAddress srv =
      AbstractAddress(UniqueAbstractName("passcred"));
  ASSERT_OK_AND_ASSIGN(auto listener, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_THAT(SetPasscred(listener.get(), 1), SyscallSucceeds());
  ASSERT_NO_ERRNO(Bind(listener.get(), srv));
  ASSERT_THAT(listen(listener.get(), 1), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_STREAM | SOCK_NONBLOCK));
  ASSERT_NO_ERRNO(Connect(client.get(), srv));
  ASSERT_NO_ERRNO(WaitReadable(listener.get(), Deadline::Default()));
  int fd = accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC);
  ASSERT_THAT(fd, SyscallSucceeds());
  FileDescriptor accepted(fd);
  listener.reset();
  int v = -1;
  socklen_t len = sizeof v;
  ASSERT_THAT(getsockopt(accepted.get(), SOL_SOCKET, SO_PASSCRED, &v, &len), SyscallSucceeds());
  EXPECT_EQ(v, 1) << kCite;
}

// man 7 unix, SCM_CREDENTIALS: "the sender must specify its own process ID
// (unless it has the capability CAP_SYS_ADMIN in the user namespace that
// owns the PID namespace of the process ID being named)"; a pid that names
// no process fails ESRCH even then (Linux; man 7 unix lists no ESRCH).
TEST(UnixPasscred, ANonexistentPidFailsEsrch) {
  // Without CAP_SYS_ADMIN over the PID namespace, naming any pid but one's
  // own is EPERM before the pid is looked up.
  IPCSPEC_NEEDS(Need::CapabilityOverPidNamespace(CAP_SYS_ADMIN));
  ASSERT_OK_AND_ASSIGN(auto sp, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  EXPECT_THAT(Send(sp.a.get(), "x", {}, false, ucred{-1, getuid(), getgid()}),
              SyscallFailsWithErrno(ESRCH))
      << "man 7 unix, SCM_CREDENTIALS: \"the sender must specify its own process ID (unless it "
         "has the capability CAP_SYS_ADMIN ...)\" [Linux: pid -1 names no process: ESRCH]";
}

}  // namespace
}  // namespace ipcspec
