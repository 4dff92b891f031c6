/* memfd_punch_hole_eopnotsupp: punching a hole in a memfd sealed with
   F_SEAL_WRITE fails EPERM (and, unsealed, succeeds).
     man 2 fcntl, F_SEAL_WRITE: "This seal affects write(2) and fallocate(2)
     (only in combination with the FALLOC_FL_PUNCH_HOLE flag).  Those calls
     fail with EPERM if this seal is set."; man 2 memfd_create: the memfd
     "behaves like a regular file", on tmpfs, which supports
     FALLOC_FL_PUNCH_HOLE (man 2 fallocate).
   Linux: EPERM when sealed, success when not. gVisor (runsc 0.0~20240729.0)
   does not punch holes in a memfd at all: EOPNOTSUPP either way.
   Findings: containers/divergences/gvisor.tsv, MemfdSeal.SealWriteCountsSharedMappingsNotPrivateOnes,
   MemfdSealWrite.RefusesEveryModificationAndKeepsResizing.
     cc -o memfd_punch_hole_eopnotsupp memfd_punch_hole_eopnotsupp.c
     ./memfd_punch_hole_eopnotsupp; runsc --network=none do ./memfd_punch_hole_eopnotsupp
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  for (int sealed = 0; sealed < 2; sealed++) {
    int fd = memfd_create("repro", MFD_ALLOW_SEALING);
    if (fd < 0 || ftruncate(fd, 8192) != 0 ||
        (sealed && fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) != 0)) {
      printf("SETUP: memfd_create, ftruncate or F_ADD_SEALS: %s\n", strerror(errno));
      return 2;
    }
    int r = fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096);
    int e = errno;
    close(fd);
    if (sealed ? !(r == -1 && e == EPERM) : r != 0) {
      printf("man 2 fcntl says F_SEAL_WRITE makes fallocate(2) with FALLOC_FL_PUNCH_HOLE \"fail "
             "with EPERM\" (and a memfd is a tmpfs file that punches holes); got: on a%s memfd, "
             "fallocate(FALLOC_FL_PUNCH_HOLE) returned %d%s%s\n", sealed ? " sealed" : "n unsealed",
             r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
  }
  if (rc == 0) printf("ok: a hole is punched in an unsealed memfd, and refused EPERM once sealed\n");
  return rc;
}
