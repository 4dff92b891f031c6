/* signalfd_reads_creators_signals: a signalfd reads the signals of the
   thread that reads it (and of its process), not those of the thread that
   created it: in a child after fork(2), and in another thread.
     man 2 signalfd, "fork(2) semantics": "After a fork(2), the child inherits
     a copy of the signalfd file descriptor.  A read(2) from the file
     descriptor in the child will return information about signals queued to
     the child."; "Thread semantics": "when a thread reads from a signalfd
     file descriptor, it will read the signals that are directed to the
     thread itself and the signals that are directed to the process (i.e.,
     the entire thread group). (A thread will not be able to read signals
     that are directed to other threads in the process.)"
   Linux: the child reads its own SIGUSR1 and not the parent's pending
   SIGUSR2; a second thread reads the process's SIGUSR2 and not the main
   thread's tgkill SIGUSR1, which the main thread reads. gVisor (runsc
   0.0~20240729.0) reads the creator's signals: the parent's in the child,
   the main thread's SIGUSR1 (first) in the second thread.
   Findings: containers/divergences/gvisor.tsv, Signal.SignalfdInAChildReadsTheChildsSignals,
   ThreadSignal.SignalfdReadsProcessSignalsInAnyThreadButNotAnotherThreadsSignals.
     cc -o signalfd_reads_creators_signals signalfd_reads_creators_signals.c -lpthread
     ./signalfd_reads_creators_signals; runsc --network=none do ./signalfd_reads_creators_signals
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Part 2: what one read of the signalfd returned in a thread. */
struct got {
  int fd;
  int signo[2]; /* 0: nothing read */
  int err[2];
};

static void read_one(struct got* g, int i) {
  struct signalfd_siginfo si;
  ssize_t r = read(g->fd, &si, sizeof si);
  g->signo[i] = r == (ssize_t)sizeof si ? (int)si.ssi_signo : 0;
  g->err[i] = r < 0 ? errno : 0;
}

static void* second_thread(void* arg) {
  read_one(arg, 0); /* the process's SIGUSR2 */
  read_one(arg, 1); /* nothing: SIGUSR1 is the main thread's */
  return NULL;
}

/* In a child of its own (a fresh signal state): returns 0, 1 or 2. */
static int threads_part(void) {
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigaddset(&s, SIGUSR2);
  sigprocmask(SIG_BLOCK, &s, NULL); /* the second thread inherits the mask */
  struct got g = {signalfd(-1, &s, SFD_NONBLOCK), {0, 0}, {0, 0}};
  if (g.fd < 0) return 2;
  kill(getpid(), SIGUSR2);                                       /* to the process */
  syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGUSR1); /* to the main thread */
  pthread_t t;
  if (pthread_create(&t, NULL, second_thread, &g) != 0) return 2;
  pthread_join(t, NULL); /* the thread's reads do not block */
  struct got mine = {g.fd, {0, 0}, {0, 0}};
  read_one(&mine, 0);
  int bad = 0;
  if (g.signo[0] != SIGUSR2 || g.signo[1] != 0 || g.err[1] != EAGAIN || mine.signo[0] != SIGUSR1) {
    printf("man 2 signalfd says a thread \"will read the signals that are directed to the thread "
           "itself and the signals that are directed to the process\" and \"will not be able to "
           "read signals that are directed to other threads\"; got: with SIGUSR2 sent to the "
           "process and SIGUSR1 to the main thread, the second thread read %d then %d (%s), and "
           "the main thread read %d\n", g.signo[0], g.signo[1],
           g.err[1] ? strerror(g.err[1]) : "no error", mine.signo[0]);
    bad = 1;
  }
  return bad;
}

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
  /* Part 2, threads, in a fresh child (no signal pending, none blocked yet). */
  pid_t t = fork();
  if (t < 0) return 2;
  if (t == 0) {
    sigprocmask(SIG_UNBLOCK, &s, NULL);
    sigset_t pending;
    sigpending(&pending);
    if (sigismember(&pending, SIGUSR2)) { /* the parent's, inherited? (fork clears it) */
      printf("SETUP: a pending SIGUSR2 in the new child\n");
      _exit(2);
    }
    _exit(threads_part());
  }
  int st2 = 0;
  waitpid(t, &st2, 0);
  int rc2 = WIFEXITED(st2) ? WEXITSTATUS(st2) : 2;
  if (rc2 == 2 && rc != 1) rc = 2;
  if (rc2 == 1) rc = 1;
  if (rc == 0) printf("ok: the child's read of the inherited signalfd returned the child's signal only; a thread reads its own and the process's signals, not another thread's\n");
  return rc;
}
