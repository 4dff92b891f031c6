/* sysv_rmid_by_non_owner: IPC_RMID of a System V queue, set or segment by a
   process that is neither its owner nor its creator, without CAP_SYS_ADMIN,
   fails EPERM.
     man 2 msgctl: "EPERM The argument cmd has the value IPC_SET or IPC_RMID,
     but the effective user ID of the calling process is not the creator (as
     found in msg_perm.cuid) or the owner (as found in msg_perm.uid) of the
     message queue, and the caller is not privileged"; man 2 semctl and man 2
     shmctl: the same for sets and segments.
   Linux: EPERM, even for an object of mode 0666. gVisor (runsc
   0.0~20240729.0) removes it.
   Needs root (to become the other user); exit 2 without it.
   Findings: containers/divergences/gvisor.tsv, Sysv{Msg,Sem}Table.IpcSetAndRmidNeedOwnerCreatorOrCapSysAdmin,
   SysvShmTable.OwnershipForIpcSetRmidAndShmLock.
     cc -o sysv_rmid_by_non_owner sysv_rmid_by_non_owner.c
     ./sysv_rmid_by_non_owner; runsc --network=none do ./sysv_rmid_by_non_owner
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks but the wait for the child, bounded by it */
  int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0666);
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0666);
  int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
  int rc = 2;
  if (msq < 0 || sem < 0 || shm < 0) {
    printf("SETUP: creating the objects: %s\n", strerror(errno));
    goto out;
  }
  int report[2];
  if (pipe(report) != 0) goto out;
  pid_t c = fork();
  if (c == 0) {
    close(report[0]);
    if (setgroups(0, NULL) != 0 || setresgid(65534, 65534, 65534) != 0 ||
        setresuid(65534, 65534, 65534) != 0) {
      dprintf(report[1], "SETUP: becoming uid 65534: %s (needs root)\n", strerror(errno));
      _exit(2);
    }
    int bad = 0;
    int r[3] = {msgctl(msq, IPC_RMID, NULL), semctl(sem, 0, IPC_RMID), shmctl(shm, IPC_RMID, NULL)};
    const char *call[3] = {"msgctl", "semctl", "shmctl"};
    for (int i = 0; i < 3; i++) {
      if (r[i] == 0) {
        dprintf(report[1], "man 2 %s says \"EPERM The argument cmd has the value IPC_SET or "
                "IPC_RMID, but the effective user ID of the calling process is not the creator "
                "... or the owner\"; got: %s(IPC_RMID) of root's object (mode 0666) as uid "
                "65534 succeeded\n", call[i], call[i]);
        bad = 1;
      }
    }
    _exit(bad);
  }
  close(report[1]);
  char buf[2048];
  ssize_t n;
  while ((n = read(report[0], buf, sizeof buf)) > 0) fwrite(buf, 1, n, stdout);
  close(report[0]);
  int st = 0;
  waitpid(c, &st, 0);
  rc = WIFEXITED(st) ? WEXITSTATUS(st) : 2;
  if (rc == 0) printf("ok: IPC_RMID by another user fails EPERM (queue, set, segment)\n");
out:
  if (msq >= 0) msgctl(msq, IPC_RMID, NULL);
  if (sem >= 0) semctl(sem, 0, IPC_RMID);
  if (shm >= 0) shmctl(shm, IPC_RMID, NULL);
  return rc;
}
