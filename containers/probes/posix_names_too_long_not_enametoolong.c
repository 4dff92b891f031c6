/* posix_names_too_long_not_enametoolong: shm_unlink(3) and sem_unlink(3) of a
   name whose file in /dev/shm would have a component longer than NAME_MAX
   (255) fail ENAMETOOLONG.
     man 3 shm_unlink (shm_open(3)): "ENAMETOOLONG The length of name exceeds
     PATH_MAX."; POSIX's shm_unlink lists ENAMETOOLONG also for a name with a
     pathname component longer than {NAME_MAX} (Linux: 255 characters);
     man 3 sem_unlink: "ENAMETOOLONG name was too long."
   glibc turns the names into /dev/shm/NAME and /dev/shm/sem.NAME; Linux
   fails the unlink of a component above 255 characters ENAMETOOLONG.
   gVisor (runsc 0.0~20240729.0) fails it ENOENT.
   Findings: containers/divergences/gvisor.tsv, PosixSemErrors.NameLengthsAndForms, ShmErrors.NameLengthsAndForms.
     cc -o posix_names_too_long_not_enametoolong posix_names_too_long_not_enametoolong.c -lrt -lpthread
     ./posix_names_too_long_not_enametoolong; runsc --network=none do ./posix_names_too_long_not_enametoolong
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  char name[300];
  name[0] = '/';
  /* shm: "/" + 256 characters: the component in /dev/shm has 256. */
  memset(name + 1, 'q', 256);
  name[257] = 0;
  int r = shm_unlink(name);
  int e = errno;
  if (!(r == -1 && e == ENAMETOOLONG)) {
    printf("POSIX shm_unlink lists ENAMETOOLONG for a pathname component longer than "
           "{NAME_MAX} (Linux: 255); got: shm_unlink of \"/\" and 256 "
           "characters returned %d%s%s\n", r, r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    rc = 1;
  }
  /* sem: "/" + 254 characters: the file "sem." + 254 has 258. */
  memset(name + 1, 'q', 254);
  name[255] = 0;
  r = sem_unlink(name);
  e = errno;
  if (!(r == -1 && e == ENAMETOOLONG)) {
    printf("man 3 sem_unlink says \"ENAMETOOLONG name was too long.\"; got: sem_unlink of \"/\" "
           "and 254 characters (the file /dev/shm/sem.NAME: 258) returned %d%s%s\n", r,
           r < 0 ? " errno " : "", r < 0 ? strerror(e) : "");
    rc = 1;
  }
  if (rc == 0) printf("ok: names too long for /dev/shm fail ENAMETOOLONG\n");
  return rc;
}
