/* posix_mq_name_limit_counts_the_slash: a POSIX message queue name of "/"
   followed by 255 characters is not too long: mq_open(O_CREAT) creates it and
   mq_unlink of a missing one fails ENOENT; only 256 characters after the slash
   are ENAMETOOLONG.
     man 3 mq_open: "ENAMETOOLONG name was too long."; NOTES: "the glibc
     implementation ... passes name+1 (i.e., excluding the initial slash) to
     the system call"; man 7 mq_overview: the name is "up to NAME_MAX (i.e.,
     255) characters consisting of an initial slash, followed by one or more
     characters, none of which are slashes". Read literally, that sentence
     counts the slash; Linux does not: the system call gets name+1, a file
     name of the mqueue file system, and NAME_MAX bounds that (255 after the
     slash are allowed). This program tests what Linux does, as the suite.
     man 3 mq_unlink: "ENOENT There is no message queue with the given name."
   Linux: "/" + 255 opens (and a missing one unlinks ENOENT), "/" + 256 is
   ENAMETOOLONG. gVisor (runsc 0.0~20240729.0) fails both 255-character
   names ENAMETOOLONG: it counts the slash against NAME_MAX.
   Findings: containers/divergences/gvisor.tsv, PosixMq.NameRules,
   PosixMqErrors.UnlinkOfAMissingOrOverlongNameFails.
     cc -o posix_mq_name_limit_counts_the_slash posix_mq_name_limit_counts_the_slash.c -lrt
     ./posix_mq_name_limit_counts_the_slash; runsc --network=none do ./posix_mq_name_limit_counts_the_slash
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const char* err(int r, int e) { return r < 0 ? strerror(e) : "success"; }

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  int rc = 0;
  char name[300];
  /* A name unique to this process: "/" + the pid, padded to 255 characters. */
  int n = snprintf(name, sizeof name, "/r%d-", (int)getpid());
  memset(name + n, 'm', 256 - n);
  name[256] = 0; /* "/" + 255 */
  struct mq_attr a = {0};
  a.mq_maxmsg = 1;
  a.mq_msgsize = 8;
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  int e = errno;
  if (q == (mqd_t)-1) {
    printf("man 3 mq_open says glibc \"passes name+1 (i.e., excluding the initial slash) to "
           "the system call\", and Linux bounds that by NAME_MAX (255; man 7 mq_overview's "
           "wording counts the slash, Linux does not); got: mq_open(O_CREAT) "
           "of \"/\" and 255 characters failed %s\n", strerror(e));
    rc = 1;
  } else {
    mq_close(q);
    if (mq_unlink(name) != 0) {
      printf("setup: mq_unlink of the queue just created failed %s\n", strerror(errno));
      return 2;
    }
  }
  /* The same name, now missing. */
  int r = mq_unlink(name);
  e = errno;
  if (!(r == -1 && e == ENOENT)) {
    printf("man 3 mq_unlink says \"ENOENT There is no message queue with the given name.\" (a "
           "255-character name is not too long); got: mq_unlink of a missing \"/\" and 255 "
           "characters: %s\n", err(r, e));
    rc = 1;
  }
  /* The control: 256 characters after the slash are too long everywhere. */
  name[256] = 'm';
  name[257] = 0;
  r = mq_unlink(name);
  e = errno;
  if (!(r == -1 && e == ENAMETOOLONG)) {
    printf("man 3 mq_unlink says \"ENAMETOOLONG name was too long.\"; got: mq_unlink of \"/\" "
           "and 256 characters: %s\n", err(r, e));
    rc = 1;
  }
  if (rc == 0) printf("ok: \"/\" + 255 characters is a queue name; \"/\" + 256 is ENAMETOOLONG\n");
  return rc;
}
