/* memfd_create_name_limit: memfd_create(2) takes names of up to 249 bytes and
   refuses longer ones with EINVAL.
     man 2 memfd_create, ERRORS: "EINVAL name was too long.
     (The limit is 249 bytes, excluding the terminating null byte.)"
   Linux: 249 bytes accepted, 250 EINVAL. gVisor (runsc 0.0~20240729.0):
   ENAMETOOLONG for both.
   Finding: containers/divergences/gvisor.tsv, MemfdCreate.NameLongerThan249BytesIsEinval.
     cc -o memfd_create_name_limit memfd_create_name_limit.c
     ./memfd_create_name_limit; runsc --network=none do ./memfd_create_name_limit
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  char name[256];
  int rc = 0;
  memset(name, 'n', sizeof name);
  name[249] = 0;
  int fd = memfd_create(name, 0);
  int e = errno;
  if (fd < 0) {
    printf("man 2 memfd_create says \"The limit is 249 bytes, excluding the terminating null "
           "byte.\"; got: a 249-byte name failed %s\n", strerror(e));
    rc = 1;
  } else {
    close(fd);
  }
  name[249] = 'n';
  name[250] = 0;
  fd = memfd_create(name, 0);
  e = errno;
  if (!(fd == -1 && e == EINVAL)) {
    printf("man 2 memfd_create says \"EINVAL name was too long.\"; got: a 250-byte "
           "name %s\n", fd >= 0 ? "was accepted" : strerror(e));
    if (fd >= 0) close(fd);
    rc = 1;
  }
  if (rc == 0) printf("ok: 249 bytes accepted, 250 refused EINVAL\n");
  return rc;
}
