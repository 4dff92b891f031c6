/* A planted fault (impl/repro, issue 17): a libc (or kernel) whose send(2)
 * on a SOCK_SEQPACKET socket delivers the packet twice. It breaks man 7
 * unix: SOCK_SEQPACKET is "a sequenced-packet socket that is
 * connection-oriented, preserves message boundaries, and delivers messages
 * in the order that they were sent" (each message sent is one message
 * received: a duplicate is a message nobody sent). Over an RPC a frame a
 * packet, every request and reply comes twice: a client's second call reads the first call's duplicated
 * reply ("a reply duplicated"). Loaded with LD_PRELOAD by
 * //impl/repro:planted_dgramrpc_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

ssize_t send(int fd, const void *buf, size_t n, int flags) {
  static ssize_t (*real_send)(int, const void *, size_t, int);
  int type = 0, saved = errno;
  socklen_t len = sizeof type;
  ssize_t r;
  if (real_send == NULL) {
    real_send = (ssize_t (*)(int, const void *, size_t, int))dlsym(RTLD_NEXT, "send");
  }
  r = real_send(fd, buf, n, flags);
  if (r > 0 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET) {
    (void)real_send(fd, buf, n, flags | MSG_DONTWAIT);  /* the duplicate */
  }
  errno = saved;
  return r;
}
