/* unix_dgram_connect_association: connect(2) of an AF_UNIX datagram socket
   sets the only address it receives from; a datagram from another address is
   refused, and connecting to AF_UNSPEC dissolves the association.
     man 2 connect: "If the socket sockfd is of type SOCK_DGRAM, then addr is
     the address to which datagrams are sent by default, and the only address
     from which datagrams are received."; "Some protocol sockets (e.g., TCP
     sockets as well as datagram sockets in the UNIX and Internet domains)
     may dissolve the association by connecting to an address with the
     sa_family member of sockaddr set to AF_UNSPEC; thereafter, the socket can
     be connected to another address."
   Linux: a sendto from a socket that is not the peer fails EPERM; after
   AF_UNSPEC, getpeername and send fail ENOTCONN and anyone may send to it.
   gVisor (runsc 0.0~20240729.0) differs in both.
   Findings: containers/divergences/gvisor.tsv, UnixDatagramConnect.ReconnectMovesTheAssociation,
   UnixDatagramConnect.AfUnspecDissolvesTheAssociation.
     cc -o unix_dgram_connect_association unix_dgram_connect_association.c
     ./unix_dgram_connect_association; runsc --network=none do ./unix_dgram_connect_association
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static socklen_t name(struct sockaddr_un *a, const char *what) {
  memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  int n = snprintf(a->sun_path + 1, sizeof a->sun_path - 1, "repro-%s-%d", what, getpid());
  return offsetof(struct sockaddr_un, sun_path) + 1 + n;
}

static int rc;

static void expect(long r, int e, int want, const char *what, const char *says) {
  int ok = want ? (r == -1 && e == want) : r >= 0;
  if (!ok) {
    printf("man 2 connect says \"%s\"; got: %s returned %ld%s%s\n", says, what, r,
           r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    rc = 1;
  }
}

int main(void) {
  alarm(10); /* every socket is non-blocking; a hang still ends */
  struct sockaddr_un me, p1, other;
  socklen_t ml = name(&me, "me"), pl = name(&p1, "p1"), ol = name(&other, "other");
  int s = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int r1 = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  int o = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  if (bind(s, (struct sockaddr *)&me, ml) || bind(r1, (struct sockaddr *)&p1, pl) ||
      bind(o, (struct sockaddr *)&other, ol) || connect(s, (struct sockaddr *)&p1, pl)) {
    printf("SETUP: %s\n", strerror(errno));
    return 2;
  }
  const char *only = "If the socket sockfd is of type SOCK_DGRAM, then addr is ... the only address "
                     "from which datagrams are received.";
  long r = sendto(o, "o", 1, 0, (struct sockaddr *)&me, ml);
  expect(r, errno, EPERM, "sendto from a socket that is not the peer (Linux: EPERM)", only);
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  if (connect(s, &unspec, sizeof unspec) != 0) {
    printf("man 2 connect says datagram sockets in the UNIX domain \"may dissolve the association by "
           "connecting to an address with the sa_family member of sockaddr set to AF_UNSPEC\"; got: connect to "
           "AF_UNSPEC failed %s\n", strerror(errno));
    rc = 1;
  } else {
    const char *dissolve = "... datagram sockets in the UNIX and Internet domains) may dissolve the "
                           "association by connecting to an address with the sa_family member of "
                           "sockaddr set to AF_UNSPEC";
    struct sockaddr_un peer;
    socklen_t len = sizeof peer;
    r = getpeername(s, (struct sockaddr *)&peer, &len);
    expect(r, errno, ENOTCONN, "getpeername after connect(AF_UNSPEC)", dissolve);
    r = send(s, "x", 1, 0);
    expect(r, errno, ENOTCONN, "send after connect(AF_UNSPEC)", dissolve);
    r = sendto(o, "o", 1, 0, (struct sockaddr *)&me, ml);
    expect(r, errno, 0, "sendto from another socket after connect(AF_UNSPEC)", dissolve);
  }
  close(s); close(r1); close(o);
  if (rc == 0) printf("ok: a connected datagram socket hears only its peer, until AF_UNSPEC\n");
  return rc;
}
