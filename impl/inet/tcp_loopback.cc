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

namespace ipcspec {
namespace {

// Fixed buffer sizes switch off autotuning, so that "fill until EAGAIN"
// ends at a size that does not depend on the history of the connection.
constexpr int kBufferBytes = 65536;

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

// The same connection as C, for the reproducers (impl/repro): what
// OpenTcpLoopback does, on 127.0.0.1 only. The ends are rfd (the accepted
// socket) and wfd (the client), as in the other ByteStream Kinds' C.
CSnippet TcpLoopbackC() {
  CSnippet c;
  c.includes =
      "#include <arpa/inet.h>\n#include <netinet/in.h>\n#include <netinet/tcp.h>\n"
      "#include <sys/socket.h>\n";
  c.globals =
      "static int rfd = -1, wfd = -1;      /* the accepted socket (reads), the client (writes) */\n"
      "static int listener = -1;\n"
      "static const int stream_is_socket = 1; /* send/recv, MSG_DONTWAIT */\n"
      "/* Fixed buffers (no autotuning) and no Nagle delay, as ipcspec sets them. */\n"
      "static void tcp_configure(int fd) {\n"
      "  int v = " + std::to_string(kBufferBytes) + ", one = 1;\n"
      "  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) != 0) setup_failed(\"SO_SNDBUF\");\n"
      "  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) != 0) setup_failed(\"SO_RCVBUF\");\n"
      "  if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) != 0)\n"
      "    setup_failed(\"TCP_NODELAY\");\n"
      "}\n";
  c.setup =
      "{\n"
      "  struct sockaddr_in addr;\n"
      "  socklen_t len = sizeof addr;\n"
      "  memset(&addr, 0, sizeof addr);\n"
      "  addr.sin_family = AF_INET;\n"
      "  addr.sin_port = 0;\n"
      "  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  /* 127.0.0.1 only */\n"
      "  listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);\n"
      "  if (listener < 0) setup_failed(\"socket(AF_INET, SOCK_STREAM)\");\n"
      "  tcp_configure(listener);\n"
      "  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) != 0) setup_failed(\"bind\");\n"
      "  if (getsockname(listener, (struct sockaddr *)&addr, &len) != 0)\n"
      "    setup_failed(\"getsockname\");\n"
      "  if (listen(listener, 1) != 0) setup_failed(\"listen\");\n"
      "  wfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);\n"
      "  if (wfd < 0) setup_failed(\"socket(AF_INET, SOCK_STREAM)\");\n"
      "  tcp_configure(wfd);\n"
      "  if (connect(wfd, (struct sockaddr *)&addr, sizeof addr) != 0) setup_failed(\"connect\");\n"
      "  rfd = accept4(listener, NULL, NULL, SOCK_CLOEXEC);\n"
      "  if (rfd < 0) setup_failed(\"accept4\");\n"
      "  close(listener);\n"
      "  listener = -1;\n"
      "}\n";
  c.teardown =
      "if (listener >= 0) close(listener);\nif (rfd >= 0) close(rfd);\nif (wfd >= 0) close(wfd);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"tcp_loopback", "inet",
                                           "TCP on 127.0.0.1: accepted socket reads, client writes",
                                           TcpCaps(), OpenTcpLoopback},
                            TcpLoopbackC()));

}  // namespace
}  // namespace ipcspec
