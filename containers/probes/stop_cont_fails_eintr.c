/* stop_cont_fails_eintr: a process blocked in recv(2) on an AF_UNIX stream
   socket with no timeout, or in msgrcv(2) on an empty queue, or in msgsnd(2)
   to a full one, with no signal handler, stopped by SIGSTOP and resumed by
   SIGCONT, goes on waiting.
     man 7 signal, "Interruption of system calls and library functions by
     stop signals": "On Linux, even in the absence of signal handlers,
     certain blocking interfaces can fail with the error EINTR after the
     process is stopped by one of the stop signals and then resumed via
     SIGCONT.  This behavior is not sanctioned by POSIX.1, and doesn't occur
     on other systems." The interfaces it lists include sockets only "when a
     timeout (SO_RCVTIMEO) has been set on the socket", and msgrcv(2) and
     msgsnd(2) only for "Linux 2.6.8 and earlier".
   Linux resumes each call: the child sleeps in it again and returns what
   comes then. gVisor (runsc 0.0~20240729.0) fails each with EINTR.
   Findings: containers/divergences/gvisor.tsv, StopTable/StopEintr.FollowsTheTable/recv_2_on_an_empty_stream_socket,
   StopTable/StopEintr.FollowsTheTable/msg*.
     cc -o stop_cont_fails_eintr stop_cont_fails_eintr.c
     ./stop_cont_fails_eintr; runsc --network=none do ./stop_cont_fails_eintr
   Each child is seen asleep (/proc/PID/stat), stopped (T), then asleep
   again (resumed) or gone (EINTR); every wait is bounded (alarm, deadlines).
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { RECV, MSGRCV, MSGSND, NCALLS };
static const char *names[NCALLS] = {"recv(2) on an empty stream socket",
                                    "msgrcv(2) on an empty queue", "msgsnd(2) to a full queue"};

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

static int wait_state(pid_t c, const char *want, double secs) {
  double t0 = now();
  for (;;) {
    char s = state(c);
    if (s && strchr(want, s)) return s;
    if (now() - t0 > secs) return s;
    sched_yield();
  }
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60);
  int failed = 0;
  for (int call = 0; call < NCALLS; call++) {
    int sv[2] = {-1, -1}, q = -1;
    struct { long t; char x[64]; } m = {1, {0}};
    if (call == RECV) {
      if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) { printf("SETUP: socketpair: %s\n", strerror(errno)); return 2; }
    } else {
      q = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
      struct msqid_ds ds;
      if (q < 0 || msgctl(q, IPC_STAT, &ds) != 0) { printf("SETUP: msgget: %s\n", strerror(errno)); return 2; }
      if (call == MSGSND) { /* fill the queue: a 64-byte quota */
        ds.msg_qbytes = 64;
        if (msgctl(q, IPC_SET, &ds) != 0 || msgsnd(q, &m, 64, IPC_NOWAIT) != 0) {
          printf("SETUP: filling the queue: %s\n", strerror(errno));
          msgctl(q, IPC_RMID, NULL);
          return 2;
        }
      }
    }
    pid_t c = fork();
    if (c == 0) {
      alarm(20);
      char buf[80];
      long r;
      if (call == RECV) r = recv(sv[1], buf, sizeof buf, 0);
      else if (call == MSGRCV) r = msgrcv(q, buf, 64, 0, 0);
      else r = msgsnd(q, &m, 64, 0);
      _exit(r >= 0 ? 0 : errno == EINTR ? 1 : 3);
    }
    int ok = wait_state(c, "S", 20) == 'S';
    if (ok) {
      kill(c, SIGSTOP);
      ok = wait_state(c, "tT", 20) != 0;
      kill(c, SIGCONT);
      char st = wait_state(c, "SZX", 20);
      if (st == 'S') { /* resumed and waiting again: give it what it waits for */
        if (call == RECV) send(sv[0], "x", 1, MSG_NOSIGNAL);
        else if (call == MSGRCV) msgsnd(q, &m, 8, IPC_NOWAIT);
        else { char b[80]; msgrcv(q, b, 64, 0, IPC_NOWAIT); }
      }
    }
    int ws = 0;
    if (!ok) kill(c, SIGKILL);
    waitpid(c, &ws, 0);
    int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (!ok) { printf("SETUP: %s: the child never slept or stopped\n", names[call]); return 2; }
    if (code != 0) {
      printf("man 7 signal says only the interfaces it lists fail EINTR after a stop signal and "
             "SIGCONT (sockets with a timeout; msgrcv and msgsnd in Linux 2.6.8 and earlier); got: "
             "%s, with no handler, %s\n", names[call],
             code == 1 ? "failed EINTR after SIGSTOP and SIGCONT"
                       : code == 128 + SIGALRM ? "never returned (the child's alarm)" : "another result");
      failed = 1;
    }
    if (sv[0] >= 0) { close(sv[0]); close(sv[1]); }
    if (q >= 0) msgctl(q, IPC_RMID, NULL);
  }
  if (!failed) printf("ok: recv, msgrcv and msgsnd go on waiting after SIGSTOP and SIGCONT\n");
  return failed;
}
