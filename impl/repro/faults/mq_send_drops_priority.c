/* A planted fault (impl/repro, issue 17): a libc whose mq_send(3) and
 * mq_timedsend(3) queue every message at priority 0, whatever msg_prio says.
 * It breaks man 3 mq_send: "Messages are placed on the queue in decreasing
 * order of priority, with newer messages of the same priority being placed
 * after older messages with the same priority", and man 3 mq_receive:
 * "removes the oldest message with the highest priority ... If msg_prio is
 * not NULL, then it is used to return the priority associated with the
 * received message." Loaded with LD_PRELOAD by
 * //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <mqueue.h>
#include <time.h>

int mq_send(mqd_t q, const char *msg, size_t len, unsigned prio) {
  static int (*real)(mqd_t, const char *, size_t, unsigned);
  if (real == NULL) real = (int (*)(mqd_t, const char *, size_t, unsigned))dlsym(RTLD_NEXT, "mq_send");
  (void)prio;
  return real(q, msg, len, 0);
}

int mq_timedsend(mqd_t q, const char *msg, size_t len, unsigned prio, const struct timespec *t) {
  static int (*real)(mqd_t, const char *, size_t, unsigned, const struct timespec *);
  if (real == NULL) {
    real = (int (*)(mqd_t, const char *, size_t, unsigned, const struct timespec *))dlsym(
        RTLD_NEXT, "mq_timedsend");
  }
  (void)prio;
  return real(q, msg, len, 0, t);
}
