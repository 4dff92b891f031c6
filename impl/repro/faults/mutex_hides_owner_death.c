/* A planted fault (impl/repro, issue 17): a libc whose robust mutexes hand a
 * dead owner's mutex on as if it had been unlocked: pthread_mutex_timedlock(3)
 * and pthread_mutex_trylock(3) make it consistent themselves and report
 * success instead of EOWNERDEAD. It breaks man 3 pthread_mutexattr_setrobust,
 * PTHREAD_MUTEX_ROBUST: "If a mutex is initialized with the
 * PTHREAD_MUTEX_ROBUST attribute and its owner dies without unlocking it, any
 * future attempts to call pthread_mutex_lock(3) on this mutex will succeed and
 * return EOWNERDEAD". Loaded with LD_PRELOAD by
 * //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <time.h>

int pthread_mutex_timedlock(pthread_mutex_t *m, const struct timespec *abs) {
  static int (*real)(pthread_mutex_t *, const struct timespec *);
  int r;
  if (real == NULL) {
    real = (int (*)(pthread_mutex_t *, const struct timespec *))dlsym(RTLD_NEXT,
                                                                      "pthread_mutex_timedlock");
  }
  r = real(m, abs);
  if (r == EOWNERDEAD && pthread_mutex_consistent(m) == 0) return 0; /* the bug */
  return r;
}

int pthread_mutex_trylock(pthread_mutex_t *m) {
  static int (*real)(pthread_mutex_t *);
  int r;
  if (real == NULL) real = (int (*)(pthread_mutex_t *))dlsym(RTLD_NEXT, "pthread_mutex_trylock");
  r = real(m);
  if (r == EOWNERDEAD && pthread_mutex_consistent(m) == 0) return 0; /* the bug */
  return r;
}
