/* unix_so_inq_no_scm_inq: with SO_INQ set on an AF_UNIX stream socket, each
   receive carries an SCM_INQ control message holding the bytes still
   queued, the number SIOCINQ returns after it.
     man 7 unix, Ioctls: "SIOCINQ For SOCK_STREAM sockets, this call returns
     the number of unread bytes in the receive buffer."
   SO_INQ/SCM_INQ on AF_UNIX stream sockets (added in Linux 6.17, as TCP
   has TCP_INQ/TCP_CM_INQ; SO_INQ = SCM_INQ = 84) is not in the man pages
   yet: on Linux each recvmsg carries that number, SIOCINQ's after it.
   gVisor (runsc 0.0~20240729.0) accepts setsockopt(SO_INQ) but no receive
   carries SCM_INQ.
   Finding: containers/divergences/gvisor.tsv,
   UnixInq.EachStreamReceiveReportsTheBytesStillQueued. On a host kernel
   before 6.17 setsockopt(SO_INQ) fails ENOPROTOOPT: exit 2 (the behaviour
   is not there to check).
     cc -o unix_so_inq_no_scm_inq unix_so_inq_no_scm_inq.c
     ./unix_so_inq_no_scm_inq; runsc --network=none do ./unix_so_inq_no_scm_inq
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <unistd.h>

#ifndef SO_INQ
#define SO_INQ 84
#endif
#ifndef SCM_INQ
#define SCM_INQ SO_INQ
#endif

/* One non-blocking recvmsg of up to n bytes; returns its SCM_INQ value, or
   -1 when it carries none. */
static int recv_with_inq(int fd, size_t n, ssize_t *got) {
  char buf[1024];
  union { struct cmsghdr align; char b[CMSG_SPACE(sizeof(int))]; } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {buf, n < sizeof buf ? n : sizeof buf};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.b;
  m.msg_controllen = sizeof control.b;
  *got = recvmsg(fd, &m, MSG_DONTWAIT);
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  if (*got < 0 || !c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_INQ ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return -1;
  int v;
  memcpy(&v, CMSG_DATA(c), sizeof v);
  return v;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* every receive is MSG_DONTWAIT; a hang still ends */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
  const int on = 1;
  if (setsockopt(sv[1], SOL_SOCKET, SO_INQ, &on, sizeof on) != 0) {
    printf("SETUP: setsockopt(SO_INQ) on an AF_UNIX stream socket: %s (Linux before 6.17 has no "
           "SO_INQ for AF_UNIX)\n", strerror(errno));
    return 2;
  }
  char data[768];
  memset(data, 'p', sizeof data);
  if (send(sv[0], data, sizeof data, 0) != (ssize_t)sizeof data) { printf("SETUP: send: %s\n", strerror(errno)); return 2; }
  int rc = 0;
  for (int part = 0; part < 3; part++) {
    ssize_t got = 0;
    int reported = recv_with_inq(sv[1], 256, &got);
    int inq = -1;
    if (got != 256 || ioctl(sv[1], SIOCINQ, &inq) != 0) { printf("SETUP: recvmsg returned %zd (%s)\n", got, strerror(errno)); return 2; }
    if (reported != inq) {
      printf("man 7 unix says SIOCINQ \"returns the number of unread bytes in the receive buffer\" "
             "(SO_INQ, Linux 6.17+: each receive carries it as SCM_INQ); got: a receive of 256 of "
             "768 bytes (part %d) carries %s%d, SIOCINQ then returns %d\n", part,
             reported < 0 ? "no SCM_INQ: " : "SCM_INQ ", reported, inq);
      rc = 1;
      break;
    }
  }
  if (rc == 0) printf("ok: each receive's SCM_INQ is the number of bytes still queued\n");
  close(sv[0]);
  close(sv[1]);
  return rc;
}
