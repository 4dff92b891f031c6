/* unix_abstract_full_length_names: an abstract AF_UNIX address is every byte
   of sun_path that the address length covers, NULs included, to the last
   byte.
     man 7 unix: "abstract: an abstract socket address is distinguished (from
     a pathname socket) by the fact that sun_path[0] is a null byte ('\0').
     The socket's address in this namespace is given by the additional bytes
     in sun_path that are covered by the specified length of the address
     structure.  (Null bytes in the name have no special significance.)"
   Linux: two names of full length (sizeof(struct sockaddr_un)) that differ
   only in their last byte are two addresses (both binds succeed), and a
   name of NULs only binds too. gVisor (runsc 0.0~20240729.0) refuses the
   name whose last byte is '/' (EISDIR): it treats the full-length abstract
   name like a path.
   Finding: containers/divergences/gvisor.tsv, UnixNames.FullLengthAbstractNamesAreDistinctToTheLastByte.
     cc -o unix_abstract_full_length_names unix_abstract_full_length_names.c
     ./unix_abstract_full_length_names; runsc --network=none do ./unix_abstract_full_length_names
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  struct sockaddr_un a, b, zero;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "repro-full-%d", getpid());
  b = a;
  b.sun_path[sizeof b.sun_path - 1] = '/';
  memset(&zero, 0, sizeof zero);
  zero.sun_family = AF_UNIX;
  int s1 = socket(AF_UNIX, SOCK_STREAM, 0), s2 = socket(AF_UNIX, SOCK_STREAM, 0);
  int s3 = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (s1 < 0 || s2 < 0 || s3 < 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  const struct { const char *what; int fd; struct sockaddr_un *addr; } cases[3] = {
      {"a full-length name", s1, &a},
      {"the same name but a trailing '/' as its last byte", s2, &b},
      {"a full-length name of NULs only", s3, &zero}};
  for (int i = 0; i < 3; i++) {
    int r = bind(cases[i].fd, (struct sockaddr *)cases[i].addr, sizeof(struct sockaddr_un));
    int e = errno;
    if (r != 0) {
      printf("man 7 unix says the abstract address \"is given by the additional bytes in sun_path "
             "that are covered by the specified length of the address structure.  (Null bytes in "
             "the name have no special significance.)\"; got: bind of %s failed %s\n",
             cases[i].what, strerror(e));
      rc = 1;
    }
  }
  close(s1); close(s2); close(s3);
  if (rc == 0) printf("ok: full-length abstract names differing in their last byte are distinct\n");
  return rc;
}
