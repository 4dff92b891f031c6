/* unix_socket_rules_not_kept: three rules of man 7 unix for AF_UNIX sockets
   that gVisor (runsc 0.0~20240729.0) does not keep; Linux keeps each.
   1. Autobind on connect with SO_PASSCRED: "If a bind(2) call specifies
      addrlen as sizeof(sa_family_t), or the SO_PASSCRED socket option was
      specified for a socket that was not explicitly bound to an address,
      then the socket is autobound to an abstract address." (Autobind
      feature). gVisor: connect(2) of an unbound datagram socket with
      SO_PASSCRED leaves it unnamed.
   2. "EPROTOTYPE Remote socket does not match the local socket type
      (SOCK_DGRAM versus SOCK_STREAM)." gVisor: connect(2) of a stream
      socket to a bound datagram socket's path fails ECONNREFUSED.
   3. "UNIX domain sockets do not support the transmission of out-of-band
      data (the MSG_OOB flag for send(2) and recv(2))."; "EOPNOTSUPP ... or
      tried to use the out-of-band data option." (Linux 5.15 and later
      support MSG_OOB on SOCK_STREAM only; datagram and seqpacket sockets
      fail EOPNOTSUPP.) gVisor: send and recv with MSG_OOB succeed on them.
   Findings: containers/divergences/gvisor.tsv, Autobind.ConnectingADatagramSocketWithSoPasscredAutobindsIt,
   PathnameSocket.ConnectToANonListeningOrMismatchedSocket, UnixOobTypes.MsgOobOnAMessageSocketFailsEopnotsupp.
     cc -o unix_socket_rules_not_kept unix_socket_rules_not_kept.c
     ./unix_socket_rules_not_kept; runsc --network=none do ./unix_socket_rules_not_kept
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  char dir[] = "/tmp/repro-unix-XXXXXX";
  if (!mkdtemp(dir)) { printf("SETUP: mkdtemp: %s\n", strerror(errno)); return 2; }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/dgram", dir);
  int d = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (d < 0 || bind(d, (struct sockaddr *)&a, sizeof a) != 0) {
    printf("SETUP: bind: %s\n", strerror(errno));
    rc = 2;
    goto out;
  }
  /* 1. Autobind on connect with SO_PASSCRED. */
  {
    int s = socket(AF_UNIX, SOCK_DGRAM, 0), on = 1;
    setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof on);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    struct sockaddr_un n;
    socklen_t len = sizeof n;
    memset(&n, 0, sizeof n);
    getsockname(s, (struct sockaddr *)&n, &len);
    int autobound = r == 0 && len == offsetof(struct sockaddr_un, sun_path) + 6 && n.sun_path[0] == 0;
    if (!autobound) {
      printf("man 7 unix says a socket with \"the SO_PASSCRED socket option\" that \"was not "
             "explicitly bound to an address ... is autobound to an abstract address\"; got: after "
             "connect (returned %d), getsockname gives an address of length %u%s\n", r,
             (unsigned)len, len == offsetof(struct sockaddr_un, sun_path) ? " (unnamed)" : "");
      rc = 1;
    }
    close(s);
  }
  /* 2. EPROTOTYPE: a stream socket connecting to a datagram socket's path. */
  {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, sizeof a);
    int e = errno;
    if (!(r == -1 && e == EPROTOTYPE)) {
      printf("man 7 unix says \"EPROTOTYPE Remote socket does not match the local socket type "
             "(SOCK_DGRAM versus SOCK_STREAM).\"; got: connect of a SOCK_STREAM socket to a bound "
             "SOCK_DGRAM socket's path returned %d%s%s\n", r, r < 0 ? " errno " : "",
             r < 0 ? strerror(e) : "");
      rc = 1;
    }
    close(s);
  }
  /* 3. MSG_OOB on datagram and seqpacket sockets. */
  const int types[2] = {SOCK_DGRAM, SOCK_SEQPACKET};
  const char *tn[2] = {"SOCK_DGRAM", "SOCK_SEQPACKET"};
  for (int t = 0; t < 2; t++) {
    int sv[2];
    if (socketpair(AF_UNIX, types[t], 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); rc = 2; goto out; }
    long r = send(sv[0], "x", 1, MSG_OOB | MSG_NOSIGNAL);
    int e = errno;
    if (!(r == -1 && e == EOPNOTSUPP)) {
      printf("man 7 unix says \"EOPNOTSUPP ... tried to use the out-of-band data option.\"; got: "
             "send(MSG_OOB) on a %s socketpair returned %ld%s%s\n", tn[t], r,
             r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  if (rc == 0) printf("ok: autobind on connect with SO_PASSCRED, EPROTOTYPE, EOPNOTSUPP for MSG_OOB\n");
out:
  if (d >= 0) close(d);
  unlink(a.sun_path);
  rmdir(dir);
  return rc;
}
