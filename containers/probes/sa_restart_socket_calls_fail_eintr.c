/* sa_restart_socket_calls_fail_eintr: recv(2), recvfrom(2), recvmsg(2),
   recvmmsg(2) (with no timeout argument) and accept(2) on an AF_UNIX stream socket with no timeout, interrupted by a
   handler installed with SA_RESTART, are restarted.
     man 7 signal, "Interruption of system calls and library functions by
     signal handlers": "If a blocked call to one of the following interfaces
     is interrupted by a signal handler, then the call is automatically
     restarted after the signal handler returns if the SA_RESTART flag was
     used; otherwise the call fails with the error EINTR: ... Socket
     interfaces: accept(2), connect(2), recv(2), recvfrom(2), recvmmsg(2),
     recvmsg(2), send(2), sendto(2), and sendmsg(2), unless a timeout has
     been set on the socket (see below)."
   Linux restarts each: the child sleeps in the call again after its handler
   ran, and returns the data (or the connection) that comes then. gVisor
   (runsc 0.0~20240729.0) fails each with EINTR.
   Findings: containers/divergences/gvisor.tsv, Table/Eintr.FollowsTheTable/recv_2_...SA_RESTART,
   ...recv[fm]*_2_...SA_RESTART, ...accept_2_with_no_pending_connection__SA_RESTART.
     cc -o sa_restart_socket_calls_fail_eintr sa_restart_socket_calls_fail_eintr.c
     ./sa_restart_socket_calls_fail_eintr; runsc --network=none do ./sa_restart_socket_calls_fail_eintr
   Each child is seen asleep (/proc/PID/stat) before the signal, its handler
   is seen to have run (a byte on a pipe), then it is seen asleep again
   (restarted) or gone (EINTR); every wait is bounded (alarm, deadlines).
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { RECV, RECVFROM, RECVMSG, RECVMMSG, ACCEPT, NCALLS };
static const char *names[NCALLS] = {"recv(2)", "recvfrom(2)", "recvmsg(2)", "recvmmsg(2)",
                                    "accept(2)"};
static int handled[2];

static void on_usr1(int s) {
  (void)s;
  write(handled[1], "h", 1);
}

/* 'S' (asleep), 'Z' or 'X' (gone), other states, or 0 when unreadable. */
static char state(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60);
  if (pipe(handled) != 0) { printf("SETUP: pipe: %s\n", strerror(errno)); return 2; }
  int failed = 0;
  for (int call = 0; call < NCALLS; call++) {
    int sv[2], lfd = -1;
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    socklen_t alen = 0;
    if (call == ACCEPT) {
      lfd = socket(AF_UNIX, SOCK_STREAM, 0);
      int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "repro-accept-%d", getpid());
      alen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
      if (lfd < 0 || bind(lfd, (struct sockaddr *)&a, alen) || listen(lfd, 4)) {
        printf("SETUP: listener: %s\n", strerror(errno));
        return 2;
      }
    } else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) {
      printf("SETUP: socketpair: %s\n", strerror(errno));
      return 2;
    }
    pid_t c = fork();
    if (c == 0) {
      struct sigaction sa;
      memset(&sa, 0, sizeof sa);
      sa.sa_handler = on_usr1;
      sa.sa_flags = SA_RESTART;
      sigaction(SIGUSR1, &sa, NULL);
      alarm(20);
      char buf[8];
      ssize_t r;
      struct iovec iov = {buf, sizeof buf};
      struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
      switch (call) {
        case RECV: r = recv(sv[1], buf, sizeof buf, 0); break;
        case RECVFROM: r = recvfrom(sv[1], buf, sizeof buf, 0, NULL, NULL); break;
        case RECVMSG: r = recvmsg(sv[1], &m, 0); break;
        case RECVMMSG: {
          struct mmsghdr mm = {.msg_hdr = m};
          r = recvmmsg(sv[1], &mm, 1, 0, NULL);
          break;
        }
        default: r = accept(lfd, NULL, NULL); break;
      }
      /* 0: restarted and got what came; 1: EINTR; 3: something else */
      _exit(r >= 0 ? 0 : errno == EINTR ? 1 : 3);
    }
    double t0 = now();
    while (state(c) != 'S') {
      if (now() - t0 > 20) { printf("SETUP: the child never slept in %s\n", names[call]); return 2; }
      sched_yield();
    }
    kill(c, SIGUSR1);
    char h;
    read(handled[0], &h, 1); /* the handler ran (the child's alarm bounds it) */
    t0 = now();
    char st;
    while ((st = state(c)) != 'S' && st != 'Z' && st != 'X' && st != 0) {
      if (now() - t0 > 20) break;
      sched_yield();
    }
    if (st == 'S') {
      /* Asleep again: give it what it waits for. */
      if (call == ACCEPT) {
        int cfd = socket(AF_UNIX, SOCK_STREAM, 0);
        connect(cfd, (struct sockaddr *)&a, alen);
        close(cfd);
      } else {
        send(sv[0], "x", 1, MSG_NOSIGNAL);
      }
    }
    int ws = 0;
    waitpid(c, &ws, 0);
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (code != 0) {
      printf("man 7 signal says %s \"is automatically restarted after the signal handler returns "
             "if the SA_RESTART flag was used\" (no timeout is set on the socket); got: %s\n",
             names[call], code == 1 ? "it failed EINTR" : code == 128 + SIGALRM
                              ? "it never returned (the child's alarm)" : "another result");
      failed = 1;
    }
    if (call == ACCEPT) close(lfd);
    else { close(sv[0]); close(sv[1]); }
  }
  if (!failed) printf("ok: recv, recvfrom, recvmsg, recvmmsg and accept restart under SA_RESTART\n");
  return failed;
}
