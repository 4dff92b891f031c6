/* unix_zero_length_receive_drops_descriptors: a recvmsg(2) of zero bytes of
   data with room for one descriptor takes the SCM_RIGHTS descriptor that came
   with the message.
     man 7 unix, SCM_RIGHTS: "Send or receive a set of open file descriptors
     from another process.  The data portion contains an integer array of
     the file descriptors."; man 2 recvmsg: "MSG_TRUNC indicates that the
     trailing portion of a datagram was discarded because the datagram was
     larger than the buffer supplied."
   Linux: the zero-length receive returns 0 with the descriptor (and
   MSG_TRUNC on SOCK_SEQPACKET and SOCK_DGRAM; on SOCK_STREAM the byte stays
   for the next receive). gVisor (runsc 0.0~20240729.0) returns 0 with no
   control message.
   Findings: containers/divergences/gvisor.tsv, Types/UnixCmsg.AZeroLengthReceiveTakesTheDescriptors/{stream,seqpacket,dgram}.
     cc -o unix_zero_length_receive_drops_descriptors unix_zero_length_receive_drops_descriptors.c
     ./unix_zero_length_receive_drops_descriptors; runsc --network=none do ./unix_zero_length_receive_drops_descriptors
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* receives are MSG_DONTWAIT; a hang still ends */
  const int types[3] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
  const char *tn[3] = {"SOCK_STREAM", "SOCK_SEQPACKET", "SOCK_DGRAM"};
  int rc = 0;
  for (int t = 0; t < 3; t++) {
    int sv[2], p[2];
    if (socketpair(AF_UNIX, types[t], 0, sv) != 0 || pipe(p) != 0) {
      printf("SETUP: %s\n", strerror(errno));
      return 2;
    }
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
    memset(&ctl, 0, sizeof ctl);
    struct iovec iov = {"a", 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                       .msg_controllen = sizeof ctl.b};
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &p[0], sizeof(int));
    if (sendmsg(sv[0], &m, 0) != 1) { printf("SETUP: sendmsg: %s\n", strerror(errno)); return 2; }
    char data[8];
    union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } rctl;
    memset(&rctl, 0, sizeof rctl);
    struct iovec riov = {data, 0};
    struct msghdr r = {.msg_iov = &riov, .msg_iovlen = 1, .msg_control = rctl.b,
                       .msg_controllen = sizeof rctl.b};
    ssize_t n = recvmsg(sv[1], &r, MSG_DONTWAIT);
    int e = errno;
    struct cmsghdr *g = n >= 0 ? CMSG_FIRSTHDR(&r) : NULL;
    int fd = -1;
    if (g && g->cmsg_type == SCM_RIGHTS) memcpy(&fd, CMSG_DATA(g), sizeof fd);
    if (n != 0 || fd < 0) {
      printf("man 7 unix says SCM_RIGHTS messages \"Send or receive a set of open file descriptors "
             "from another process\"; got: %s, a zero-length recvmsg with room for one descriptor "
             "returned %zd%s%s and %s\n", tn[t], n, n < 0 ? " errno " : "", n < 0 ? strerror(e) : "",
             fd < 0 ? "no descriptor" : "a descriptor");
      rc = 1;
    }
    if (fd >= 0) close(fd);
    close(sv[0]); close(sv[1]); close(p[0]); close(p[1]);
  }
  if (rc == 0) printf("ok: a zero-length receive takes the descriptors (stream, seqpacket, dgram)\n");
  return rc;
}
