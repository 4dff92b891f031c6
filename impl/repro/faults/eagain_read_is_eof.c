/* A planted fault (impl/repro, issue 17): a libc whose read(2) on a pipe or
 * FIFO reports end of file (0) where the kernel said EAGAIN. It breaks
 * man 2 read: EAGAIN "The file descriptor fd refers to a file other than a
 * socket and has been marked nonblocking (O_NONBLOCK), and the read would
 * block", and man 7 pipe: end of file only once every write end is closed.
 * Loaded with LD_PRELOAD by //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

ssize_t read(int fd, void *buf, size_t n) {
  static ssize_t (*real_read)(int, void *, size_t);
  struct stat st;
  ssize_t r;
  int saved;
  if (real_read == NULL) real_read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
  r = real_read(fd, buf, n);
  if (r < 0 && errno == EAGAIN) {
    saved = errno;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) return 0;
    errno = saved;
  }
  return r;
}
