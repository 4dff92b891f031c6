/* msgrcv_msgsz_above_msgmax: msgrcv(2) with a buffer larger than MSGMAX is
   valid and returns the message.
     man 2 msgop: msgsnd's errors name MSGMAX ("EINVAL Invalid msqid value,
     or nonpositive mtype value, or invalid msgsz value (less than 0 or
     greater than the system value MSGMAX)"); msgrcv's do not ("EINVAL msqid
     was invalid, or msgsz was less than 0."), and "msgrcv() returns the
     number of bytes actually copied into the mtext array".
   Linux receives into a msgsz of MSGMAX + 1. gVisor (runsc 0.0~20240729.0)
   fails EINVAL.
   Finding: containers/divergences/gvisor.tsv, SysvMsgInfo.ReceiveBufferAboveMsgmaxIsValid.
     cc -o msgrcv_msgsz_above_msgmax msgrcv_msgsz_above_msgmax.c
     ./msgrcv_msgsz_above_msgmax; runsc --network=none do ./msgrcv_msgsz_above_msgmax
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* IPC_NOWAIT everywhere; a hang still ends */
  struct msginfo mi;
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct { long t; char x[8]; } m = {1, "hello"};
  if (id < 0 || msgctl(0, IPC_INFO, (struct msqid_ds *)&mi) < 0 || msgsnd(id, &m, 5, IPC_NOWAIT)) {
    printf("SETUP: %s\n", strerror(errno));
    if (id >= 0) msgctl(id, IPC_RMID, NULL);
    return 2;
  }
  size_t msgsz = (size_t)mi.msgmax + 1;
  char *buf = calloc(1, sizeof(long) + msgsz);
  ssize_t r = msgrcv(id, buf, msgsz, 0, IPC_NOWAIT);
  int e = errno;
  free(buf);
  msgctl(id, IPC_RMID, NULL);
  if (r != 5) {
    printf("man 2 msgop says msgrcv \"returns the number of bytes actually copied into the mtext "
           "array\" and names EINVAL for msgrcv only when \"msqid was invalid, or msgsz was less than "
           "0\"; got: msgrcv(msgsz MSGMAX + 1 = %zu) of a "
           "5-byte message returned %zd%s%s\n", msgsz, r, r < 0 ? " errno " : "",
           r < 0 ? strerror(e) : "");
    return 1;
  }
  printf("ok: msgrcv with msgsz MSGMAX + 1 (%zu) received the 5-byte message\n", msgsz);
  return 0;
}
