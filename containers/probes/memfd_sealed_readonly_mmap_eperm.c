/* memfd_sealed_readonly_mmap_eperm: a read-only shared mapping of a memfd
   sealed with F_SEAL_WRITE is allowed; only a writable shared mapping fails.
     man 2 fcntl, F_SEAL_WRITE: "If this seal is set, you cannot modify the
     contents of the file.  Note that shrinking or growing the size of the
     file is still possible and allowed.  Thus, this seal is normally used in
     combination with one of the other seals.  This seal affects write(2) and
     fallocate(2) (only in combination with the FALLOC_FL_PUNCH_HOLE flag).
     Those calls fail with EPERM if this seal is set.  Furthermore, trying to
     create new shared, writable memory-mappings via mmap(2) will also fail
     with EPERM."
   Linux 6.1.176 and later (the host): mmap(PROT_READ, MAP_SHARED) succeeds,
   mmap(PROT_READ|PROT_WRITE, MAP_SHARED) fails EPERM. gVisor (runsc
   0.0~20240729.0), like Linux before 6.1: the read-only mapping fails EPERM
   too (so does Linux 5.10: containers/divergences/linux-5.10.tsv).
   Finding: containers/divergences/gvisor.tsv, Memfd.SealWrite.
     cc -o memfd_sealed_readonly_mmap_eperm memfd_sealed_readonly_mmap_eperm.c
     ./memfd_sealed_readonly_mmap_eperm; runsc --network=none do ./memfd_sealed_readonly_mmap_eperm
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
  int fd = memfd_create("repro", MFD_ALLOW_SEALING);
  if (fd < 0 || ftruncate(fd, 4096) != 0 || fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE) != 0) {
    printf("SETUP: memfd_create, ftruncate or F_ADD_SEALS: %s\n", strerror(errno));
    return 2;
  }
  int rc = 0;
  void *ro = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
  int e = errno;
  if (ro == MAP_FAILED) {
    printf("man 2 fcntl says F_SEAL_WRITE makes \"new shared, writable memory-mappings\" fail with "
           "EPERM (not read-only ones); got: mmap(PROT_READ, MAP_SHARED) of the sealed memfd failed "
           "%s\n", strerror(e));
    rc = 1;
  } else {
    munmap(ro, 4096);
  }
  void *rw = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  e = errno;
  if (rw != MAP_FAILED || e != EPERM) {
    printf("man 2 fcntl says \"trying to create new shared, writable memory-mappings via mmap(2) "
           "will also fail with EPERM\"; got: mmap(PROT_READ|PROT_WRITE, MAP_SHARED) %s\n",
           rw != MAP_FAILED ? "succeeded" : strerror(e));
    if (rw != MAP_FAILED) munmap(rw, 4096);
    rc = 1;
  }
  close(fd);
  if (rc == 0) printf("ok: F_SEAL_WRITE refuses the writable shared mapping only\n");
  return rc;
}
