/* A planted fault (impl/repro, issue 17): a libc or kernel whose msgrcv(2)
 * with MSG_NOERROR, when it truncates a message longer than msgsz, copies
 * msgsz + 1 bytes of its text: one byte past mtext[msgsz] (what gVisor's
 * msgrcv does; containers/divergences/gvisor.tsv, "past mtext[msgsz]"). It
 * still returns msgsz. It breaks man 2 msgop: "The argument msgsz specifies
 * the maximum size in bytes for the member mtext of the structure pointed
 * to by the msgp argument." Loaded with LD_PRELOAD by
 * //impl/repro:planted_sysv_msg_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/msg.h>
#include <sys/types.h>

ssize_t msgrcv(int id, void *msgp, size_t msgsz, long msgtyp, int msgflg) {
  static ssize_t (*real)(int, void *, size_t, long, int);
  unsigned char *tmp;
  ssize_t r;
  if (real == NULL) real = (ssize_t(*)(int, void *, size_t, long, int))dlsym(RTLD_NEXT, "msgrcv");
  if (!(msgflg & MSG_NOERROR)) return real(id, msgp, msgsz, msgtyp, msgflg);
  tmp = malloc(sizeof(long) + msgsz + 1);
  if (tmp == NULL) return real(id, msgp, msgsz, msgtyp, msgflg);
  /* Room for one byte more: a message longer than msgsz comes with its
     byte msgsz, which the buggy copy writes out too. */
  r = real(id, tmp, msgsz + 1, msgtyp, msgflg);
  if (r > (ssize_t)msgsz) {
    memcpy(msgp, tmp, sizeof(long) + msgsz + 1);
    r = (ssize_t)msgsz;
  } else if (r >= 0) {
    memcpy(msgp, tmp, sizeof(long) + (size_t)r);
  }
  free(tmp);
  return r;
}
