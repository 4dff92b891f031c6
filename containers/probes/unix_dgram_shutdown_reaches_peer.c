/* unix_dgram_shutdown_reaches_peer: a connected AF_UNIX datagram socket has no
   end of file and no hangup from its peer: the peer's shutdown(2) or close(2)
   is not passed to it.
     man 2 recv, ERRORS: "EAGAIN or EWOULDBLOCK The socket is marked
     nonblocking and the receive operation would block"; man 2 poll:
     "POLLRDHUP (since Linux 2.6.17) Stream socket peer closed connection, or
     shut down writing half of connection." (stream sockets only); man 2
     shutdown: "If how is SHUT_RDWR, further receptions and transmissions will
     be disallowed."
   Linux: after the peer's SHUT_WR, SHUT_RDWR or close, an empty
   non-blocking receive fails EAGAIN and poll(POLLIN|POLLRDHUP) reports
   nothing; the end's own SHUT_RD gives EAGAIN too; an end shut down both ways
   polls POLLIN|POLLOUT|POLLRDHUP|POLLHUP. gVisor (runsc 0.0~20240729.0)
   treats the datagram pair like a stream: end of file (0), ECONNRESET,
   POLLRDHUP|POLLHUP from the peer, and (for bound, not socketpair, ends) a
   different poll mask after the own SHUT_RDWR.
   Findings: containers/divergences/gvisor.tsv, Kinds/UnixLife.ShutdownWrGivesThePeerQueuedDataThenEof/dgram_*,
   Kinds/UnixLife.ShutdownRdMakesThePeerSendFailEpipe/dgram_*, Kinds/UnixLife.ShutdownRdwrOnBothEnds/dgram_*,
   Kinds/UnixDgramLife.ReceiveAfterThePeerClosedFailsEagain/dgram_pair,
   Kinds/UnixDgramLife.PeerShutdownIsNotSeenOnDatagrams/dgram_*.
     cc -o unix_dgram_shutdown_reaches_peer unix_dgram_shutdown_reaches_peer.c
     ./unix_dgram_shutdown_reaches_peer; runsc --network=none do ./unix_dgram_shutdown_reaches_peer
   Exit status: 0 as Linux documents and does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int failed;
static const char *how_name;

static int pollnow(int fd, short ev) {
  struct pollfd p = {fd, ev, 0};
  return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static const char *mask(int r) {
  static char b[96];
  snprintf(b, sizeof b, "%s%s%s%s%s", r ? "" : "0", r & POLLIN ? "POLLIN " : "",
           r & POLLOUT ? "POLLOUT " : "", r & POLLRDHUP ? "POLLRDHUP " : "",
           r & POLLHUP ? "POLLHUP" : "");
  return b;
}

/* A connected pair of datagram sockets: a socketpair, or two ends bound to
   abstract names and connected to each other. */
static int open_pair(int how, int sv[2]) {
  if (how == 0) return socketpair(AF_UNIX, SOCK_DGRAM, 0, sv);
  struct sockaddr_un a[2];
  socklen_t len[2];
  for (int i = 0; i < 2; i++) {
    sv[i] = socket(AF_UNIX, SOCK_DGRAM, 0);
    memset(&a[i], 0, sizeof a[i]);
    a[i].sun_family = AF_UNIX;
    int n = snprintf(a[i].sun_path + 1, sizeof a[i].sun_path - 1, "repro-dgram-%d-%d", getpid(), i);
    len[i] = offsetof(struct sockaddr_un, sun_path) + 1 + n;
    if (sv[i] < 0 || bind(sv[i], (struct sockaddr *)&a[i], len[i]) != 0) return -1;
  }
  if (connect(sv[0], (struct sockaddr *)&a[1], len[1]) != 0) return -1;
  return connect(sv[1], (struct sockaddr *)&a[0], len[0]);
}

static void expect_eagain(int fd, const char *after) {
  char buf[64];
  ssize_t k = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
  int e = errno;
  if (!(k == -1 && e == EAGAIN)) {
    printf("man 2 recv says \"EAGAIN ... the receive operation would block\" (a datagram socket "
           "has no end of file); got: %s, %s: recv returned %zd (%s)\n", how_name, after, k,
           k < 0 ? strerror(e) : k == 0 ? "end of file" : "data");
    failed = 1;
  }
}

static void expect_poll(int fd, short ev, int want, const char *after) {
  int r = pollnow(fd, ev);
  if (r != want) {
    printf("man 2 poll says \"POLLRDHUP ... Stream socket peer closed connection\" (Linux: a "
           "datagram peer's shutdown does not propagate); got: %s, %s: poll gave %s", how_name,
           after, mask(r));
    printf(", expected %s\n", mask(want));
    failed = 1;
  }
}

int main(void) {
  alarm(10); /* every call here is non-blocking; a hang still ends */
  const char *hows[] = {"socketpair", "abstract names"};
  for (int how = 0; how < 2; how++) {
    how_name = hows[how];
    int sv[2];
    /* The peer's SHUT_WR: the data before it, then EAGAIN, and no hangup. */
    if (open_pair(how, sv) != 0) { printf("SETUP: %s: %s\n", how_name, strerror(errno)); return 2; }
    send(sv[0], "abc", 3, 0);
    shutdown(sv[0], SHUT_WR);
    char buf[64];
    recv(sv[1], buf, sizeof buf, MSG_DONTWAIT);
    expect_eagain(sv[1], "after the peer's SHUT_WR and its one datagram");
    expect_poll(sv[1], POLLIN | POLLRDHUP, 0, "after the peer's SHUT_WR");
    close(sv[0]); close(sv[1]);
    /* The end's own SHUT_RD: its receive gives EAGAIN, not end of file. */
    if (open_pair(how, sv) != 0) { printf("SETUP: %s: %s\n", how_name, strerror(errno)); return 2; }
    shutdown(sv[0], SHUT_RD);
    expect_eagain(sv[0], "after its own SHUT_RD");
    close(sv[0]); close(sv[1]);
    /* The peer's SHUT_RDWR: no POLLRDHUP, no POLLHUP here. */
    if (open_pair(how, sv) != 0) { printf("SETUP: %s: %s\n", how_name, strerror(errno)); return 2; }
    shutdown(sv[1], SHUT_RDWR);
    expect_poll(sv[0], POLLIN | POLLRDHUP, 0, "after the peer's SHUT_RDWR");
    /* The end's own SHUT_RDWR: readable (no block), writable, hung up. */
    shutdown(sv[0], SHUT_RDWR);
    expect_poll(sv[0], POLLIN | POLLOUT | POLLRDHUP, POLLIN | POLLOUT | POLLRDHUP | POLLHUP,
                "after its own SHUT_RDWR");
    close(sv[0]); close(sv[1]);
    /* The peer closes with a datagram of ours unread: EAGAIN, no ECONNRESET. */
    if (open_pair(how, sv) != 0) { printf("SETUP: %s: %s\n", how_name, strerror(errno)); return 2; }
    send(sv[0], "unread", 6, 0);
    close(sv[1]);
    expect_eagain(sv[0], "after the peer closed with our datagram unread");
    close(sv[0]);
  }
  if (!failed) printf("ok: no end of file, reset or hangup passes between datagram ends\n");
  return failed;
}
