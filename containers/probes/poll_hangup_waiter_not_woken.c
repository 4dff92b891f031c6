/* poll_hangup_waiter_not_woken: a process blocked in poll(2) for a hangup
   only (events 0, or POLLRDHUP alone) wakes when the hangup happens.
     man 2 poll: "If none of the events requested (and no error) has occurred
     for any of the file descriptors, then poll() blocks until one of the
     events occurs."; "POLLHUP Hang up (only returned in revents; ignored in
     events)."; "POLLRDHUP (since Linux 2.6.17) Stream socket peer closed
     connection, or shut down writing half of connection."
   Linux wakes each waiter at once. gVisor (runsc 0.0~20240729.0) leaves it
   asleep, although a new poll reports POLLHUP or POLLRDHUP at once.
   Scenarios, each a child seen asleep in poll(2), then the hangup:
     own-rdwr   the end's own shutdown(SHUT_RDWR), events 0        -> POLLHUP
     own-rd     the end's own shutdown(SHUT_RD), events POLLRDHUP  -> POLLRDHUP
     peer-rdwr  the peer's shutdown(SHUT_RDWR), events 0           -> POLLHUP
     peer-wr    the peer's shutdown(SHUT_WR), events POLLRDHUP     -> POLLRDHUP
     peer-close the peer's close(2), events POLLRDHUP              -> POLLRDHUP
   over AF_UNIX socketpairs of each type (the peer's only for stream and
   seqpacket) and a TCP loopback connection (peer-close).
   Findings: containers/divergences/gvisor.tsv, Kinds/UnixWake.*, Kinds/UnixConnWake.*,
   Kinds/StreamReadiness.HangupWaiter/ALL, Kinds/DatagramReadiness.HangupWaiter/ALL.
     cc -o poll_hangup_waiter_not_woken poll_hangup_waiter_not_woken.c
     ./poll_hangup_waiter_not_woken; runsc --network=none do ./poll_hangup_waiter_not_woken
   Every waiter has 5 s to wake after its hangup; the children are then
   killed (and each has an alarm of its own).
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#define WAKE_SECONDS 5

struct waiter {
  const char *what;
  int fd, peer;     /* the polled end, its peer */
  short events, want;
  int act;          /* 0 own SHUT_RDWR, 1 own SHUT_RD, 2 peer SHUT_RDWR, 3 peer SHUT_WR, 4 peer close */
  pid_t pid;
  int report[2];    /* the child writes revents (or -1 on a timeout) here */
};

static void on_alarm(int s) { (void)s; }

/* Seen asleep: /proc/PID/stat's state is S (interruptible sleep). The child
   only polls after it said so on its pipe, so its sleep is the poll. */
static int asleep(pid_t pid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' && p[2] == 'S';
}

