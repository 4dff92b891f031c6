/* A planted fault (impl/repro, issue 17): a kernel whose semop(2) ignores
 * SEM_UNDO, so that nothing is undone when the process ends. It breaks man 2
 * semop: "If an operation specifies SEM_UNDO, it will be automatically undone
 * when the process terminates." Loaded with LD_PRELOAD by
 * //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

int semop(int semid, struct sembuf *sops, size_t nsops) {
  static int (*real_semop)(int, struct sembuf *, size_t);
  struct sembuf ops[64];
  size_t i;
  if (real_semop == NULL) real_semop = (int (*)(int, struct sembuf *, size_t))dlsym(RTLD_NEXT, "semop");
  if (nsops > 64) return real_semop(semid, sops, nsops);
  for (i = 0; i < nsops; i++) {
    ops[i] = sops[i];
    ops[i].sem_flg = (short)(ops[i].sem_flg & ~SEM_UNDO); /* the bug */
  }
  return real_semop(semid, ops, nsops);
}
