/* unix_sockopt_level_and_so_inq: AF_UNIX socket options at a level the
   socket lacks fail EOPNOTSUPP, and SO_INQ on a message socket fails
   ENOPROTOOPT.
     man 2 getsockopt, ERRORS: "ENOPROTOOPT The option is unknown at the level
     indicated."; man 7 unix, ERRORS: "EOPNOTSUPP Stream operation called on
     non-stream oriented socket or tried to use the out-of-band data option."
   Linux: getsockopt and setsockopt of an AF_UNIX stream socket at level
   SOL_PACKET (263) or IPPROTO_TCP fail EOPNOTSUPP (the level is not the
   socket's; man 2 getsockopt's ENOPROTOOPT is for an option unknown at a
   level the socket has); SO_INQ (Linux 6.17 and later; an unknown option on
   older kernels, ENOPROTOOPT as well) on SOCK_DGRAM and SOCK_SEQPACKET fails
   ENOPROTOOPT. gVisor (runsc 0.0~20240729.0): ENOPROTOOPT for the levels,
   and SO_INQ accepted on the message sockets.
   Findings: containers/divergences/gvisor.tsv, UnixSockopt.ALevelTheSocketLacksFailsEopnotsupp,
   UnixInq.MessageSocketsRefuseSoInq.
     cc -o unix_sockopt_level_and_so_inq unix_sockopt_level_and_so_inq.c
     ./unix_sockopt_level_and_so_inq; runsc --network=none do ./unix_sockopt_level_and_so_inq
   Exit status: 0 as Linux documents and does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_PACKET
#define SOL_PACKET 263
#endif
#define SO_INQ_OPT 84 /* SO_INQ, Linux 6.17 */

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0, sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  const int levels[2] = {SOL_PACKET, IPPROTO_TCP};
  for (int i = 0; i < 2; i++) {
    int v = 1;
    socklen_t len = sizeof v;
    int g = getsockopt(sv[0], levels[i], 1, &v, &len);
    int ge = errno;
    int s = setsockopt(sv[0], levels[i], 1, &v, sizeof v);
    int se = errno;
    if (!(g == -1 && ge == EOPNOTSUPP) || !(s == -1 && se == EOPNOTSUPP)) {
      printf("man 7 unix says \"EOPNOTSUPP Stream operation called on non-stream oriented socket\" "
             "(Linux: a level the AF_UNIX socket lacks), where man 2 getsockopt's \"ENOPROTOOPT The "
             "option is unknown at the level indicated.\" is for a level it has; got: at level %d, "
             "getsockopt %s, setsockopt %s\n", levels[i], g ? strerror(ge) : "succeeded",
             s ? strerror(se) : "succeeded");
      rc = 1;
    }
  }
  close(sv[0]);
  close(sv[1]);
  const int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
  const char *tn[2] = {"SOCK_DGRAM", "SOCK_SEQPACKET"};
  for (int t = 0; t < 2; t++) {
    if (socketpair(AF_UNIX, types[t], 0, sv) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
    const int on = 1;
    int r = setsockopt(sv[1], SOL_SOCKET, SO_INQ_OPT, &on, sizeof on);
    int e = errno;
    if (!(r == -1 && e == ENOPROTOOPT)) {
      printf("man 2 setsockopt says \"ENOPROTOOPT The option is unknown at the level indicated.\" "
             "(SO_INQ is for SOCK_STREAM); got: setsockopt(SO_INQ) on a %s socket returned %d%s%s\n",
             tn[t], r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  if (rc == 0) printf("ok: EOPNOTSUPP for a level the socket lacks, ENOPROTOOPT for SO_INQ on message sockets\n");
  return rc;
}
