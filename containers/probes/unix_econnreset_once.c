/* unix_econnreset_once: when the peer of a connected AF_UNIX stream or
   seqpacket socket closes with data it never read, the next receive fails
   ECONNRESET once; the receives after it see end of file.
     man 7 unix, ERRORS: "ECONNRESET Remote socket was unexpectedly closed.";
     man 2 recv: "When a stream socket peer has performed an orderly shutdown,
     the return value will be 0 (the traditional "end-of-file" return)."
   Linux reports the reset once (the socket's pending error is cleared by
   reading it), then 0. gVisor (runsc 0.0~20240729.0) fails every later
   receive ECONNRESET too.
   Finding: containers/divergences/gvisor.tsv,
   Kinds/UnixConnLife.PeerClosedWithUnreadDataGivesEconnreset/{stream,seqpacket}_{pair,path,abstract}.
     cc -o unix_econnreset_once unix_econnreset_once.c
     ./unix_econnreset_once; runsc --network=none do ./unix_econnreset_once
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* receives are MSG_DONTWAIT; a hang still ends */
  const struct { int type; const char *name; } types[] = {
      {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_SEQPACKET, "SOCK_SEQPACKET"}};
  int failed = 0;
  for (int t = 0; t < 2; t++) {
    int sv[2];
    if (socketpair(AF_UNIX, types[t].type, 0, sv) != 0) {
      printf("SETUP: socketpair(%s): %s\n", types[t].name, strerror(errno));
      return 2;
    }
    if (send(sv[0], "unread", 6, MSG_NOSIGNAL) != 6) {
      printf("SETUP: send: %s\n", strerror(errno));
      return 2;
    }
    close(sv[1]); /* the peer closes with "unread" in its queue */
    char buf[64];
    ssize_t k1 = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
    int e1 = errno;
    ssize_t k2 = recv(sv[0], buf, sizeof buf, MSG_DONTWAIT);
    int e2 = errno;
    if (!(k1 == -1 && e1 == ECONNRESET)) {
      printf("man 7 unix says \"ECONNRESET Remote socket was unexpectedly closed.\"; got: %s, "
             "the peer closed with unread data, recv returned %zd (%s)\n", types[t].name, k1,
             k1 < 0 ? strerror(e1) : "no error");
      failed = 1;
    } else if (k2 != 0) {
      printf("man 2 recv says an orderly shut down peer gives \"0 (the traditional "
             "\"end-of-file\" return)\" (Linux: ECONNRESET is reported once, then end of file); "
             "got: %s, the receive after ECONNRESET returned %zd (%s)\n", types[t].name, k2,
             k2 < 0 ? strerror(e2) : "data");
      failed = 1;
    }
    close(sv[0]);
  }
  if (!failed) printf("ok: ECONNRESET once, then end of file (stream, seqpacket)\n");
  return failed;
}
