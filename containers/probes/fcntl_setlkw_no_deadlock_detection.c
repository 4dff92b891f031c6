/* fcntl_setlkw_no_deadlock_detection: the F_SETLKW request that closes a
   cycle of two processes, each waiting for the other's record lock, fails
   EDEADLK.
     man 2 fcntl: "When placing locks with F_SETLKW, the kernel detects
     deadlocks, whereby two or more processes have their lock requests
     mutually blocked by locks held by the other processes. ... When the
     kernel detects such deadlocks, it causes one of the blocking lock
     requests to immediately fail with the error EDEADLK"; "EDEADLK It was
     detected that the specified F_SETLKW command would cause a deadlock."
   Linux fails the second request EDEADLK at once. gVisor (runsc
   0.0~20240729.0) blocks it (here until a 3 s alarm).
   Finding: containers/divergences/gvisor.tsv, FcntlRecordLock.CycleOfTwoWaitersGivesEdeadlk.
     cc -o fcntl_setlkw_no_deadlock_detection fcntl_setlkw_no_deadlock_detection.c
     ./fcntl_setlkw_no_deadlock_detection; runsc --network=none do ./fcntl_setlkw_no_deadlock_detection
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void on_alarm(int s) { (void)s; }

static int lock(int fd, int cmd, off_t start) {
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = 1};
  return fcntl(fd, cmd, &l);
}

static char state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(30);
  char path[] = "/tmp/repro-deadlk-XXXXXX";
  int fd = mkstemp(path);
  int ready[2];
  if (fd < 0 || pipe(ready) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  unlink(path);
  if (lock(fd, F_SETLK, 0) != 0) { printf("SETUP: lock byte 0: %s\n", strerror(errno)); return 2; }
  pid_t c = fork();
  if (c == 0) {
    alarm(20);
    if (lock(fd, F_SETLK, 1) != 0) _exit(2);
    write(ready[1], "r", 1);
    lock(fd, F_SETLKW, 0); /* waits for the parent's byte 0 */
    _exit(0);
  }
  char b;
  if (read(ready[0], &b, 1) != 1) { printf("SETUP: the child did not lock byte 1\n"); return 2; }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (state(c) != 'S') {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 15) { printf("SETUP: the child never waited\n"); kill(c, SIGKILL); waitpid(c, NULL, 0); return 2; }
    sched_yield();
  }
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: a blocked F_SETLKW fails EINTR */
  sigaction(SIGALRM, &sa, NULL);
  alarm(3);
  int r = lock(fd, F_SETLKW, 1); /* closes the cycle */
  int e = errno;
  alarm(30);
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  close(fd);
  if (!(r == -1 && e == EDEADLK)) {
    printf("man 2 fcntl says the kernel \"causes one of the blocking lock requests to immediately "
           "fail with the error EDEADLK\"; got: the F_SETLKW closing a two-process cycle %s\n",
           r == -1 && e == EINTR ? "blocked until a 3 s alarm (EINTR)"
                                 : r == 0 ? "succeeded" : strerror(e));
    return 1;
  }
  printf("ok: the F_SETLKW closing the cycle failed EDEADLK\n");
  return 0;
}
