/* unix_dgram_size_limit_not_doubled_sndbuf_less_32: an AF_UNIX datagram
   larger than twice SO_SNDBUF less 32 bytes fails EMSGSIZE; one of that
   size is sent.
     man 7 unix, Sockets API: "For datagram sockets, the SO_SNDBUF value
     imposes an upper limit on the size of outgoing datagrams.  This limit is
     calculated as the doubled (see socket(7)) option value less 32 bytes
     used for overhead."
     man 2 send: "EMSGSIZE The socket type requires that message be sent
     atomically, and the size of the message to be sent made this
     impossible."
   With SO_SNDBUF set to 16384 (read back as 32768), Linux refuses a
   datagram of 32768 - 31 bytes with EMSGSIZE and sends one of 32768 - 32.
   gVisor (runsc 0.0~20240729.0) sends the larger one (the test, which
   does not drain it, then sees the one at the limit fail EAGAIN: the
   buffer is full; here it is drained, and the one at the limit is sent).
   Finding: containers/divergences/gvisor.tsv,
   UnixDatagram.DatagramOverDoubledSndbufLess32FailsEmsgsize.
   Needs /proc/sys/net/core/wmem_max of at least 16384 (Linux's default is
   212992).
     cc -o unix_dgram_size_limit_not_doubled_sndbuf_less_32 unix_dgram_size_limit_not_doubled_sndbuf_less_32.c
     ./unix_dgram_size_limit_not_doubled_sndbuf_less_32
     runsc --network=none do ./unix_dgram_size_limit_not_doubled_sndbuf_less_32
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* every call is non-blocking (MSG_DONTWAIT); a hang still ends */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
  const int req = 16384;
  int doubled = -1;
  socklen_t len = sizeof doubled;
  if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &req, sizeof req) != 0 ||
      getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &doubled, &len) != 0) {
    printf("SETUP: SO_SNDBUF: %s\n", strerror(errno));
    return 2;
  }
  if (doubled != 2 * req) {
    printf("SETUP: SO_SNDBUF %d reads back as %d, not %d (man 7 socket: \"this doubled value is "
           "returned by getsockopt(2)\"; is wmem_max below %d?)\n", req, doubled, 2 * req, req);
    return 2;
  }
  char *buf = malloc(doubled);
  if (!buf) return 2;
  memset(buf, 'b', doubled);
  int rc = 0;
  ssize_t n = send(sv[0], buf, doubled - 31, MSG_DONTWAIT);
  if (!(n == -1 && errno == EMSGSIZE)) {
    printf("man 7 unix says the datagram size limit \"is calculated as the doubled ... option value "
           "less 32 bytes\" and man 2 send says EMSGSIZE when \"the size of the message ... made this "
           "impossible\"; got: send of %d bytes (SO_SNDBUF reads %d) returned %zd (%s)\n",
           doubled - 31, doubled, n, n < 0 ? strerror(errno) : "sent");
    rc = 1;
  }
  if (n > 0) { /* drain what was sent, so the next send has room */
    char *r = malloc(doubled);
    while (r && recv(sv[1], r, doubled, MSG_DONTWAIT) > 0) {}
    free(r);
  }
  n = send(sv[0], buf, doubled - 32, MSG_DONTWAIT);
  if (n != doubled - 32) {
    printf("man 7 unix says the datagram size limit \"is calculated as the doubled ... option value "
           "less 32 bytes\"; got: send of %d bytes, at the limit, to an empty receiver returned %zd "
           "(%s)\n", doubled - 32, n, n < 0 ? strerror(errno) : "short");
    rc = 1;
  }
  if (rc == 0) printf("ok: the datagram limit is twice SO_SNDBUF less 32 (%d bytes)\n", doubled - 32);
  free(buf);
  close(sv[0]);
  close(sv[1]);
  return rc;
}
