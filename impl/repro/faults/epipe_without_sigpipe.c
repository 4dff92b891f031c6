/* A planted fault (impl/repro, issue 17): a kernel or libc whose write(2) to
 * a pipe with no reader fails EPIPE but raises no SIGPIPE (the pending
 * signal is taken away before write returns). It breaks man 7 pipe: "If all
 * file descriptors referring to the read end of a pipe have been closed, then
 * a write(2) will cause a SIGPIPE signal to be generated for the calling
 * process." Only a blocked SIGPIPE can be pending: with the default action
 * the process dies as documented, fault or not.
 * Loaded with LD_PRELOAD by //impl/repro:planted_faults_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
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
  if (r < 0 && errno == EPIPE) {
    saved = errno;
    if (fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
      sigset_t s;
      struct timespec zero = {0, 0};
      sigemptyset(&s);
      sigaddset(&s, SIGPIPE);
      (void)sigtimedwait(&s, NULL, &zero);
    }
    errno = saved;
  }
  return r;
}
