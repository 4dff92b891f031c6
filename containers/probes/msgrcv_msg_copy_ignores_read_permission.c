/* msgrcv_msg_copy_ignores_read_permission: msgrcv(2) with MSG_COPY, like
   every msgrcv, needs read permission on the queue.
     man 2 msgop: "EACCES The calling process does not have read permission
     on the message queue, and does not have the CAP_IPC_OWNER capability in
     the user namespace that governs its IPC namespace."
   Linux: a queue of mode 0400 owned by root, read with MSG_COPY by uid
   65534 (no capability): EACCES. gVisor (runsc 0.0~20240729.0) copies the
   message.
   Needs root (to become the other user); exit 2 without it.
   Finding: containers/divergences/gvisor.tsv, SysvMsgInfo.MsgCopyNeedsReadPermission.
     cc -o msgrcv_msg_copy_ignores_read_permission msgrcv_msg_copy_ignores_read_permission.c
     ./msgrcv_msg_copy_ignores_read_permission; runsc --network=none do ./msgrcv_msg_copy_ignores_read_permission
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* IPC_NOWAIT; the wait for the child is bounded by it */
  int q = msgget(IPC_PRIVATE, IPC_CREAT | 0400);
  struct { long t; char x[8]; } m = {1, "hello"};
  if (q < 0 || msgsnd(q, &m, 5, IPC_NOWAIT) != 0) {
    printf("SETUP: %s\n", strerror(errno));
    if (q >= 0) msgctl(q, IPC_RMID, NULL);
    return 2;
  }
  pid_t c = fork();
  if (c == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      printf("SETUP: becoming uid 65534: %s (needs root)\n", strerror(errno));
      _exit(2);
    }
    char buf[sizeof(long) + 16];
    ssize_t r = msgrcv(q, buf, 16, 0, MSG_COPY | IPC_NOWAIT);
    int e = errno;
    if (r == -1 && e == ENOSYS) { printf("SETUP: no MSG_COPY here (ENOSYS)\n"); _exit(2); }
    if (!(r == -1 && e == EACCES)) {
      printf("man 2 msgop says \"EACCES The calling process does not have read permission on the "
             "message queue\"; got: msgrcv(MSG_COPY) of root's queue of mode 0400 as uid 65534 "
             "returned %zd%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      _exit(1);
    }
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  msgctl(q, IPC_RMID, NULL);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (rc == 0) printf("ok: MSG_COPY without read permission fails EACCES\n");
  return rc;
}
