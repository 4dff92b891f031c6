/* signalfd_loses_sigqueue_value: a signal sent with sigqueue(3) and read from
   a signalfd carries its value in ssi_int (and ssi_ptr).
     man 2 signalfd: "ssi_int; Integer sent by sigqueue(3)" and
     "ssi_ptr; Pointer sent by sigqueue(3)".
     man 3 sigqueue: "The value argument is used to specify an accompanying
     item of data (either an integer or a pointer value) to be sent with the
     signal".
   Linux reads back 42. gVisor (runsc 0.0~20240729.0) reads ssi_int 0 and
   ssi_ptr 0, whoever sends (the process itself or another one); the
   signal's number and SI_QUEUE code arrive. Found by the generated
   reproducer of Kinds/SignalQueueSuite.ModelSequences/signalfd (impl/repro).
   Finding: containers/divergences/gvisor.tsv, Signal.SignalfdCarriesTheSigqueueValue.
     cc -o signalfd_loses_sigqueue_value signalfd_loses_sigqueue_value.c
     ./signalfd_loses_sigqueue_value; runsc --network=none do ./signalfd_loses_sigqueue_value
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

/* One signal, sent by the process itself (from_child 0) or by a child, read
   back from the signalfd: 0 when its value arrived, 1 when not. */
static int one(int fd, int sig, int from_child) {
  union sigval v;
  memset(&v, 0, sizeof v);
  v.sival_int = 42;
  if (from_child) {
    pid_t parent = getpid(), c = fork();
    if (c < 0) {
      printf("SETUP: fork: %s\n", strerror(errno));
      return 2;
    }
    if (c == 0) _exit(sigqueue(parent, sig, v) == 0 ? 0 : 3);
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
      printf("SETUP: the child's sigqueue failed\n");
      return 2;
    }
  } else if (sigqueue(getpid(), sig, v) != 0) {
    printf("SETUP: sigqueue: %s\n", strerror(errno));
    return 2;
  }
  struct signalfd_siginfo ssi;
  memset(&ssi, 0, sizeof ssi);
  ssize_t r = read(fd, &ssi, sizeof ssi); /* blocks until it comes: alarm() bounds it */
  if (r != (ssize_t)sizeof ssi) {
    printf("SETUP: read(signalfd) returned %zd: %s\n", r, strerror(errno));
    return 2;
  }
  const char *who = from_child ? "another process" : "the process itself";
  if (ssi.ssi_signo != (unsigned)sig || ssi.ssi_code != SI_QUEUE) {
    printf("man 2 signalfd says ssi_signo and ssi_code (SI_QUEUE) describe the signal; got signo %u code %d "
           "for sigqueue(%d) by %s\n", ssi.ssi_signo, ssi.ssi_code, sig, who);
    return 1;
  }
  if (ssi.ssi_int != 42) {
    printf("man 2 signalfd says ssi_int is the \"Integer sent by sigqueue(3)\"; got ssi_int %d (ssi_ptr %#llx) "
           "for the value 42 sent by %s\n", ssi.ssi_int, (unsigned long long)ssi.ssi_ptr, who);
    return 1;
  }
  return 0;
}

int main(void) {
  alarm(10);
  int sig = SIGRTMIN + 2;
  sigset_t s;
  sigemptyset(&s);
  sigaddset(&s, sig);
  if (sigprocmask(SIG_BLOCK, &s, NULL) != 0) {
    printf("SETUP: sigprocmask: %s\n", strerror(errno));
    return 2;
  }
  int fd = signalfd(-1, &s, 0);
  if (fd < 0) {
    printf("SETUP: signalfd: %s\n", strerror(errno));
    return 2;
  }
  int a = one(fd, sig, 0);
  if (a == 2) return 2;
  int b = one(fd, sig, 1);
  if (b == 2) return 2;
  close(fd);
  if (a || b) return 1;
  printf("ok: the value sent by sigqueue(3) arrives in ssi_int, from the process itself and from another\n");
  return 0;
}
