/* rt_sigpending_ignores_sigsetsize: the raw rt_sigpending(2) and
   rt_sigsuspend(2) check their sigsetsize argument.
     man 2 sigsuspend, C library/kernel differences: "the sigsetsize
     argument ... is currently required to have the value sizeof(sigset_t)
     (or the error EINVAL results)" (the kernel's sigset_t: 8 bytes on
     x86-64); man 2 sigpending, C library/kernel differences: rt_sigpending
     "has an additional argument, size_t sigsetsize, which specifies the size
     in bytes of the signal set in set".
   Linux: rt_sigpending(buf, 16) fails EINVAL (a size above 8), and
   rt_sigsuspend(mask, 4) fails EINVAL at once. gVisor (runsc 0.0~20240729.0)
   never looks at it: rt_sigpending(buf, 16) succeeds and rt_sigsuspend
   suspends as if the size were 8.
   Finding: containers/divergences/gvisor.tsv, Signal.SigpendingAndSigsuspendCheckTheSigsetSize.
     cc -o rt_sigpending_ignores_sigsetsize rt_sigpending_ignores_sigsetsize.c
     ./rt_sigpending_ignores_sigsetsize; runsc --network=none do ./rt_sigpending_ignores_sigsetsize
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void on_alarm(int s) { (void)s; }

int main(void) {
  alarm(10);
  int rc = 0;
  unsigned char buf[16];
  memset(buf, 0, sizeof buf);
  long r = syscall(SYS_rt_sigpending, buf, 16);
  int e = errno;
  if (!(r == -1 && e == EINVAL)) {
    printf("man 2 sigsuspend says sigsetsize \"is currently required to have the value "
           "sizeof(sigset_t) (or the error EINVAL results)\"; got: rt_sigpending(buf, 16) "
           "returned %ld%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    rc = 1;
  }
  /* rt_sigsuspend with sigsetsize 4: Linux fails EINVAL at once. Were it to
     suspend, SIGALRM (a handler, not restarted) ends it within 2 s. */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  unsigned char mask[8];
  memset(mask, 0, sizeof mask);
  alarm(2);
  r = syscall(SYS_rt_sigsuspend, mask, 4);
  e = errno;
  alarm(10);
  if (!(r == -1 && e == EINVAL)) {
    printf("man 2 sigsuspend says sigsetsize \"is currently required to have the value "
           "sizeof(sigset_t) (or the error EINVAL results)\"; got: rt_sigsuspend(mask, 4) "
           "returned %ld%s%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "",
           e == EINTR ? " (it suspended until the alarm)" : "");
    rc = 1;
  }
  if (rc == 0) printf("ok: a wrong sigsetsize is EINVAL for rt_sigpending and rt_sigsuspend\n");
  return rc;
}
