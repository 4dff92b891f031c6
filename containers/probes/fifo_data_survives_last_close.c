/* fifo_data_survives_last_close: data left in a FIFO when its last end closes
   is gone: the next open(2) starts with an empty pipe.
     man 7 fifo: "When processes are exchanging data via the FIFO, the kernel
     passes all data internally without writing it to the filesystem.  Thus,
     the FIFO special file has no contents on the filesystem".
   The kernel's pipe lives while a descriptor refers to it (pipe(7), "I/O on
   pipes and FIFOs"); nothing keeps data for the next opener.
   Linux frees the pipe at the last close. gVisor (runsc 0.0~20240729.0)
   keeps it: a new open reads the old data.
   Finding: containers/divergences/gvisor.tsv, FifoIo.AllOpensShareOnePipeObjectThatEndsWithTheLastClose.
     cc -o fifo_data_survives_last_close fifo_data_survives_last_close.c
     ./fifo_data_survives_last_close; runsc --network=none do ./fifo_data_survives_last_close
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* O_NONBLOCK and O_RDWR opens do not block; a hang still ends */
  char dir[] = "/tmp/repro-fifo-XXXXXX";
  if (!mkdtemp(dir)) { printf("SETUP: mkdtemp: %s\n", strerror(errno)); return 2; }
  char path[64];
  snprintf(path, sizeof path, "%s/fifo", dir);
  if (mkfifo(path, 0600) != 0) { printf("SETUP: mkfifo: %s\n", strerror(errno)); rmdir(dir); return 2; }
  int rc = 2;
  int fd = open(path, O_RDWR); /* Linux: O_RDWR on a FIFO opens without blocking */
  if (fd < 0 || write(fd, "leftover!", 9) != 9) {
    printf("SETUP: open/write: %s\n", strerror(errno));
    goto out;
  }
  close(fd); /* the last close, with 9 bytes unread */
  fd = open(path, O_RDONLY | O_NONBLOCK);
  if (fd < 0) { printf("SETUP: reopen: %s\n", strerror(errno)); goto out; }
  char buf[16];
  ssize_t r = read(fd, buf, sizeof buf);
  int e = errno;
  close(fd);
  if (r > 0) {
    printf("man 7 fifo says \"the FIFO special file has no contents on the filesystem\" (Linux: "
           "the pipe ends with the last descriptor); got: a new open read %zd bytes written "
           "before the last close (\"%.*s\")\n", r, (int)r, buf);
    rc = 1;
  } else {
    printf("ok: after the last close the FIFO is empty (read: %zd%s%s)\n", r,
           r < 0 ? " " : "", r < 0 ? strerror(e) : "");
    rc = 0;
  }
out:
  unlink(path);
  rmdir(dir);
  return rc;
}
