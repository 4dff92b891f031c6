/* unix_zero_length_datagram_lost: a zero-length datagram sent on an AF_UNIX
   SOCK_DGRAM socket is a message: the receiver gets it, as 0 bytes.
     man 2 recv: "Datagram sockets in various domains (e.g., the UNIX and
     Internet domains) permit zero-length datagrams.  When such a datagram is
     received, the return value is 0."
   Linux delivers it. gVisor (runsc 0.0~20240729.0) drops it: the receiver
   sees nothing (EAGAIN), or the next datagram.
   Findings: containers/divergences/gvisor.tsv, UnixDatagram.ZeroLengthDatagramIsAMessage,
   Unix/MessageSocket.AgreesWithAMessageListModel/Dgram.
     cc -o unix_zero_length_datagram_lost unix_zero_length_datagram_lost.c
     ./unix_zero_length_datagram_lost; runsc --network=none do ./unix_zero_length_datagram_lost
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* receives are MSG_DONTWAIT; a hang still ends */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0) {
    printf("SETUP: socketpair: %s\n", strerror(errno));
    return 2;
  }
  ssize_t s0 = send(sv[0], "", 0, 0);
  ssize_t s1 = send(sv[0], "next", 4, 0);
  if (s0 != 0 || s1 != 4) {
    printf("SETUP: send: %zd %zd %s\n", s0, s1, strerror(errno));
    return 2;
  }
  char buf[16];
  ssize_t k1 = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
  int e1 = errno;
  ssize_t k2 = recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
  close(sv[0]);
  close(sv[1]);
  if (k1 != 0 || k2 != 4) {
    printf("man 2 recv says \"Datagram sockets ... permit zero-length datagrams.  When such a "
           "datagram is received, the return value is 0.\"; got: after sending \"\" then "
           "\"next\", the receives returned %zd%s%s then %zd\n", k1, k1 < 0 ? " errno " : "",
           k1 < 0 ? strerror(e1) : "", k2);
    return 1;
  }
  printf("ok: the zero-length datagram came first, as a 0-byte message\n");
  return 0;
}
