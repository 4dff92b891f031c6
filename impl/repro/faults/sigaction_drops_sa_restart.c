/* A planted fault (impl/repro, issue 17): a libc whose sigaction(2) drops
 * SA_RESTART, so that a blocking read(2) interrupted by a handler installed
 * with SA_RESTART fails EINTR instead of being restarted. It breaks man 7
 * signal: "If a blocked call to one of the following interfaces is
 * interrupted by a signal handler, then the call is automatically restarted
 * after the signal handler returns if the SA_RESTART flag was used" (read(2)
 * on a pipe among them). Loaded with LD_PRELOAD by
 * //impl/repro:blocked_forms_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stddef.h>

int sigaction(int sig, const struct sigaction *act, struct sigaction *old) {
  static int (*real)(int, const struct sigaction *, struct sigaction *);
  struct sigaction copy;
  if (real == NULL)
    real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
  if (act != NULL && (act->sa_flags & SA_RESTART) != 0) {
    copy = *act;
    copy.sa_flags &= ~SA_RESTART;
    act = &copy;
  }
  return real(sig, act, old);
}
