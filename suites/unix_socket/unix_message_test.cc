// AF_UNIX datagram and sequenced-packet sockets: message boundaries,
// truncation (MSG_TRUNC in msg_flags and as a recv flag), MSG_PEEK, FIONREAD,
// SO_SNDBUF, EMSGSIZE, and sending to a peer or a name whose socket is gone
// (man 7 unix, man 2 recv, man 2 send, man 7 socket, man 7 udp).
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <ostream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/property.h"
#include "impl/core/syscall_matchers.h"
#include "rapidcheck.h"
#include "suites/unix_socket/unix_test_util.h"

namespace ipcspec {
namespace {


// Message i of a test: `size` bytes, each depending on (i, position), so that
// a lost, repeated, reordered or spliced message cannot pass for another.
std::string MessageBytes(int i, size_t size) {
  std::string s(size, '\0');
  for (size_t j = 0; j < size; ++j) {
    s[j] = static_cast<char>(i * 37 + j * 7 + (j >> 8) + 1);
  }
  return s;
}

constexpr const char* kBoundariesCite =
    "man 7 unix: \"SOCK_DGRAM, for a datagram-oriented socket that preserves message boundaries "
    "(as on most UNIX implementations, UNIX domain datagram sockets are always reliable and "
    "don't reorder datagrams); and (since Linux 2.6.4) SOCK_SEQPACKET, for a sequenced-packet "
    "socket that is connection-oriented, preserves message boundaries, and delivers messages "
    "in the order that they were sent.\"";

constexpr const char* kMsgFlagsTruncCite =
    "man 2 recv: \"If a message is too long to fit in the supplied buffer, excess bytes may be "
    "discarded depending on the type of socket the message is received from.\" and msg_flags "
    "\"MSG_TRUNC indicates that the trailing portion of a datagram was discarded because the "
    "datagram was larger than the buffer supplied.\"";

constexpr const char* kRecvFlagTruncCite =
    "man 2 recv: \"MSG_TRUNC (since Linux 2.2) For raw (AF_PACKET), Internet datagram (since "
    "Linux 2.4.27/2.6.8), netlink (since Linux 2.6.22), and UNIX datagram (since Linux 3.4) "
    "sockets: return the real length of the packet or datagram, even when it was longer than "
    "the passed buffer.\"";

// The message-preserving socket types. SOCK_SEQPACKET shares the datagram
// receive path on Linux (truncation, MSG_TRUNC), which the tests check too.
class MessageSocket : public ::testing::TestWithParam<int> {
 protected:
  int type() const { return GetParam(); }
  std::string Where() const { return " (" + TypeName(type()) + " socketpair)"; }
};

// man 7 unix (SOCK_DGRAM / SOCK_SEQPACKET, kBoundariesCite): sends of
// different sizes come back one message per receive, whole and in order,
// even with a receive buffer large enough for all of them at once.
TEST_P(MessageSocket, EachReceiveGetsExactlyOneMessage) {
  ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(type() | SOCK_NONBLOCK));
  const std::vector<size_t> sizes = {1, 100, 4096, 7, 2000, 3, 1};
  for (size_t i = 0; i < sizes.size(); ++i) {
    const std::string m = MessageBytes(static_cast<int>(i), sizes[i]);
    ASSERT_THAT(send(p.a.get(), m.data(), m.size(), 0), SyscallSucceedsWithValue(m.size()))
        << "message " << i;
  }
  size_t total = 0;
  for (size_t s : sizes) total += s;
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(),
                                              RecvOptions{.buffer = total + 100}));
    EXPECT_EQ(r.n, static_cast<ssize_t>(sizes[i]))
        << kBoundariesCite << Where() << ": receive " << i << ": " << r.ToString();
    EXPECT_EQ(r.data, MessageBytes(static_cast<int>(i), sizes[i]))
        << kBoundariesCite << Where() << ": receive " << i << " is not message " << i;
    EXPECT_EQ(r.msg_flags & MSG_TRUNC, 0) << kBoundariesCite << Where() << ": " << r.ToString();
  }
  EXPECT_THAT(Receive(p.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN))
      << kBoundariesCite << Where() << ": more messages came out than went in";
}

