/* f_setsig_si_code_si_kernel: the signal F_SETSIG names for a pipe that
   became readable carries si_code POLL_IN.
     man 2 sigaction: "The following values can be placed in si_code for a
     SIGIO/SIGPOLL signal: POLL_IN Data input available."; man 2 fcntl,
     F_SETSIG: "By using F_SETSIG with a nonzero value, and setting
     SA_SIGINFO for the signal handler (see sigaction(2)), extra information
     about I/O events is passed to the handler in a siginfo_t structure."
   Linux: si_code POLL_IN (1), si_fd the read end, si_band with POLLIN.
   gVisor (runsc 0.0~20240729.0): si_code SI_KERNEL (128); si_fd and si_band
   are right.
   Finding: containers/divergences/gvisor.tsv, Senders/SignalSender.SiginfoFieldsAndHandlerFlags/pipe_write*.
     cc -o f_setsig_si_code_si_kernel f_setsig_si_code_si_kernel.c
     ./f_setsig_si_code_si_kernel; runsc --network=none do ./f_setsig_si_code_si_kernel
   The signal is blocked and taken with sigtimedwait (2 s); alarm() bounds the rest.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  alarm(10);
  int sig = SIGRTMIN + 1;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  sigaddset(&s, SIGIO);
  sigprocmask(SIG_BLOCK, &s, NULL);
  int p[2];
  if (pipe(p) != 0 || fcntl(p[0], F_SETOWN, getpid()) != 0 || fcntl(p[0], F_SETSIG, sig) != 0 ||
      fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_ASYNC | O_NONBLOCK) != 0) {
    printf("SETUP: pipe, F_SETOWN, F_SETSIG or O_ASYNC: %s\n", strerror(errno));
    return 2;
  }
  write(p[1], "x", 1);
  siginfo_t si;
  memset(&si, 0, sizeof si);
  struct timespec two = {2, 0};
  int got = sigtimedwait(&s, &si, &two);
  close(p[0]);
  close(p[1]);
  if (got != sig) {
    printf("SETUP: no F_SETSIG signal within 2 s (sigtimedwait returned %d: %s)\n", got,
           got < 0 ? strerror(errno) : "another signal");
    return 2;
  }
  if (si.si_code != POLL_IN || si.si_fd != p[0] || !(si.si_band & POLLIN)) {
    printf("man 2 sigaction says si_code for a SIGIO/SIGPOLL signal is \"POLL_IN Data input "
           "available.\"; got: the F_SETSIG signal of a pipe made readable has si_code %d "
           "(POLL_IN %d, SI_KERNEL %d), si_fd %d (the read end %d), si_band 0x%lx\n", si.si_code,
           POLL_IN, SI_KERNEL, si.si_fd, p[0], (long)si.si_band);
    return 1;
  }
  printf("ok: si_code POLL_IN, si_fd the read end, si_band with POLLIN\n");
  return 0;
}
