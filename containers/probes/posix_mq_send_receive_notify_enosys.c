/* posix_mq_send_receive_notify_enosys: the POSIX message queue calls other
   than mq_open, mq_close and mq_unlink work: mq_send (mq_timedsend),
   mq_receive (mq_timedreceive), mq_notify and mq_getattr/mq_setattr
   (mq_getsetattr) are system calls of Linux since 2.6.6.
     man 7 mq_overview: "Message queues are created and opened using
     mq_open(3) ... Messages are transferred to and from a queue using
     mq_send(3) and mq_receive(3)"; "Library interfaces and system calls"
     lists mq_timedsend(2), mq_timedreceive(2), mq_notify(2),
     mq_getsetattr(2). man 3 mq_send: "mq_timedsend() behaves just like
     mq_send(), except that if the queue is full and the O_NONBLOCK flag is
     not enabled ... abs_timeout" (an expired timeout does not matter when
     the call need not wait). man 3 mq_notify: "EINVAL sevp->sigev_notify
     is not one of the permitted values".
   Linux: each call does what its page says. gVisor (runsc 0.0~20240729.0)
   implements mq_open and mq_unlink but fails mq_timedsend, mq_timedreceive,
   mq_notify and mq_getsetattr with ENOSYS (gVisor issue 136). Every test of
   the suite that sends, receives or registers a notification fails there for
   that one cause, whatever it checks.
   Findings: containers/divergences/gvisor.tsv,
   PosixMqErrors.ExpiredTimeoutDoesNotMatterWhenTheCallNeedNotWait,
   PosixMqFs.DescriptorKeepsWorkingAfterUnshareOfTheIpcNamespace,
   PosixMqNotify.InvalidSigeventIsEinval,
   PosixMqNotify.SigevThreadRunsTheFunctionWithTheValue.
     cc -o posix_mq_send_receive_notify_enosys posix_mq_send_receive_notify_enosys.c -lrt
     ./posix_mq_send_receive_notify_enosys; runsc --network=none do ./posix_mq_send_receive_notify_enosys
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* every call below has an expired timeout or cannot block; a hang still ends */
  int rc = 0;
  char name[64];
  snprintf(name, sizeof name, "/repro-mq-enosys-%d", (int)getpid());
  struct mq_attr a = {0};
  a.mq_maxmsg = 2;
  a.mq_msgsize = 16;
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  if (q == (mqd_t)-1) {
    printf("setup: mq_open(O_CREAT) failed %s\n", strerror(errno));
    return 2;
  }
  mq_unlink(name); /* the descriptor keeps the queue; nothing outlives the program */
  /* 1. mq_timedsend with an expired timeout and room in the queue. */
  struct timespec past = {1, 0};
  int r = mq_timedsend(q, "abc", 3, 1, &past);
  int e = errno;
  if (r != 0) {
    printf("man 3 mq_send says mq_timedsend \"behaves just like mq_send()\" unless \"the queue is "
           "full\" (here it has room: the expired timeout does not matter); got: mq_timedsend "
           "failed %s\n", strerror(e));
    rc = 1;
  }
  /* 2. mq_timedreceive of it, expired timeout too. */
  char buf[16];
  unsigned prio = 0;
  ssize_t n = mq_timedreceive(q, buf, sizeof buf, &prio, &past);
  e = errno;
  if (r == 0 && n != 3) {
    printf("man 3 mq_receive says it \"removes the oldest message with the highest priority\"; "
           "got: mq_timedreceive of the queued message returned %zd (%s)\n", n,
           n < 0 ? strerror(e) : "wrong length");
    rc = 1;
  } else if (r != 0 && n < 0 && e != EAGAIN && e != ETIMEDOUT) {
    printf("man 3 mq_receive says an empty queue with an expired timeout fails ETIMEDOUT; got: "
           "mq_timedreceive failed %s\n", strerror(e));
    rc = 1;
  }
  /* 3. mq_notify with an invalid sigev_notify. */
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = -1;
  r = mq_notify(q, &sev);
  e = errno;
  if (!(r == -1 && e == EINVAL)) {
    printf("man 3 mq_notify says \"EINVAL sevp->sigev_notify is not one of the permitted "
           "values\"; got: mq_notify(sigev_notify -1) %s\n", r == 0 ? "succeeded" : strerror(e));
    rc = 1;
  }
  /* 4. mq_getattr (mq_getsetattr). */
  struct mq_attr got;
  memset(&got, 0, sizeof got);
  r = mq_getattr(q, &got);
  e = errno;
  if (r != 0 || got.mq_maxmsg != 2 || got.mq_msgsize != 16) {
    printf("man 3 mq_getattr says \"The mq_maxmsg and mq_msgsize fields are set when the message "
           "queue is created\"; got: mq_getattr %s (mq_maxmsg %ld, mq_msgsize %ld)\n",
           r == 0 ? "succeeded" : strerror(e), (long)got.mq_maxmsg, (long)got.mq_msgsize);
    rc = 1;
  }
  mq_close(q);
  if (rc == 0) printf("ok: mq_timedsend, mq_timedreceive, mq_notify and mq_getattr work\n");
  return rc;
}
