/* sysv_objects_not_listed: a System V object that exists is listed in
   /proc/sysvipc and found by index. MSG_STAT, SEM_STAT and SHM_STAT take an
   index into the kernel's array of objects and return the identifier of the
   object there; the object just created is found at one of the indexes up
   to the highest MSG_INFO, SEM_INFO or SHM_INFO returns.
     man 2 msgctl: "MSG_INFO ... A successful MSG_INFO or SEM_INFO operation
     returns the index of the highest used entry in the kernel's internal
     array recording information about all message queues."; "MSG_STAT
     Return a msqid_ds structure as for IPC_STAT. However, the msqid argument
     is not a queue identifier, but instead an index into the kernel's
     internal array that maintains information about all message queues on
     the system."; RETURN VALUE: "A successful MSG_STAT ... operation returns
     the identifier of the queue whose index was given in msqid."; man 2
     semctl and man 2 shmctl: the same for SEM_STAT and SHM_STAT; man 5
     proc: "/proc/sysvipc Subdirectory containing the pseudo-files msg, sem
     and shm.  These files list the System V Interprocess Communication (IPC)
     objects (respectively: message queues, semaphores, and shared memory)
     that currently exist on the system".
   Linux lists and finds each. gVisor (runsc 0.0~20240729.0) has no
   /proc/sysvipc, and MSG_STAT and SHM_STAT find nothing (SEM_STAT does).
   Findings: containers/divergences/gvisor.tsv, Sysv{Msg,Sem,Shm}Table.InfoAndStatCommandsAgreeWithProc,
   SysvMsgInfo.MsgStatNeedsReadPermission, SysvShmInfo.ShmStatAndIpcStatAgreeWhileAttached,
   SysvShmInfo.ShmStatNeedsReadPermission.
     cc -o sysv_objects_not_listed sysv_objects_not_listed.c
     ./sysv_objects_not_listed; runsc --network=none do ./sysv_objects_not_listed
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

/* Whether /proc/sysvipc/NAME has a line whose id column (the second for
   msg, sem and shm) is id. */
static int listed(const char *name, int id, char *why, size_t n) {
  char path[64], line[512];
  snprintf(path, sizeof path, "/proc/sysvipc/%s", name);
  FILE *f = fopen(path, "r");
  if (!f) {
    snprintf(why, n, "%s: %s", path, strerror(errno));
    return 0;
  }
  int found = 0;
  while (fgets(line, sizeof line, f)) {
    long key, got;
    if (sscanf(line, "%ld %ld", &key, &got) == 2 && got == id) found = 1;
  }
  fclose(f);
  snprintf(why, n, "%s has no line for id %d", path, id);
  return found;
}

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  int shm = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  int rc = 0;
  if (msq < 0 || sem < 0 || shm < 0) {
    printf("SETUP: creating the objects: %s\n", strerror(errno));
    rc = 2;
    goto out;
  }
  struct msginfo mi;
  struct seminfo si;
  struct shm_info hi;
  int maxm = msgctl(0, MSG_INFO, (struct msqid_ds *)&mi);
  int maxs = semctl(0, 0, SEM_INFO, &si);
  int maxh = shmctl(0, SHM_INFO, (struct shmid_ds *)&hi);
  int found[3] = {0, 0, 0};
  for (int i = 0; i <= maxm && i < 1 << 16; i++) {
    struct msqid_ds d;
    if (msgctl(i, MSG_STAT, &d) == msq) found[0] = 1;
  }
  for (int i = 0; i <= maxs && i < 1 << 16; i++) {
    struct semid_ds d;
    if (semctl(i, 0, SEM_STAT, &d) == sem) found[1] = 1;
  }
  for (int i = 0; i <= maxh && i < 1 << 16; i++) {
    struct shmid_ds d;
    if (shmctl(i, SHM_STAT, &d) == shm) found[2] = 1;
  }
  const char *what[3] = {"msgctl", "semctl", "shmctl"};
  const char *cmd[3] = {"MSG_STAT", "SEM_STAT", "SHM_STAT"};
  const int max[3] = {maxm, maxs, maxh};
  const int id[3] = {msq, sem, shm};
  for (int k = 0; k < 3; k++) {
    if (!found[k]) {
      printf("man 2 %s says %s's argument is \"an index into the kernel's internal array\" and "
             "the call \"returns the identifier\" of the object there; got: no index from 0 to "
             "%d (the highest used, from the INFO command) gave id %d, the object just created\n",
             what[k], cmd[k], max[k], id[k]);
      rc = 1;
    }
  }
  const char *proc[3] = {"msg", "sem", "shm"};
  for (int k = 0; k < 3; k++) {
    char why[160];
    if (!listed(proc[k], id[k], why, sizeof why)) {
      printf("man 5 proc says /proc/sysvipc's files \"list the System V Interprocess "
             "Communication (IPC) objects ... that currently exist\"; got: %s\n", why);
      rc = 1;
    }
  }
  if (rc == 0) printf("ok: /proc/sysvipc lists, and MSG_STAT, SEM_STAT and SHM_STAT find, the new objects\n");
out:
  if (msq >= 0) msgctl(msq, IPC_RMID, NULL);
  if (sem >= 0) semctl(sem, 0, IPC_RMID);
  if (shm >= 0) shmctl(shm, IPC_RMID, NULL);
  return rc;
}
