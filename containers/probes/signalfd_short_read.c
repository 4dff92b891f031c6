/* signalfd_short_read: a read(2) of a signalfd with a buffer smaller than one
   struct signalfd_siginfo fails EINVAL, and a larger buffer gets whole records.
     man 2 signalfd, read(2): "the buffer supplied to read(2) is used to
     return one or more signalfd_siginfo structures (see below) that describe
     the signals. ... The buffer must be at least sizeof(struct
     signalfd_siginfo) bytes."
   The page names no errno for a short buffer; Linux fails EINVAL (the read
   takes nothing), then a whole 128-byte record. gVisor (runsc 0.0~20240729.0)
   returns a partial record.
   Finding: containers/divergences/gvisor.tsv, Signal.SignalfdDeliversSignalsWithTheirValues.
     cc -o signalfd_short_read signalfd_short_read.c
     ./signalfd_short_read; runsc --network=none do ./signalfd_short_read
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* the signalfd is non-blocking; a hang still ends */
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, SIGUSR1);
  sigprocmask(SIG_BLOCK, &s, NULL);
  int fd = signalfd(-1, &s, SFD_NONBLOCK);
  if (fd < 0) {
    printf("SETUP: signalfd: %s\n", strerror(errno));
    return 2;
  }
  union sigval v = {.sival_int = 31};
  if (sigqueue(getpid(), SIGUSR1, v) != 0) {
    printf("SETUP: sigqueue: %s\n", strerror(errno));
    return 2;
  }
  int failed = 0;
  char small[sizeof(struct signalfd_siginfo) - 1];
  ssize_t r = read(fd, small, sizeof small);
  int e = errno;
  if (!(r == -1 && e == EINVAL)) {
    printf("man 2 signalfd says \"The buffer must be at least sizeof(struct "
           "signalfd_siginfo) bytes\" (Linux: EINVAL); got: read(fd, buf, %zu) returned %zd%s%s\n",
           sizeof small, r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    failed = 1;
  }
  if (r < 0) { /* the signal is still pending: a whole record must come */
    struct signalfd_siginfo big[2];
    r = read(fd, big, sizeof big);
    if (r != (ssize_t)sizeof(struct signalfd_siginfo) || big[0].ssi_signo != SIGUSR1 ||
        big[0].ssi_int != 31) {
      printf("man 2 signalfd says the buffer \"is used to return one or more "
             "signalfd_siginfo structures\"; got: read of %zu bytes returned %zd (ssi_signo %u ssi_int %d)\n",
             sizeof big, r, r > 0 ? big[0].ssi_signo : 0, r > 0 ? big[0].ssi_int : 0);
      failed = 1;
    }
  }
  close(fd);
  if (!failed) printf("ok: a short read is EINVAL, then a whole record comes\n");
  return failed;
}
