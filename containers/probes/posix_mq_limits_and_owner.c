/* posix_mq_limits_and_owner: three rules for POSIX message queues that gVisor
   (runsc 0.0~20240729.0) does not keep; Linux keeps each.
   1. RLIMIT_MSGQUEUE: man 2 getrlimit: "RLIMIT_MSGQUEUE (since Linux 2.6.8)
      This is a limit on the number of bytes that can be allocated for POSIX
      message queues for the real user ID of the calling process.  This
      limit is enforced for mq_open(3)." Linux: a queue of 8 x 1024 bytes
      under a limit of 4096 bytes fails (EMFILE). gVisor: setrlimit of
      RLIMIT_MSGQUEUE itself fails, so this part is not run there.
   2. Ownership: a queue is a file of the mqueue file system (man 7
      mq_overview, "Mounting the message queue filesystem"), so root may
      fchown(2) its descriptor. gVisor: EPERM.
   3. The names "." and "..": Linux's lookup refuses mq_open("/.") with
      EACCES (man 7 mq_overview's name format excludes no such name).
      gVisor: EINVAL.
   Findings: containers/divergences/gvisor.tsv, PosixMqPerm.OpenByModeBitsAndCapDacOverride,
   PosixMqErrors.NamesThatAreNotQueueNames (and, where RLIMIT_MSGQUEUE can be
   lowered, PosixMqErrors.CreateBeyondRlimitMsgqueueIsEmfile).
     cc -o posix_mq_limits_and_owner posix_mq_limits_and_owner.c -lrt
     ./posix_mq_limits_and_owner; runsc --network=none do ./posix_mq_limits_and_owner
   Needs root for 2 (exit 2 when fchown fails for lack of privilege on Linux).
   Exit status: 0 as Linux documents and does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  char name[64];
  snprintf(name, sizeof name, "/repro-mq-%d", getpid());
  /* 1. In a child, so that the lowered limit does not stay. */
  pid_t c = fork();
  if (c == 0) {
    struct rlimit rl = {4096, 4096};
    if (setrlimit(RLIMIT_MSGQUEUE, &rl) != 0) _exit(2);
    struct mq_attr a = {.mq_maxmsg = 8, .mq_msgsize = 1024};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
    int e = errno;
    if (q != (mqd_t)-1) {
      mq_close(q);
      mq_unlink(name);
    }
    if (!(q == (mqd_t)-1 && e == EMFILE)) {
      printf("man 2 getrlimit says RLIMIT_MSGQUEUE \"is enforced for mq_open(3)\" (Linux: "
             "EMFILE); got: a queue of 8 x 1024 bytes under a 4096-byte RLIMIT_MSGQUEUE %s%s\n",
             q != (mqd_t)-1 ? "was created" : "failed ", q != (mqd_t)-1 ? "" : strerror(e));
      _exit(1);
    }
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  int c1 = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (c1 == 2) printf("note: RLIMIT_MSGQUEUE cannot be lowered here: its part is not run\n");
  if (c1 == 1) rc = 1;
  /* 2. fchown of the queue's descriptor. */
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, NULL);
  if (q == (mqd_t)-1) { printf("SETUP: mq_open: %s\n", strerror(errno)); return 2; }
  int r = fchown(q, 65534, 65534);
  int e = errno;
  struct stat sb;
  int owner = fstat(q, &sb) == 0 ? (int)sb.st_uid : -1;
  mq_close(q);
  mq_unlink(name);
  if (r != 0 && getuid() != 0) { printf("SETUP: fchown needs root here\n"); return 2; }
  if (r != 0 || owner != 65534) {
    printf("man 7 mq_overview: a queue is a file of the mqueue file system, so its owner changes "
           "like a file's; got: fchown(queue descriptor, 65534, 65534) as root returned %d%s%s, "
           "owner now %d\n", r, r ? " errno " : "", r ? strerror(e) : "", owner);
    rc = 1;
  }
  /* 3. "/." */
  q = mq_open("/.", O_CREAT | O_RDWR, 0600, NULL);
  e = errno;
  if (q != (mqd_t)-1) mq_close(q);
  if (!(q == (mqd_t)-1 && e == EACCES)) {
    printf("man 7 mq_overview's names are \"/somename\" (Linux: the lookup refuses \".\" with "
           "EACCES); got: mq_open(\"/.\", O_CREAT) %s%s\n", q != (mqd_t)-1 ? "succeeded" : "failed ",
           q != (mqd_t)-1 ? "" : strerror(e));
    rc = 1;
  }
  if (rc == 0) printf("ok: RLIMIT_MSGQUEUE enforced, a queue changes owner, \"/.\" is EACCES\n");
  return rc;
}
