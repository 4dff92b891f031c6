/* sysv_sem_getpid_after_blocked_semop: after a semop(2) that slept completes,
   semctl GETPID returns the pid of the process whose operation it was.
     man 2 semop: "On successful completion, the sempid value for each
     semaphore specified in the array pointed to by sops is set to the
     caller's process ID."; sempid: "PID of process that last modified the
     semaphore value"; man 2 semctl: "GETPID Return the sempid value for the semnum-th
     semaphore of the set."
   man 2 semctl, NOTES: "Linux also updates sempid for SETVAL operations"
   (and, since Linux 4.6, for SETALL).
   Linux: the waiter's pid (its decrement, completed on its behalf, is the
   last modification); after a SETVAL or SETALL by a child, the child's pid.
   gVisor (runsc 0.0~20240729.0): 0 after each of them, all done by another
   process (a plain semop by the reader itself reads back its pid).
   Findings: containers/divergences/gvisor.tsv, SysvSemCounts.GetncntGetzcntAndGetpid,
   SysvSemTable.StatusAfterEachOperation (GETPID).
     cc -o sysv_sem_getpid_after_blocked_semop sysv_sem_getpid_after_blocked_semop.c
     ./sysv_sem_getpid_after_blocked_semop; runsc --network=none do ./sysv_sem_getpid_after_blocked_semop
   The waiter is seen asleep (/proc/PID/stat) before the post; alarm() bounds it.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static char state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(30);
  int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  if (id < 0) { printf("SETUP: semget: %s\n", strerror(errno)); return 2; }
  int rc = 0;
  /* A plain semop by this process first: GETPID is this process. */
  struct sembuf up = {0, 1, 0}, down = {0, -1, 0};
  semop(id, &up, 1);
  semop(id, &down, 1);
  int mine = semctl(id, 0, GETPID);
  if (mine != getpid()) {
    printf("man 2 semop says \"On successful completion, the sempid value ... is set to the "
           "caller's process ID\"; got: after this process's (pid %d) own semop, GETPID returned "
           "%d\n", (int)getpid(), mine);
    rc = 1;
  }
  /* SETVAL and SETALL by a child: GETPID names it (man 2 semctl NOTES). */
  for (int cmd = 0; cmd < 2; ++cmd) {
    pid_t c = fork();
    if (c < 0) { rc = 2; break; }
    if (c == 0) {
      unsigned short all[1] = {0};
      _exit((cmd == 0 ? semctl(id, 0, SETVAL, 0) : semctl(id, 0, SETALL, all)) == 0 ? 0 : 1);
    }
    int st = 0;
    waitpid(c, &st, 0);
    int pid = semctl(id, 0, GETPID);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      printf("SETUP: the child's %s failed\n", cmd == 0 ? "SETVAL" : "SETALL");
      rc = 2;
    } else if (pid != c) {
      printf("man 2 semctl says \"Linux also updates sempid for SETVAL operations\" (SETALL "
             "since Linux 4.6); got: after a %s by a child (pid %d), GETPID returned %d\n",
             cmd == 0 ? "SETVAL" : "SETALL", (int)c, pid);
      rc = 1;
    }
  }
  if (rc == 2) { semctl(id, 0, IPC_RMID); return 2; }
  pid_t taker = fork();
  if (taker == 0) {
    alarm(20);
    struct sembuf op = {0, -2, 0};
    _exit(semop(id, &op, 1) == 0 ? 0 : 1);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (state(taker) != 'S') {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 15) { printf("SETUP: the taker never slept\n"); rc = 2; break; }
    sched_yield();
  }
  if (rc != 2) {
    struct sembuf give = {0, 2, 0};
    semop(id, &give, 1);
    int st = 0;
    waitpid(taker, &st, 0);
    int pid = semctl(id, 0, GETPID);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      printf("SETUP: the taker's semop failed\n");
      rc = 2;
    } else if (pid != taker) {
      printf("man 2 semop says \"On successful completion, the sempid value ... is set to the "
             "caller's process ID\"; got: after the taker's (pid %d) semop(-2) slept and completed "
             "when this process (pid %d) gave 2, GETPID returned %d\n", (int)taker, (int)getpid(), pid);
      rc = 1;
    }
  } else {
    kill(taker, SIGKILL);
    waitpid(taker, NULL, 0);
  }
  semctl(id, 0, IPC_RMID);
  if (rc == 0) printf("ok: GETPID names the waiter whose semop completed last\n");
  return rc;
}
