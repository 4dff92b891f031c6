/* A planted fault (impl/repro, issue 17): a libc whose write(2) of 32 to
 * PIPE_BUF bytes to a pipe or FIFO writes one byte less and returns that
 * short count. It breaks man 7 pipe, PIPE_BUF: "POSIX.1 says that writes of
 * less than PIPE_BUF bytes must be atomic: the output data is written to the
 * pipe as a contiguous sequence" (a split write lets another writer's data in
 * between), and with O_NONBLOCK "If there is room to write n bytes to the
 * pipe, then write(2) succeeds immediately, writing all n bytes". (Writes
 * under 32 bytes are left alone: the harness's own control messages are.)
 * Loaded with LD_PRELOAD by //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t write(int fd, const void *buf, size_t n) {
  static ssize_t (*real_write)(int, const void *, size_t);
  struct stat st;
  int saved = errno;
  if (real_write == NULL) {
    real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
  }
  if (n >= 32 && n <= PIPE_BUF && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
    errno = saved;
    return real_write(fd, buf, n - 1);
  }
  errno = saved;
  return real_write(fd, buf, n);
}
