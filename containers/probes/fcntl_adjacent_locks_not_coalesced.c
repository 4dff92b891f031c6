/* fcntl_adjacent_locks_not_coalesced: a process's write lock laid over its own
   adjacent locks becomes one lock: after F_WRLCK [0,1), F_RDLCK [6,7) and
   F_WRLCK [0,7) by one process, another process's F_GETLK sees one write
   lock over [0,7).
     man 2 fcntl, "Advisory record locking": "If a process already holds a
     lock on a region of the file, then if a new lock is applied to an
     already-locked region, then the existing lock is converted to the new
     lock type. (Such conversions may involve splitting, shrinking, or
     coalescing with an existing lock.)"; F_GETLK: "If one or more
     incompatible locks would prevent this lock being placed, then fcntl()
     returns details about one of those locks in the l_type, l_whence,
     l_start, and l_len fields of lock."
   Linux: the three become one lock W[0,7): F_GETLK reports l_start 0,
   l_len 7. gVisor (runsc 0.0~20240729.0) keeps two adjacent write locks,
   W[0,6) and W[6,7), so F_GETLK reports l_len 6 (and a probe of byte 6
   finds a second lock): the process's locks no longer match the byte map.
   Finding: containers/divergences/gvisor.tsv, FcntlRecordLock.RangesSplitAndMergeLikeAByteMap.
     cc -o fcntl_adjacent_locks_not_coalesced fcntl_adjacent_locks_not_coalesced.c
     ./fcntl_adjacent_locks_not_coalesced; runsc --network=none do ./fcntl_adjacent_locks_not_coalesced
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int setlk(int fd, short type, off_t start, off_t len) {
  struct flock fl;
  memset(&fl, 0, sizeof fl);
  fl.l_type = type;
  fl.l_whence = SEEK_SET;
  fl.l_start = start;
  fl.l_len = len;
  return fcntl(fd, F_SETLK, &fl); /* F_SETLK never blocks */
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* bounds the wait for the child below */
  char path[] = "/tmp/repro-lock.XXXXXX";
  int fd = mkstemp(path);
  if (fd < 0) {
    printf("setup: mkstemp: %s\n", strerror(errno));
    return 2;
  }
  unlink(path); /* the open file is enough; nothing outlives the program */
  if (setlk(fd, F_WRLCK, 0, 1) != 0 || setlk(fd, F_RDLCK, 6, 1) != 0 ||
      setlk(fd, F_WRLCK, 0, 7) != 0) {
    printf("setup: F_SETLK with no other holder failed %s\n", strerror(errno));
    return 2;
  }
  pid_t c = fork();
  if (c < 0) return 2;
  if (c == 0) {
    /* Another process: which lock conflicts with a write lock of the whole file? */
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &fl) != 0) {
      printf("setup: F_GETLK in the other process: %s\n", strerror(errno));
      _exit(2);
    }
    if (fl.l_type != F_WRLCK || fl.l_start != 0 || fl.l_len != 7) {
      printf("man 2 fcntl says a new lock over an already-locked region converts it (\"Such "
             "conversions may involve splitting, shrinking, or coalescing with an existing "
             "lock\"): F_WRLCK [0,1), F_RDLCK [6,7), F_WRLCK [0,7) leave one write lock "
             "[0,7); got: another process's F_GETLK sees l_type %s, l_start %lld, l_len %lld\n",
             fl.l_type == F_WRLCK ? "F_WRLCK" : fl.l_type == F_RDLCK ? "F_RDLCK" : "F_UNLCK",
             (long long)fl.l_start, (long long)fl.l_len);
      _exit(1);
    }
    _exit(0);
  }
  int st;
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) {
    printf("setup: the other process did not exit normally (status %#x)\n", st);
    return 2;
  }
  if (WEXITSTATUS(st) == 0) printf("ok: the process's adjacent write locks are one lock [0,7)\n");
  return WEXITSTATUS(st);
}
