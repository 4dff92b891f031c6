/* A planted fault (impl/repro, issue 17): a kernel whose flock(2) with
 * LOCK_NB reports success where the file is locked by another open file
 * description. It breaks man 2 flock: "EWOULDBLOCK The file is locked and the
 * LOCK_NB flag was selected." (and "Only one process may hold an exclusive
 * lock for a given file at a given time"). Loaded with LD_PRELOAD by
 * //impl/repro:planted_semlock_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/file.h>

int flock(int fd, int operation) {
  static int (*real_flock)(int, int);
  int r, saved;
  if (real_flock == NULL) real_flock = (int (*)(int, int))dlsym(RTLD_NEXT, "flock");
  r = real_flock(fd, operation);
  saved = errno;
  if (r != 0 && (operation & LOCK_NB) && saved == EWOULDBLOCK) return 0; /* the bug */
  errno = saved;
  return r;
}
