/* signalfd_update_returns_zero: signalfd(fd, mask, flags) on an existing
   signalfd replaces its mask and returns fd.
     man 2 signalfd: "If the fd argument is not -1, then it must specify a
     valid existing signalfd file descriptor, and mask is used to replace the
     signal set associated with that file descriptor."; RETURN VALUE: "On
     success, signalfd() returns a signalfd file descriptor; this is either a
     new file descriptor (if fd was -1), or fd if fd was a valid existing
     signalfd file descriptor."
   Linux returns fd. gVisor (runsc 0.0~20240729.0) returns 0.
   Findings: containers/divergences/gvisor.tsv, Signal.SignalfdMaskIsReplacedAndIgnoresSigkillSigstop,
   Kinds/SignalQueueSuite.ALL/signalfd.
     cc -o signalfd_update_returns_zero signalfd_update_returns_zero.c
     ./signalfd_update_returns_zero; runsc --network=none do ./signalfd_update_returns_zero
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  sigset_t a, b;
  sigemptyset(&a);
  sigaddset(&a, SIGUSR1);
  sigemptyset(&b);
  sigaddset(&b, SIGUSR2);
  /* Keep fd 0 busy with something else, so that 0 cannot be fd by chance. */
  int fd = signalfd(-1, &a, SFD_CLOEXEC);
  if (fd < 0) {
    printf("SETUP: signalfd(-1, ...): %s\n", strerror(errno));
    return 2;
  }
  int r = signalfd(fd, &b, 0);
  int e = errno;
  close(fd);
  if (r != fd) {
    printf("man 2 signalfd says it returns \"fd if fd was a valid existing signalfd file "
           "descriptor\"; got: signalfd(%d, {SIGUSR2}, 0) returned %d%s%s\n", fd, r,
           r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    return 1;
  }
  printf("ok: signalfd(%d, mask, 0) on an existing signalfd returned %d\n", fd, r);
  return 0;
}
