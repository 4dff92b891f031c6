/* A planted fault (impl/repro, issue 17): a kernel whose semop(2) with
 * several operations and IPC_NOWAIT does the operations before the one that
 * cannot proceed, then fails. It breaks man 2 semop: "The set of operations
 * contained in sops is performed in array order, and atomically, that is,
 * the operations are performed either as a complete unit, or not at all."
 * Loaded with LD_PRELOAD by //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

int semop(int semid, struct sembuf *sops, size_t nsops) {
  static int (*real_semop)(int, struct sembuf *, size_t);
  int r, saved;
  size_t i;
  if (real_semop == NULL) real_semop = (int (*)(int, struct sembuf *, size_t))dlsym(RTLD_NEXT, "semop");
  r = real_semop(semid, sops, nsops);
  saved = errno;
  if (r != 0 && (saved == EAGAIN || saved == ERANGE) && nsops > 1) {
    for (i = 0; i < nsops; i++) {
      if (!(sops[i].sem_flg & IPC_NOWAIT)) break;
      /* The bug: the operations before the failing one stay done. */
      if (real_semop(semid, &sops[i], 1) != 0) break;
    }
  }
  errno = saved;
  return r;
}
