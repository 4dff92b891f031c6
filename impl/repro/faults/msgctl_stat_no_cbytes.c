/* A planted fault (impl/repro, issue 17): a libc or kernel whose
 * msgctl(2) IPC_STAT reports msg_cbytes as 0 whatever the queue holds. It
 * breaks man 2 msgctl: "msg_cbytes Number of bytes in all messages
 * currently on the message queue." Loaded with LD_PRELOAD by
 * //impl/repro:planted_sysv_msg_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/msg.h>

int msgctl(int id, int cmd, struct msqid_ds *buf) {
  static int (*real)(int, int, struct msqid_ds *);
  int r;
  if (real == NULL) real = (int (*)(int, int, struct msqid_ds *))dlsym(RTLD_NEXT, "msgctl");
  r = real(id, cmd, buf);
  if (r == 0 && cmd == IPC_STAT && buf != NULL) buf->msg_cbytes = 0;
  return r;
}
