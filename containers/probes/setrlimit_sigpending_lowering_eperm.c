/* setrlimit_sigpending_lowering_eperm: lowering RLIMIT_SIGPENDING (the soft
   limit, the hard one unchanged) succeeds.
     man 2 getrlimit: "an unprivileged process may set only its soft limit to
     a value in the range from 0 up to the hard limit, and (irreversibly)
     lower its hard limit."; ERRORS: "EPERM An unprivileged process tried to
     raise the hard limit; the CAP_SYS_RESOURCE capability is required to do
     this." (nothing is raised here).
   Linux: the soft limit becomes min(soft, 4). gVisor (runsc 0.0~20240729.0),
   where RLIMIT_SIGPENDING reads {0, 0} (see rt_queue_limit): setrlimit of
   the limit it reports, {0, 0}, fails EPERM.
   Findings: containers/divergences/gvisor.tsv, Signal.RlimitSigpendingLimitsSigqueue,
   Signal.TgkillOfARealTimeSignalAtRlimitSigpendingIsEagain.
     cc -o setrlimit_sigpending_lowering_eperm setrlimit_sigpending_lowering_eperm.c
     ./setrlimit_sigpending_lowering_eperm; runsc --network=none do ./setrlimit_sigpending_lowering_eperm
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  struct rlimit r;
  if (getrlimit(RLIMIT_SIGPENDING, &r) != 0) { printf("SETUP: getrlimit: %s\n", strerror(errno)); return 2; }
  struct rlimit lower = {r.rlim_cur < 4 ? r.rlim_cur : 4, r.rlim_max};
  int s = setrlimit(RLIMIT_SIGPENDING, &lower);
  int e = errno;
  if (s != 0) {
    printf("man 2 getrlimit says a process \"may set ... its soft limit to a value in the range "
           "from 0 up to the hard limit\"; got: setrlimit(RLIMIT_SIGPENDING, {%lld, %lld}) from "
           "{%lld, %lld} failed %s\n", (long long)lower.rlim_cur, (long long)lower.rlim_max,
           (long long)r.rlim_cur, (long long)r.rlim_max, strerror(e));
    return 1;
  }
  printf("ok: RLIMIT_SIGPENDING lowered to {%lld, %lld}\n", (long long)lower.rlim_cur,
         (long long)lower.rlim_max);
  return 0;
}
