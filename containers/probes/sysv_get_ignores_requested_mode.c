/* sysv_get_ignores_requested_mode: msgget(2), semget(2) and shmget(2) of an
   existing object check the permission bits the caller asks for.
     man 2 msgget: "EACCES A message queue exists for key, but the calling
     process does not have permission to access the queue, and does not have
     the CAP_IPC_OWNER capability in the user namespace that governs its IPC
     namespace."; man 2 semget and man 2 shmget: the same for a set and a
     segment; man 7 sysvipc: the permission bits of ipc_perm apply.
   Linux: an object of mode 0400 owned by root, asked for with 0400 by a user
   who is neither owner nor in its group (uid and gid 65534, no
   capability), gives EACCES. gVisor (runsc 0.0~20240729.0) returns the id.
   Needs root (to become the other user); exit 2 without it.
   Findings: containers/divergences/gvisor.tsv, Sysv{Msg,Sem,Shm}Table.AccessByModeBitsAndCapIpcOwner,
   SysvMsgErrors.MsggetChecksTheRequestedPermissionBits, SysvShmErrors.ShmgetChecksTheRequestedPermissionBits.
     cc -o sysv_get_ignores_requested_mode sysv_get_ignores_requested_mode.c
     ./sysv_get_ignores_requested_mode; runsc --network=none do ./sysv_get_ignores_requested_mode
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
  key_t key = (key_t)(0x51A70000 + (getpid() & 0xffff));
  int msq = msgget(key, IPC_CREAT | IPC_EXCL | 0400);
  int sem = semget(key, 1, IPC_CREAT | IPC_EXCL | 0400);
  int shm = shmget(key, 4096, IPC_CREAT | IPC_EXCL | 0400);
  int rc = 2;
  if (msq < 0 || sem < 0 || shm < 0) {
    printf("SETUP: creating the objects of key 0x%x: %s\n", (unsigned)key, strerror(errno));
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
    const char *call[3] = {"msgget(key, 0400)", "semget(key, 0, 0400)", "shmget(key, 0, 0400)"};
    for (int i = 0; i < 3; i++) {
      int r = i == 0 ? msgget(key, 0400) : i == 1 ? semget(key, 0, 0400) : shmget(key, 0, 0400);
      int e = errno;
      if (!(r == -1 && e == EACCES)) {
        dprintf(report[1], "man 2 %.6s says \"EACCES ... the calling process does not have "
                "permission to access\" the object; got: %s of an object of mode 0400 owned by "
                "root, as uid 65534, returned %d%s%s\n", call[i], call[i], r,
                r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
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
  if (rc == 0) printf("ok: msgget, semget and shmget asking for 0400 without permission fail EACCES\n");
out:
  if (msq >= 0) msgctl(msq, IPC_RMID, NULL);
  if (sem >= 0) semctl(sem, 0, IPC_RMID);
  if (shm >= 0) shmctl(shm, IPC_RMID, NULL);
  return rc;
}
