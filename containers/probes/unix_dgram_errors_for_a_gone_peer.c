/* unix_dgram_errors_for_a_gone_peer: sending on an AF_UNIX datagram socket to
   a peer that closed fails ECONNREFUSED (then ENOTCONN, the association
   gone), and sendto a pathname whose socket closed fails ECONNREFUSED.
     man 7 unix, ERRORS: "ECONNREFUSED The remote address specified by
     connect(2) was not a listening socket.  This error can also occur if
     the target pathname is not a socket."; man 2 send: "ENOTCONN The socket
     is not connected, and no target has been given."
   Linux: send to the closed connected peer fails ECONNREFUSED, then
   ENOTCONN; sendto the closed socket's path fails ECONNREFUSED. gVisor
   (runsc 0.0~20240729.0): EPIPE for the first, EINVAL for the second.
   Findings: containers/divergences/gvisor.tsv, UnixDatagram.SendToAPeerThatClosedFailsEconnrefused,
   UnixDatagram.SendtoANameWhoseSocketIsGone.
     cc -o unix_dgram_errors_for_a_gone_peer unix_dgram_errors_for_a_gone_peer.c
     ./unix_dgram_errors_for_a_gone_peer; runsc --network=none do ./unix_dgram_errors_for_a_gone_peer
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int rc;

static void expect(long r, int e, int want, const char *what, const char *says) {
  if (!(r == -1 && e == want)) {
    printf("%s; got: %s returned %ld%s%s, expected %s\n", says, what, r,
           r < 0 ? " errno " : "", r < 0 ? strerror(e) : "", strerrorname_np(want));
    rc = 1;
  }
}

int main(void) {
  alarm(10); /* datagram sends do not block here; a hang still ends */
  char dir[] = "/tmp/repro-dgram-XXXXXX";
  if (!mkdtemp(dir)) { printf("SETUP: mkdtemp: %s\n", strerror(errno)); return 2; }
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  snprintf(a.sun_path, sizeof a.sun_path, "%s/peer", dir);
  int peer = socket(AF_UNIX, SOCK_DGRAM, 0), s = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (peer < 0 || s < 0 || bind(peer, (struct sockaddr *)&a, sizeof a) ||
      connect(s, (struct sockaddr *)&a, sizeof a)) {
    printf("SETUP: %s\n", strerror(errno));
    rc = 2;
    goto out;
  }
  close(peer); /* the connected peer goes away; its path stays */
  long r = send(s, "x", 1, MSG_NOSIGNAL);
  int e = errno;
  expect(r, e, ECONNREFUSED, "send on the socket whose connected peer closed",
         "man 7 unix says \"ECONNREFUSED The remote address specified by connect(2) was not a "
         "listening socket.\"");
  r = send(s, "x", 1, MSG_NOSIGNAL);
  e = errno;
  expect(r, e, ENOTCONN, "the next send", "man 2 send says \"ENOTCONN The socket is not connected, and no target has been given.\"");
  int t = socket(AF_UNIX, SOCK_DGRAM, 0);
  r = sendto(t, "x", 1, MSG_NOSIGNAL, (struct sockaddr *)&a, sizeof a);
  e = errno;
  close(t);
  expect(r, e, ECONNREFUSED, "sendto the path of the closed socket",
         "man 7 unix says \"ECONNREFUSED ... This error can also occur if the target pathname is "
         "not a socket.\"");
  if (rc == 0) printf("ok: ECONNREFUSED then ENOTCONN, and ECONNREFUSED for the gone socket's path\n");
out:
  if (s >= 0) close(s);
  unlink(a.sun_path);
  rmdir(dir);
  return rc;
}
