/* unix_gc_cycle_in_flight_not_collected: AF_UNIX sockets whose only
   references are SCM_RIGHTS messages queued on themselves (a cycle of
   sockets in flight) are freed once their descriptors are closed.
     man 7 unix: "SCM_RIGHTS Send or receive a set of open file descriptors
     from another process."
   A descriptor in flight holds its socket; man 7 unix does not say what
   frees a socket held only by a message queued on itself. Linux's garbage
   collector of sockets in flight (net/unix/garbage.c, run when an AF_UNIX
   socket is released) frees such a cycle: its sockets leave
   /proc/net/unix. gVisor (runsc 0.0~20240729.0) never frees it: the sockets
   stay listed, held by no descriptor, however many sockets are released
   after them. Shown for a socket sent over itself: a datagram and a stream
   socketpair whose two ends are each sent over themselves, and a listener
   sent through its own pending connection.
   Findings: containers/divergences/gvisor.tsv,
   Kinds/UnixGc.CyclesOfSocketsInFlightAreCollected/{dgram,stream,stream_listener},
   LeakAudit.CatchesUnixSocketsInFlightInACycle.
     cc -o unix_gc_cycle_in_flight_not_collected unix_gc_cycle_in_flight_not_collected.c
     ./unix_gc_cycle_in_flight_not_collected
     runsc --network=none do ./unix_gc_cycle_in_flight_not_collected
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static unsigned long inode_of(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? (unsigned long)st.st_ino : 0;
}

/* Sends fd over `via` (SCM_RIGHTS, with one byte): it lands on via's peer. */
static int send_fd(int via, int fd) {
  char control[CMSG_SPACE(sizeof(int))];
  memset(control, 0, sizeof control);
  char x = 'x';
  struct iovec iov = {&x, 1};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(c), &fd, sizeof fd);
  return sendmsg(via, &m, 0) == 1 ? 0 : -1;
}

/* 1 if /proc/net/unix lists a socket with this inode, 0 if not, -1 when it
   cannot be read. */
static int listed(unsigned long inode) {
  FILE *f = fopen("/proc/net/unix", "r");
  if (!f) return -1;
  char line[512];
  int found = 0;
  if (!fgets(line, sizeof line, f)) { fclose(f); return -1; } /* the header */
  while (fgets(line, sizeof line, f)) {
    /* Num RefCount Protocol Flags Type St Inode Path */
    unsigned long fields[7];
    if (sscanf(line, "%lx: %lx %lx %lx %lx %lx %lu", &fields[0], &fields[1], &fields[2],
               &fields[3], &fields[4], &fields[5], &fields[6]) == 7 && fields[6] == inode) {
      found = 1;
      break;
    }
  }
  fclose(f);
  return found;
}

/* Linux runs its collector when an AF_UNIX socket is released. */
static void release_a_socket(void) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0) {
    close(sv[0]);
    close(sv[1]);
  }
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

/* Waits (at most 3 s, releasing a socket at each look, as the collector is
   asynchronous since Linux 6.10) until none of the n inodes is listed;
   returns how many still are, or -1. */
static int wait_unlisted(const unsigned long *ino, int n) {
  const double end = now() + 3;
  for (;;) {
    release_a_socket();
    int left = 0;
    for (int i = 0; i < n; i++) {
      int l = listed(ino[i]);
      if (l < 0) return -1;
      left += l;
    }
    if (left == 0 || now() > end) return left;
    poll(NULL, 0, 10); /* nothing to wait on: look again in 10 ms */
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(20); /* two bounded waits of 3 s; a hang still ends */
  int rc = 0;
  int probe[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, probe) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
  unsigned long pi[2] = {inode_of(probe[0]), inode_of(probe[1])};
  int l0 = listed(pi[0]);
  close(probe[0]);
  close(probe[1]);
  if (l0 != 1) { printf("SETUP: /proc/net/unix does not list a live socket (%d)\n", l0); return 2; }
  if (wait_unlisted(pi, 2) != 0) { printf("SETUP: a closed socketpair stays in /proc/net/unix\n"); return 2; }
  const struct { int type; int listener; const char *name; } kinds[] = {
      {SOCK_DGRAM, 0, "dgram socketpair, each end sent over itself"},
      {SOCK_STREAM, 0, "stream socketpair, each end sent over itself"},
      {SOCK_STREAM, 1, "stream listener sent through its own pending connection"},
  };
  unsigned long ino[3][2];
  for (int k = 0; k < 3; k++) {
    int fd[2];
    if (!kinds[k].listener) {
      if (socketpair(AF_UNIX, kinds[k].type, 0, fd) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
      /* fd[0] onto fd[0]'s own queue (sent from fd[1]), and fd[1] onto fd[1]'s. */
      if (send_fd(fd[1], fd[0]) || send_fd(fd[0], fd[1])) { printf("SETUP: sendmsg(SCM_RIGHTS): %s\n", strerror(errno)); return 2; }
    } else {
      struct sockaddr_un a = {.sun_family = AF_UNIX};
      socklen_t len = sizeof(sa_family_t); /* autobind */
      fd[0] = socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd[0] < 0 || bind(fd[0], (struct sockaddr *)&a, len) || listen(fd[0], 4)) { printf("SETUP: listener: %s\n", strerror(errno)); return 2; }
      len = sizeof a;
      if (getsockname(fd[0], (struct sockaddr *)&a, &len)) { printf("SETUP: getsockname: %s\n", strerror(errno)); return 2; }
      fd[1] = socket(AF_UNIX, SOCK_STREAM, 0);
      if (fd[1] < 0 || connect(fd[1], (struct sockaddr *)&a, len)) { printf("SETUP: connect: %s\n", strerror(errno)); return 2; }
      /* The listener onto its pending (not accepted) connection's queue. */
      if (send_fd(fd[1], fd[0])) { printf("SETUP: sendmsg(SCM_RIGHTS): %s\n", strerror(errno)); return 2; }
    }
    ino[k][0] = inode_of(fd[0]);
    ino[k][1] = inode_of(fd[1]);
    close(fd[0]);
    close(fd[1]);
  }
  if (wait_unlisted(&ino[0][0], 6) < 0) { printf("SETUP: /proc/net/unix: %s\n", strerror(errno)); return 2; }
  for (int k = 0; k < 3; k++) {
    int n = listed(ino[k][0]) + listed(ino[k][1]);
    if (n > 0) {
      printf("man 7 unix says SCM_RIGHTS sends \"open file descriptors\" (Linux: a cycle of sockets "
             "only in flight is garbage collected once its descriptors are closed); got: %s: %d of "
             "its sockets (inodes %lu %lu) still in /proc/net/unix 3 s after the close, sockets "
             "released meanwhile\n", kinds[k].name, n, ino[k][0], ino[k][1]);
      rc = 1;
    }
  }
  if (rc == 0) printf("ok: every cycle of sockets in flight was collected\n");
  return rc;
}
