/* unix_blocking_connect_full_backlog_eagain: a blocking connect(2) to an
   AF_UNIX stream listener whose backlog is full waits for room (an accept);
   only a nonblocking one fails EAGAIN.
     man 2 connect, ERRORS: "EAGAIN For nonblocking UNIX domain sockets, the
     socket is nonblocking, and the connection cannot be completed
     immediately."
   Linux: with listen(fd, 0) one connection is queued, the next nonblocking
   connect fails EAGAIN, and a blocking connect sleeps until the listener
   accepts. gVisor (runsc 0.0~20240729.0): the blocking connect fails EAGAIN
   at once.
   Finding: containers/divergences/gvisor.tsv, the EINTR tables' connect(2) rows
   (ALL/ALL.FollowsTheTable/connect_2_ALL), whose connect never blocks.
     cc -o unix_blocking_connect_full_backlog_eagain unix_blocking_connect_full_backlog_eagain.c
     ./unix_blocking_connect_full_backlog_eagain; runsc --network=none do ./unix_blocking_connect_full_backlog_eagain
   The connecting child is seen asleep (/proc/PID/stat) or gone; alarm()
   bounds it.
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

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(30);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  int n = snprintf(a.sun_path + 1, sizeof a.sun_path - 1, "repro-backlog-%d", getpid());
  socklen_t alen = offsetof(struct sockaddr_un, sun_path) + 1 + n;
  int l = socket(AF_UNIX, SOCK_STREAM, 0);
  int c1 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int c2 = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, alen) || listen(l, 0) ||
      connect(c1, (struct sockaddr *)&a, alen)) {
    printf("SETUP: %s\n", strerror(errno));
    return 2;
  }
  if (!(connect(c2, (struct sockaddr *)&a, alen) == -1 && errno == EAGAIN)) {
    printf("SETUP: the backlog did not fill (a second nonblocking connect: %s)\n", strerror(errno));
    return 2;
  }
  pid_t c = fork();
  if (c == 0) {
    alarm(20);
    int s = socket(AF_UNIX, SOCK_STREAM, 0);
    int r = connect(s, (struct sockaddr *)&a, alen);
    _exit(r == 0 ? 0 : errno == EAGAIN ? 1 : 3);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  char st;
  while ((st = state(c)) != 'S' && st != 'Z' && st != 'X' && st != 0) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 15) break;
    sched_yield();
  }
  if (st == 'S') { /* waiting for room: make some */
    int acc = accept(l, NULL, NULL);
    if (acc >= 0) close(acc);
  }
  int ws = 0;
  waitpid(c, &ws, 0);
  int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
  close(l); close(c1); close(c2);
  if (code != 0) {
    printf("man 2 connect says \"EAGAIN For nonblocking UNIX domain sockets, the socket is "
           "nonblocking, and the connection cannot be completed immediately.\"; got: a blocking "
           "connect to a listener whose backlog is full %s\n",
           code == 1 ? "failed EAGAIN at once" : code == 128 + SIGALRM ? "never returned" : "failed");
    return 1;
  }
  printf("ok: the blocking connect waited for an accept and completed\n");
  return 0;
}
