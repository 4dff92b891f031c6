/* A planted fault (impl/repro, issue 17): a kernel or libc whose blocking
 * read(2) of an empty pipe or FIFO, once data arrives and wakes it, consumes
 * the data but returns 0, as at end-of-file. It breaks man 7 pipe: "If a
 * process attempts to read from an empty pipe, then read(2) will block until
 * data is available", and end-of-file only "If all file descriptors
 * referring to the write end of a pipe have been closed". Loaded with
 * LD_PRELOAD by //impl/repro:planted_blocked_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real_read)(int, void *, size_t);
  struct stat st;
  int blocks = 0;
  ssize_t r;
  if (real_read == NULL) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (n > 1 && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
    struct pollfd p = {fd, POLLIN, 0};
    int fl = fcntl(fd, F_GETFL);
    blocks = fl >= 0 && (fl & O_NONBLOCK) == 0 && poll(&p, 1, 0) == 0;
  }
  r = real_read(fd, buf, n);
  if (r > 0 && blocks) return 0; /* woken by data, the data taken, "end-of-file" */
  return r;
}
