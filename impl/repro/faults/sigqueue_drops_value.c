/* A planted fault (impl/repro, issue 17): a libc whose sigqueue(3) queues
 * the signal without its value: the receiver sees si_value 0 (si_code still
 * SI_QUEUE), as a sigqueue that forgot to copy the union into the siginfo
 * it hands to rt_sigqueueinfo(2) would. It breaks man 3 sigqueue: "The
 * value argument is used to specify an accompanying item of data (either an
 * integer or a pointer value) to be sent with the signal" and "the receiver
 * can obtain the data via the si_value field of the siginfo_t structure".
 * SIGRTMAX (ipcspec's watchdog) is left alone. Loaded with LD_PRELOAD by
 * //impl/repro:planted_shmsig_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <signal.h>
#include <sys/types.h>

int sigqueue(pid_t pid, int sig, const union sigval value) {
  static int (*real)(pid_t, int, const union sigval);
  union sigval none;
  if (real == NULL) real = (int (*)(pid_t, int, const union sigval))dlsym(RTLD_NEXT, "sigqueue");
  if (sig == SIGRTMAX) return real(pid, sig, value);
  none.sival_ptr = 0;
  return real(pid, sig, none);
}
