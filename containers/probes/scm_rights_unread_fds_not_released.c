/* scm_rights_unread_fds_not_released: a descriptor sent with SCM_RIGHTS and
   never received is released when the receiving socket is closed (the
   sending end still open).
     man 7 unix, SCM_RIGHTS: "Send or receive a set of open file descriptors
     from another process."; ERRORS, ETOOMANYREFS: a descriptor in flight
     has been "sent using sendmsg(2) but has not yet been accepted in the
     recipient process using recvmsg(2)": a reference the message holds, to
     be dropped with the socket that queues it; man 7 pipe: "If all
     file descriptors referring to the write end of a pipe have been closed,
     then an attempt to read(2) from the pipe will see end-of-file".
   Linux: closing the receiving end of the socketpair (the message unread)
   drops the last reference to the pipe's write end in flight, and the read
   end sees end of file, for SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET. gVisor (runsc 0.0~20240729.0) keeps it: EAGAIN, no end of
   file.
   Finding: containers/divergences/gvisor.tsv, ScmRights.FdsInFlightAreReleasedWhenTheReceiverClosesUnread.
     cc -o scm_rights_unread_fds_not_released scm_rights_unread_fds_not_released.c
     ./scm_rights_unread_fds_not_released; runsc --network=none do ./scm_rights_unread_fds_not_released
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  alarm(20); /* each read end is polled with a deadline; a hang still ends */
  const int types[3] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
  const char *tn[3] = {"SOCK_STREAM", "SOCK_DGRAM", "SOCK_SEQPACKET"};
  int rc = 0, rd[3], keep[3];
  for (int t = 0; t < 3; t++) {
    int p[2], sv[2];
    if (pipe2(p, O_NONBLOCK) != 0 || socketpair(AF_UNIX, types[t], 0, sv) != 0) {
      printf("SETUP: %s\n", strerror(errno));
      return 2;
    }
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {"F", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                       .msg_controllen = sizeof ctl.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &p[1], sizeof(int));
    if (sendmsg(sv[0], &m, 0) != 1) { printf("SETUP: sendmsg: %s\n", strerror(errno)); return 2; }
    close(p[1]);  /* the write end now lives only in the unread message */
    close(sv[1]); /* the receiver closes without reading; the sender stays */
    rd[t] = p[0];
    keep[t] = sv[0];
  }
  /* Allow 2 s in all for the releases (Linux: at once). */
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int t = 0; t < 3; t++) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long left = 2000 - ((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    struct pollfd pf = {rd[t], POLLIN, 0};
    int pr = poll(&pf, 1, left > 0 ? (int)left : 0);
    char b;
    ssize_t r = read(rd[t], &b, 1);
    int e = errno;
    close(rd[t]);
    close(keep[t]);
    if (r != 0) {
      printf("man 7 pipe says a read sees end-of-file once \"all file descriptors referring to "
             "the write end of a pipe have been closed\"; got: %s, the only write end in an unread "
             "SCM_RIGHTS message, the receiving socket closed: poll returned %d and read %zd%s%s\n",
             tn[t], pr, r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
  }
  if (rc == 0) printf("ok: the descriptors in flight were released with the receiving socket\n");
  return rc;
}
