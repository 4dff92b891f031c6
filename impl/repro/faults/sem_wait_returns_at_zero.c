/* A planted fault (impl/repro, issue 17): a libc whose sem_wait(3) returns
 * success at value 0 without waiting or taking anything (a lost futex wait).
 * It breaks man 7 sem_overview: "If the value of a semaphore is currently
 * zero, then a sem_wait(3) operation will block until the value becomes
 * greater than zero." Loaded with LD_PRELOAD by
 * //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <errno.h>
#include <semaphore.h>

int sem_wait(sem_t *sem) {
  /* Only the non-blocking half of a wait: the bug is that it stops here. */
  if (sem_trywait(sem) != 0 && errno == EAGAIN) return 0;
  return 0;
}
