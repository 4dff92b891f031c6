/* A planted fault (impl/repro, issue 17): a kernel or libc whose read(2) of
 * an eventfd returns the value but leaves the counter as it was. It breaks
 * man 2 eventfd: "If EFD_SEMAPHORE was not specified and the eventfd counter
 * has a nonzero value, then a read(2) returns 8 bytes containing that value,
 * and the counter's value is reset to zero" (with EFD_SEMAPHORE: "decremented
 * by 1"). Loaded with LD_PRELOAD by //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
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
  static ssize_t (*real_write)(int, const void *, size_t);
  ssize_t r;
  int saved;
  if (real_read == NULL) {
    real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
    real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  }
  r = real_read(fd, buf, n);
  saved = errno;
  if (r == (ssize_t)sizeof(uint64_t) && is_eventfd(fd)) {
    /* Put the value back: the counter looks untouched by the read. */
    (void)real_write(fd, buf, sizeof(uint64_t));
  }
  errno = saved;
  return r;
}
