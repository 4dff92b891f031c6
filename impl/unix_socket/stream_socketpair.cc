// AF_UNIX SOCK_STREAM socketpair(2) as a ByteStream: one end reads, the other
// writes. It shows that the stream suite serves mechanisms other than pipes.
#include <sys/socket.h>
#include <unistd.h>

#include "impl/api/fd_stream_end.h"

namespace ipcspec {
namespace {

PosixErrorOr<ByteStream> OpenStreamSocketpair() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError("socketpair(AF_UNIX, SOCK_STREAM)");
  }
  ByteStream s;
  s.reader = std::make_unique<FdStreamEnd>(FileDescriptor(sv[0]), true, "socketpair reading end");
  s.writer = std::make_unique<FdStreamEnd>(FileDescriptor(sv[1]), true, "socketpair writing end");
  return s;
}

ByteStreamCaps SocketpairCaps() {
  ByteStreamCaps c;
  // man 7 unix promises no atomicity for SOCK_STREAM writes.
  c.atomic_write = 0;
  // Well under the default SO_SNDBUF (net.core.wmem_default, 212992).
  c.empty_capacity = 32768;
  // man 7 unix / man 2 send: EPIPE, and SIGPIPE unless MSG_NOSIGNAL.
  c.sigpipe_on_broken = true;
  return c;
}

// The same socket pair as C, for the reproducers (impl/repro).
CSnippet SocketpairC() {
  CSnippet c;
  c.includes = "#include <sys/socket.h>\n";
  c.globals =
      "static int rfd = -1, wfd = -1;      /* the reading end and the writing end */\n"
      "static const int stream_is_socket = 1; /* send/recv, MSG_DONTWAIT */\n";
  c.setup =
      "{\n"
      "  int sv[2];\n"
      "  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)\n"
      "    setup_failed(\"socketpair(AF_UNIX, SOCK_STREAM)\");\n"
      "  rfd = sv[0];\n"
      "  wfd = sv[1];\n"
      "}\n";
  c.teardown = "if (rfd >= 0) close(rfd);\nif (wfd >= 0) close(wfd);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"unix_stream_socketpair", "unix_socket",
                                           "socketpair(AF_UNIX, SOCK_STREAM)", SocketpairCaps(),
                                           OpenStreamSocketpair},
                            SocketpairC()));

}  // namespace
}  // namespace ipcspec
