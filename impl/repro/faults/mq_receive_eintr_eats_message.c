/* A planted fault (impl/repro, issue 17): a kernel or libc whose blocking
 * mq_receive(3), interrupted by a signal handler, goes on waiting, takes the
 * next message that arrives, and then reports EINTR: the message is lost. It
 * breaks man 7 signal ("Interruption of system calls and library functions
 * by signal handlers": the call fails with EINTR, or is restarted with
 * SA_RESTART; a failed call took nothing) and man 3 mq_receive (the message
 * is removed only by the call that returns it). Loaded with LD_PRELOAD by
 * //impl/repro:planted_blocked_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <mqueue.h>
#include <stddef.h>
#include <time.h>

ssize_t mq_receive(mqd_t q, char *buf, size_t len, unsigned *prio) {
  static ssize_t (*real)(mqd_t, char *, size_t, unsigned *);
  ssize_t r;
  if (real == NULL) real = (ssize_t (*)(mqd_t, char *, size_t, unsigned *))dlsym(RTLD_NEXT, "mq_receive");
  r = real(q, buf, len, prio);
  if (r < 0 && errno == EINTR) {
    while (real(q, buf, len, prio) < 0 && errno == EINTR) {}
    errno = EINTR; /* the message that came is gone */
    return -1;
  }
  return r;
}

ssize_t mq_timedreceive(mqd_t q, char *buf, size_t len, unsigned *prio,
                        const struct timespec *ts) {
  static ssize_t (*real)(mqd_t, char *, size_t, unsigned *, const struct timespec *);
  ssize_t r;
  if (real == NULL)
    real = (ssize_t (*)(mqd_t, char *, size_t, unsigned *, const struct timespec *))dlsym(
        RTLD_NEXT, "mq_timedreceive");
  r = real(q, buf, len, prio, ts);
  if (r < 0 && errno == EINTR) {
    while (real(q, buf, len, prio, ts) < 0 && errno == EINTR) {}
    errno = EINTR;
    return -1;
  }
  return r;
}
