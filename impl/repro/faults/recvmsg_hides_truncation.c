/* A planted fault (impl/repro, issue 17): a libc (or kernel) whose
 * recvmsg(2) on a datagram socket (SOCK_DGRAM, SOCK_SEQPACKET) ignores
 * MSG_TRUNC in flags: a message longer than the buffer comes back as the
 * count of bytes stored, without MSG_TRUNC in msg_flags. It breaks man 2
 * recv, MSG_TRUNC: "return the real length of the packet or datagram, even
 * when it was longer than the passed buffer" and "MSG_TRUNC indicates that
 * the trailing portion of a datagram was discarded because the datagram was
 * larger than the buffer supplied" (AF_UNIX before Linux 3.4 behaved so).
 * Loaded with LD_PRELOAD by //impl/repro:planted_dgramrpc_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
  static ssize_t (*real_recvmsg)(int, struct msghdr *, int);
  int type = 0, saved;
  socklen_t len = sizeof type;
  ssize_t r;
  size_t cap = 0, i;
  if (real_recvmsg == NULL) {
    real_recvmsg = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
  }
  r = real_recvmsg(fd, msg, flags);
  if (r <= 0 || !(flags & MSG_TRUNC) || !(msg->msg_flags & MSG_TRUNC)) return r;
  saved = errno;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      (type != SOCK_DGRAM && type != SOCK_SEQPACKET)) {
    errno = saved;
    return r;
  }
  errno = saved;
  for (i = 0; i < (size_t)msg->msg_iovlen; ++i) cap += msg->msg_iov[i].iov_len;
  msg->msg_flags &= ~MSG_TRUNC;
  return (ssize_t)cap < r ? (ssize_t)cap : r;
}
