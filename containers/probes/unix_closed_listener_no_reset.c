/* unix_closed_listener_no_reset: closing an AF_UNIX listener resets the
   connections still pending on it: each client sees ECONNRESET.
     man 7 unix, ERRORS: "ECONNRESET Remote socket was unexpectedly closed.";
     man 7 socket: "SO_ERROR Get and clear the pending socket error."
   Linux: the first client's SO_ERROR reads ECONNRESET (and then 0); the
   second polls POLLHUP|POLLERR, its receive fails ECONNRESET, then returns 0.
   gVisor (runsc 0.0~20240729.0): SO_ERROR 0 (and other differences in the
   same scenario).
   Findings: containers/divergences/gvisor.tsv, Types/UnixListener.ClosingAListenerResetsItsPendingConnections/{stream,seqpacket}.
     cc -o unix_closed_listener_no_reset unix_closed_listener_no_reset.c
     ./unix_closed_listener_no_reset; runsc --network=none do ./unix_closed_listener_no_reset
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* every socket is non-blocking; a hang still ends */
  const int types[2] = {SOCK_STREAM, SOCK_SEQPACKET};
  const char *tn[2] = {"SOCK_STREAM", "SOCK_SEQPACKET"};
  int rc = 0;
  for (int t = 0; t < 2; t++) {
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "repro-pending-%d-%d", getpid(), t);
    socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
    int l = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    int c1 = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    int c2 = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, alen) || listen(l, 4) ||
        connect(c1, (struct sockaddr *)&a, alen) || connect(c2, (struct sockaddr *)&a, alen)) {
      printf("SETUP: %s: %s\n", tn[t], strerror(errno));
      return 2;
    }
    close(l); /* never accepted */
    int err1 = -1, err2 = -1;
    socklen_t len = sizeof err1;
    getsockopt(c1, SOL_SOCKET, SO_ERROR, &err1, &len);
    getsockopt(c1, SOL_SOCKET, SO_ERROR, &err2, &len);
    struct pollfd p = {c2, POLLIN, 0};
    poll(&p, 1, 0);
    char b[8];
    ssize_t k1 = recv(c2, b, sizeof b, 0);
    int e1 = errno;
    ssize_t k2 = recv(c2, b, sizeof b, 0);
    if (err1 != ECONNRESET || err2 != 0 || !(p.revents & POLLHUP) || !(p.revents & POLLERR) ||
        !(k1 == -1 && e1 == ECONNRESET) || k2 != 0) {
      printf("man 7 unix says \"ECONNRESET Remote socket was unexpectedly closed.\"; got: %s, a "
             "listener closed with two connections pending: the first client's SO_ERROR %d then "
             "%d (ECONNRESET %d, \"Get and clear\"), the second polls 0x%x (POLLHUP|POLLERR 0x%x), "
             "receives %zd (%s) then %zd\n", tn[t], err1, err2, ECONNRESET, p.revents,
             POLLHUP | POLLERR, k1, k1 < 0 ? strerror(e1) : k1 == 0 ? "end of file" : "data", k2);
      rc = 1;
    }
    close(c1);
    close(c2);
  }
  if (rc == 0) printf("ok: the pending connections of a closed listener are reset\n");
  return rc;
}
