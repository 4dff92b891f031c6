/* A planted fault (impl/repro, issue 17): a libc or kernel whose msgsnd(2)
 * with IPC_NOWAIT on a queue without room drops the message and returns 0
 * instead of failing EAGAIN. It breaks man 2 msgop: "If insufficient space
 * is available in the queue, then the default behavior of msgsnd() is to
 * block until space becomes available. If IPC_NOWAIT is specified in
 * msgflg, then the call instead fails with the error EAGAIN." Loaded with
 * LD_PRELOAD by //impl/repro:planted_sysv_msg_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/msg.h>

int msgsnd(int id, const void *msgp, size_t msgsz, int msgflg) {
  static int (*real)(int, const void *, size_t, int);
  int r;
  if (real == NULL) real = (int (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "msgsnd");
  r = real(id, msgp, msgsz, msgflg);
  if (r != 0 && errno == EAGAIN && (msgflg & IPC_NOWAIT)) return 0;
  return r;
}
