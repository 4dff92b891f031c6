/* sysv_ctl_errno_table: three rows of the System V control calls' errno
   tables: msgctl on an identifier that is not (or no longer) valid fails
   EINVAL, IPC_SET from an unmapped buffer EFAULT, and semctl's semnum out of
   range is no ERANGE.
     man 2 msgctl: "EINVAL Invalid value for cmd or msqid."; "EFAULT The
     argument cmd has the value IPC_SET or IPC_STAT, but the address pointed
     to by buf isn't accessible."; man 2 semctl: "ERANGE The argument cmd has
     the value SETALL or SETVAL and the value to which semval is to be set
     (for some semaphore of the set) is less than 0 or greater than the
     implementation limit SEMVMX." (ERANGE is for values, not for semnum;
     Linux gives EINVAL for a semnum outside 0..nsems-1).
   Linux: msgctl(id, IPC_RMID) of a removed queue and msgctl(-1, IPC_RMID)
   fail EINVAL; IPC_SET with an unmapped buffer fails EFAULT; semctl GETVAL
   and SETVAL of semnum nsems fail EINVAL. gVisor (runsc 0.0~20240729.0):
   success, EINVAL and ERANGE.
   Findings: containers/divergences/gvisor.tsv, SysvMsgTable.MsgctlErrors,
   SysvMsgErrors.IpcSetAndRmidOfAnInvalidIdAreEinval, SysvSemTable.SemctlErrors.
     cc -o sysv_ctl_errno_table sysv_ctl_errno_table.c
     ./sysv_ctl_errno_table; runsc --network=none do ./sysv_ctl_errno_table
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <unistd.h>

static int rc;

static void expect(const char *page, const char *says, const char *call, int r, int want) {
  int e = errno;
  if (!(r == -1 && e == want)) {
    printf("man 2 %s says \"%s\"; got: %s returned %d%s%s, expected %s\n", page, says, call, r,
           r < 0 ? " errno " : "", r < 0 ? strerror(e) : "", want == EINVAL ? "EINVAL" : "EFAULT");
    rc = 1;
  }
}

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int msq = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int msq2 = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  int sem = semget(IPC_PRIVATE, 2, IPC_CREAT | 0600);
  void *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (msq < 0 || msq2 < 0 || sem < 0 || gone == MAP_FAILED || msgctl(msq, IPC_RMID, NULL) != 0) {
    printf("SETUP: %s\n", strerror(errno));
    if (msq2 >= 0) msgctl(msq2, IPC_RMID, NULL);
    if (sem >= 0) semctl(sem, 0, IPC_RMID);
    return 2;
  }
  munmap(gone, 4096);
  expect("msgctl", "EINVAL Invalid value for cmd or msqid.", "msgctl(removed id, IPC_RMID)",
         msgctl(msq, IPC_RMID, NULL), EINVAL);
  expect("msgctl", "EINVAL Invalid value for cmd or msqid.", "msgctl(-1, IPC_RMID)",
         msgctl(-1, IPC_RMID, NULL), EINVAL);
  expect("msgctl", "EFAULT ... the address pointed to by buf isn't accessible.",
         "msgctl(id, IPC_SET, unmapped buffer)", msgctl(msq2, IPC_SET, gone), EFAULT);
  expect("semctl", "ERANGE ... SETALL or SETVAL and the value ... is less than 0 or greater "
         "than ... SEMVMX (not semnum; Linux: EINVAL)", "semctl(id, nsems, GETVAL)",
         semctl(sem, 2, GETVAL), EINVAL);
  expect("semctl", "ERANGE ... SETALL or SETVAL and the value ... is less than 0 or greater "
         "than ... SEMVMX (not semnum; Linux: EINVAL)", "semctl(id, nsems, SETVAL, 1)",
         semctl(sem, 2, SETVAL, 1), EINVAL);
  msgctl(msq2, IPC_RMID, NULL);
  semctl(sem, 0, IPC_RMID);
  if (rc == 0) printf("ok: EINVAL for removed and invalid ids and semnum out of range, EFAULT for IPC_SET\n");
  return rc;
}
