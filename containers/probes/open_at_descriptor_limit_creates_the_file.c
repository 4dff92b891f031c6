/* open_at_descriptor_limit_creates_the_file: an open(O_CREAT) that fails
   EMFILE, because the process has no descriptor left, creates no file; so a
   sem_open(O_CREAT) at the descriptor limit fails EMFILE and leaves nothing in
   /dev/shm.
     man 3 sem_open: "EMFILE The per-process limit on the number of open file
     descriptors has been reached." man 2 open: "EMFILE The per-process limit
     on the number of open file descriptors has been reached"; POSIX open():
     "If O_CREAT is set and the file did not previously exist, upon
     successful completion, open() shall mark for update ..." (a file is
     created by a successful open). glibc's sem_open(O_CREAT) opens a
     temporary /dev/shm/sem.XXXXXX, fills it and links it to the name.
   Linux takes the descriptor before it looks the path up: the open fails
   EMFILE and creates nothing. gVisor (runsc 0.0~20240729.0) creates the file
   and then fails EMFILE: the plain open leaves its file, and sem_open leaves
   glibc's temporary /dev/shm/sem.XXXXXX behind (the leak the suite's audit
   reports).
   Runs in a private mount namespace with a fresh tmpfs on /dev/shm and on a
   scratch directory, so what it leaves is gone with it (needs root: exit 2
   without).
   Finding: containers/divergences/gvisor.tsv, PosixSemErrors.OpenAtTheDescriptorLimitIsEmfile.
     cc -o open_at_descriptor_limit_creates_the_file open_at_descriptor_limit_creates_the_file.c -lpthread
     ./open_at_descriptor_limit_creates_the_file; runsc --network=none do ./open_at_descriptor_limit_creates_the_file
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* Lists dir's entries other than . and .. into out; returns their number or -1. */
static int entries(const char* dir, char* out, size_t size) {
  DIR* d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  out[0] = 0;
  struct dirent* e;
  while ((e = readdir(d)) != NULL) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    ++n;
    size_t l = strlen(out);
    snprintf(out + l, size - l, "%s%s", l ? " " : "", e->d_name);
  }
  closedir(d);
  return n;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* nothing here blocks; a hang still ends */
  if (unshare(CLONE_NEWNS) != 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", 0, "size=1m") != 0 ||
      mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m") != 0) {
    printf("setup: a private mount namespace with tmpfs on /dev/shm and /tmp: %s (needs root)\n",
           strerror(errno));
    return 2;
  }
  struct rlimit rl, low;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return 2;
  int lowest = open("/dev/null", O_RDONLY);
  if (lowest < 0) return 2;
  close(lowest);
  /* Only the soft limit: the lowest free descriptor is the first one over it. */
  low = rl;
  low.rlim_cur = (rlim_t)lowest;
  if (setrlimit(RLIMIT_NOFILE, &low) != 0) {
    printf("setup: setrlimit(RLIMIT_NOFILE, %d): %s\n", lowest, strerror(errno));
    return 2;
  }
  int fd = open("/tmp/created-at-the-limit", O_CREAT | O_EXCL | O_RDWR, 0600);
  int open_errno = errno;
  sem_t* s = sem_open("/sem-at-the-limit", O_CREAT | O_EXCL, 0600, 1);
  int sem_errno = errno;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0) return 2;
  int rc = 0;
  char left[1024];
  if (fd >= 0 || open_errno != EMFILE) {
    printf("setup: open(O_CREAT) with RLIMIT_NOFILE %d did not fail EMFILE (%s)\n", lowest,
           fd >= 0 ? "it succeeded" : strerror(open_errno));
    return 2;
  }
  if (entries("/tmp", left, sizeof left) != 0) {
    printf("man 2 open says \"EMFILE The per-process limit on the number of open file "
           "descriptors has been reached\" (and only a successful open creates the file); got: "
           "open(O_CREAT|O_EXCL) failed EMFILE and created: %s\n", left);
    rc = 1;
  }
  if (s != SEM_FAILED || sem_errno != EMFILE) {
    printf("man 3 sem_open says \"EMFILE The per-process limit on the number of open file "
           "descriptors has been reached.\"; got: sem_open(O_CREAT) at the limit %s\n",
           s != SEM_FAILED ? "succeeded" : strerror(sem_errno));
    rc = 1;
  }
  if (entries("/dev/shm", left, sizeof left) != 0) {
    printf("man 3 sem_open says \"EMFILE ...\": a sem_open that failed leaves no semaphore; got: "
           "/dev/shm holds %s after it\n", left);
    rc = 1;
  }
  if (rc == 0) printf("ok: open(O_CREAT) and sem_open at the descriptor limit fail EMFILE and create nothing\n");
  return rc;
}
