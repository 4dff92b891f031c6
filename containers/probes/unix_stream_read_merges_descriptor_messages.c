/* unix_stream_read_merges_descriptor_messages: on an AF_UNIX stream
   socket, a receive stops at the start of each message that carries
   descriptors, read(2) (which cannot take the descriptors) included.
     man 7 unix: "When receiving from a stream socket, ancillary data forms a
     kind of barrier for the received data."
   Two sends of two bytes, each with an SCM_RIGHTS descriptor, then read(2)
   of 8 bytes: Linux returns "12", then "34" (the barrier holds even though
   read(2) drops the descriptors). gVisor (runsc 0.0~20240729.0) returns
   "1234" at once. (Plain data followed by a descriptor message merge into
   one receive on both, as man 7 unix's example says: "The first call will
   receive five bytes of data, along with the ancillary data sent by the
   second sendmsg(2) call.")
   Finding: containers/divergences/gvisor.tsv,
   UnixStreamCreds.PlainDataMergesWithAFollowingDescriptorMessage.
     cc -o unix_stream_read_merges_descriptor_messages unix_stream_read_merges_descriptor_messages.c
     ./unix_stream_read_merges_descriptor_messages
     runsc --network=none do ./unix_stream_read_merges_descriptor_messages
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Sends `data` with fd attached (SCM_RIGHTS). */
static ssize_t send_with_fd(int via, const char *data, int fd) {
  union { struct cmsghdr align; char b[CMSG_SPACE(sizeof(int))]; } control;
  memset(&control, 0, sizeof control);
  struct iovec iov = {(void *)data, strlen(data)};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control.b;
  m.msg_controllen = sizeof control.b;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(via, &m, 0);
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the socket is non-blocking; a hang still ends */
  int sv[2], p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0 || pipe(p) != 0) {
    printf("SETUP: socketpair or pipe: %s\n", strerror(errno));
    return 2;
  }
  if (send_with_fd(sv[0], "12", p[0]) != 2 || send_with_fd(sv[0], "34", p[0]) != 2) {
    printf("SETUP: sendmsg(SCM_RIGHTS): %s\n", strerror(errno));
    return 2;
  }
  int rc = 0;
  const char *want[2] = {"12", "34"};
  for (int i = 0; i < 2; i++) {
    char buf[8] = {0};
    ssize_t n = read(sv[1], buf, sizeof buf);
    if (n != 2 || memcmp(buf, want[i], 2) != 0) {
      printf("man 7 unix says \"When receiving from a stream socket, ancillary data forms a kind of "
             "barrier for the received data.\" (Linux: read(2) stops at each descriptor message "
             "too); got: read(2) %d of two 2-byte sends with a descriptor each returned %zd (\"%.*s\"),"
             " expected 2 (\"%s\")\n", i + 1, n, n > 0 ? (int)n : 0, buf, want[i]);
      rc = 1;
      break;
    }
  }
  if (rc == 0) printf("ok: read(2) stops at each descriptor message\n");
  close(sv[0]);
  close(sv[1]);
  close(p[0]);
  close(p[1]);
  return rc;
}
