/* sa_resethand_clears_sa_siginfo: with SA_RESETHAND, Linux resets only the
   handler to SIG_DFL on entry to it; the other flags, SA_SIGINFO among them,
   stay in the action read back with sigaction(2) inside the handler.
     man 2 sigaction: "SA_RESETHAND Restore the signal action to the default
     upon entry to the signal handler."  POSIX also clears SA_SIGINFO ("the
     disposition of the signal shall be reset to SIG_DFL and the SA_SIGINFO
     flag shall be cleared"); Linux does not (kernel/signal.c sets only
     sa_handler; LTP's sigaction01 checks that SA_SIGINFO stays).
   Linux keeps SA_SIGINFO. gVisor (runsc 0.0~20240729.0) clears it, as POSIX
   says: this reproducer shows a difference from Linux, not from POSIX.
   Finding: containers/divergences/gvisor.tsv, Signal.SaResethandKeepsSaSiginfoInTheActionReadInsideTheHandler.
     cc -o sa_resethand_clears_sa_siginfo sa_resethand_clears_sa_siginfo.c
     ./sa_resethand_clears_sa_siginfo; runsc --network=none do ./sa_resethand_clears_sa_siginfo
   Exit status: 0 as Linux does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t flags = -1, handler_default = -1;

static void on_usr1(int sig, siginfo_t *si, void *uc) {
  (void)si;
  (void)uc;
  struct sigaction now;
  sigaction(sig, NULL, &now);
  flags = now.sa_flags;
  handler_default = now.sa_handler == SIG_DFL;
}

int main(void) {
  alarm(10); /* raise() runs the handler at once; a hang still ends */
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO | SA_RESETHAND;
  if (sigaction(SIGUSR1, &sa, NULL) != 0) { printf("SETUP: sigaction: %s\n", strerror(errno)); return 2; }
  raise(SIGUSR1);
  if (flags == -1) { printf("SETUP: the handler did not run\n"); return 2; }
  if (!handler_default || !(flags & SA_SIGINFO)) {
    printf("man 2 sigaction says SA_RESETHAND \"Restore[s] the signal action to the default upon "
           "entry to the signal handler\" (Linux: the handler only; SA_SIGINFO stays); got: "
           "inside the handler sigaction reads handler %s, sa_flags 0x%x (SA_SIGINFO %s)\n",
           handler_default ? "SIG_DFL" : "not SIG_DFL", (unsigned)flags,
           flags & SA_SIGINFO ? "kept" : "cleared");
    return 1;
  }
  printf("ok: SA_RESETHAND reset the handler and kept SA_SIGINFO (sa_flags 0x%x)\n", (unsigned)flags);
  return 0;
}
