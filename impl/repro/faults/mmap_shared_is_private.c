/* A planted fault (impl/repro, issue 17): a libc whose mmap(2) of a file
 * descriptor with MAP_SHARED makes a private copy-on-write mapping instead
 * (MAP_PRIVATE), as a kernel or sandbox that mishandles shared file
 * mappings would: what is written through one mapping is lost to every
 * other mapping of the same object. It breaks man 2 mmap: "MAP_SHARED Share
 * this mapping. Updates to the mapping are visible to other processes
 * mapping the same region, and (in the case of file-backed mappings) are
 * carried through to the underlying file." Anonymous mappings (fd -1: malloc,
 * ipcspec's own shared pages) are left alone. Loaded with LD_PRELOAD by
 * //impl/repro:planted_shmsig_test. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off) {
  static void *(*real)(void *, size_t, int, int, int, off_t);
  if (real == NULL) real = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
  if (fd >= 0 && (flags & MAP_ANONYMOUS) == 0 && (flags & MAP_TYPE) == MAP_SHARED) {
    flags = (flags & ~MAP_TYPE) | MAP_PRIVATE;
  }
  return real(addr, len, prot, flags, fd, off);
}
