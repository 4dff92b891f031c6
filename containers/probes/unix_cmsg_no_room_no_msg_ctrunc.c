/* unix_cmsg_no_room_no_msg_ctrunc: a recvmsg(2) with no room for the
   SCM_RIGHTS descriptors that came with the data returns the data with
   MSG_CTRUNC set, and installs no descriptor.
     man 2 recvmsg: "MSG_CTRUNC indicates that some control data was
     discarded due to lack of space in the buffer for ancillary data."
   Linux, for msg_control NULL (msg_controllen 64), msg_controllen 0 and
   msg_controllen CMSG_LEN(0), on SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM:
   the data, msg_controllen 0, MSG_CTRUNC. gVisor (runsc 0.0~20240729.0):
   EFAULT for a NULL msg_control with a nonzero length, and no MSG_CTRUNC
   for the others.
   Findings: containers/divergences/gvisor.tsv, Types/UnixCmsg.NoRoomForTheDescriptorsSetsMsgCtrunc/{stream,seqpacket,dgram}.
     cc -o unix_cmsg_no_room_no_msg_ctrunc unix_cmsg_no_room_no_msg_ctrunc.c
     ./unix_cmsg_no_room_no_msg_ctrunc; runsc --network=none do ./unix_cmsg_no_room_no_msg_ctrunc
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int send_fd(int s, int fd) {
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {"d", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                     .msg_controllen = sizeof ctl.b};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_RIGHTS;
  h->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(h), &fd, sizeof fd);
  return sendmsg(s, &m, 0) == 1 ? 0 : -1;
}

int main(void) {
  alarm(10); /* receives are MSG_DONTWAIT; a hang still ends */
  const int types[3] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
  const char *tn[3] = {"SOCK_STREAM", "SOCK_SEQPACKET", "SOCK_DGRAM"};
  const struct { const char *what; size_t len; int null; } cases[3] = {
      {"msg_control NULL, msg_controllen 64", 64, 1},
      {"msg_controllen 0", 0, 0},
      {"msg_controllen CMSG_LEN(0)", CMSG_LEN(0), 0}};
  int rc = 0;
  for (int t = 0; t < 3; t++) {
    int sv[2], p[2];
    if (socketpair(AF_UNIX, types[t], 0, sv) != 0 || pipe(p) != 0) {
      printf("SETUP: %s\n", strerror(errno));
      return 2;
    }
    for (int c = 0; c < 3; c++) {
      if (send_fd(sv[0], p[0]) != 0) { printf("SETUP: sendmsg: %s\n", strerror(errno)); return 2; }
      char data[16], cbuf[64];
      struct iovec iov = {data, sizeof data};
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = cases[c].null ? NULL : cbuf,
                         .msg_controllen = cases[c].len};
      int probe = dup(0); /* the lowest free descriptor now: none may be installed */
      close(probe);
      ssize_t n = recvmsg(sv[1], &m, MSG_DONTWAIT);
      int e = errno;
      int installed = fcntl(probe, F_GETFD) != -1;
      if (installed) close(probe);
      if (n != 1 || !(m.msg_flags & MSG_CTRUNC) || m.msg_controllen != 0 || installed) {
        printf("man 2 recvmsg says \"MSG_CTRUNC indicates that some control data was discarded due "
               "to lack of space in the buffer for ancillary data.\"; got: %s, %s: recvmsg "
               "returned %zd%s%s, msg_flags 0x%x (MSG_CTRUNC %s), msg_controllen %zu%s\n", tn[t],
               cases[c].what, n, n < 0 ? " errno " : "", n < 0 ? strerror(e) : "", m.msg_flags,
               m.msg_flags & MSG_CTRUNC ? "set" : "clear", (size_t)m.msg_controllen,
               installed ? ", and a descriptor was installed" : "");
        rc = 1;
        if (n < 0) { /* take the message off, whatever it carries */
          char big[CMSG_SPACE(sizeof(int))];
          struct msghdr m2 = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = big,
                              .msg_controllen = sizeof big};
          if (recvmsg(sv[1], &m2, MSG_DONTWAIT) > 0 && CMSG_FIRSTHDR(&m2)) {
            int fd;
            memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m2)), sizeof fd);
            close(fd);
          }
        }
      }
    }
    close(sv[0]); close(sv[1]); close(p[0]); close(p[1]);
  }
  if (rc == 0) printf("ok: no room for the descriptors: the data with MSG_CTRUNC, nothing installed\n");
  return rc;
}
