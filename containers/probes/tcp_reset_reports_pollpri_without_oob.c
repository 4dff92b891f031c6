/* tcp_reset_reports_pollpri_without_oob: a TCP socket reports POLLPRI only
   when out-of-band data is there, not after its connection is reset.
     man 7 tcp: "When out-of-band data is present, select(2) indicates the
     file descriptor as having an exceptional condition and poll(2)
     indicates a POLLPRI event."
     man 2 poll: "POLLPRI There is some exceptional condition on the file
     descriptor.  Possibilities include: There is out-of-band data on a TCP
     socket (see tcp(7)). ..."
   A loopback TCP connection; one byte is written, and the peer closes with
   that byte unread (a reset). Linux: the writing socket then polls
   POLLIN|POLLOUT|POLLRDHUP|POLLERR|POLLHUP, no POLLPRI, and select(2) puts
   it in no exception set. gVisor (runsc 0.0~20240729.0) adds POLLPRI (and
   the exception set), with no out-of-band data ever sent.
   Finding: containers/divergences/gvisor.tsv,
   Kinds/StreamReadiness.ModelSequences/ (any), kind tcp_loopback.
     cc -o tcp_reset_reports_pollpri_without_oob tcp_reset_reports_pollpri_without_oob.c
     ./tcp_reset_reports_pollpri_without_oob
     runsc --network=none do ./tcp_reset_reports_pollpri_without_oob
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE /* POLLRDHUP */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
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
  alarm(10); /* connect, accept and the wait for the reset are bounded by it (and poll's 5 s) */
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1) ||
      getsockname(l, (struct sockaddr *)&a, &len)) {
    printf("SETUP: a loopback TCP listener: %s\n", strerror(errno));
    return 2;
  }
  int w = socket(AF_INET, SOCK_STREAM, 0);
  if (w < 0 || connect(w, (struct sockaddr *)&a, sizeof a)) { printf("SETUP: connect: %s\n", strerror(errno)); return 2; }
  int r = accept(l, NULL, NULL);
  if (r < 0) { printf("SETUP: accept: %s\n", strerror(errno)); return 2; }
  close(l);
  if (write(w, "x", 1) != 1) { printf("SETUP: write: %s\n", strerror(errno)); return 2; }
  /* Wait until the byte is in the reader's queue, then close the reader with it unread. */
  struct pollfd p = {r, POLLIN, 0};
  if (poll(&p, 1, 5000) != 1) { printf("SETUP: the byte did not arrive within 5 s\n"); return 2; }
  close(r);
  /* The reset reaches the writer: wait for POLLERR or POLLHUP (always reported). */
  p = (struct pollfd){w, 0, 0};
  if (poll(&p, 1, 5000) != 1) { printf("SETUP: no reset (POLLERR/POLLHUP) within 5 s of the close\n"); return 2; }
  p = (struct pollfd){w, POLLIN | POLLOUT | POLLRDHUP | POLLPRI, 0};
  poll(&p, 1, 0);
  fd_set ex;
  FD_ZERO(&ex);
  FD_SET(w, &ex);
  struct timeval zero = {0, 0};
  int sel = select(w + 1, NULL, NULL, &ex, &zero);
  int rc = 0;
  if ((p.revents & POLLPRI) || (sel == 1 && FD_ISSET(w, &ex))) {
    char got[128];
    events(p.revents, got, sizeof got);
    printf("man 7 tcp says \"When out-of-band data is present, select(2) indicates the file "
           "descriptor as having an exceptional condition and poll(2) indicates a POLLPRI "
           "event.\"; got: no out-of-band data, the peer closed with a byte unread (a reset), and "
           "poll(2) reports %s, select(2) %s an exceptional condition\n", got,
           sel == 1 && FD_ISSET(w, &ex) ? "reports" : "does not report");
    rc = 1;
  }
  if (rc == 0) printf("ok: no POLLPRI and no exceptional condition after a reset\n");
  close(w);
  return rc;
}
