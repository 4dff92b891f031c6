/* record_lock_lost_across_exec: a traditional record lock is kept by a
   process across execve(2).
     man 2 fcntl: "Record locks are not inherited by a child created via
     fork(2), but are preserved across an execve(2)."
   Linux: another process's F_GETLK reports the lock, held by the exec'ed
   program's pid. gVisor (runsc 0.0~20240729.0) drops it at the exec
   (F_UNLCK); an OFD lock inherited across the same exec stays.
   Finding: containers/divergences/gvisor.tsv, Sorts/LockAcrossExec.HeldByTheExecedProgramUntilItExits/fcntl.
     cc -o record_lock_lost_across_exec record_lock_lost_across_exec.c
     ./record_lock_lost_across_exec; runsc --network=none do ./record_lock_lost_across_exec
   The program execs itself ("held FD READY") to hold the lock.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "held") == 0) { /* the exec'ed program */
    alarm(20);
    write(atoi(argv[3]), "r", 1);
    for (;;) pause();
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(30);
  char path[] = "/tmp/repro-execlock-XXXXXX";
  int fd = mkstemp(path);
  int ready[2];
  if (fd < 0 || pipe(ready) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  pid_t c = fork();
  if (c == 0) {
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    if (fcntl(fd, F_SETLK, &l) != 0) _exit(2);
    char fds[16], rds[16];
    snprintf(fds, sizeof fds, "%d", fd);
    snprintf(rds, sizeof rds, "%d", ready[1]);
    execl("/proc/self/exe", argv[0], "held", fds, rds, (char *)NULL);
    _exit(3);
  }
  close(ready[1]);
  char b;
  int rc = 2;
  if (read(ready[0], &b, 1) != 1) {
    printf("SETUP: the exec'ed program did not start\n");
  } else {
    struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1};
    int r = fcntl(fd, F_GETLK, &q);
    if (r != 0 || q.l_type != F_WRLCK || q.l_pid != c) {
      printf("man 2 fcntl says \"Record locks ... are preserved across an execve(2).\"; got: while "
             "the exec'ed program (pid %d) runs, another process's F_GETLK returned %d, l_type %d "
             "(F_UNLCK %d), l_pid %d\n", (int)c, r, q.l_type, F_UNLCK, (int)q.l_pid);
      rc = 1;
    } else {
      printf("ok: the lock is held by the exec'ed program (pid %d)\n", (int)c);
      rc = 0;
    }
  }
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  close(fd);
  unlink(path);
  return rc;
}
