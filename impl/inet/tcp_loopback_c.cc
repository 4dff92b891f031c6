// tcp_loopback (tcp_loopback.cc) as C, for the reproducers (impl/repro).
#include "impl/inet/tcp_loopback_c.h"

#include <string>

namespace ipcspec {

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
      "  int v = " + std::to_string(kTcpLoopbackBufferBytes) + ", one = 1;\n"
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

}  // namespace ipcspec
