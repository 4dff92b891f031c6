/* robust_pi_mutex_owner_death_not_seen: when the owner of a robust
   PTHREAD_PRIO_INHERIT mutex dies, the next locker gets EOWNERDEAD: a
   waiter in another process is woken, and a thread's death marks it too.
     man 3 pthread_mutexattr_setrobust: "PTHREAD_MUTEX_ROBUST If a mutex is
     initialized with the PTHREAD_MUTEX_ROBUST attribute and its owner dies
     without unlocking it, any future attempts to call pthread_mutex_lock(3)
       on this mutex will succeed and return EOWNERDEAD to indicate that the
     original owner no longer exists and the mutex is in an inconsistent
     state."; man 2 set_robust_list: at the owner's death "the
     FUTEX_OWNER_DIED bit is set in the futex word, and the kernel performs a
     futex(2) FUTEX_WAKE operation on one of the threads waiting".
   Linux, with PTHREAD_PRIO_INHERIT (FUTEX_LOCK_PI): the waiter blocked in
   pthread_mutex_lock when the owner process is SIGKILLed gets EOWNERDEAD at
   once; so does a thread blocked in pthread_mutex_timedlock when the
   owner thread of its process exits. gVisor (runsc 0.0~20240729.0): the
   waiter is never woken: the other process stays blocked, the thread
   times out (ETIMEDOUT, the word reading 0xc0000000: FUTEX_WAITERS and
   FUTEX_OWNER_DIED, no owner). Without a waiter, a thread's exit is seen.
   (The non-PI robust mutex works under gVisor while the dying owner's task
   id is below 128: robust_mutex_owner_death_wakeup_missed shows the rest.)
   Findings: containers/divergences/gvisor.tsv, Configs/RobustMutex.WaiterInAnotherProcessIsWokenWithEownerdead/prio_inherit,
   Kinds/LockSuite.ReleasedWhenHolderDies/robust_pi_mutex,
   Mutexes/RobustThreadDeath.OwnerDiedIsSetInEveryHeldMutexAndAWaiterWakes/pi_*.
     cc -o robust_pi_mutex_owner_death_not_seen robust_pi_mutex_owner_death_not_seen.c -lpthread
     ./robust_pi_mutex_owner_death_not_seen; runsc --network=none do ./robust_pi_mutex_owner_death_not_seen
   The waiter is seen asleep (/proc/PID/stat, /proc/self/task/TID/stat)
   before the owner is killed or exits, and has 5 s to wake; alarm() bounds
   every child.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
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

static pthread_mutex_t *new_mutex(void) {
  pthread_mutex_t *m = mmap(NULL, sizeof *m, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  pthread_mutexattr_t a;
  pthread_mutexattr_init(&a);
  pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
  pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
  pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT);
  if (m == MAP_FAILED || pthread_mutex_init(m, &a) != 0) return NULL;
  return m;
}

static char task_state(pid_t tid) {
  char path[64], buf[512];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *f = fopen(path, "r");
  if (!f) return 0;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  return p && p[1] == ' ' ? p[2] : 0;
}

/* 2. The owner is a thread of this process: it locks, waits until the main
   thread sleeps on the mutex, and exits holding it. */
static pthread_mutex_t *thread_m;
static volatile int thread_locked, main_slept;

static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(thread_m);
  thread_locked = 1;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (task_state(getpid()) != 'S') { /* the main thread's id is the pid */
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 20) return NULL;
    sched_yield();
  }
  main_slept = 1;
  return NULL; /* exits holding the mutex */
}

static int thread_part(void) {
  thread_m = new_mutex();
  pthread_t t;
  if (!thread_m || pthread_create(&t, NULL, holder, NULL) != 0) return 2;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (!thread_locked) {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 20) return 2;
    sched_yield();
  }
  struct timespec deadline;
  clock_gettime(CLOCK_REALTIME, &deadline);
  deadline.tv_sec += 5;
  int r = pthread_mutex_timedlock(thread_m, &deadline);
  unsigned word = *(volatile unsigned *)thread_m; /* glibc: the futex word comes first */
  pthread_join(t, NULL);
  if (!main_slept) {
    printf("SETUP: the main thread was never seen asleep on the mutex\n");
    return 2;
  }
  if (r != EOWNERDEAD) {
    printf("man 2 set_robust_list says at the owner's death \"the FUTEX_OWNER_DIED bit is set in "
           "the futex word, and the kernel performs a futex(2) FUTEX_WAKE operation on one of the "
           "threads waiting\" (man 3 pthread_mutexattr_setrobust: the lock \"will succeed and "
           "return EOWNERDEAD\"); got: PI robust mutex, the owner thread exited while this "
           "thread waited: pthread_mutex_timedlock returned %s 5 s later, futex word %#x\n",
           strerror(r), word);
    return 1;
  }
  return 0;
}

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  alarm(60);
  int rc = 0;
  /* 1. A waiter in another process, the owner process SIGKILLed. */
  pthread_mutex_t *m = new_mutex();
  int ready[2], report[2];
  if (!m || pipe(ready) || pipe(report)) { printf("SETUP: %s\n", strerror(errno)); return 2; }
  pid_t owner = fork();
  if (owner == 0) {
    alarm(30);
    pthread_mutex_lock(m);
    write(ready[1], "r", 1);
    for (;;) pause();
  }
  char b;
  if (read(ready[0], &b, 1) != 1) { printf("SETUP: the owner did not lock\n"); return 2; }
  pid_t waiter = fork();
  if (waiter == 0) {
    alarm(30);
    int r = pthread_mutex_lock(m);
    write(report[1], &r, sizeof r);
    _exit(0);
  }
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (state(waiter) != 'S') {
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (t1.tv_sec - t0.tv_sec > 20) { printf("SETUP: the waiter never slept\n"); rc = 2; break; }
    sched_yield();
  }
  kill(owner, SIGKILL);
  waitpid(owner, NULL, 0);
  int got = -1;
  struct pollfd p = {report[0], POLLIN, 0};
  if (poll(&p, 1, 5000) == 1) read(report[0], &got, sizeof got);
  kill(waiter, SIGKILL);
  waitpid(waiter, NULL, 0);
  if (rc == 0 && got != EOWNERDEAD) {
    printf("man 3 pthread_mutexattr_setrobust says that after the owner dies pthread_mutex_lock "
           "\"will succeed and return EOWNERDEAD\"; got: PI robust mutex, a waiter in another "
           "process blocked when the owner process was SIGKILLed: %s\n",
           got == -1 ? "still blocked 5 s later" : strerror(got));
    rc = 1;
  }
  int rt = thread_part();
  if (rt == 1 || (rt == 2 && rc == 0)) rc = rt;
  if (rc == 0) printf("ok: the waiter of a killed owner process, and of an exited owner thread, got EOWNERDEAD\n");
  return rc;
}
