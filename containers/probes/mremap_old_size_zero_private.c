/* mremap_old_size_zero_private: mremap(2) with old_size 0 (which duplicates a
   shared mapping) fails EINVAL on a private mapping.
     man 2 mremap: "If the value of old_size is zero, and old_address refers
     to a shareable mapping (see mmap(2) MAP_SHARED), then mremap() will
     create a new mapping of the same pages."; BUGS: "Before Linux 4.14, if
     old_size was zero and the mapping referred to by old_address was a
     private mapping (mmap(2) MAP_PRIVATE), mremap() created a new private
     mapping unrelated to the original mapping.  This behavior was
     unintended and probably unexpected in user-space applications (since
     the intention of mremap() is to create a new mapping based on the
     original mapping).  Since Linux 4.14, mremap() fails with the error
     EINVAL in this scenario."
   Linux (4.14 and later): EINVAL. gVisor (runsc 0.0~20240729.0, which
   reports itself as Linux 4.4.0) succeeds.
   Finding: containers/divergences/gvisor.tsv, Mremap.OldSizeZeroDuplicatesASharedMapping.
     cc -o mremap_old_size_zero_private mremap_old_size_zero_private.c
     ./mremap_old_size_zero_private; runsc --network=none do ./mremap_old_size_zero_private
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(void) {
  alarm(10); /* nothing here blocks; a hang still ends */
  void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) { printf("SETUP: mmap: %s\n", strerror(errno)); return 2; }
  void *q = mremap(p, 0, 4096, MREMAP_MAYMOVE);
  int e = errno;
  munmap(p, 4096);
  if (q != MAP_FAILED || e != EINVAL) {
    printf("man 2 mremap says \"Since Linux 4.14, mremap() fails with the error EINVAL in this "
           "scenario\" (old_size 0, a private mapping); got: %s\n",
           q != MAP_FAILED ? "it created a new mapping" : strerror(e));
    if (q != MAP_FAILED) munmap(q, 4096);
    return 1;
  }
  printf("ok: mremap(old_size 0) of a private mapping fails EINVAL\n");
  return 0;
}
