/* so_sndbuf_not_clamped_to_twice_wmem_max: SO_SNDBUF set above
   /proc/sys/net/core/wmem_max reads back as twice wmem_max.
     man 7 socket: "SO_SNDBUF Sets or gets the maximum socket send buffer in
     bytes.  The kernel doubles this value (to allow space for bookkeeping
     overhead) when it is set using setsockopt(2), and this doubled value is
     returned by getsockopt(2).  The default value is set by the
     /proc/sys/net/core/wmem_default file and the maximum allowed value is
     set by the /proc/sys/net/core/wmem_max file.  The minimum (doubled)
     value for this option is 2048."
   On an AF_UNIX stream socket, Linux reads SO_SNDBUF set to INT_MAX back as
   2 * wmem_max, and SO_SNDBUF set to 0 as its minimum (at least 2048).
   gVisor (runsc 0.0~20240729.0) reads INT_MAX back as its own maximum,
   8388608, not twice the wmem_max its /proc shows (212992). (A host whose
   wmem_max is 4194304 reads 8388608 too, as documented.)
   Finding: containers/divergences/gvisor.tsv,
   UnixSockopt.SoSndbufIsClampedBetweenAMinimumAndTwiceWmemMax.
     cc -o so_sndbuf_not_clamped_to_twice_wmem_max so_sndbuf_not_clamped_to_twice_wmem_max.c
     ./so_sndbuf_not_clamped_to_twice_wmem_max
     runsc --network=none do ./so_sndbuf_not_clamped_to_twice_wmem_max
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int get(int fd) {
  int v = -1;
  socklen_t len = sizeof v;
  return getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 ? v : -1;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  long wmem_max = -1;
  FILE *f = fopen("/proc/sys/net/core/wmem_max", "r");
  if (!f || fscanf(f, "%ld", &wmem_max) != 1) { printf("SETUP: /proc/sys/net/core/wmem_max is not readable\n"); return 2; }
  fclose(f);
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
  int rc = 0;
  const int big = INT_MAX, zero = 0;
  if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof big) != 0) { printf("SETUP: setsockopt(INT_MAX): %s\n", strerror(errno)); return 2; }
  int v = get(sv[0]);
  if (v != 2 * wmem_max) {
    printf("man 7 socket says SO_SNDBUF's \"maximum allowed value is set by the "
           "/proc/sys/net/core/wmem_max file\" and \"The kernel doubles this value\"; got: set to "
           "INT_MAX, it reads back %d, not 2 * wmem_max = %ld\n", v, 2 * wmem_max);
    rc = 1;
  }
  if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &zero, sizeof zero) != 0) { printf("SETUP: setsockopt(0): %s\n", strerror(errno)); return 2; }
  v = get(sv[0]);
  if (v < 2048) {
    printf("man 7 socket says \"The minimum (doubled) value for this option is 2048.\"; got: set to "
           "0, it reads back %d\n", v);
    rc = 1;
  }
  if (rc == 0) printf("ok: SO_SNDBUF is clamped to [2048.., 2 * wmem_max = %ld]\n", 2 * wmem_max);
  close(sv[0]);
  close(sv[1]);
  return rc;
}
