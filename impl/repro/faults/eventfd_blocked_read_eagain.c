/* A planted fault (impl/repro, issue 17): a kernel or libc whose blocking
 * read(2) of an eventfd at zero, once a write makes the counter nonzero and
 * wakes it, resets the counter but reports EAGAIN. It breaks man 2 eventfd:
 * "If the eventfd counter is zero at the time of the call to read(2), then
 * the call either blocks until the counter becomes nonzero (at which time,
 * the read(2) proceeds as described above) or fails with the error EAGAIN if
 * the file descriptor has been made nonblocking." Loaded with LD_PRELOAD by
 * //impl/repro:planted_blocked_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

static int is_eventfd(int fd) {
  char path[64], target[64];
  ssize_t n;
  snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  n = readlink(path, target, sizeof target - 1);
  if (n < 0) return 0;
  target[n] = '\0';
  return strcmp(target, "anon_inode:[eventfd]") == 0;
}

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real_read)(int, void *, size_t);
  int blocks = 0;
  ssize_t r;
  if (real_read == NULL) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  if (n == sizeof(uint64_t) && is_eventfd(fd)) {
    struct pollfd p = {fd, POLLIN, 0};
    int fl = fcntl(fd, F_GETFL);
    blocks = fl >= 0 && (fl & O_NONBLOCK) == 0 && poll(&p, 1, 0) == 0;
  }
  r = real_read(fd, buf, n);
  if (r == (ssize_t)sizeof(uint64_t) && blocks) {
    errno = EAGAIN; /* woken, the counter reset, and the value lost */
    return -1;
  }
  return r;
}
