/* A planted fault (impl/repro, issue 17): a libc or kernel whose msgrcv(2)
 * with a negative msgtyp takes the first message of the lowest type
 * strictly LESS than |msgtyp|, skipping the messages whose type equals
 * |msgtyp| (what gVisor's msgrcv does; containers/divergences/gvisor.tsv,
 * "type=-N ... ENOMSG"). It breaks man 2 msgop: "If msgtyp is less than 0,
 * then the first message in the queue with the lowest type less than or
 * equal to the absolute value of msgtyp will be read." Loaded with
 * LD_PRELOAD by //impl/repro:planted_sysv_msg_test.
 *
 * For msgtyp -N (N > 1) it asks for msgtyp -(N-1); for msgtyp -1 (no type
 * is below 1) it fails ENOMSG with IPC_NOWAIT and, without IPC_NOWAIT,
 * leaves the call alone (a buggy blocking call would hang, which the
 * model's typed receives, all IPC_NOWAIT, never reach). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <limits.h>
#include <sys/msg.h>
#include <sys/types.h>

ssize_t msgrcv(int id, void *msgp, size_t msgsz, long msgtyp, int msgflg) {
  static ssize_t (*real)(int, void *, size_t, long, int);
  if (real == NULL) real = (ssize_t(*)(int, void *, size_t, long, int))dlsym(RTLD_NEXT, "msgrcv");
  if (msgtyp < 0 && msgtyp != LONG_MIN) {
    if (msgtyp == -1) {
      if (msgflg & IPC_NOWAIT) {
        errno = ENOMSG;
        return -1;
      }
      return real(id, msgp, msgsz, msgtyp, msgflg);
    }
    return real(id, msgp, msgsz, msgtyp + 1, msgflg);
  }
  return real(id, msgp, msgsz, msgtyp, msgflg);
}
