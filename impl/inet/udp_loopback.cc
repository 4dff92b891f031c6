// Loopback UDP as a Datagram Kind: two UDP sockets, each bound to 127.0.0.1
// port 0 (an ephemeral port), connected to each other. Only 127.0.0.1 is
// ever used.
//
// man 7 udp: "It implements a connectionless, unreliable datagram packet
// service. Packets may be reordered or duplicated before they arrive." and
// "It doesn't guarantee reliability or ordering" (the man page's summary of
// SOCK_DGRAM in man 7 socket). The caps say so: not ordered, may drop.
// (Duplication is a network's doing; on loopback the suite holds UDP to "no
// duplicates", which the kernel keeps.)
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "impl/api/datagram.h"

namespace ipcspec {
namespace {

PosixErrorOr<FileDescriptor> BoundUdp(struct sockaddr_in* addr) {
  FileDescriptor fd(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket(AF_INET, SOCK_DGRAM)");
  struct sockaddr_in a = {};
  a.sin_family = AF_INET;
  a.sin_port = 0;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);  // 127.0.0.1 only
  if (bind(fd.get(), reinterpret_cast<struct sockaddr*>(&a), sizeof a) != 0) {
    return ErrnoError("bind(UDP, 127.0.0.1:0)");
  }
  socklen_t len = sizeof *addr;
  if (getsockname(fd.get(), reinterpret_cast<struct sockaddr*>(addr), &len) != 0) {
    return ErrnoError("getsockname(UDP)");
  }
  return fd;
}

PosixErrorOr<DatagramChannel> OpenUdpLoopback() {
  struct sockaddr_in aa = {}, ba = {};
  auto a = BoundUdp(&aa);
  if (!a.ok()) return a.error();
  auto b = BoundUdp(&ba);
  if (!b.ok()) return b.error();
  FileDescriptor fa = std::move(a).ValueOrDie();
  FileDescriptor fb = std::move(b).ValueOrDie();
  if (connect(fa.get(), reinterpret_cast<struct sockaddr*>(&ba), sizeof ba) != 0) {
    return ErrnoError("connect(UDP A to B on 127.0.0.1)");
  }
  if (connect(fb.get(), reinterpret_cast<struct sockaddr*>(&aa), sizeof aa) != 0) {
    return ErrnoError("connect(UDP B to A on 127.0.0.1)");
  }
  DatagramChannel c;
  c.a = std::make_unique<FdDatagramEndpoint>(std::move(fa), "UDP 127.0.0.1 end A");
  c.b = std::make_unique<FdDatagramEndpoint>(std::move(fb), "UDP 127.0.0.1 end B");
  return c;
}

DatagramCaps UdpCaps() {
  DatagramCaps c;
  c.ordered = false;  // man 7 udp: no ordering promise
  c.may_drop = true;  // man 7 udp: "unreliable"; a full receive buffer drops
  c.reliable_delivery_when_not_full = false;
  // The suites keep UDP traffic tiny: at most 8 messages of at most 1024
  // bytes in flight per direction, on loopback only.
  c.guaranteed_queue = 8;
  c.max_message = 1024;
  // man 2 recv MSG_TRUNC: "Internet datagram (since Linux 2.4.27/2.6.8)";
  // man 7 udp: "when it is bigger, the packet is truncated and the MSG_TRUNC
  // flag is set".
  c.reports_real_length = true;
  c.fork_shares = true;
  return c;
}

// The same pair as C, for the reproducers (impl/repro): what
// OpenUdpLoopback does, on 127.0.0.1 only; endpoint A is afd, B bfd.
CSnippet UdpLoopbackC() {
  CSnippet c;
  c.includes = "#include <arpa/inet.h>\n#include <netinet/in.h>\n#include <sys/socket.h>\n";
  c.globals =
      "static int afd = -1, bfd = -1;      /* endpoint A, endpoint B */\n"
      "/* A UDP socket bound to 127.0.0.1 port 0 (only 127.0.0.1 is used); its address. */\n"
      "static int udp_bound(struct sockaddr_in *addr) {\n"
      "  socklen_t len = sizeof *addr;\n"
      "  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);\n"
      "  if (fd < 0) setup_failed(\"socket(AF_INET, SOCK_DGRAM)\");\n"
      "  memset(addr, 0, sizeof *addr);\n"
      "  addr->sin_family = AF_INET;\n"
      "  addr->sin_port = 0;\n"
      "  addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);\n"
      "  if (bind(fd, (struct sockaddr *)addr, sizeof *addr) != 0) setup_failed(\"bind\");\n"
      "  if (getsockname(fd, (struct sockaddr *)addr, &len) != 0) setup_failed(\"getsockname\");\n"
      "  return fd;\n"
      "}\n";
  c.setup =
      "{\n"
      "  struct sockaddr_in aa, ba;\n"
      "  afd = udp_bound(&aa);\n"
      "  bfd = udp_bound(&ba);\n"
      "  if (connect(afd, (struct sockaddr *)&ba, sizeof ba) != 0) setup_failed(\"connect(A to B)\");\n"
      "  if (connect(bfd, (struct sockaddr *)&aa, sizeof aa) != 0) setup_failed(\"connect(B to A)\");\n"
      "}\n";
  c.teardown = "if (afd >= 0) close(afd);\nif (bfd >= 0) close(bfd);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(DatagramInterface,
                      WithC(DatagramKind{"udp_loopback", "inet",
                                         "two UDP sockets on 127.0.0.1, connected to each other",
                                         UdpCaps(), OpenUdpLoopback},
                            UdpLoopbackC()));

}  // namespace
}  // namespace ipcspec