// man 2 recv (kMsgFlagsTruncCite): a buffer shorter than the message gets
// its first bytes and MSG_TRUNC in msg_flags; the rest of that message is
// discarded (the next receive gets the next message, not the remainder).
TEST_P(MessageSocket, ShortBufferTruncatesWithMsgTruncInMsgFlags) {
  ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(type() | SOCK_NONBLOCK));
  const std::string first = MessageBytes(1, 100), second = MessageBytes(2, 5);
  ASSERT_THAT(send(p.a.get(), first.data(), first.size(), 0), SyscallSucceedsWithValue(100));
  ASSERT_THAT(send(p.a.get(), second.data(), second.size(), 0), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(), RecvOptions{.buffer = 10}));
  EXPECT_EQ(r.n, 10) << kMsgFlagsTruncCite << Where() << ": " << r.ToString();
  EXPECT_EQ(r.data, first.substr(0, 10)) << kMsgFlagsTruncCite << Where();
  EXPECT_NE(r.msg_flags & MSG_TRUNC, 0)
      << kMsgFlagsTruncCite << Where() << ": MSG_TRUNC missing: " << r.ToString();
  ASSERT_OK_AND_ASSIGN(Received r2, Receive(p.b.get(), RecvOptions{.buffer = 100}));
  EXPECT_EQ(r2.data, second) << kMsgFlagsTruncCite << Where()
                             << ": the 90 excess bytes of the first message must be discarded, "
                                "and the next receive get the second message: "
                             << r2.ToString();
  EXPECT_EQ(r2.msg_flags & MSG_TRUNC, 0) << kMsgFlagsTruncCite << Where() << ": " << r2.ToString();
  // A buffer exactly the message's size is not a truncation.
  ASSERT_THAT(send(p.a.get(), first.data(), first.size(), 0), SyscallSucceedsWithValue(100));
  ASSERT_OK_AND_ASSIGN(Received r3, Receive(p.b.get(), RecvOptions{.buffer = 100}));
  EXPECT_EQ(r3.n, 100) << kMsgFlagsTruncCite << Where();
  EXPECT_EQ(r3.msg_flags & MSG_TRUNC, 0)
      << kMsgFlagsTruncCite << Where() << ": a buffer of exactly the message's size: "
      << r3.ToString();
}

// man 2 recv (kRecvFlagTruncCite); man 7 unix: "Before Linux 3.4, the use of
// MSG_TRUNC in the flags argument of recv(2) was not supported by UNIX domain
// sockets." recv(MSG_TRUNC) returns the real length, fills only the buffer,
// and consumes the message. (man 2 recv names UNIX datagram sockets; on
// Linux SOCK_SEQPACKET does the same.)
TEST_P(MessageSocket, MsgTruncFlagReturnsTheRealLength) {
  ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(type() | SOCK_NONBLOCK));
  const std::string m = MessageBytes(3, 300);
  ASSERT_THAT(send(p.a.get(), m.data(), m.size(), 0), SyscallSucceedsWithValue(300));
  ASSERT_THAT(send(p.a.get(), "next", 4, 0), SyscallSucceedsWithValue(4));
  ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(), RecvOptions{.buffer = 10, .flags = MSG_TRUNC}));
  EXPECT_EQ(r.n, 300) << kRecvFlagTruncCite << Where() << ": " << r.ToString();
  EXPECT_EQ(r.data, m.substr(0, 10)) << kRecvFlagTruncCite << Where()
                                     << ": only the buffer's 10 bytes are filled";
  ASSERT_OK_AND_ASSIGN(Received r2, Receive(p.b.get(), RecvOptions{.buffer = 100}));
  EXPECT_EQ(r2.data, "next") << kRecvFlagTruncCite << Where()
                             << ": the message must be consumed: " << r2.ToString();
}

// One step of the message-list property.
struct MessageOp {
  enum Kind { kSend, kRecv } kind = kSend;
  int size = 0;  // the message's size, or the receive buffer's
  int mode = 0;  // receives: 0 plain, 1 MSG_TRUNC flag, 2 MSG_PEEK
};

