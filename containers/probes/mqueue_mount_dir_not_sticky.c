/* mqueue_mount_dir_not_sticky: the root directory of a mounted mqueue file
   system has the sticky bit, and a queue is listed in it as a regular file
   with the queue's mode.
     man 7 mq_overview, "Mounting the message queue filesystem": "The sticky
     bit is automatically enabled on the mount directory."; "After the
     filesystem has been mounted, the message queues on the system can be
     viewed and manipulated using the commands usually used for files".
   Linux: the mount's root is 01777, the queue a regular file 0600. gVisor
   (runsc 0.0~20240729.0): the mount's root has no sticky bit. (The suite's
   test then sends through open(2) of the queue file, which fails there for
   the cause posix_mq_send_receive_notify_enosys shows: mq_timedsend is
   ENOSYS.)
   Runs in a private mount namespace (needs root: exit 2 without), on a
   fresh mqueue mount on a private tmpfs /tmp, so nothing outlives it.
   Finding: containers/divergences/gvisor.tsv, PosixMqFs.QueuesAreFilesThatOpenAndUnlinkReach.
     cc -o mqueue_mount_dir_not_sticky mqueue_mount_dir_not_sticky.c -lrt
     ./mqueue_mount_dir_not_sticky; runsc --network=none do ./mqueue_mount_dir_not_sticky
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  /* A tmpfs on /tmp of this namespace: the mount point goes with the process. */
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") != 0) {
    printf("setup: a private mount namespace with a tmpfs on /tmp: %s (needs root)\n",
           strerror(errno));
    return 2;
  }
  char dir[] = "/tmp/repro-mqueue.XXXXXX";
  if (!mkdtemp(dir)) {
    printf("setup: mkdtemp: %s\n", strerror(errno));
    return 2;
  }
  if (mount("mqueue", dir, "mqueue", 0, NULL) != 0) {
    printf("setup: mount -t mqueue: %s\n", strerror(errno));
    rmdir(dir);
    return 2;
  }
  int rc = 0;
  struct stat st;
  if (stat(dir, &st) != 0) {
    printf("setup: stat of the mount: %s\n", strerror(errno));
    rc = 2;
  } else if (!(st.st_mode & S_ISVTX)) {
    printf("man 7 mq_overview says \"The sticky bit is automatically enabled on the mount "
           "directory.\"; got: the mqueue mount's root has mode %o\n", (unsigned)st.st_mode & 07777);
    rc = 1;
  }
  char name[64], path[128];
  snprintf(name, sizeof name, "/repro-sticky-%d", (int)getpid());
  snprintf(path, sizeof path, "%s%s", dir, name);
  struct mq_attr a = {0};
  a.mq_maxmsg = 1;
  a.mq_msgsize = 8;
  mode_t old = umask(0);
  mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &a);
  umask(old);
  if (q == (mqd_t)-1) {
    printf("setup: mq_open(O_CREAT): %s\n", strerror(errno));
    if (rc == 0) rc = 2;
  } else {
    if (stat(path, &st) != 0) {
      printf("man 7 mq_overview says the queues \"can be viewed ... using the commands usually "
             "used for files\"; got: stat of %s failed %s\n", path, strerror(errno));
      rc = 1;
    } else if (!S_ISREG(st.st_mode) || (st.st_mode & 0777) != 0600) {
      printf("man 7 mq_overview: a queue is listed as a file with its mode; got: mode %o for a "
             "queue of mode 0600\n", (unsigned)st.st_mode);
      rc = 1;
    }
    mq_close(q);
    mq_unlink(name);
  }
  umount2(dir, MNT_DETACH);
  rmdir(dir);
  if (rc == 0) printf("ok: the mqueue mount's root is sticky; a queue is a regular file with its mode\n");
  return rc;
}
