/* get_robust_list_no_permission_check: get_robust_list(2) of another
   process's thread needs the permission of a PTRACE_MODE_READ_REALCREDS
   check.
     man 2 get_robust_list: "The get_robust_list() system call returns the
     head of the robust futex list of the thread whose thread ID is specified
     in pid. ... Permission to employ get_robust_list() is governed by a
     ptrace access mode PTRACE_MODE_READ_REALCREDS check; see ptrace(2)."; "EPERM
     The calling process does not have permission to see the robust futex
     list of the thread with the thread ID pid, and does not have the
     CAP_SYS_PTRACE capability."
   Linux: a process of uid 65534 (no capability) asking for the list of a
   root process fails EPERM. gVisor (runsc 0.0~20240729.0) returns it.
   Needs root (to become the other user); exit 2 without it.
   Finding: containers/divergences/gvisor.tsv, RobustList.AnotherProcessListNeedsPtraceReadAccess.
     cc -o get_robust_list_no_permission_check get_robust_list_no_permission_check.c
     ./get_robust_list_no_permission_check; runsc --network=none do ./get_robust_list_no_permission_check
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing blocks but the wait for the child, bounded by it */
  pid_t root = getpid();
  pid_t c = fork();
  if (c < 0) { printf("SETUP: fork: %s\n", strerror(errno)); return 2; }
  if (c == 0) {
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      printf("SETUP: becoming uid 65534: %s (needs root)\n", strerror(errno));
      _exit(2);
    }
    void *head = NULL;
    size_t len = 0;
    long r = syscall(SYS_get_robust_list, root, &head, &len);
    int e = errno;
    if (!(r == -1 && e == EPERM)) {
      printf("man 2 get_robust_list says \"EPERM The calling process does not have permission to "
             "see the robust futex list of the thread with the thread ID pid, and does not have the "
             "CAP_SYS_PTRACE capability.\"; got: uid 65534 asking for root's (pid %d) list: "
             "returned %ld%s%s\n", (int)root, r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      _exit(1);
    }
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (rc == 0) printf("ok: another user's get_robust_list fails EPERM\n");
  return rc;
}
