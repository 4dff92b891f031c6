/* A planted fault (impl/repro, issue 17): a kernel or libc whose blocking
 * mq_receive(3) on an empty queue, once a message arrives and wakes it,
 * takes the message off the queue but reports EAGAIN. It breaks man 3
 * mq_receive: "If the queue is empty, then, by default, mq_receive() blocks
 * until a message becomes available" (and returns it: "mq_receive() removes
 * the oldest message with the highest priority from the message queue ...
 * and places it in the buffer"); EAGAIN is only for an O_NONBLOCK
 * descriptor. Loaded with LD_PRELOAD by //impl/repro:planted_blocked_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stddef.h>
#include <time.h>

/* 1: a blocking descriptor of an empty queue: this call will block. */
static int would_block(mqd_t q) {
  struct mq_attr a;
  if (mq_getattr(q, &a) != 0) return 0;
  return (a.mq_flags & O_NONBLOCK) == 0 && a.mq_curmsgs == 0;
}

ssize_t mq_receive(mqd_t q, char *buf, size_t len, unsigned *prio) {
  static ssize_t (*real)(mqd_t, char *, size_t, unsigned *);
  int blocks = would_block(q);
  ssize_t r;
  if (real == NULL) real = (ssize_t (*)(mqd_t, char *, size_t, unsigned *))dlsym(RTLD_NEXT, "mq_receive");
  r = real(q, buf, len, prio);
  if (r >= 0 && blocks) {
    errno = EAGAIN; /* woken, the message taken, and lost */
    return -1;
  }
  return r;
}

ssize_t mq_timedreceive(mqd_t q, char *buf, size_t len, unsigned *prio,
                        const struct timespec *ts) {
  static ssize_t (*real)(mqd_t, char *, size_t, unsigned *, const struct timespec *);
  int blocks = would_block(q);
  ssize_t r;
  if (real == NULL)
    real = (ssize_t (*)(mqd_t, char *, size_t, unsigned *, const struct timespec *))dlsym(
        RTLD_NEXT, "mq_timedreceive");
  r = real(q, buf, len, prio, ts);
  if (r >= 0 && blocks) {
    errno = EAGAIN;
    return -1;
  }
  return r;
}
