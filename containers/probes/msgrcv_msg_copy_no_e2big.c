/* msgrcv_msg_copy_no_e2big: msgrcv(2) with MSG_COPY and a msgsz shorter than
   the message fails E2BIG (without MSG_NOERROR), as every msgrcv does.
     man 2 msgop: "E2BIG The message text length is greater than msgsz and
     MSG_NOERROR isn't specified in msgflg."; "MSG_COPY (since Linux 3.8)
     Nondestructively fetch a copy of the message at the ordinal position in
     the queue specified by msgtyp".
   Linux: E2BIG. gVisor (runsc 0.0~20240729.0) returns the message's full
   length (5) for a 2-byte buffer.
   Finding: containers/divergences/gvisor.tsv, SysvMsgTable.MsgCopyCopiesByPositionWithoutRemoving.
     cc -o msgrcv_msg_copy_no_e2big msgrcv_msg_copy_no_e2big.c
     ./msgrcv_msg_copy_no_e2big; runsc --network=none do ./msgrcv_msg_copy_no_e2big
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up (a kernel
   without CONFIG_CHECKPOINT_RESTORE has no MSG_COPY: ENOSYS). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif

int main(void) {
  alarm(10); /* IPC_NOWAIT everywhere; a hang still ends */
  int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
  struct { long t; char x[8]; } m = {1, "hello"};
  if (id < 0 || msgsnd(id, &m, 5, IPC_NOWAIT) != 0) {
    printf("SETUP: %s\n", strerror(errno));
    if (id >= 0) msgctl(id, IPC_RMID, NULL);
    return 2;
  }
  unsigned char buf[sizeof(long) + 16];
  memset(buf, 0xEE, sizeof buf);
  ssize_t r = msgrcv(id, buf, 2, 0, MSG_COPY | IPC_NOWAIT);
  int e = errno;
  msgctl(id, IPC_RMID, NULL);
  if (r == -1 && e == ENOSYS) {
    printf("SETUP: no MSG_COPY here (ENOSYS)\n");
    return 2;
  }
  if (!(r == -1 && e == E2BIG)) {
    printf("man 2 msgop says \"E2BIG The message text length is greater than msgsz and "
           "MSG_NOERROR isn't specified in msgflg.\"; got: msgrcv(msgsz 2, MSG_COPY|IPC_NOWAIT) of "
           "a 5-byte message returned %zd%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    return 1;
  }
  printf("ok: MSG_COPY into a buffer too small fails E2BIG\n");
  return 0;
}
