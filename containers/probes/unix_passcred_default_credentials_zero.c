/* unix_passcred_default_credentials_zero: with SO_PASSCRED on the receiver
   and no SCM_CREDENTIALS sent, each message carries the sender's pid, real
   uid and real gid.
     man 7 unix, SO_PASSCRED: "Enabling this socket option causes receipt of
     the credentials of the sending process in an SCM_CREDENTIALS ancillary
     message in each subsequently received message.  The returned
     credentials are those specified by the sender using SCM_CREDENTIALS, or
     a default that includes the sender's PID, real user ID, and real group
     ID, if the sender did not specify SCM_CREDENTIALS ancillary data."
   Linux: the sender's pid, uid and gid. gVisor (runsc 0.0~20240729.0):
   pid 0, uid 0, gid 0.
   Finding: containers/divergences/gvisor.tsv, ScmCredentials.DefaultCredentialsAreTheSendersPidAndRealIds.
     cc -o unix_passcred_default_credentials_zero unix_passcred_default_credentials_zero.c
     ./unix_passcred_default_credentials_zero; runsc --network=none do ./unix_passcred_default_credentials_zero
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the receive comes after the sender exited; a hang still ends */
  int sv[2], on = 1;
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) != 0 ||
      setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0) {
    printf("SETUP: %s\n", strerror(errno));
    return 2;
  }
  /* The sender is a child, so that its pid is not the receiver's. */
  pid_t c = fork();
  if (c == 0) _exit(send(sv[0], "x", 1, 0) == 1 ? 0 : 1);
  int st = 0;
  waitpid(c, &st, 0);
  char data[4];
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } ctl;
  struct iovec iov = {data, sizeof data};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                     .msg_controllen = sizeof ctl.b};
  if (recvmsg(sv[1], &m, MSG_DONTWAIT) != 1) { printf("SETUP: recvmsg: %s\n", strerror(errno)); return 2; }
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  struct ucred u = {0, 0, 0};
  int have = h && h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_CREDENTIALS;
  if (have) memcpy(&u, CMSG_DATA(h), sizeof u);
  close(sv[0]);
  close(sv[1]);
  if (!have || u.pid != c || u.uid != getuid() || u.gid != getgid()) {
    printf("man 7 unix says the default credentials include \"the sender's PID, real user ID, and "
           "real group ID\"; got: %s{pid=%d uid=%d gid=%d}, the sender being pid %d uid %d gid %d\n",
           have ? "" : "no SCM_CREDENTIALS message, ", (int)u.pid, (int)u.uid, (int)u.gid, (int)c,
           (int)getuid(), (int)getgid());
    return 1;
  }
  printf("ok: the default credentials are the sender's {pid=%d uid=%d gid=%d}\n", (int)u.pid,
         (int)u.uid, (int)u.gid);
  return 0;
}