void showValue(const MessageOp& op, std::ostream& os) {
  if (op.kind == MessageOp::kSend) {
    os << "send(" << op.size << " bytes)";
  } else {
    os << "recvmsg(buffer " << op.size
       << (op.mode == 1 ? ", MSG_TRUNC" : op.mode == 2 ? ", MSG_PEEK" : "") << ")";
  }
}

// man 7 unix (kBoundariesCite), man 2 recv (kMsgFlagsTruncCite,
// kRecvFlagTruncCite; MSG_PEEK: "This flag causes the receive operation to
// return data from the beginning of the receive queue without removing that
// data from the queue."; "the value -1 is returned and errno is set to EAGAIN
// or EWOULDBLOCK" when no message is available on a nonblocking socket).
// Random sends and receives against a model that is a list of messages: each
// receive returns the oldest message (its first min(size, buffer) bytes),
// MSG_TRUNC in msg_flags exactly when the message was longer than the buffer,
// the real length with the MSG_TRUNC flag, and leaves it queued with
// MSG_PEEK. For SOCK_DGRAM, FIONREAD is the size of the next pending datagram
// (man 7 unix: "For SOCK_DGRAM sockets, the returned value is the same as for
// Internet domain datagram sockets"; man 7 udp: "Returns the size of the next
// pending datagram in the integer in bytes, or 0 when no datagram is
// pending.").
TEST_P(MessageSocket, AgreesWithAMessageListModel) {
  const int type = this->type();
  const bool dgram = type == SOCK_DGRAM;
  const std::string where = Where();
  CheckProperty(
      std::string("message-list model of ") + TypeName(type) + ": " + kBoundariesCite,
      [&] {
        const auto op_gen = rc::gen::map(
            rc::gen::tuple(rc::gen::inRange(0, 2), rc::gen::inRange(0, 1500),
                           rc::gen::inRange(0, 3)),
            [dgram](const std::tuple<int, int, int>& t) {
              MessageOp op;
              op.kind = std::get<0>(t) == 0 ? MessageOp::kSend : MessageOp::kRecv;
              op.size = std::get<1>(t);
              // Zero-length messages are datagrams only (man 2 recv: "Datagram
              // sockets in various domains (e.g., the UNIX and Internet
              // domains) permit zero-length datagrams.").
              if (op.kind == MessageOp::kSend && !dgram && op.size == 0) op.size = 1;
              op.mode = std::get<2>(t);
              return op;
            });
        const auto ops = *rc::gen::resize(40, rc::gen::container<std::vector<MessageOp>>(op_gen));
        auto pair = MakeSocketPair(type | SOCK_NONBLOCK);
        IPCSPEC_RC_CHECK(pair.ok(), pair.error());
        const int tx = pair.value().a.get(), rx = pair.value().b.get();
        // Room for the model's at most 16 queued messages on any system.
        int sndbuf = 65536;
        IPCSPEC_RC_CHECK(setsockopt(tx, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf) == 0,
                          "setsockopt(SO_SNDBUF): " << ErrnoName(errno));
        std::deque<std::string> model;
        int sent = 0;
        auto check_receive = [&](size_t step, int size, int mode) {
          const int flags = mode == 1 ? MSG_TRUNC : mode == 2 ? MSG_PEEK : 0;
          auto r = Receive(rx, RecvOptions{.buffer = static_cast<size_t>(size), .flags = flags,
                                           .wait = false});
          if (model.empty()) {
            IPCSPEC_RC_CHECK(!r.ok() && r.errno_value() == EAGAIN,
                              "step " << step << ": receive with no message queued: " << r
                                      << where);
            return;
          }
          IPCSPEC_RC_CHECK(r.ok(), "step " << step << ": " << r.error() << where);
          const Received& got = r.value();
          const std::string& m = model.front();
          const size_t fit = std::min(m.size(), static_cast<size_t>(size));
          const ssize_t want_n = flags == MSG_TRUNC ? static_cast<ssize_t>(m.size())
                                                    : static_cast<ssize_t>(fit);
          IPCSPEC_RC_CHECK(got.n == want_n, "step " << step << ": the oldest message holds "
                                                     << m.size() << " bytes; " << got.ToString()
                                                     << where);
          IPCSPEC_RC_CHECK(got.data == m.substr(0, fit),
                            "step " << step << ": not the oldest message's bytes" << where);
          IPCSPEC_RC_CHECK(((got.msg_flags & MSG_TRUNC) != 0) == (m.size() > fit),
                            "step " << step << ": MSG_TRUNC in msg_flags must be set exactly "
                                    << "when the message (" << m.size()
                                    << " bytes) was longer than the buffer (" << size << "): "
                                    << got.ToString() << where);
          if (flags != MSG_PEEK) model.pop_front();
        };
        for (size_t step = 0; step < ops.size(); ++step) {
          MessageOp op = ops[step];
          if (op.kind == MessageOp::kSend && model.size() >= 16) {
            op = MessageOp{MessageOp::kRecv, op.size, 0};
          }
          if (op.kind == MessageOp::kSend) {
            const std::string m = MessageBytes(sent++, static_cast<size_t>(op.size));
            ssize_t k = send(tx, m.data(), m.size(), 0);
            IPCSPEC_RC_CHECK(k == static_cast<ssize_t>(m.size()),
                              "step " << step << ": send(" << m.size() << ") returned " << k
                                      << (k < 0 ? " " + ErrnoName(errno) : "") << where);
            model.push_back(m);
          } else {
            check_receive(step, op.size, op.mode);
          }
          if (dgram) {
            int next = -1;
            IPCSPEC_RC_CHECK(ioctl(rx, FIONREAD, &next) == 0,
                              "ioctl(FIONREAD): " << ErrnoName(errno));
            const int want = model.empty() ? 0 : static_cast<int>(model.front().size());
            IPCSPEC_RC_CHECK(next == want, "step " << step << ": FIONREAD is " << next
                                                    << ", the next datagram holds " << want
                                                    << " bytes (man 7 udp: \"Returns the size "
                                                       "of the next pending datagram\")");
          }
        }
        // Whatever is left comes out whole and in order.
        size_t step = ops.size();
        while (!model.empty()) check_receive(step++, 2000, 0);
        check_receive(step, 2000, 0);
      });
}

