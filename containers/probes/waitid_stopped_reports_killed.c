/* waitid_stopped_reports_killed: waitid(2) with WSTOPPED on a child stopped by
   SIGSTOP reports si_code CLD_STOPPED and si_status SIGSTOP.
     man 2 waitid: "WSTOPPED Wait for children that have been stopped by
     delivery of a signal."; "si_status: either the exit status of the child,
     as given to _exit(2) (or exit(3)), or the signal that caused the child to
     terminate, stop, or continue.  The si_code field can be used to
     determine how to interpret this field."; "si_code: Set to one of:
     CLD_EXITED ..., CLD_KILLED ..., CLD_DUMPED ..., CLD_STOPPED (child
     stopped by signal); CLD_TRAPPED ...; or CLD_CONTINUED".
   Linux: CLD_STOPPED (5) and SIGSTOP (19). gVisor (runsc 0.0~20240729.0),
   with WNOHANG and with a blocking WNOWAIT wait alike: CLD_KILLED (2) and
   127 (the stop byte 0x7f of a wait status).
   Finding: containers/divergences/gvisor.tsv, Signal.SigkillAndSigstopOverrideMaskAndDisposition.
     cc -o waitid_stopped_reports_killed waitid_stopped_reports_killed.c
     ./waitid_stopped_reports_killed; runsc --network=none do ./waitid_stopped_reports_killed
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the blocking waitid below ends by then at the latest */
  pid_t c = fork();
  if (c < 0) { printf("SETUP: fork: %s\n", strerror(errno)); return 2; }
  if (c == 0) {
    alarm(20);
    for (;;) pause();
  }
  kill(c, SIGSTOP);
  int rc = 0;
  /* First a blocking wait that leaves the state waitable (WNOWAIT): the
     child is stopped once it returns; then the WNOHANG wait of the finding. */
  siginfo_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  int ra = waitid(P_PID, c, &a, WSTOPPED | WNOWAIT);
  int rb = waitid(P_PID, c, &b, WSTOPPED | WNOHANG);
  const struct { const char *how; int r; siginfo_t *s; } got[2] = {
      {"WSTOPPED|WNOWAIT (blocking)", ra, &a}, {"WSTOPPED|WNOHANG", rb, &b}};
  for (int i = 0; i < 2; i++) {
    if (got[i].r != 0 || got[i].s->si_pid != c || got[i].s->si_code != CLD_STOPPED ||
        got[i].s->si_status != SIGSTOP) {
      printf("man 2 waitid says si_code is \"CLD_STOPPED (child stopped by signal)\" and "
             "si_status \"the signal that caused the child to ... stop\"; got: waitid(%s) of a "
             "SIGSTOPped child returned %d, si_pid %d, si_code %d (CLD_STOPPED is %d), "
             "si_status %d (SIGSTOP is %d)\n", got[i].how, got[i].r, (int)got[i].s->si_pid,
             got[i].s->si_code, CLD_STOPPED, got[i].s->si_status, SIGSTOP);
      rc = 1;
    }
  }
  kill(c, SIGKILL);
  waitpid(c, NULL, 0);
  if (rc == 0) printf("ok: waitid reports CLD_STOPPED and SIGSTOP\n");
  return rc;
}
