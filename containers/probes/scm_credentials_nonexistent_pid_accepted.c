/* scm_credentials_nonexistent_pid_accepted: SCM_CREDENTIALS naming a pid
   that no process has is refused, even for a sender with CAP_SYS_ADMIN.
     man 7 unix, SCM_CREDENTIALS: "The credentials which the sender specifies
     are checked by the kernel.  A privileged process is allowed to specify
     values that do not match its own.  The sender must specify its own
     process ID (unless it has the capability CAP_SYS_ADMIN, in which case
     the PID of any existing process may be specified)".
   Linux: a root sender (CAP_SYS_ADMIN) naming pid -1 fails ESRCH: no
   existing process has it. gVisor (runsc 0.0~20240729.0) sends it.
   Needs CAP_SYS_ADMIN (root); exit 2 when EPERM says it is missing.
   Finding: containers/divergences/gvisor.tsv, UnixPasscred.ANonexistentPidFailsEsrch.
     cc -o scm_credentials_nonexistent_pid_accepted scm_credentials_nonexistent_pid_accepted.c
     ./scm_credentials_nonexistent_pid_accepted; runsc --network=none do ./scm_credentials_nonexistent_pid_accepted
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* the socket is non-blocking; a hang still ends */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(struct ucred))]; } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {"x", 1};
  struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b,
                     .msg_controllen = sizeof ctl.b};
  struct cmsghdr *h = CMSG_FIRSTHDR(&m);
  h->cmsg_level = SOL_SOCKET;
  h->cmsg_type = SCM_CREDENTIALS;
  h->cmsg_len = CMSG_LEN(sizeof(struct ucred));
  struct ucred u = {-1, getuid(), getgid()};
  memcpy(CMSG_DATA(h), &u, sizeof u);
  ssize_t r = sendmsg(sv[0], &m, 0);
  int e = errno;
  close(sv[0]);
  close(sv[1]);
  if (r == -1 && e == EPERM) { printf("SETUP: no CAP_SYS_ADMIN here (EPERM)\n"); return 2; }
  if (!(r == -1 && e == ESRCH)) {
    printf("man 7 unix says a sender with CAP_SYS_ADMIN may specify \"the PID of any existing "
           "process\" (Linux: ESRCH for one that does not exist); got: SCM_CREDENTIALS with pid -1 "
           "as root: sendmsg returned %zd%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    return 1;
  }
  printf("ok: SCM_CREDENTIALS naming no existing process fails ESRCH\n");
  return 0;
}
