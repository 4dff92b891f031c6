/* setrlimit_msgqueue_lowering_eperm: lowering the soft RLIMIT_MSGQUEUE (the
   hard one unchanged) succeeds, and so does setting the values getrlimit just
   returned.
     man 2 getrlimit: "an unprivileged process may set only its soft limit to
     a value in the range from 0 up to the hard limit, and (irreversibly)
     lower its hard limit."; "RLIMIT_MSGQUEUE (since Linux 2.6.8) This is a
     limit on the number of bytes that can be allocated for POSIX message
     queues for the real user ID of the calling process.  This limit is
     enforced for mq_open(3)."; ERRORS: "EPERM An unprivileged process tried
     to raise the hard limit" (nothing is raised here).
   Linux: both calls succeed. gVisor (runsc 0.0~20240729.0) reports
   RLIMIT_MSGQUEUE (819200 bytes) but fails every setrlimit of it EPERM, even
   of the unchanged values: so the suite cannot lower the limit to check that
   mq_open beyond it fails EMFILE there (setrlimit_sigpending_lowering_eperm
   shows the same refusal for RLIMIT_SIGPENDING).
   Finding: containers/divergences/gvisor.tsv, PosixMqErrors.CreateBeyondRlimitMsgqueueIsEmfile.
     cc -o setrlimit_msgqueue_lowering_eperm setrlimit_msgqueue_lowering_eperm.c
     ./setrlimit_msgqueue_lowering_eperm; runsc --network=none do ./setrlimit_msgqueue_lowering_eperm
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  struct rlimit r;
  if (getrlimit(RLIMIT_MSGQUEUE, &r) != 0) {
    printf("setup: getrlimit(RLIMIT_MSGQUEUE): %s\n", strerror(errno));
    return 2;
  }
  int rc = 0;
  int s = setrlimit(RLIMIT_MSGQUEUE, &r);
  int e = errno;
  if (s != 0) {
    printf("man 2 getrlimit says a process \"may set ... its soft limit to a value in the range "
           "from 0 up to the hard limit\"; got: setrlimit(RLIMIT_MSGQUEUE) of the values "
           "getrlimit returned {%llu, %llu} failed %s\n", (unsigned long long)r.rlim_cur,
           (unsigned long long)r.rlim_max, strerror(e));
    rc = 1;
  }
  struct rlimit lower = {r.rlim_cur < 4096 ? r.rlim_cur : 4096, r.rlim_max};
  s = setrlimit(RLIMIT_MSGQUEUE, &lower);
  e = errno;
  struct rlimit now;
  if (s != 0) {
    printf("man 2 getrlimit says a process \"may set ... its soft limit to a value in the range "
           "from 0 up to the hard limit\"; got: setrlimit(RLIMIT_MSGQUEUE, {%llu, %llu}) failed "
           "%s\n", (unsigned long long)lower.rlim_cur, (unsigned long long)lower.rlim_max,
           strerror(e));
    rc = 1;
  } else if (getrlimit(RLIMIT_MSGQUEUE, &now) != 0 || now.rlim_cur != lower.rlim_cur) {
    printf("man 2 getrlimit: the soft limit set is the one read back; got: %llu, not %llu\n",
           (unsigned long long)now.rlim_cur, (unsigned long long)lower.rlim_cur);
    rc = 1;
  }
  if (rc == 0) printf("ok: RLIMIT_MSGQUEUE can be set to its own values and lowered\n");
  return rc;
}
