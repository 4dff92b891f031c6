/* ofd_and_traditional_getlk_disagree: F_GETLK and F_OFD_GETLK report the
   conflicts between a process's own open file description (OFD) lock and
   its own traditional record lock, as F_SETLK and F_OFD_SETLK see them.
     man 2 fcntl, F_GETLK: "If the conflicting lock is a traditional
     (process-associated) record lock, then the l_pid field is set to the PID
     of the process holding that lock.  If the conflicting lock is an open
     file description lock, then l_pid is set to -1."; "Conflicting
     lock combinations (i.e., a read lock and a write lock or two write
     locks) where one lock is an open file description lock and the other is
     a traditional record lock conflict even when they are acquired by the
     same process on the same file descriptor." (man 2 fcntl, "Open file
     description locks (non-POSIX)").
   Linux: F_GETLK over the process's own OFD write lock reports it with
   l_pid -1; F_OFD_GETLK over its own traditional write lock reports it
   (F_WRLCK, l_pid its pid). gVisor (runsc 0.0~20240729.0): l_pid 0, and
   F_UNLCK although F_OFD_SETLK conflicts.
   Finding: containers/divergences/gvisor.tsv, OfdTable.ConflictsWithTraditionalLocksOnTheSameDescriptor.
     cc -o ofd_and_traditional_getlk_disagree ofd_and_traditional_getlk_disagree.c
     ./ofd_and_traditional_getlk_disagree; runsc --network=none do ./ofd_and_traditional_getlk_disagree
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  char path[] = "/tmp/repro-ofdtrad-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) { printf("SETUP: mkstemp: %s\n", strerror(errno)); return 2; }
  unlink(path);
  int rc = 0;
  /* An OFD write lock on [0, 10); then the traditional F_GETLK over it. */
  struct flock o = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  if (fcntl(fd, F_OFD_SETLK, &o) != 0) { printf("SETUP: F_OFD_SETLK: %s\n", strerror(errno)); return 2; }
  struct flock q = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 10};
  int r = fcntl(fd, F_GETLK, &q);
  if (r != 0 || q.l_type != F_WRLCK || q.l_pid != -1) {
    printf("man 2 fcntl says \"If the conflicting lock is an open file description lock, then "
           "l_pid is set to -1.\"; got: F_GETLK over the process's own OFD write lock returned %d, "
           "l_type %d (F_WRLCK %d), l_pid %d\n", r, q.l_type, F_WRLCK, (int)q.l_pid);
    rc = 1;
  }
  /* A traditional write lock on [20, 30); then F_OFD_GETLK over it. */
  struct flock t = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10};
  if (fcntl(fd, F_SETLK, &t) != 0) { printf("SETUP: F_SETLK: %s\n", strerror(errno)); return 2; }
  struct flock q2 = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10};
  r = fcntl(fd, F_OFD_GETLK, &q2);
  struct flock s2 = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 20, .l_len = 10};
  int set = fcntl(fd, F_OFD_SETLK, &s2);
  int e = errno;
  if (r != 0 || q2.l_type != F_WRLCK || q2.l_pid != getpid()) {
    printf("man 2 fcntl says F_GETLK (and F_OFD_GETLK) \"returns details about one of those locks\" "
           "and for a traditional lock \"the l_pid field is set to the PID of the process holding "
           "that lock\"; got: F_OFD_GETLK over the process's own traditional write lock returned "
           "%d, l_type %d (F_UNLCK %d), l_pid %d, while F_OFD_SETLK of that range %s\n", r,
           q2.l_type, F_UNLCK, (int)q2.l_pid, set == 0 ? "succeeded" : strerror(e));
    rc = 1;
  }
  close(fd);
  if (rc == 0) printf("ok: each kind of lock is reported over the other as documented\n");
  return rc;
}
