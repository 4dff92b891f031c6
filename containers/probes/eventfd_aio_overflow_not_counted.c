/* eventfd_aio_overflow_not_counted: an AIO completion (IOCB_FLAG_RESFD) that
   takes an eventfd counter past its maximum overflows it: poll(2) reports
   POLLERR, select(2) both readable and writable, and read(2) returns
   0xffffffffffffffff.
     man 2 eventfd: "If an overflow of the counter value was detected, then
     select(2) indicates the file descriptor as being both readable and
     writable, and poll(2) returns a POLLERR event.  As noted above, write(2)
     can never overflow the counter.  However an overflow can occur if 2^64
     eventfd "signal posts" were performed by the KAIO subsystem ...  If an
     overflow has occurred, then read(2) will return that maximum uint64_t
     value (i.e., 0xffffffffffffffff)."
   The counter is written to 0xfffffffffffffffe (the largest value write(2)
   allows), then one AIO read of a file with IOCB_FLAG_RESFD completes and
   posts 1 to it (raw io_setup(2)/io_submit(2), no libaio).
   Linux: the counter saturates at 0xffffffffffffffff: POLLERR, readable and
   writable, read returns 0xffffffffffffffff. gVisor (runsc 0.0~20240729.0):
   the post is refused, the counter stays at 0xfffffffffffffffe: no POLLERR,
   not writable, and read returns 0xfffffffffffffffe.
   Finding: containers/divergences/gvisor.tsv, EventFdOverflow.AnAioCompletionAtTheMaximumOverflows.
     cc -o eventfd_aio_overflow_not_counted eventfd_aio_overflow_not_counted.c
     ./eventfd_aio_overflow_not_counted; runsc --network=none do ./eventfd_aio_overflow_not_counted
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up (no AIO). */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <linux/aio_abi.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* io_getevents has a 5 s deadline; the rest does not block */
  aio_context_t ctx = 0;
  if (syscall(SYS_io_setup, 4, &ctx) != 0) {
    printf("SETUP: io_setup: %s (no Linux AIO here)\n", strerror(errno));
    return 2;
  }
  int rc = 2;
  int efd = eventfd(0, EFD_NONBLOCK);
  char path[] = "/tmp/repro-aio.XXXXXX";
  int file = mkstemp(path);
  if (file >= 0) unlink(path); /* the open file is enough */
  static char buf[512];
  if (efd < 0 || file < 0 || write(file, buf, sizeof buf) != (ssize_t)sizeof buf) {
    printf("SETUP: eventfd or the file to read: %s\n", strerror(errno));
    goto out;
  }
  uint64_t max = UINT64_MAX - 1;
  if (write(efd, &max, sizeof max) != (ssize_t)sizeof max) {
    printf("SETUP: write 0xfffffffffffffffe to the eventfd: %s\n", strerror(errno));
    goto out;
  }
  struct iocb cb;
  memset(&cb, 0, sizeof cb);
  cb.aio_lio_opcode = IOCB_CMD_PREAD;
  cb.aio_fildes = (uint32_t)file;
  cb.aio_buf = (uint64_t)(uintptr_t)buf;
  cb.aio_nbytes = sizeof buf;
  cb.aio_offset = 0;
  cb.aio_flags = IOCB_FLAG_RESFD;
  cb.aio_resfd = (uint32_t)efd;
  struct iocb* list[1] = {&cb};
  if (syscall(SYS_io_submit, ctx, 1, list) != 1) {
    printf("SETUP: io_submit: %s\n", strerror(errno));
    goto out;
  }
  struct io_event done;
  memset(&done, 0, sizeof done);
  struct timespec deadline = {5, 0};
  if (syscall(SYS_io_getevents, ctx, 1, 1, &done, &deadline) != 1 || done.res != (int64_t)sizeof buf) {
    printf("SETUP: the AIO read did not complete within 5 s (%s, res %lld)\n", strerror(errno),
           (long long)done.res);
    goto out;
  }
  rc = 0;
  struct pollfd p = {efd, POLLIN | POLLOUT, 0};
  int n = poll(&p, 1, 0);
  if (n != 1 || !(p.revents & POLLERR)) {
    printf("man 2 eventfd says \"If an overflow of the counter value was detected, then ... "
           "poll(2) returns a POLLERR event\"; got: poll returned %d, revents %#x\n", n,
           (unsigned)p.revents);
    rc = 1;
  }
  fd_set rd, wr;
  FD_ZERO(&rd);
  FD_ZERO(&wr);
  FD_SET(efd, &rd);
  FD_SET(efd, &wr);
  struct timeval zero = {0, 0};
  n = select(efd + 1, &rd, &wr, NULL, &zero);
  if (n != 2) {
    printf("man 2 eventfd says \"select(2) indicates the file descriptor as being both readable "
           "and writable\" after an overflow; got: select returned %d (readable %d, writable "
           "%d)\n", n, FD_ISSET(efd, &rd) ? 1 : 0, FD_ISSET(efd, &wr) ? 1 : 0);
    rc = 1;
  }
  uint64_t v = 0;
  ssize_t r = read(efd, &v, sizeof v);
  if (r != (ssize_t)sizeof v || v != UINT64_MAX) {
    printf("man 2 eventfd says \"If an overflow has occurred, then read(2) will return that "
           "maximum uint64_t value (i.e., 0xffffffffffffffff)\"; got: read returned %zd, value "
           "%#" PRIx64 "\n", r, v);
    rc = 1;
  }
out:
  syscall(SYS_io_destroy, ctx);
  if (rc == 0) printf("ok: the AIO post past the maximum overflows the eventfd counter\n");
  return rc;
}
