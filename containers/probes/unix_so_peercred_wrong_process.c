/* unix_so_peercred_wrong_process: SO_PEERCRED returns the credentials the
   peer had when it called connect(2) or socketpair(2).
     man 7 unix: "SO_PEERCRED This read-only socket option returns the
     credentials of the peer process connected to this socket.  The returned
     credentials are those that were in effect at the time of the call to
     connect(2) or socketpair(2)."
     man 7 pid_namespaces: "When a process ID is passed over a UNIX domain
     socket to a process in a different PID namespace (see the description
     of SCM_CREDENTIALS in unix(7)), it is translated into the corresponding
     PID value in the receiving process's PID namespace."
   Linux: (1) after a forked child used the inherited end of a socketpair,
   the other end still reports the process that called socketpair(2); (2) an
   accepted connection whose client exited before the accept reports the
   client's pid; (3) a socket with no peer reports pid 0, uid and gid -1;
   (4) a forked child reading SO_PEERCRED of its inherited end of a
   socketpair gets the process that called socketpair(2); (5) a connecting
   child reads the process that owns the listener; (6) SO_PEERCRED is
   translated between PID namespaces like SCM_CREDENTIALS: the listener reads
   the pid its own namespace gives the client (in a new PID namespace,
   where the client is pid 1), and the client reads 0 for the listener's
   process, which its namespace cannot name.
   gVisor (runsc 0.0~20240729.0) returns the credentials of the process that
   calls getsockopt(2), not the peer's: it keeps (1) (the caller is the
   creator there) and breaks (2) to (6): each reader reads its own pid, uid 0
   and gid 0 (the client in the new namespace reads 1, itself).
   Findings: containers/divergences/gvisor.tsv, UnixPeercred.ThePeersCredentialsOutliveIt,
   UnixPeercred.AnUnconnectedSocketHasNoPeer (2, 3), SoPeercred.* (4, 5),
   UnixPeercred.ThePidIsTranslatedIntoTheReadersPidNamespace (6: it needs
   unshare(CLONE_NEWPID), so root or a user namespace).
     cc -o unix_so_peercred_wrong_process unix_so_peercred_wrong_process.c
     ./unix_so_peercred_wrong_process; runsc --network=none do ./unix_so_peercred_wrong_process
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static int rc;

/* Where a forked child's check writes its verdict (shared memory). */
static int *child_rc;

