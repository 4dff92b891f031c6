/* A planted fault (impl/repro, issue 17): a libc whose poll(2) never reports
 * POLLHUP: the bit is cleared from every revents (and a descriptor left with
 * no event is not counted). It breaks man 2 poll: POLLHUP "Hang up (only
 * returned in revents; ignored in events). ... this event merely indicates
 * that the peer closed its end of the channel", set "whenever the
 * corresponding condition is true" (a pipe's read end once every write end
 * is closed, man 7 pipe). select(2) and epoll(7) are left as they are, as a
 * kernel whose poll path alone forgot the hangup would leave them.
 * Loaded with LD_PRELOAD by //impl/repro:planted_readiness_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <stddef.h>

int poll(struct pollfd *fds, nfds_t n, int timeout) {
  static int (*real_poll)(struct pollfd *, nfds_t, int);
  nfds_t i;
  int r;
  if (real_poll == NULL) real_poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
  r = real_poll(fds, n, timeout);
  if (r <= 0) return r;
  for (i = 0; i < n; ++i) {
    if (!(fds[i].revents & POLLHUP)) continue;
    fds[i].revents &= ~POLLHUP;
    if (fds[i].revents == 0) --r;
  }
  return r;
}
