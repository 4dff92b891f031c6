/* How many instances of one real-time signal can be queued, and what
   getrlimit(RLIMIT_SIGPENDING) says. Linux: up to RLIMIT_SIGPENDING per real
   user ID (man 2 getrlimit), thousands by default, all signals counted
   together. gVisor 0.0~20240729.0: 32 per signal number, RLIMIT_SIGPENDING 0. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int fill(int sig) {
  int n = 0;
  for (; n < 100000; ++n) {
    union sigval v = {.sival_int = n};
    if (sigqueue(getpid(), sig, v) != 0) {
      printf("%s: %d queued, then sigqueue failed: %s\n", sig == SIGRTMIN + 2 ? "SIGRTMIN+2" : "SIGRTMIN+3",
             n, strerror(errno));
      return n;
    }
  }
  printf("100000 queued\n");
  return n;
}

int main(void) {
  setvbuf(stdout, 0, _IONBF, 0);
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGRTMIN + 2);
  sigaddset(&s, SIGRTMIN + 3);
  sigprocmask(SIG_BLOCK, &s, 0);
  struct rlimit rl;
  getrlimit(RLIMIT_SIGPENDING, &rl);
  printf("RLIMIT_SIGPENDING soft %ld hard %ld\n", (long)rl.rlim_cur, (long)rl.rlim_max);
  fill(SIGRTMIN + 2);
  fill(SIGRTMIN + 3);  /* Linux: none left (one limit for all); gVisor: 32 more */
  return 0;
}
