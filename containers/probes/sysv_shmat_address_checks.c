/* sysv_shmat_address_checks: shmat(2) refuses an unaligned address, an
   address range already mapped (without SHM_REMAP) and SHM_REMAP with a NULL
   address; a SHM_RDONLY attachment cannot be made writable.
     man 2 shmop: "EINVAL Invalid shmid value, unaligned (i.e., not
     page-aligned and SHM_RND was not specified) or invalid shmaddr value, or
     can't attach segment at shmaddr, or SHM_REMAP was specified and shmaddr
     was NULL."; SHM_REMAP: "(Normally, an EINVAL error would result if a
     mapping already exists in this address range.)"; SHM_RDONLY: "Attach the
     segment for read-only access."; man 2 mprotect: "EACCES The memory
     cannot be given the specified access."
   Linux: EINVAL, EINVAL, EINVAL, and EACCES for mprotect(PROT_WRITE) of the
   read-only attachment. gVisor (runsc 0.0~20240729.0): the unaligned shmat
   and the one over a mapping succeed (the latter as SHM_REMAP would),
   SHM_REMAP with NULL does not fail EINVAL, and the read-only attachment
   becomes writable.
   Findings: containers/divergences/gvisor.tsv, SysvShmTable.ShmopErrors, SysvShmTable.ShmatAtExplicitAddresses,
   SysvShmTable.StatusAfterEachOperation.
     cc -o sysv_shmat_address_checks sysv_shmat_address_checks.c
     ./sysv_shmat_address_checks; runsc --network=none do ./sysv_shmat_address_checks
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

static int rc;

static void expect_fail(void *r, int e, int want, const char *what, const char *says) {
  if (r != (void *)-1 || e != want) {
    printf("man 2 %s; got: %s %s%s\n", says, what,
           r != (void *)-1 ? "succeeded" : "failed ", r != (void *)-1 ? "" : strerror(e));
    rc = 1;
  }
}

#ifndef SHM_REMAP
#define SHM_REMAP 040000
#endif

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  long page = sysconf(_SC_PAGESIZE);
  int id = shmget(IPC_PRIVATE, page, IPC_CREAT | 0600);
  char *area = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (id < 0 || area == MAP_FAILED) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  const char *einval = "shmop says \"EINVAL ... unaligned (i.e., not page-aligned and SHM_RND was "
                       "not specified) or invalid shmaddr value, or can't attach segment at "
                       "shmaddr, or SHM_REMAP was specified and shmaddr was NULL.\"";
  /* An unaligned address, in a free range. */
  munmap(area + 2 * page, 2 * page);
  void *r = shmat(id, area + 2 * page + 1, 0);
  int e = errno;
  if (r != (void *)-1) shmdt(r);
  expect_fail(r, e, EINVAL, "shmat at an unaligned address", einval);
  /* Over the existing private mapping, without SHM_REMAP. */
  r = shmat(id, area, 0);
  e = errno;
  if (r != (void *)-1) shmdt(r);
  expect_fail(r, e, EINVAL, "shmat over an existing mapping without SHM_REMAP",
              "shmop says \"(Normally, an EINVAL error would result if a mapping already exists "
              "in this address range.)\"");
  /* SHM_REMAP with a NULL address. */
  r = shmat(id, NULL, SHM_REMAP);
  e = errno;
  if (r != (void *)-1) shmdt(r);
  expect_fail(r, e, EINVAL, "shmat(NULL, SHM_REMAP)", einval);
  /* SHM_RDONLY, then mprotect writable. */
  void *ro = shmat(id, NULL, SHM_RDONLY);
  if (ro == (void *)-1) { printf("SETUP: shmat(SHM_RDONLY): %s\n", strerror(errno)); rc = 2; goto out; }
  int m = mprotect(ro, page, PROT_READ | PROT_WRITE);
  e = errno;
  if (!(m == -1 && e == EACCES)) {
    printf("man 2 shmop says SHM_RDONLY attaches \"for read-only access\" (man 2 mprotect: \"EACCES "
           "The memory cannot be given the specified access.\"); got: mprotect(PROT_READ|PROT_WRITE) "
           "of the read-only attachment returned %d%s%s\n", m, m < 0 ? " errno " : "",
           m < 0 ? strerror(e) : "");
    rc = 1;
  }
  shmdt(ro);
out:
  munmap(area, 2 * page);
  shmctl(id, IPC_RMID, NULL);
  if (rc == 0) printf("ok: shmat refuses bad addresses and a read-only attachment stays read-only\n");
  return rc;
}