static void check(int fd, pid_t pid, uid_t uid, gid_t gid, const char *what) {
  struct ucred u = {-2, 0, 0};
  socklen_t len = sizeof u;
  int r = getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &u, &len);
  if (r != 0 || u.pid != pid || u.uid != uid || u.gid != gid) {
    if (child_rc) *child_rc = 1;
    printf("man 7 unix says SO_PEERCRED returns \"the credentials of the peer process ... in effect "
           "at the time of the call to connect(2) or socketpair(2)\"; got: %s: {pid=%d uid=%d gid=%d}"
           " (r %d), expected {pid=%d uid=%d gid=%d}\n", what, (int)u.pid, (int)u.uid, (int)u.gid,
           r, (int)pid, (int)uid, (int)gid);
    rc = 1;
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(10); /* the waits for the children are bounded by it */
  /* 1. A socketpair whose end a child used. */
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  pid_t c = fork();
  if (c == 0) _exit(send(sv[0], "x", 1, 0) == 1 ? 0 : 1);
  waitpid(c, NULL, 0);
  check(sv[1], getpid(), getuid(), getgid(),
        "a socketpair's end, after a forked child used the inherited other end");
  close(sv[0]);
  close(sv[1]);
  /* 2. A client that connected and exited before the accept. */
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "repro-peercred-%d", getpid());
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, alen) || listen(l, 4)) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  c = fork();
  if (c == 0) {
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    _exit(connect(s, (struct sockaddr *)&a, alen) == 0 ? 0 : 1);
  }
  int st = 0;
  waitpid(c, &st, 0);
  int acc = accept(l, NULL, NULL);
  if (acc < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) { printf("SETUP: connect or accept\n"); return 2; }
  check(acc, c, getuid(), getgid(), "an accepted connection whose client exited before the accept");
  close(acc);
  close(l);
  /* 3. No peer. */
  int lone = socket(AF_UNIX, SOCK_STREAM, 0);
  check(lone, 0, (uid_t)-1, (gid_t)-1, "a socket with no peer (Linux: pid 0, uid and gid -1)");
  close(lone);
  int *shared = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  if (shared == MAP_FAILED) { printf("SETUP: mmap: %s\n", strerror(errno)); return 2; }
  /* 4. A child reads its inherited end of a socketpair (the other end closed in it). */
  if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  const pid_t me = getpid();
  c = fork();
  if (c == 0) {
    child_rc = &shared[0];
    close(sv[0]);
    check(sv[1], me, getuid(), getgid(), "a forked child reads its inherited end of a socketpair");
    _exit(0);
  }
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st)) { printf("SETUP: the child of part 4\n"); return 2; }
  rc |= shared[0];
  close(sv[0]);
  close(sv[1]);
  /* 5. and 6. A client connects from a child (5), then from a process in a
     new PID namespace (6); the listener is this process. */
  l = socket(AF_UNIX, SOCK_STREAM, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, alen) || listen(l, 4)) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  c = fork();
  if (c == 0) {
    child_rc = &shared[1];
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(s, (struct sockaddr *)&a, alen) != 0) { shared[1] = 2; _exit(0); }
    check(s, me, getuid(), getgid(), "a connecting child reads the listener's process");
    _exit(0);
  }
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || shared[1] == 2) { printf("SETUP: the child of part 5\n"); return 2; }
  rc |= shared[1];
  acc = accept(l, NULL, NULL);
  if (acc < 0) { printf("SETUP: accept: %s\n", strerror(errno)); return 2; }
  close(acc);
  /* 6. shared[2]: the grandchild's pid as this namespace names it; shared[3]:
     its getpid() inside; shared[4]: 2 when the setup failed; shared[5]: its verdict. */
  shared[2] = -1;
  c = fork();
  if (c == 0) {
    if (unshare(CLONE_NEWPID) != 0) { shared[4] = 2; _exit(0); }
    pid_t g = fork();
    if (g == 0) {
      child_rc = &shared[5];
      shared[3] = getpid();
      int s = socket(AF_UNIX, SOCK_STREAM, 0);
      if (connect(s, (struct sockaddr *)&a, alen) != 0) { shared[4] = 2; _exit(0); }
      check(s, 0, getuid(), getgid(),
            "a client in a new PID namespace reads the listener's process, which its namespace "
            "cannot name (Linux: 0, as man 7 pid_namespaces says of SCM_CREDENTIALS)");
      _exit(0);
    }
    shared[2] = g;
    _exit(g > 0 && waitpid(g, NULL, 0) == g ? 0 : 1);
  }
  if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0 || shared[4] == 2) {
    printf("SETUP: part 6 (a client in a new PID namespace) could not run: unshare(CLONE_NEWPID) "
           "needs root or a user namespace\n");
    return rc ? rc : 2;
  }
  rc |= shared[5];
  acc = accept(l, NULL, NULL);
  if (acc < 0) { printf("SETUP: accept: %s\n", strerror(errno)); return 2; }
  char what[160];
  snprintf(what, sizeof what, "the listener reads a client that is pid %d in its new PID namespace "
           "(man 7 pid_namespaces: translated into the reader's namespace)", shared[3]);
  check(acc, shared[2], getuid(), getgid(), what);
  close(acc);
  close(l);
  if (rc == 0) printf("ok: SO_PEERCRED names the process of socketpair/connect in the reader's PID namespace, and no one without a peer\n");
  return rc;
}