INSTANTIATE_TEST_SUITE_P(Unix, MessageSocket, ::testing::Values(SOCK_DGRAM, SOCK_SEQPACKET),
                         [](const ::testing::TestParamInfo<int>& i) {
                           return i.param == SOCK_DGRAM ? std::string("Dgram")
                                                        : std::string("Seqpacket");
                         });

// man 2 recv: "Datagram sockets in various domains (e.g., the UNIX and
// Internet domains) permit zero-length datagrams.  When such a datagram is
// received, the return value is 0." It is a message of its own: it is
// consumed, and the next receive gets the next datagram.
TEST(UnixDatagram, ZeroLengthDatagramIsAMessage) {
  const char* cite =
      "man 2 recv: \"Datagram sockets in various domains (e.g., the UNIX and Internet domains) "
      "permit zero-length datagrams.  When such a datagram is received, the return value is "
      "0.\"";
  ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  ASSERT_THAT(send(p.a.get(), "", 0, 0), SyscallSucceedsWithValue(0)) << cite;
  ASSERT_THAT(send(p.a.get(), "after", 5, 0), SyscallSucceedsWithValue(5));
  ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(), RecvOptions{.buffer = 100}));
  EXPECT_EQ(r.n, 0) << cite << ": " << r.ToString();
  EXPECT_EQ(r.msg_flags & MSG_TRUNC, 0) << cite << ": " << r.ToString();
  ASSERT_OK_AND_ASSIGN(Received r2, Receive(p.b.get(), RecvOptions{.buffer = 100}));
  EXPECT_EQ(r2.data, "after") << cite << ": the empty datagram must be consumed by its receive";
}

// Reads the doubled SO_SNDBUF back.
PosixErrorOr<int> GetSndbuf(int fd) {
  int v = -1;
  socklen_t l = sizeof v;
  if (getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &l) != 0) return ErrnoError("getsockopt(SO_SNDBUF)");
  return v;
}

