/* splice_append_and_invalid_pairings: splice(2) refuses a target opened with
   O_APPEND, and a directory or a signalfd as the source, with the errors its
   page lists.
     man 2 splice, ERRORS: "EINVAL The target file is opened in append
     mode."; "EBADF One or both file descriptors are not valid, or do not
     have proper read-write mode."; "EINVAL The target filesystem doesn't
     support splicing."
   Linux: EINVAL for the O_APPEND target (the bytes stay in the pipe), and
   EBADF or EINVAL for a directory or a signalfd to a pipe (as LTP's splice07
   checks). gVisor (runsc 0.0~20240729.0): the O_APPEND splice moves the
   data; EISDIR and EAGAIN for the other two.
   Findings: containers/divergences/gvisor.tsv, SpliceErrors.Table,
   SpliceErrors.EveryInvalidPairingOfDescriptorKindsIsEbadfOrEinval (both rows).
     cc -o splice_append_and_invalid_pairings splice_append_and_invalid_pairings.c
     ./splice_append_and_invalid_pairings; runsc --network=none do ./splice_append_and_invalid_pairings
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* every descriptor is non-blocking or has data; a hang still ends */
  int rc = 0;
  char path[] = "/tmp/repro-splice-XXXXXX";
  int tmp = mkstemp(path);
  int p[2];
  if (tmp < 0 || pipe2(p, O_NONBLOCK) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  close(tmp);
  int f = open(path, O_WRONLY | O_APPEND);
  unlink(path);
  write(p[1], "abcd", 4);
  ssize_t r = splice(p[0], NULL, f, NULL, 4, SPLICE_F_NONBLOCK);
  int e = errno;
  close(f);
  if (!(r == -1 && e == EINVAL)) {
    printf("man 2 splice says \"EINVAL The target file is opened in append mode.\"; got: splice of "
           "a pipe into an O_APPEND file returned %zd%s%s\n", r, r < 0 ? " errno " : "",
           r < 0 ? strerror(e) : " (the bytes left the pipe)");
    rc = 1;
  }
  char drain[8];
  while (read(p[0], drain, sizeof drain) > 0) {
  }
  /* A directory and a signalfd as the source, the pipe's write end as the target. */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  int dir = open("/", O_RDONLY | O_DIRECTORY);
  int sfd = signalfd(-1, &s, SFD_NONBLOCK);
  if (dir < 0 || sfd < 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  const struct { const char *what; int fd; } src[2] = {{"a directory", dir}, {"a signalfd", sfd}};
  for (int i = 0; i < 2; i++) {
    r = splice(src[i].fd, NULL, p[1], NULL, 16, SPLICE_F_NONBLOCK);
    e = errno;
    if (!(r == -1 && (e == EBADF || e == EINVAL))) {
      printf("man 2 splice says \"EBADF One or both file descriptors are not valid, or do not have "
             "proper read-write mode.\" and \"EINVAL The target filesystem doesn't support "
             "splicing.\"; got: splice(%s -> pipe write end) returned %zd%s%s\n", src[i].what, r,
             r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
      rc = 1;
    }
  }
  close(dir); close(sfd); close(p[0]); close(p[1]);
  if (rc == 0) printf("ok: EINVAL for an O_APPEND target, EBADF or EINVAL for a directory or a signalfd\n");
  return rc;
}
