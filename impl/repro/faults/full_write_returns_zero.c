/* A planted fault (impl/repro, issue 17): a libc whose write(2) to a full
 * pipe or FIFO in O_NONBLOCK mode returns 0 instead of failing EAGAIN. It
 * breaks man 7 pipe: "If O_NONBLOCK is enabled ... If there is room to write
 * n bytes to the pipe, then write(2) succeeds immediately, writing all n
 * bytes; otherwise write(2) fails, with errno set to EAGAIN" (and man 2 write:
 * EAGAIN "the write would block"; a write returns 0 only for a count of 0).
 * Loaded with LD_PRELOAD by //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real_write)(int, const void *, size_t);
  struct stat st;
  ssize_t r;
  int saved;
  if (real_write == NULL) {
    real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  }
  r = real_write(fd, buf, n);
  if (r < 0 && errno == EAGAIN) {
    saved = errno;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) return 0;
    errno = saved;
  }
  return r;
}
