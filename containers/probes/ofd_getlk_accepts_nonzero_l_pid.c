/* ofd_getlk_accepts_nonzero_l_pid: F_OFD_GETLK with a nonzero l_pid fails
   EINVAL, as F_OFD_SETLK does.
     man 2 fcntl, "Open file description locks (non-POSIX)": "By contrast with
     traditional record locks, the l_pid field of that structure must be set
     to zero when using the commands described below."; ERRORS: "EINVAL cmd is F_OFD_SETLK, F_OFD_SETLKW, or
     F_OFD_GETLK, and l_pid was not specified as zero."
   Linux: EINVAL for both. gVisor (runsc 0.0~20240729.0): F_OFD_GETLK
   succeeds (F_OFD_SETLK fails EINVAL).
   Finding: containers/divergences/gvisor.tsv, OfdLock.NonZeroLPidIsEinval.
     cc -o ofd_getlk_accepts_nonzero_l_pid ofd_getlk_accepts_nonzero_l_pid.c
     ./ofd_getlk_accepts_nonzero_l_pid; runsc --network=none do ./ofd_getlk_accepts_nonzero_l_pid
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
  char path[] = "/tmp/repro-ofd-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) { printf("SETUP: mkstemp: %s\n", strerror(errno)); return 2; }
  unlink(path);
  int rc = 0;
  const int cmds[2] = {F_OFD_GETLK, F_OFD_SETLK};
  const char *names[2] = {"F_OFD_GETLK", "F_OFD_SETLK"};
  for (int i = 0; i < 2; i++) {
    struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1,
                      .l_pid = getpid()};
    int r = fcntl(fd, cmds[i], &l);
    int e = errno;
    if (!(r == -1 && e == EINVAL)) {
      printf("man 2 fcntl says \"EINVAL cmd is F_OFD_SETLK, F_OFD_SETLKW, or F_OFD_GETLK, and "
             "l_pid was not specified as zero.\"; got: %s with l_pid %d returned %d%s%s\n",
             names[i], (int)getpid(), r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
  }
  close(fd);
  if (rc == 0) printf("ok: F_OFD_GETLK and F_OFD_SETLK with a nonzero l_pid fail EINVAL\n");
  return rc;
}
