// Loopback TCP as a ByteStream Kind: a listener on 127.0.0.1 port 0, a
// client connected to it, the accepted socket; the listener is closed at
// once. The accepted socket is the reading end, the client the writing end.
// Only 127.0.0.1 is ever used.
//
// man 7 tcp: "TCP provides a reliable, stream-oriented, full-duplex
// connection between two sockets". It differs from a pipe after the reader
// closes: the writer's next write may still succeed (the data goes out and
// the peer answers with a reset); the writes after the reset fail EPIPE
// (with SIGPIPE) or ECONNRESET. The caps say so (epipe_may_be_delayed).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "impl/api/fd_stream_end.h"
#include "impl/inet/tcp_loopback_c.h"

namespace ipcspec {
namespace {

// Fixed buffer sizes switch off autotuning, so that "fill until EAGAIN"
// ends at a size that does not depend on the history of the connection.
constexpr int kBufferBytes = kTcpLoopbackBufferBytes;

PosixError Configure(int fd) {
  int v = kBufferBytes;
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0) {
    return ErrnoError("setsockopt(SO_SNDBUF)");
  }
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0) {
    return ErrnoError("setsockopt(SO_RCVBUF)");
  }
  // No Nagle delay: a small write goes out at once, so that the bytes are at
  // the reader when the write returns (on loopback) as the model expects.
  int one = 1;
  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0) {
    return ErrnoError("setsockopt(TCP_NODELAY)");
  }
  return PosixError();
}

PosixErrorOr<ByteStream> OpenTcpLoopback() {
  FileDescriptor listener(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!listener.valid()) return ErrnoError("socket(AF_INET, SOCK_STREAM)");
  PosixError e = Configure(listener.get());
  if (!e.ok()) return e;
  struct sockaddr_in addr = {};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
  if (bind(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("bind(TCP, 127.0.0.1:0)");
  }
  socklen_t len = sizeof addr;
  if (getsockname(listener.get(), reinterpret_cast<struct sockaddr*>(&addr), &len) != 0) {
    return ErrnoError("getsockname(TCP listener)");
  }
  if (listen(listener.get(), 1) != 0) return ErrnoError("listen(TCP, 127.0.0.1)");
  FileDescriptor client(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!client.valid()) return ErrnoError("socket(AF_INET, SOCK_STREAM)");
  e = Configure(client.get());
  if (!e.ok()) return e;
  // On loopback the handshake completes within connect(2); the connection
  // then waits in the listener's backlog for accept.
  if (connect(client.get(), reinterpret_cast<struct sockaddr*>(&addr), sizeof addr) != 0) {
    return ErrnoError("connect(TCP, 127.0.0.1)");
  }
  FileDescriptor server(accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
  if (!server.valid()) return ErrnoError("accept4(TCP listener)");
  listener.reset();
  ByteStream s;
  s.reader = std::make_unique<FdStreamEnd>(std::move(server), true, "TCP accepted socket (reader)");
  s.writer = std::make_unique<FdStreamEnd>(std::move(client), true, "TCP client socket (writer)");
  return s;
}

ByteStreamCaps TcpCaps() {
  ByteStreamCaps c;
  c.atomic_write = 0;  // man 7 tcp promises no atomicity
  // Well under the fixed SO_SNDBUF/SO_RCVBUF (the kernel doubles them).
  c.empty_capacity = 16384;
  // man 2 send: EPIPE "The local end has been shut down on a connection
  // oriented socket. In this case, the process will also receive a SIGPIPE
  // unless MSG_NOSIGNAL is set." But only once the peer's reset arrived:
  c.sigpipe_on_broken = true;
  c.epipe_may_be_delayed = true;
  c.fork_shares_ends = true;
  c.nonblocking_by_default = false;
  c.full_stays_full = false;
  c.delivery_may_lag = true;
  return c;
}

// The Kind's C (TcpLoopbackC, tcp_loopback_c.h) serves the models whose
// reproducers follow TCP (the readiness models, suites/readiness); the
// ByteStream model's do not follow its delayed EPIPE, so the Kind itself
// says why it does not print itself.
CSnippet TcpKindC() {
  CSnippet c;
  c.why_not =
      "the ByteStream model's reproducers do not follow TCP's delayed EPIPE: after the reader's "
      "close a write may still succeed, the next fail ECONNRESET (caps.epipe_may_be_delayed); "
      "the readiness models print this Kind (impl/inet/tcp_loopback_c.h)";
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"tcp_loopback", "inet",
                                           "TCP on 127.0.0.1: accepted socket reads, client writes",
                                           TcpCaps(), OpenTcpLoopback},
                            TcpKindC()));

}  // namespace
}  // namespace ipcspec