static int tcp_pair(int sv[2]) {
  int l = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 1) ||
      getsockname(l, (struct sockaddr *)&a, &len))
    return -1;
  sv[0] = socket(AF_INET, SOCK_STREAM, 0);
  if (sv[0] < 0 || connect(sv[0], (struct sockaddr *)&a, len)) return -1;
  sv[1] = accept(l, NULL, NULL);
  close(l);
  return sv[1] < 0 ? -1 : 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60); /* the whole program; each waiter has its own alarm below */
  struct waiter w[16];
  int n = 0;
  const struct { int type; const char *name; } types[] = {
      {SOCK_STREAM, "unix stream"}, {SOCK_SEQPACKET, "unix seqpacket"}, {SOCK_DGRAM, "unix dgram"}};
  const struct { const char *what; short events, want; int act; } acts[] = {
      {"own-rdwr", 0, POLLHUP, 0}, {"own-rd", POLLRDHUP, POLLRDHUP, 1},
      {"peer-rdwr", 0, POLLHUP, 2}, {"peer-wr", POLLRDHUP, POLLRDHUP, 3},
      {"peer-close", POLLRDHUP, POLLRDHUP, 4}};
  for (int t = 0; t < 3; t++)
    for (int a = 0; a < 5; a++) {
      if (types[t].type == SOCK_DGRAM && a >= 2) continue; /* no peer hangup on datagrams */
      int sv[2];
      if (socketpair(AF_UNIX, types[t].type, 0, sv) != 0) {
        printf("SETUP: socketpair(%s): %s\n", types[t].name, strerror(errno));
        return 2;
      }
      w[n] = (struct waiter){types[t].name, sv[0], sv[1], acts[a].events, acts[a].want, acts[a].act, 0, {-1, -1}};
      w[n].what = strdup(types[t].name);
      char *label;
      if (asprintf(&label, "%s, %s", types[t].name, acts[a].what) > 0) w[n].what = label;
      n++;
    }
  int tv[2];
  if (tcp_pair(tv) == 0)
    w[n++] = (struct waiter){"tcp loopback, peer-close", tv[0], tv[1], POLLRDHUP, POLLRDHUP, 4, 0, {-1, -1}};
  else
    printf("note: no TCP loopback here (%s): its scenario is left out\n", strerror(errno));

  for (int i = 0; i < n; i++) {
    int ready[2];
    if (pipe(w[i].report) || pipe(ready)) { printf("SETUP: pipe: %s\n", strerror(errno)); return 2; }
    w[i].pid = fork();
    if (w[i].pid < 0) { printf("SETUP: fork: %s\n", strerror(errno)); return 2; }
    if (w[i].pid == 0) {
      /* Hold no other end: a peer's close must be its last. */
      for (int j = 0; j < n; j++) {
        close(w[j].peer);
        if (j != i) close(w[j].fd);
      }
      struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART: poll fails EINTR */
      sigaction(SIGALRM, &sa, NULL);
      struct pollfd p = {w[i].fd, w[i].events, 0};
      write(ready[1], "r", 1);
      alarm(60); /* a bound; the parent kills it WAKE_SECONDS after the hangup */
      int r = poll(&p, 1, -1);
      int out = r == 1 ? p.revents : -1;
      write(w[i].report[1], &out, sizeof out);
      _exit(0);
    }
    char c;
    read(ready[0], &c, 1);
    close(ready[0]);
    close(ready[1]);
  }
  /* Wait until every child sleeps in its poll (bounded: 20 s in all). */
  for (int i = 0; i < n; i++) {
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!asleep(w[i].pid)) {
      clock_gettime(CLOCK_MONOTONIC, &t1);
      if (t1.tv_sec - t0.tv_sec > 20) { printf("SETUP: a waiter never went to sleep\n"); return 2; }
      sched_yield();
    }
  }
  for (int i = 0; i < n; i++) {
    switch (w[i].act) {
      case 0: shutdown(w[i].fd, SHUT_RDWR); break;
      case 1: shutdown(w[i].fd, SHUT_RD); break;
      case 2: shutdown(w[i].peer, SHUT_RDWR); break;
      case 3: shutdown(w[i].peer, SHUT_WR); break;
      case 4: close(w[i].peer); break;
    }
  }
  int failed = 0;
  struct timespec done, now;
  clock_gettime(CLOCK_MONOTONIC, &done);
  for (int i = 0; i < n; i++) {
    int out = -1;
    /* Every waiter has until WAKE_SECONDS after the hangups to report. */
    clock_gettime(CLOCK_MONOTONIC, &now);
    long left = WAKE_SECONDS * 1000L - ((now.tv_sec - done.tv_sec) * 1000L +
                                        (now.tv_nsec - done.tv_nsec) / 1000000L);
    struct pollfd p = {w[i].report[0], POLLIN, 0};
    if (poll(&p, 1, left > 0 ? (int)left : 0) == 1) read(w[i].report[0], &out, sizeof out);
    kill(w[i].pid, SIGKILL);
    waitpid(w[i].pid, NULL, 0);
    /* A peer's close is a hangup both ways: POLLRDHUP or POLLHUP will do. */
    int ok = w[i].act == 4 ? out > 0 && (out & (POLLRDHUP | POLLHUP)) : out == w[i].want;
    if (!ok) {
      printf("man 2 poll says poll() \"blocks until one of the events occurs\" (%s); got: %s: ",
             w[i].want == POLLHUP ? "POLLHUP, \"ignored in events\", is always one"
                                  : "POLLRDHUP, asked for",
             w[i].what);
      if (out < 0)
        printf("still asleep %d s after the hangup\n", WAKE_SECONDS);
      else
        printf("the waiter woke with revents 0x%x, expected 0x%x\n", out, w[i].want);
      failed = 1;
    }
  }
  if (!failed) printf("ok: %d hangup-only pollers woken\n", n);
  return failed;
}
