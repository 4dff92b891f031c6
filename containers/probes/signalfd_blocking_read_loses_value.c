/* signalfd_blocking_read_loses_value: a read(2) that sleeps on a blocking
   signalfd until a sigqueue(3)'d signal comes returns the value sent.
     man 2 signalfd: the field ssi_int is the "Integer sent by sigqueue(3)"; "If none of
     the signals in mask is pending for the process, then the read(2) either
     blocks until one of the signals in mask is generated for the process, or
     fails with the error EAGAIN if the file descriptor has been made
     nonblocking."
   Linux: ssi_int 31, the value sent. gVisor (runsc 0.0~20240729.0): 0 (the
   signal number and the sender's pid are right); a signal already pending
   when read is called comes with its value.
   Finding: containers/divergences/gvisor.tsv, Signal.BlockingSignalfdReadSleepsUntilTheSignalComes.
     cc -o signalfd_blocking_read_loses_value signalfd_blocking_read_loses_value.c
     ./signalfd_blocking_read_loses_value; runsc --network=none do ./signalfd_blocking_read_loses_value
   The child's read is seen asleep (/proc/PID/stat) before the signal is
   sent; alarm() bounds it and the wait for it.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int asleep(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'S';
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(20);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  int ready[2];
  if (pipe(ready) != 0) { printf("SETUP: pipe: %s\n", strerror(errno)); return 2; }
  pid_t c = fork();
  if (c < 0) { printf("SETUP: fork: %s\n", strerror(errno)); return 2; }
  if (c == 0) {
    int fd = signalfd(-1, &s, 0);
    if (fd < 0) _exit(2);
    write(ready[1], "r", 1);
    alarm(10);
    struct signalfd_siginfo si;
    ssize_t r = read(fd, &si, sizeof si);
    if (r != (ssize_t)sizeof si || si.ssi_signo != SIGUSR1 || si.ssi_int != 31) {
      printf("man 2 signalfd says ssi_int is the \"Integer sent by sigqueue(3)\"; got: a read that "
             "slept until sigqueue(SIGUSR1, 31) returned %zd bytes, ssi_signo %u, ssi_int %d\n",
             r, r > 0 ? si.ssi_signo : 0, r > 0 ? si.ssi_int : 0);
      _exit(1);
    }
    _exit(0);
  }
  char b;
  if (read(ready[0], &b, 1) != 1) { printf("SETUP: the child did not start\n"); return 2; }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!asleep(c)) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 8) { printf("SETUP: the child never slept in read\n"); kill(c, SIGKILL); waitpid(c, NULL, 0); return 2; }
    sched_yield();
  }
  union sigval v = {.sival_int = 31};
  sigqueue(c, SIGUSR1, v);
  int st = 0;
  waitpid(c, &st, 0);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (rc == 0) printf("ok: the blocked read returned ssi_int 31, the value sent\n");
  return rc;
}