// `sysctl:net.core.wmem_max>=BYTES`: SO_SNDBUF may be set to `bytes`
// unclamped: man 7 socket, SO_SNDBUF: "the maximum allowed value is set by
// the /proc/sys/net/core/wmem_max file" (default 212992). An unreadable file
// is taken as the default.
Need WmemMaxAtLeast(long bytes) {
  const char* path = "/proc/sys/net/core/wmem_max";
  return Need("sysctl:net.core.wmem_max>=" + std::to_string(bytes),
              [path, bytes]() -> std::optional<std::string> {
                auto v = ReadProcLong(path);
                if (!v.ok() || v.value() >= bytes) return std::nullopt;
                return std::string(path) + " is " + std::to_string(v.value());
              });
}

// Sends `size`-byte datagrams on a non-blocking socket until EAGAIN.
PosixErrorOr<int> FillUntilEagain(int fd, size_t size, int limit) {
  const std::string m(size, 'q');
  for (int count = 0; count < limit; ++count) {
    ssize_t k = send(fd, m.data(), m.size(), 0);
    if (k < 0 && errno == EAGAIN) return count;
    if (k != static_cast<ssize_t>(size)) return ErrnoError("send(" + std::to_string(size) + ")");
  }
  return PosixError(EFBIG, "send: no EAGAIN after " + std::to_string(limit) + " datagrams");
}

// man 7 unix, "Sockets API": "The SO_SNDBUF socket option does have an
// effect for UNIX domain sockets, but the SO_RCVBUF option does not." man 7
// socket, SO_SNDBUF: "Sets or gets the maximum socket send buffer in bytes.
// The kernel doubles this value (to allow space for bookkeeping overhead)
// when it is set using setsockopt(2), and this doubled value is returned by
// getsockopt(2)." man 2 send: "EAGAIN or EWOULDBLOCK The socket is marked
// nonblocking and the requested operation would block." A non-blocking
// datagram socketpair accepts a finite, positive number of datagrams before
// EAGAIN; a larger SO_SNDBUF accepts more; every accepted datagram is
// delivered, and draining makes room again.
TEST(UnixDatagram, SndbufBoundsWhatANonBlockingSocketpairAccepts) {
  const char* cite =
      "man 7 unix: \"The SO_SNDBUF socket option does have an effect for UNIX domain sockets, "
      "but the SO_RCVBUF option does not.\"; man 2 send: \"EAGAIN or EWOULDBLOCK The socket is "
      "marked nonblocking and the requested operation would block.\"";
  const char* socket7 =
      "man 7 socket, SO_SNDBUF: \"The kernel doubles this value (to allow space for bookkeeping "
      "overhead) when it is set using setsockopt(2), and this doubled value is returned by "
      "getsockopt(2).\"";
  IPCSPEC_NEEDS(WmemMaxAtLeast(32768));
  constexpr size_t kMsg = 512;
  int counts[2] = {0, 0};
  const int requested[2] = {8192, 32768};
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE("SO_SNDBUF " + std::to_string(requested[i]));
    ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
    ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &requested[i], sizeof(int)),
                SyscallSucceeds());
    ASSERT_OK_AND_ASSIGN(int doubled, GetSndbuf(p.a.get()));
    EXPECT_EQ(doubled, 2 * requested[i]) << socket7;
    ASSERT_OK_AND_ASSIGN(counts[i], FillUntilEagain(p.a.get(), kMsg, 100000));
    EXPECT_GT(counts[i], 0) << cite << ": not even one datagram was accepted";
    // Each queued datagram is charged at least its payload, and a send is
    // admitted only while the charge is under the limit.
    EXPECT_LE(static_cast<size_t>(counts[i]) * kMsg, static_cast<size_t>(doubled) + kMsg)
        << cite << ": " << counts[i] << " datagrams of " << kMsg
        << " bytes exceed the doubled SO_SNDBUF " << doubled;
    EXPECT_THAT(send(p.a.get(), "x", 1, 0), SyscallFailsWithErrno(EAGAIN))
        << cite << ": still full";
    // Every accepted datagram arrives; then the queue is empty.
    for (int k = 0; k < counts[i]; ++k) {
      ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(), RecvOptions{.buffer = 2 * kMsg}));
      ASSERT_EQ(r.n, static_cast<ssize_t>(kMsg)) << "datagram " << k << ": " << r.ToString();
    }
    EXPECT_THAT(Receive(p.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN));
    EXPECT_THAT(send(p.a.get(), "x", 1, 0), SyscallSucceedsWithValue(1))
        << cite << ": draining the receiver must make room again";
  }
  EXPECT_LT(counts[0], counts[1])
      << cite << ": a 4x larger SO_SNDBUF must accept more datagrams (" << counts[0] << " vs "
      << counts[1] << ")";
}

