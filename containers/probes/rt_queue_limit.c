/* rt_queue_limit: how many instances of one real-time signal can be queued.
     man 7 signal, "Real-time signals": "Multiple instances of real-time
     signals can be queued."; man 2 getrlimit: "RLIMIT_SIGPENDING This is a
     limit on the number of signals that may be queued for the real user ID
     of the calling process. Both standard and real-time signals are counted
     for the purpose of checking this limit."; man 3 sigqueue: "EAGAIN The
     limit of signals which may be queued has been reached."
   Linux queues up to RLIMIT_SIGPENDING (thousands by default). gVisor
   (runsc 0.0~20240729.0) reads RLIMIT_SIGPENDING as 0 and refuses the 33rd
   instance of each real-time signal with EAGAIN (POSIX's floor
   _POSIX_SIGQUEUE_MAX is 32, so within POSIX, not as Linux documents it).
   Finding: containers/divergences/gvisor.tsv,
   Signal.RealTimeQueueHoldsMoreThanThePosixMinimum.
     cc -o rt_queue_limit rt_queue_limit.c && ./rt_queue_limit
     runsc --network=none do ./rt_queue_limit
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* sigqueue does not block; a hang still ends */
  int sig = SIGRTMIN + 2;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  if (sigprocmask(SIG_BLOCK, &s, NULL) != 0) {
    printf("SETUP: sigprocmask: %s\n", strerror(errno));
    return 2;
  }
  struct rlimit rl;
  if (getrlimit(RLIMIT_SIGPENDING, &rl) != 0) {
    printf("SETUP: getrlimit(RLIMIT_SIGPENDING): %s\n", strerror(errno));
    return 2;
  }
  int failed = 0;
  if (rl.rlim_cur == 0) {
    printf("man 2 getrlimit says RLIMIT_SIGPENDING \"is a limit on the number of signals that may "
           "be queued\"; got: RLIMIT_SIGPENDING soft limit 0 (hard %lld), yet signals queue\n",
           (long long)rl.rlim_max);
    failed = 1;
  }
  /* Queue 64 instances (well under any Linux default, above POSIX's 32). */
  int want = 64, n = 0;
  if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur != 0 && rl.rlim_cur < (rlim_t)want + 8) {
    printf("SETUP: RLIMIT_SIGPENDING is %lld, too low to queue %d signals\n",
           (long long)rl.rlim_cur, want);
    return 2;
  }
  for (; n < want; n++) {
    union sigval v = {.sival_int = n};
    if (sigqueue(getpid(), sig, v) != 0) break;
  }
  int e = errno;
  if (n < want) {
    printf("man 7 signal says \"Multiple instances of real-time signals can be queued\" up to "
           "RLIMIT_SIGPENDING (%lld); got: sigqueue of instance %d of SIGRTMIN+2 failed %s\n",
           (long long)rl.rlim_cur, n + 1, strerror(e));
    failed = 1;
  }
  /* Take back what was queued: nothing is left pending (the process exits anyway). */
  struct timespec zero = {0, 0};
  while (sigtimedwait(&s, NULL, &zero) == sig) {
  }
  if (!failed) printf("ok: %d instances of SIGRTMIN+2 queued (RLIMIT_SIGPENDING %lld)\n", n,
                      (long long)rl.rlim_cur);
  return failed;
}
