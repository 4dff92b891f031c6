/* msgrcv(2) with MSG_NOERROR and a message longer than msgsz: how many bytes
   land past mtext[msgsz]. Linux: none. gVisor 0.0~20240729.0: one. */
#include <stdio.h>
#include <string.h>
#include <errno.h>
#include <sys/msg.h>
/* How many bytes msgrcv(2) writes into the caller's buffer. man 2 msgop:
   "The argument msgsz specifies the maximum size in bytes for the member mtext
   of the structure pointed to by the msgp argument. If the message text has
   length greater than msgsz, then ... if msgflg specifies MSG_NOERROR, then
   the message text will be truncated". Writing past mtext[msgsz] corrupts
   the caller's memory. */
static void one(int id, size_t len, size_t msgsz, int flags) {
  struct { long t; char x[64]; } s = {7, {0}};
  memset(s.x, 'A', sizeof s.x);
  msgsnd(id, &s, len, 0);
  unsigned char buf[sizeof(long) + 64];
  memset(buf, 0xEE, sizeof buf);
  ssize_t r = msgrcv(id, buf, msgsz, 0, flags | IPC_NOWAIT);
  int e = errno;
  int past = -1;
  for (size_t i = sizeof buf; i-- > sizeof(long) + msgsz;) if (buf[i] != 0xEE) { past = (int)(i - sizeof(long) - msgsz) + 1; break; }
  printf("message %2zu B, msgsz %2zu%s: returned %2zd%s%s; bytes written past mtext[msgsz]: %d\n",
         len, msgsz, flags & MSG_NOERROR ? ", MSG_NOERROR" : "", r, r < 0 ? " " : "", r < 0 ? strerror(e) : "",
         past < 0 ? 0 : past);
  if (r < 0) { char b[sizeof(long) + 64]; msgrcv(id, b, 64, 0, IPC_NOWAIT); }
}
int main(void) {
  int id = msgget(IPC_PRIVATE, 0600);
  if (id < 0) { perror("msgget"); return 1; }
  one(id, 32, 0, MSG_NOERROR);
  one(id, 32, 8, MSG_NOERROR);
  one(id, 32, 31, MSG_NOERROR);
  one(id, 32, 32, 0);
  one(id, 4, 8, 0);
  one(id, 0, 8, 0);
  one(id, 32, 8, 0);
  msgctl(id, IPC_RMID, 0);
  return 0;
}
