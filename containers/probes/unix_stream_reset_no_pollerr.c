/* unix_stream_reset_no_pollerr: when the peer of an AF_UNIX stream socket
   closes with data it never read, the surviving socket has a pending error
   (ECONNRESET), and poll(2) reports it as POLLERR.
     man 7 unix, ERRORS: "ECONNRESET Remote socket was unexpectedly closed."
     man 2 poll: "POLLERR Error condition (only returned in revents; ignored
     in events)."
     man 7 socket: "SO_ERROR Get and clear the pending socket error."
   One byte is written, and the peer closes with it unread. Linux: the
   writing socket polls POLLIN|POLLOUT|POLLRDHUP|POLLERR|POLLHUP and
   SO_ERROR reads ECONNRESET. gVisor (runsc 0.0~20240729.0) reports no
   POLLERR (POLLIN|POLLOUT|POLLRDHUP|POLLHUP) and SO_ERROR reads 0 (a
   receive still fails ECONNRESET there: unix_econnreset_once).
   Finding: containers/divergences/gvisor.tsv,
   Kinds/StreamReadiness.ModelSequences/ (any), kind unix_stream*.
     cc -o unix_stream_reset_no_pollerr unix_stream_reset_no_pollerr.c
     ./unix_stream_reset_no_pollerr; runsc --network=none do ./unix_stream_reset_no_pollerr
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void events(short ev, char *out, size_t n) {
  const struct { short bit; const char *name; } bits[] = {
      {POLLIN, "POLLIN"}, {POLLPRI, "POLLPRI"}, {POLLOUT, "POLLOUT"}, {POLLRDHUP, "POLLRDHUP"},
      {POLLERR, "POLLERR"}, {POLLHUP, "POLLHUP"}, {POLLNVAL, "POLLNVAL"}};
  out[0] = '\0';
  for (size_t i = 0; i < sizeof bits / sizeof bits[0]; i++)
    if (ev & bits[i].bit) snprintf(out + strlen(out), n - strlen(out), "%s%s", out[0] ? "|" : "", bits[i].name);
  if (!out[0]) snprintf(out, n, "nothing");
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the poll waits 5 s at most; a hang still ends */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
  if (write(sv[0], "x", 1) != 1) { printf("SETUP: write: %s\n", strerror(errno)); return 2; }
  close(sv[1]); /* the peer closes with "x" unread */
  /* The close is synchronous on AF_UNIX; wait for the hangup (always reported) all the same. */
  struct pollfd p = {sv[0], 0, 0};
  if (poll(&p, 1, 5000) != 1) { printf("SETUP: no POLLHUP or POLLERR within 5 s of the peer's close\n"); return 2; }
  p = (struct pollfd){sv[0], POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
  poll(&p, 1, 0);
  int err = -1;
  socklen_t len = sizeof err;
  if (getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &err, &len) != 0) { printf("SETUP: SO_ERROR: %s\n", strerror(errno)); return 2; }
  int rc = 0;
  if (!(p.revents & POLLERR) || err != ECONNRESET) {
    char got[128];
    events(p.revents, got, sizeof got);
    printf("man 7 unix says \"ECONNRESET Remote socket was unexpectedly closed.\" and man 2 poll "
           "\"POLLERR Error condition\" (Linux: the reset is the socket's pending error); got: the "
           "peer closed with a byte unread, and poll(2) reports %s, SO_ERROR reads %d (%s)\n",
           got, err, err ? strerror(err) : "no error");
    rc = 1;
  }
  if (rc == 0) printf("ok: POLLERR and SO_ERROR ECONNRESET after the peer's close with data unread\n");
  close(sv[0]);
  return rc;
}