// man 7 unix, "Sockets API": "For datagram sockets, the SO_SNDBUF value
// imposes an upper limit on the size of outgoing datagrams.  This limit is
// calculated as the doubled (see socket(7)) option value less 32 bytes used
// for overhead." man 2 send: "EMSGSIZE The socket type requires that message
// be sent atomically, and the size of the message to be sent made this
// impossible."
TEST(UnixDatagram, DatagramOverDoubledSndbufLess32FailsEmsgsize) {
  const char* cite =
      "man 7 unix: \"For datagram sockets, the SO_SNDBUF value imposes an upper limit on the "
      "size of outgoing datagrams.  This limit is calculated as the doubled (see socket(7)) "
      "option value less 32 bytes used for overhead.\"; man 2 send: \"EMSGSIZE The socket type "
      "requires that message be sent atomically, and the size of the message to be sent made "
      "this impossible.\"";
  IPCSPEC_NEEDS(WmemMaxAtLeast(16384));
  ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
  const int req = 16384;
  ASSERT_THAT(setsockopt(p.a.get(), SOL_SOCKET, SO_SNDBUF, &req, sizeof req), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(int doubled, GetSndbuf(p.a.get()));
  ASSERT_EQ(doubled, 2 * req) << "man 7 socket: SO_SNDBUF \"this doubled value is returned by "
                                 "getsockopt(2)\"";
  const std::string too_big(static_cast<size_t>(doubled - 31), 'b');
  EXPECT_THAT(send(p.a.get(), too_big.data(), too_big.size(), 0), SyscallFailsWithErrno(EMSGSIZE))
      << cite << ": a datagram of doubled SO_SNDBUF - 31 = " << too_big.size() << " bytes";
  const std::string limit(static_cast<size_t>(doubled - 32), 'l');
  EXPECT_THAT(send(p.a.get(), limit.data(), limit.size(), 0), SyscallSucceedsWithValue(limit.size()))
      << cite << ": a datagram of doubled SO_SNDBUF - 32 = " << limit.size() << " bytes";
  ASSERT_OK_AND_ASSIGN(Received r, Receive(p.b.get(), RecvOptions{.buffer = 2 * limit.size()}));
  EXPECT_EQ(r.data, limit) << cite << ": the largest datagram arrives whole";
  EXPECT_THAT(Receive(p.b.get(), RecvOptions{.wait = false}), SyscallFailsWithErrno(EAGAIN))
      << cite << ": the EMSGSIZE datagram must not have been sent";
}

// man 7 unix, ERRORS: "ECONNREFUSED The remote address specified by
// connect(2) was not a listening socket." and "ENOTCONN Socket operation
// needs a target address, but the socket is not connected." A connected
// datagram socket whose peer has closed gets ECONNREFUSED on send. Linux
// reports the closed peer once: that send also disconnects the socket, and
// the next send (no address) fails ENOTCONN.
TEST(UnixDatagram, SendToAPeerThatClosedFailsEconnrefused) {
  const char* cite =
      "man 7 unix, ERRORS: \"ECONNREFUSED The remote address specified by connect(2) was not a "
      "listening socket.\"";
  const char* enotconn =
      "man 7 unix, ERRORS: \"ENOTCONN Socket operation needs a target address, but the socket "
      "is not connected.\" (Linux disconnects the socket when it reports the closed peer)";
  {
    SCOPED_TRACE("connect(2) to a bound abstract address");
    ASSERT_OK_AND_ASSIGN(auto server, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    const auto name = AbstractAddress(UniqueAbstractName("dgram-peer"));
    ASSERT_NO_ERRNO(Bind(server.get(), name));
    ASSERT_OK_AND_ASSIGN(auto client, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    ASSERT_NO_ERRNO(Connect(client.get(), name));
    ASSERT_THAT(send(client.get(), "up", 2, 0), SyscallSucceedsWithValue(2));
    server.reset();
    EXPECT_THAT(send(client.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(ECONNREFUSED))
        << cite << ": the connected peer closed";
    EXPECT_THAT(send(client.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(ENOTCONN))
        << enotconn;
  }
  {
    SCOPED_TRACE("socketpair(2)");
    ASSERT_OK_AND_ASSIGN(auto p, MakeSocketPair(SOCK_DGRAM | SOCK_NONBLOCK));
    p.b.reset();
    EXPECT_THAT(send(p.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(ECONNREFUSED))
        << cite << ": the other socket of the pair closed";
    EXPECT_THAT(send(p.a.get(), "x", 1, MSG_NOSIGNAL), SyscallFailsWithErrno(ENOTCONN)) << enotconn;
  }
}

// man 7 unix, ERRORS: "ECONNREFUSED The remote address specified by
// connect(2) was not a listening socket." and "ENOENT The pathname in the
// remote address specified to connect(2) did not exist." sendto(2) resolves
// its destination as connect(2) does: a socket file whose socket has closed
// refuses (ECONNREFUSED); once the file is unlinked the path does not exist
// (ENOENT); an abstract name whose socket has closed refuses.
TEST(UnixDatagram, SendtoANameWhoseSocketIsGone) {
  const char* refused =
      "man 7 unix, ERRORS: \"ECONNREFUSED The remote address specified by connect(2) was not a "
      "listening socket.\"";
  const char* noent =
      "man 7 unix, ERRORS: \"ENOENT The pathname in the remote address specified to connect(2) "
      "did not exist.\"";
  ASSERT_OK_AND_ASSIGN(auto dir, MakeSocketDir());
  const std::string path = dir.Join("gone");
  ASSERT_OK_AND_ASSIGN(auto addr, PathAddress(path));
  ASSERT_OK_AND_ASSIGN(auto sender, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
  {
    ASSERT_OK_AND_ASSIGN(auto receiver, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    ASSERT_NO_ERRNO(Bind(receiver.get(), addr));
    ASSERT_THAT(sendto(sender.get(), "live", 4, 0, addr.get(), addr.len), SyscallSucceedsWithValue(4))
        << "sendto a bound datagram socket";
  }
  struct stat st;
  ASSERT_THAT(stat(path.c_str(), &st), SyscallSucceeds())
      << "man 7 unix, NOTES: the socket file stays until unlinked";
  EXPECT_THAT(sendto(sender.get(), "x", 1, MSG_NOSIGNAL, addr.get(), addr.len),
              SyscallFailsWithErrno(ECONNREFUSED))
      << refused << " (the socket file remains, its socket has closed)";
  ASSERT_THAT(unlink(path.c_str()), SyscallSucceeds());
  EXPECT_THAT(sendto(sender.get(), "x", 1, MSG_NOSIGNAL, addr.get(), addr.len),
              SyscallFailsWithErrno(ENOENT))
      << noent << " (the socket file was unlinked)";

  const auto abstract = AbstractAddress(UniqueAbstractName("dgram-gone"));
  {
    ASSERT_OK_AND_ASSIGN(auto receiver, MakeSocket(SOCK_DGRAM | SOCK_NONBLOCK));
    ASSERT_NO_ERRNO(Bind(receiver.get(), abstract));
    ASSERT_THAT(sendto(sender.get(), "live", 4, 0, abstract.get(), abstract.len),
                SyscallSucceedsWithValue(4));
  }
  EXPECT_THAT(sendto(sender.get(), "x", 1, MSG_NOSIGNAL, abstract.get(), abstract.len),
              SyscallFailsWithErrno(ECONNREFUSED))
      << refused << " (an abstract name whose socket has closed; man 7 unix: \"Abstract sockets "
      << "automatically disappear when all open references to the socket are closed.\")";
}

}  // namespace
}  // namespace ipcspec
