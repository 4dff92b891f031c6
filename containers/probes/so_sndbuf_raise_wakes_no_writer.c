/* so_sndbuf_raise_wakes_no_writer: a writer asleep in send(2) on an AF_UNIX
   socket whose (small) send buffer is full is woken when SO_SNDBUF is raised
   well above what is in flight, and its send completes.
     man 7 socket: "SO_SNDBUF Sets or gets the maximum socket send buffer in
     bytes."; man 2 send: "When the message does not fit into the send buffer
     of the socket, send() normally blocks, unless the socket has been placed
     in nonblocking I/O mode."  (The pages do not say that raising the
     buffer wakes a waiting writer; Linux does, once the new size leaves
     room for four times what is in flight.)
   Linux: the blocked send returns. gVisor (runsc 0.0~20240729.0): it stays
   asleep, on SOCK_STREAM, SOCK_SEQPACKET and SOCK_DGRAM.
   Findings: containers/divergences/gvisor.tsv, Types/UnixBlocking.RaisingSoSndbufWakesABlockedWriter/{stream,seqpacket,dgram}.
     cc -o so_sndbuf_raise_wakes_no_writer so_sndbuf_raise_wakes_no_writer.c
     ./so_sndbuf_raise_wakes_no_writer; runsc --network=none do ./so_sndbuf_raise_wakes_no_writer
   Each writer is seen asleep (/proc/PID/stat) before SO_SNDBUF is raised;
   all have 5 s in all to return; alarm() bounds each.
   Exit status: 0 as Linux does, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
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

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60);
  const int types[3] = {SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM};
  const char *tn[3] = {"SOCK_STREAM", "SOCK_SEQPACKET", "SOCK_DGRAM"};
  int sv[3][2], report[3][2];
  pid_t w[3];
  static char chunk[2048];
  for (int t = 0; t < 3; t++) {
    const int small = 8192;
    if (socketpair(AF_UNIX, types[t], 0, sv[t]) != 0 || pipe(report[t]) != 0 ||
        setsockopt(sv[t][0], SOL_SOCKET, SO_SNDBUF, &small, sizeof small) != 0) {
      printf("SETUP: %s: %s\n", tn[t], strerror(errno));
      return 2;
    }
    int n = 0;
    while (send(sv[t][0], chunk, sizeof chunk, MSG_DONTWAIT) > 0 && n < 4096) n++;
    w[t] = fork();
    if (w[t] == 0) {
      alarm(30);
      int ok = send(sv[t][0], chunk, sizeof chunk, 0) == (ssize_t)sizeof chunk;
      write(report[t][1], &ok, sizeof ok);
      _exit(0);
    }
  }
  double t0 = now();
  for (int t = 0; t < 3; t++) {
    while (state(w[t]) != 'S') {
      if (now() - t0 > 20) { printf("SETUP: a writer never slept\n"); return 2; }
      sched_yield();
    }
  }
  for (int t = 0; t < 3; t++) {
    const int bigger = 65536;
    setsockopt(sv[t][0], SOL_SOCKET, SO_SNDBUF, &bigger, sizeof bigger);
  }
  double done = now();
  int rc = 0;
  for (int t = 0; t < 3; t++) {
    int ok = 0;
    long left = (long)((done + 5 - now()) * 1000);
    struct pollfd p = {report[t][0], POLLIN, 0};
    int woke = poll(&p, 1, left > 0 ? (int)left : 0) == 1 && read(report[t][0], &ok, sizeof ok) == sizeof ok;
    kill(w[t], SIGKILL);
    waitpid(w[t], NULL, 0);
    if (!woke || !ok) {
      printf("man 7 socket says \"SO_SNDBUF Sets or gets the maximum socket send buffer in bytes.\" "
             "(Linux: raising it wakes a writer waiting for room); got: %s, the send blocked on a "
             "full 8192-byte buffer %s after SO_SNDBUF was raised to 65536\n", tn[t],
             woke ? "failed" : "was still asleep 5 s");
      rc = 1;
    }
    close(sv[t][0]); close(sv[t][1]); close(report[t][0]); close(report[t][1]);
  }
  if (rc == 0) printf("ok: raising SO_SNDBUF woke the blocked writers (stream, seqpacket, dgram)\n");
  return rc;
}
