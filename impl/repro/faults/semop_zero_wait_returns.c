/* A planted fault (impl/repro, issue 17): a kernel whose semop(2) returns at
 * once from a wait-for-zero (sem_op 0, no IPC_NOWAIT) while the value is not
 * zero. It breaks man 2 semop: "If sem_op is zero, the process must have read
 * permission on the semaphore set. This is a "wait-for-zero" operation: if
 * semval is zero, the operation can immediately proceed. Otherwise, if
 * IPC_NOWAIT is specified in sem_flg, semop() fails with errno set to EAGAIN
 * (and none of the operations in sops is performed). Otherwise, semzcnt ... is
 * incremented by one and the thread sleeps until ... semval becomes 0".
 * Loaded with LD_PRELOAD by //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

int semop(int semid, struct sembuf *sops, size_t nsops) {
  static int (*real_semop)(int, struct sembuf *, size_t);
  if (real_semop == NULL) real_semop = (int (*)(int, struct sembuf *, size_t))dlsym(RTLD_NEXT, "semop");
  if (nsops == 1 && sops[0].sem_op == 0 && !(sops[0].sem_flg & IPC_NOWAIT) &&
      semctl(semid, sops[0].sem_num, GETVAL) > 0) {
    return 0; /* the bug: "proceeds" without waiting for zero */
  }
  return real_semop(semid, sops, nsops);
}
