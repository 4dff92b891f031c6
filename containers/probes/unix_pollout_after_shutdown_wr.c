/* unix_pollout_after_shutdown_wr: an AF_UNIX socket whose way to its peer is
   full reports no POLLOUT, and still none after its own shutdown(SHUT_WR).
     man 2 poll: "POLLOUT Writing is now possible"; man 2 shutdown: "If how is
     SHUT_WR, further transmissions will be disallowed."
   Linux: POLLOUT follows room in the peer's queue, not the shutdown (the
   pages say nothing of POLLOUT after SHUT_WR; this is what Linux does, and
   what a poller waiting for room relies on). gVisor (runsc 0.0~20240729.0)
   reports POLLOUT as soon as the end is shut down, full or not, on
   SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM alike (socketpair, pathname and
   abstract ends: the same code).
   Finding: containers/divergences/gvisor.tsv,
   Kinds/UnixLife.PollOutAfterShutdownWrFollowsRoom/{stream,seqpacket,dgram}_{pair,path,abstract}.
     cc -o unix_pollout_after_shutdown_wr unix_pollout_after_shutdown_wr.c
     ./unix_pollout_after_shutdown_wr; runsc --network=none do ./unix_pollout_after_shutdown_wr
   Exit status: 0 as Linux documents and does, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int pollnow(int fd, short ev) {
  struct pollfd p = {fd, ev, 0};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

int main(void) {
  alarm(10); /* every call here is non-blocking; a hang still ends */
  const struct { int type; const char *name; } types[] = {
      {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_DGRAM, "SOCK_DGRAM"}};
  int failed = 0;
  for (int t = 0; t < 3; t++) {
    int sv[2];
    if (socketpair(AF_UNIX, types[t].type | SOCK_NONBLOCK, 0, sv) != 0) {
      printf("SETUP: socketpair(%s): %s\n", types[t].name, strerror(errno));
      return 2;
    }
    static char chunk[4096];
    int n = 0;
    while (send(sv[0], chunk, sizeof chunk, MSG_NOSIGNAL) > 0 && n < 100000) n++;
    if (errno != EAGAIN) {
      printf("SETUP: %s: filling the way to the peer: %s\n", types[t].name, strerror(errno));
      return 2;
    }
    int full = pollnow(sv[0], POLLOUT);
    shutdown(sv[0], SHUT_WR);
    int shut = pollnow(sv[0], POLLOUT);
    if (full & POLLOUT || shut & POLLOUT) {
      printf("man 2 poll says \"POLLOUT Writing is now possible\" (Linux: it follows room in the "
             "peer's queue, not the shutdown); got: %s, full after %d sends: POLLOUT %s before "
             "shutdown(SHUT_WR), %s after it\n", types[t].name, n,
             full & POLLOUT ? "set" : "clear", shut & POLLOUT ? "set" : "clear");
      failed = 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  if (!failed) printf("ok: no POLLOUT on a full end after its SHUT_WR (stream, seqpacket, dgram)\n");
  return failed;
}
