/* posix_mq_umask_ignored: mq_open(O_CREAT) applies the process umask to the
   queue's mode.
     man 3 mq_open: "The permissions settings are masked against the process
     umask."; BUGS: "Before Linux 2.6.14, the process umask was not applied
     to the permissions specified in mode."
   Linux: mode 0666 under umask 022 gives 0644 (fstat of the queue
   descriptor, a file of the mqueue filesystem). gVisor (runsc
   0.0~20240729.0): 0666.
   Findings: containers/divergences/gvisor.tsv, PosixMqPerm.CreationUmaskOwnerAndUnlinkByAnotherUser,
   PosixMqErrors.FileTypeBitsInModeAreIgnored.
     cc -o posix_mq_umask_ignored posix_mq_umask_ignored.c -lrt
     ./posix_mq_umask_ignored; runsc --network=none do ./posix_mq_umask_ignored
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  char name[64];
  snprintf(name, sizeof name, "/repro-umask-%d", getpid());
  umask(022);
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0666, NULL);
  if (q == (mqd_t)-1) { printf("SETUP: mq_open: %s\n", strerror(errno)); return 2; }
  struct stat st;
  int r = fstat(q, &st);
  mq_close(q);
  mq_unlink(name);
  if (r != 0) { printf("SETUP: fstat of the queue descriptor: %s\n", strerror(errno)); return 2; }
  if ((st.st_mode & 07777) != 0644) {
    printf("man 3 mq_open says \"The permissions settings are masked against the process "
           "umask.\"; got: mode 0666 under umask 022 made a queue of mode %04o\n",
           (unsigned)(st.st_mode & 07777));
    return 1;
  }
  printf("ok: mode 0666 under umask 022 made a queue of mode 0644\n");
  return 0;
}
