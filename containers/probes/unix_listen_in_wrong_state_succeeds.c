/* unix_listen_in_wrong_state_succeeds: listen(2) on an AF_UNIX stream or
   seqpacket socket that is connected (a socketpair end, or a client
   connected to a listener) or unbound fails EINVAL.
     man 7 unix, ERRORS: "EINVAL Invalid argument passed.  A common cause is
     that the value AF_UNIX was not specified in the sun_type field of passed
     addresses, or the socket was in an invalid state for the applied
     operation."  (man 2 listen lists no EINVAL; Linux neither autobinds nor
     listens on an unbound AF_UNIX socket.)
   Linux: EINVAL for the three. gVisor (runsc 0.0~20240729.0) lets at least
   one of them listen.
   Findings: containers/divergences/gvisor.tsv, Types/UnixListener.ListenOnAConnectedOrUnboundSocketFailsEinval/{stream,seqpacket}.
     cc -o unix_listen_in_wrong_state_succeeds unix_listen_in_wrong_state_succeeds.c
     ./unix_listen_in_wrong_state_succeeds; runsc --network=none do ./unix_listen_in_wrong_state_succeeds
   Exit status: 0 as Linux documents and does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t abstract(struct sockaddr_un *a, const char *what, int t) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "repro-%s-%d-%d", what, getpid(), t);
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

int main(void) {
  alarm(10); /* every socket is non-blocking; a hang still ends */
  const int types[2] = {SOCK_STREAM, SOCK_SEQPACKET};
  const char *tn[2] = {"SOCK_STREAM", "SOCK_SEQPACKET"};
  int rc = 0;
  for (int t = 0; t < 2; t++) {
    int sv[2];
    struct sockaddr_un srv, cli;
    socklen_t sl = abstract(&srv, "lsrv", t), cl = abstract(&cli, "lcli", t);
    int server = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    int c = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    int unbound = socket(AF_UNIX, types[t] | SOCK_NONBLOCK, 0);
    if (socketpair(AF_UNIX, types[t], 0, sv) || bind(server, (struct sockaddr *)&srv, sl) ||
        listen(server, 4) || bind(c, (struct sockaddr *)&cli, cl) ||
        connect(c, (struct sockaddr *)&srv, sl)) {
      printf("SETUP: %s: %s\n", tn[t], strerror(errno));
      return 2;
    }
    const struct { const char *what; int fd; } cases[3] = {
        {"a connected socketpair end", sv[0]}, {"an unbound socket", unbound},
        {"a bound socket connected to a listener", c}};
    for (int i = 0; i < 3; i++) {
      int r = listen(cases[i].fd, 1);
      int e = errno;
      if (!(r == -1 && e == EINVAL)) {
        printf("man 7 unix says \"EINVAL ... the socket was in an invalid state for the applied "
               "operation\" (Linux: listen on a connected or unbound socket); got: %s, listen on %s "
               "returned %d%s%s\n", tn[t], cases[i].what, r, r < 0 ? " errno " : "",
               r < 0 ? strerror(e) : "");
        rc = 1;
      }
    }
    close(sv[0]); close(sv[1]); close(server); close(c); close(unbound);
  }
  if (rc == 0) printf("ok: listen on a connected or unbound socket fails EINVAL\n");
  return rc;
}
