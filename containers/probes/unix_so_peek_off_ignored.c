/* unix_so_peek_off_ignored: with SO_PEEK_OFF set, each MSG_PEEK of an AF_UNIX
   socket starts at the peek offset and moves it on.
     man 7 socket: "SO_PEEK_OFF (since Linux 3.4) This option, which is
     currently supported only for unix(7) sockets, sets the value of the
     "peek offset" for the recv(2) system call when used with MSG_PEEK flag.
     When this option is set to a negative value (it is set to -1 for all new
     sockets), traditional behavior is provided: recv(2) with the MSG_PEEK
     flag will peek data from the front of the queue. When the option is set
     to a value greater than or equal to zero, then the next peek at data
     queued in the socket will occur at the byte offset specified by the
     option value. At the same time, the "peek offset" will be incremented by
     the number of bytes that were peeked from the queue, so that a
     subsequent peek will return the next data in the queue."
   Linux: "aaaabbbb" peeked 4 then 100 bytes gives "aaaa" then "bbbb"; with
   everything peeked, a non-blocking peek finds nothing (EAGAIN). gVisor
   (runsc 0.0~20240729.0) accepts the option and ignores it: every peek
   starts at the front of the queue (so a blocking peek never waits).
   Findings: containers/divergences/gvisor.tsv, Types/UnixPeekOff.{PeeksWalkThroughTheQueue,
   APeekAfterAPartialPeekStopsAtMessageBoundaries,ABlockedPeekReturnsTheNextChunk}/{stream,seqpacket,dgram}.
     cc -o unix_so_peek_off_ignored unix_so_peek_off_ignored.c
     ./unix_so_peek_off_ignored; runsc --network=none do ./unix_so_peek_off_ignored
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SO_PEEK_OFF
#define SO_PEEK_OFF 42
#endif

int main(void) {
  alarm(10); /* every peek is MSG_DONTWAIT; a hang still ends */
  const struct { int type; const char *name; } types[] = {
      {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_DGRAM, "SOCK_DGRAM"}};
  int failed = 0;
  for (int t = 0; t < 3; t++) {
    int sv[2];
    const int zero = 0;
    if (socketpair(AF_UNIX, types[t].type, 0, sv) != 0 ||
        setsockopt(sv[1], SOL_SOCKET, SO_PEEK_OFF, &zero, sizeof zero) != 0) {
      printf("SETUP: %s: socketpair or setsockopt(SO_PEEK_OFF, 0): %s\n", types[t].name,
             strerror(errno));
      return 2;
    }
    send(sv[0], "aaaabbbb", 8, 0);
    char p1[16] = {0}, p2[128] = {0};
    ssize_t k1 = recv(sv[1], p1, 4, MSG_PEEK | MSG_DONTWAIT);
    ssize_t k2 = recv(sv[1], p2, sizeof p2 - 1, MSG_PEEK | MSG_DONTWAIT);
    char p3[16];
    ssize_t k3 = recv(sv[1], p3, sizeof p3, MSG_PEEK | MSG_DONTWAIT);
    int e3 = errno;
    if (k1 != 4 || memcmp(p1, "aaaa", 4) || k2 != 4 || memcmp(p2, "bbbb", 4) ||
        !(k3 == -1 && e3 == EAGAIN)) {
      printf("man 7 socket says of SO_PEEK_OFF \"a subsequent peek will return the next data "
             "in the queue\"; got: %s, SO_PEEK_OFF 0, \"aaaabbbb\" queued: peeks of 4, 128 and "
             "16 bytes returned \"%.*s\", \"%.*s\" and %s\n", types[t].name,
             (int)(k1 > 0 ? k1 : 0), p1, (int)(k2 > 0 ? k2 : 0), p2,
             k3 >= 0 ? "data again (the offset was ignored)" : strerror(e3));
      failed = 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  if (!failed) printf("ok: peeks walk through the queue from SO_PEEK_OFF (stream, seqpacket, dgram)\n");
  return failed;
}
