/* fcntl_getlk_free_range_changes_fields: F_GETLK on a range no lock conflicts
   with sets l_type to F_UNLCK and leaves the other fields as they were.
     man 2 fcntl, F_GETLK: "If the lock could be placed, fcntl() does not
     actually place it, but returns F_UNLCK in the l_type field of lock and
     leaves the other fields of the structure unchanged."
   Linux keeps l_whence, l_start and l_len. gVisor (runsc 0.0~20240729.0)
   sets l_start and l_len to 0.
   Finding: containers/divergences/gvisor.tsv, FcntlRecordLock.GetLkReportsTheHolderAndItsRange.
     cc -o fcntl_getlk_free_range_changes_fields fcntl_getlk_free_range_changes_fields.c
     ./fcntl_getlk_free_range_changes_fields; runsc --network=none do ./fcntl_getlk_free_range_changes_fields
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* F_GETLK does not block; a hang still ends */
  char path[] = "/tmp/repro-getlk-XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) { printf("SETUP: mkstemp: %s\n", strerror(errno)); return 2; }
  unlink(path);
  struct flock l = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 100, .l_len = 10};
  int r = fcntl(fd, F_GETLK, &l);
  close(fd);
  if (r != 0 || l.l_type != F_UNLCK || l.l_whence != SEEK_SET || l.l_start != 100 || l.l_len != 10) {
    printf("man 2 fcntl says F_GETLK \"returns F_UNLCK in the l_type field of lock and leaves the "
           "other fields of the structure unchanged\"; got: F_GETLK of a free range [100, +10) "
           "returned %d with l_type %d (F_UNLCK %d), l_whence %d, l_start %lld, l_len %lld\n", r,
           l.l_type, F_UNLCK, l.l_whence, (long long)l.l_start, (long long)l.l_len);
    return 1;
  }
  printf("ok: F_GETLK of a free range gave F_UNLCK and left the range as it was\n");
  return 0;
}
