/* signalfd_reads_creators_signals: a signalfd inherited across fork(2) reads
   the signals of the process that reads it, not of the one that created it.
     man 2 signalfd, "fork(2) semantics": "After a fork(2), the child inherits
     a copy of the signalfd file descriptor.  A read(2) from the file
     descriptor in the child will return information about signals queued to
     the child."
   Linux: the child reads its own SIGUSR1 and not the parent's pending
   SIGUSR2. gVisor (runsc 0.0~20240729.0) reads the creator's (the
   parent's) signals in the child.
   Finding: containers/divergences/gvisor.tsv, Signal.SignalfdInAChildReadsTheChildsSignals.
     cc -o signalfd_reads_creators_signals signalfd_reads_creators_signals.c
     ./signalfd_reads_creators_signals; runsc --network=none do ./signalfd_reads_creators_signals
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the signalfd is non-blocking; the wait for the child ends by then */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL);
  int fd = signalfd(-1, &s, SFD_NONBLOCK);
  if (fd < 0) { printf("SETUP: signalfd: %s\n", strerror(errno)); return 2; }
  kill(getpid(), SIGUSR2); /* pending in the parent only */
  pid_t c = fork();
  if (c < 0) { printf("SETUP: fork: %s\n", strerror(errno)); return 2; }
  if (c == 0) {
    kill(getpid(), SIGUSR1); /* pending in the child */
    struct signalfd_siginfo si[2];
    ssize_t r = read(fd, si, sizeof si);
    int bad = 0;
    int n = r > 0 ? (int)(r / sizeof si[0]) : 0;
    int own = 0, parents = 0;
    for (int i = 0; i < n; i++) {
      if (si[i].ssi_signo == SIGUSR1) own = 1;
      if (si[i].ssi_signo == SIGUSR2) parents = 1;
    }
    if (!own || parents) {
      printf("man 2 signalfd says \"A read(2) from the file descriptor in the child will return "
             "information about signals queued to the child\"; got: the child's read returned "
             "%zd bytes: %s its own SIGUSR1, %s the parent's SIGUSR2\n", r,
             own ? "with" : "without", parents ? "with" : "without");
      bad = 1;
    }
    _exit(bad);
  }
  int st = 0;
  waitpid(c, &st, 0);
  close(fd);
  int rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (rc == 0) printf("ok: the child's read of the inherited signalfd returned the child's signal only\n");
  return rc;
}
