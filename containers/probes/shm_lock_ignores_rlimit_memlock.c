/* shm_lock_ignores_rlimit_memlock: shmctl(SHM_LOCK) by a segment's owner
   without CAP_IPC_LOCK is checked against RLIMIT_MEMLOCK: a segment larger
   than the limit fails ENOMEM, one within it is locked, and with a limit of
   0 it fails EPERM.
     man 2 shmctl: SHM_LOCK: "the amount of memory to be locked falls within
     the RLIMIT_MEMLOCK resource limit (see setrlimit(2))"; ERRORS: "ENOMEM
     (Since Linux 2.6.9) SHM_LOCK was specified and the size of the
     to-be-locked segment would mean that the total bytes in locked shared
     memory segments would exceed the limit for the real user ID of the
     calling process.  This limit is defined by the RLIMIT_MEMLOCK soft
     resource limit"; "EPERM ... (Since Linux 2.6.9) SHM_LOCK or SHM_UNLOCK is
     specified, but the caller is not privileged ... and its effective user
     ID does not match the owner or creator of the segment, and (for SHM_LOCK)
     the memory to be locked exceeds the RLIMIT_MEMLOCK resource limit"
     (Linux: a limit of 0 is EPERM before the size is looked at).
   Linux: 4 pages under a limit of 2 pages: ENOMEM; 1 page: locked; limit 0:
   EPERM. gVisor (runsc 0.0~20240729.0): SHM_LOCK succeeds whatever the limit.
   Needs root (to hand the segments to uid 65534 and become it, without
   CAP_IPC_LOCK); exit 2 without it.
   Finding: containers/divergences/gvisor.tsv, SysvShmTable.ShmLockAgainstRlimitMemlock.
     cc -o shm_lock_ignores_rlimit_memlock shm_lock_ignores_rlimit_memlock.c
     ./shm_lock_ignores_rlimit_memlock; runsc --network=none do ./shm_lock_ignores_rlimit_memlock
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/resource.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static const char* res(int r, int e) { return r == 0 ? "success" : strerror(e); }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks but the wait for the child, bounded by it */
  const long page = sysconf(_SC_PAGESIZE);
  int big = shmget(IPC_PRIVATE, 4 * page, IPC_CREAT | 0600);
  int small = shmget(IPC_PRIVATE, page, IPC_CREAT | 0600);
  int rc = 2;
  if (big < 0 || small < 0) {
    printf("SETUP: shmget: %s\n", strerror(errno));
    goto out;
  }
  /* The segments' owner becomes uid 65534 (IPC_SET): SHM_LOCK by the owner. */
  for (int i = 0; i < 2; ++i) {
    struct shmid_ds ds;
    int id = i ? small : big;
    if (shmctl(id, IPC_STAT, &ds) != 0) goto out;
    ds.shm_perm.uid = 65534;
    if (shmctl(id, IPC_SET, &ds) != 0) {
      printf("SETUP: IPC_SET of the owner: %s (needs root)\n", strerror(errno));
      goto out;
    }
  }
  pid_t c = fork();
  if (c < 0) goto out;
  if (c == 0) {
    struct rlimit two = {2 * page, 2 * page}, zero = {0, 0};
    if (setrlimit(RLIMIT_MEMLOCK, &two) != 0 || setgroups(0, NULL) != 0 ||
        setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) {
      printf("SETUP: RLIMIT_MEMLOCK of 2 pages and uid 65534: %s (needs root)\n", strerror(errno));
      _exit(2);
    }
    int bad = 0;
    int r = shmctl(big, SHM_LOCK, NULL);
    int e = errno;
    if (!(r == -1 && e == ENOMEM)) {
      printf("man 2 shmctl says \"ENOMEM ... SHM_LOCK was specified and the size of the "
             "to-be-locked segment would mean that the total bytes in locked shared memory "
             "segments would exceed the limit\"; got: SHM_LOCK of 4 pages with RLIMIT_MEMLOCK "
             "2 pages: %s\n", res(r, e));
      bad = 1;
    }
    r = shmctl(small, SHM_LOCK, NULL);
    e = errno;
    if (r != 0) {
      printf("man 2 shmctl says SHM_LOCK works when \"the amount of memory to be locked falls "
             "within the RLIMIT_MEMLOCK resource limit\"; got: SHM_LOCK of 1 page with "
             "RLIMIT_MEMLOCK 2 pages: %s\n", res(r, e));
      bad = 1;
    }
    /* Lowered last: an unprivileged process cannot raise it again. */
    if (setrlimit(RLIMIT_MEMLOCK, &zero) != 0) _exit(2);
    r = shmctl(small, SHM_LOCK, NULL);
    e = errno;
    if (!(r == -1 && e == EPERM)) {
      printf("man 2 shmctl (EPERM: \"the memory to be locked exceeds the RLIMIT_MEMLOCK "
             "resource limit\"; Linux checks a limit of 0 first): SHM_LOCK with RLIMIT_MEMLOCK 0 "
             "is EPERM; got: %s\n", res(r, e));
      bad = 1;
    }
    _exit(bad);
  }
  int st = 0;
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) {
    printf("SETUP: the child did not exit (status %#x)\n", st);
    goto out;
  }
  rc = WEXITSTATUS(st);
out:
  if (big >= 0) shmctl(big, IPC_RMID, NULL);
  if (small >= 0) shmctl(small, IPC_RMID, NULL);
  if (rc == 0) printf("ok: SHM_LOCK follows RLIMIT_MEMLOCK (ENOMEM over it, EPERM at 0)\n");
  return rc;
}
