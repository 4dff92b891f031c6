// AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET socketpair(2)s as Datagram Kinds.
//
// man 7 unix: "SOCK_DGRAM, for a datagram-oriented socket that preserves
// message boundaries (as on most UNIX implementations, UNIX domain datagram
// sockets are always reliable and don't reorder datagrams); and (since Linux
// 2.6.4) SOCK_SEQPACKET, for a sequenced-packet socket that is
// connection-oriented, preserves message boundaries, and delivers messages in
// the order that they were sent."
#include <sys/socket.h>

#include "impl/api/datagram.h"

namespace ipcspec {
namespace {

PosixErrorOr<DatagramChannel> OpenUnixPair(int type, const char* what) {
  int sv[2];
  if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError(std::string("socketpair(AF_UNIX, ") + what + ")");
  }
  DatagramChannel c;
  c.a = std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[0]), std::string(what) + " end A");
  c.b = std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[1]), std::string(what) + " end B");
  return c;
}

DatagramCaps UnixCaps() {
  DatagramCaps c;
  c.ordered = true;    // man 7 unix: "always reliable and don't reorder datagrams"
  c.may_drop = false;  // idem; and SOCK_SEQPACKET is connection-oriented
  c.reliable_delivery_when_not_full = true;
  // A socketpair's senders are limited by SO_SNDBUF (default
  // net.core.wmem_default, 212992): eight messages of 4096 bytes use a small
  // part of it. (The net.unix.max_dgram_qlen limit applies only to a sender
  // that is not its receiver's peer, so not to a socketpair.)
  c.guaranteed_queue = 8;
  c.max_message = 4096;
  c.reports_real_length = true;  // man 2 recv MSG_TRUNC: UNIX datagram since Linux 3.4
  c.fork_shares = true;
  return c;
}

// The same socket pair as C, for the reproducers (impl/repro): endpoint A
// is afd, endpoint B bfd.
CSnippet UnixPairC(const char* type) {
  CSnippet c;
  c.includes = "#include <sys/socket.h>\n";
  c.globals = "static int afd = -1, bfd = -1;      /* endpoint A, endpoint B */\n";
  c.setup = std::string("{\n  int sv[2];\n  if (socketpair(AF_UNIX, ") + type +
            " | SOCK_CLOEXEC, 0, sv) != 0)\n    setup_failed(\"socketpair(AF_UNIX, " + type +
            ")\");\n  afd = sv[0];\n  bfd = sv[1];\n}\n";
  c.teardown = "if (afd >= 0) close(afd);\nif (bfd >= 0) close(bfd);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(DatagramInterface,
                      WithC(DatagramKind{"unix_dgram_socketpair", "unix_socket",
                                         "socketpair(AF_UNIX, SOCK_DGRAM)", UnixCaps(),
                                         [] { return OpenUnixPair(SOCK_DGRAM, "SOCK_DGRAM"); }},
                            UnixPairC("SOCK_DGRAM")));
IPCSPEC_REGISTER_KIND(DatagramInterface,
                      WithC(DatagramKind{"unix_seqpacket_socketpair", "unix_socket",
                                         "socketpair(AF_UNIX, SOCK_SEQPACKET)", UnixCaps(), [] {
                                           return OpenUnixPair(SOCK_SEQPACKET, "SOCK_SEQPACKET");
                                         }},
                            UnixPairC("SOCK_SEQPACKET")));

}  // namespace
}  // namespace ipcspec
