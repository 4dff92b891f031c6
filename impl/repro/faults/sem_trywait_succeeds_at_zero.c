/* A planted fault (impl/repro, issue 17): a libc whose sem_trywait(3)
 * reports success at value 0 without taking anything. It breaks man 3
 * sem_wait: "sem_trywait() is the same as sem_wait(), except that if the
 * decrement cannot be immediately performed, then call returns an error
 * (errno set to EAGAIN) instead of blocking." Loaded with LD_PRELOAD by
 * //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <semaphore.h>
#include <stddef.h>

int sem_trywait(sem_t *sem) {
  static int (*real_trywait)(sem_t *);
  int r, saved;
  if (real_trywait == NULL) real_trywait = (int (*)(sem_t *))dlsym(RTLD_NEXT, "sem_trywait");
  r = real_trywait(sem);
  saved = errno;
  if (r != 0 && saved == EAGAIN) return 0; /* the bug: "taken", but nothing was */
  errno = saved;
  return r;
}
