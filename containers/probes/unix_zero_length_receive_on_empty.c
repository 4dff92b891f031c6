/* unix_zero_length_receive_on_empty: a non-blocking receive of zero bytes from
   an AF_UNIX socket with nothing queued fails EAGAIN; with a message queued
   it returns 0.
     man 2 recv, ERRORS: "EAGAIN or EWOULDBLOCK The socket is marked
     nonblocking and the receive operation would block"; "The value 0 may
     also be returned if the requested number of bytes to receive from a
     stream socket was 0."
   Linux: EAGAIN on an empty queue, for every type. gVisor (runsc
   0.0~20240729.0) returns 0 at once, as if a message or data were there.
   Findings: containers/divergences/gvisor.tsv, UnixZeroLengthReceive.OnAStreamReturnsZeroOrEagainAndTakesNothing,
   Types/UnixMessageZero.AZeroLengthReceiveTakesTheMessageUnlessPeek/{seqpacket,dgram}.
     cc -o unix_zero_length_receive_on_empty unix_zero_length_receive_on_empty.c
     ./unix_zero_length_receive_on_empty; runsc --network=none do ./unix_zero_length_receive_on_empty
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* the sockets are non-blocking; a hang still ends */
  const struct { int type; const char *name; } types[] = {
      {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_DGRAM, "SOCK_DGRAM"}};
  int failed = 0;
  for (int t = 0; t < 3; t++) {
    int sv[2];
    if (socketpair(AF_UNIX, types[t].type | SOCK_NONBLOCK, 0, sv) != 0) {
      printf("SETUP: socketpair(%s): %s\n", types[t].name, strerror(errno));
      return 2;
    }
    char c;
    ssize_t k = recv(sv[1], &c, 0, 0);
    int e = errno;
    if (!(k == -1 && e == EAGAIN)) {
      printf("man 2 recv says \"EAGAIN or EWOULDBLOCK The socket is marked nonblocking and the "
             "receive operation would block\"; got: %s, nothing queued, recv(fd, buf, 0, 0) "
             "returned %zd%s%s\n", types[t].name, k, k < 0 ? " errno " : "",
             k < 0 ? strerror(e) : "");
      failed = 1;
    }
    close(sv[0]);
    close(sv[1]);
  }
  if (!failed) printf("ok: a zero-length receive from an empty socket fails EAGAIN (stream, seqpacket, dgram)\n");
  return failed;
}
