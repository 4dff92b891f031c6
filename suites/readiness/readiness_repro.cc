#include "suites/readiness/readiness_repro.h"

#include <poll.h>

#include <map>

namespace ipcspec::readiness_repro {

using repro::Lit;

const char* const kNonBlockingIoPromise =
    "man 2 write / man 2 read / man 2 send / man 2 recv: a non-blocking call on an open stream "
    "returns what it moved, or fails EAGAIN (\"The file descriptor fd refers to a file other "
    "than a socket and has been marked nonblocking (O_NONBLOCK), and the write would block\" / "
    "\"The socket is marked nonblocking and the requested operation would block\")";

const char* const kDatagramPromise =
    "man 7 unix: \"SOCK_DGRAM ... UNIX domain datagram sockets are always reliable and don't "
    "reorder datagrams\" / man 2 send, man 2 recv: a datagram sent to a connected peer with "
    "room in its queue is sent whole, and a non-blocking receive of a datagram sent returns it "
    "(man 7 udp promises no delivery: on 127.0.0.1 with a few short datagrams in flight the "
    "suite holds UDP to it too)";

const char* const kEventfdMaxPromise =
    "man 2 eventfd: \"If the addition would cause the counter's value to exceed the maximum, "
    "then the write(2) either blocks until a read(2) is performed on the file descriptor, or "
    "fails with the error EAGAIN if the file descriptor has been made nonblocking.\" (the "
    "maximum is 0xfffffffffffffffe)";
const char* const kMqFullPromise =
    "man 3 mq_send: \"If the message queue is already full ... If O_NONBLOCK is enabled for the "
    "message queue description, then the call instead fails immediately with the error "
    "EAGAIN.\" / man 3 mq_receive: \"If the queue is empty, ... If O_NONBLOCK is enabled ... the "
    "call instead fails immediately with the error EAGAIN.\"";

std::string Mask(unsigned events) {
  std::string s;
  auto one = [&](unsigned bit, const char* name) {
    if (events & bit) s += std::string(s.empty() ? "" : " | ") + name;
  };
  one(POLLIN, "POLLIN");
  one(POLLOUT, "POLLOUT");
  one(POLLHUP, "POLLHUP");
  one(POLLRDHUP, "POLLRDHUP");
  one(POLLERR, "POLLERR");
  return s.empty() ? "0" : s;
}

std::string Want(const std::string& name, const std::string& c_fd, const Expect& e, int need) {
  unsigned yes = 0, no = 0;
  auto one = [&](Tri t, unsigned bit) {
    if (t == Tri::kYes) yes |= bit;
    if (t == Tri::kNo) no |= bit;
  };
  one(e.in, POLLIN);
  one(e.out, POLLOUT);
  one(e.hup, POLLHUP);
  one(e.rdhup, POLLRDHUP);
  one(e.err, POLLERR);
  static const char* const kNeed[] = {"EDGE_NONE", "EDGE_MAY", "EDGE_MUST_READY",
                                      "EDGE_MUST_ARRIVAL"};
  // The same few names, expectations and citations come back at every
  // step: their literals are made once (recording costs ~nothing).
  static std::map<std::string, std::string>* lits = new std::map<std::string, std::string>();
  auto lit = [](const std::string& t) -> const std::string& {
    auto it = lits->find(t);
    if (it == lits->end()) it = lits->emplace(t, Lit(t)).first;
    return it->second;
  };
  std::string out;
  out.reserve(256);
  out += "{";
  out += lit(name);
  out += ", ";
  out += c_fd;
  out += ", ";
  out += Mask(yes);
  out += ", ";
  out += Mask(no);
  out += ", ";
  out += kNeed[need];
  out += ",\n   ";
  out += lit(e.ToString());
  out += ", ";
  out += lit(e.cites);
  out += "}";
  return out;
}

std::string ResultCode(long v) { return std::to_string(v); }

// The replay's exit when it goes another way than the recorded run.
void AddDiverged(repro::Recording& rec) {
  static const std::string kReplayDivergedHelper = R"C(/* The replay went another way than the run it was recorded from: the
   checks after this step assume that run, so there is no verdict. */
static void replay_diverged(const char *what, long got, long want) {
  fprintf(stderr, "REPLAY DIVERGED: %s: %s returned %ld%s where the recorded run saw %ld%s;\n"
          "  the checks after it assume the recorded run (no verdict)\n",
          step, what, got, got < 0 ? " (an error)" : "", want, want < 0 ? " (EAGAIN)" : "");
  exit(2);
})C";
  rec.Helper("replay_diverged", kReplayDivergedHelper);
}

void AddStreamHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  rec.Include("<sys/socket.h>");
  static const std::string kReadinessStreamHelper = "#define PROMISE_NB_IO \\\n  " + Lit(kNonBlockingIoPromise) + "\n" + R"C(
/* The bytes written and not yet read, as the replay moved them. */
static long stream_count;
static unsigned char io_buf[65536];

/* One non-blocking call, as ipcspec makes it: send/recv with MSG_DONTWAIT
   on a socket; on a pipe or FIFO, O_NONBLOCK set on the open file
   description for the one call, then the flags restored. */
static ssize_t nb_io(int fd, int is_write, size_t n) {
  ssize_t r;
  int fl, saved;
  if (n > sizeof io_buf) n = sizeof io_buf;
  if (is_write) memset(io_buf, 'w', n);
  if (stream_is_socket)
    return is_write ? send(fd, io_buf, n, MSG_DONTWAIT) : recv(fd, io_buf, n, MSG_DONTWAIT);
  fl = fcntl(fd, F_GETFL);
  if (fl < 0) setup_failed("fcntl(F_GETFL)");
  if (fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0) setup_failed("fcntl(F_SETFL)");
  r = is_write ? write(fd, io_buf, n) : read(fd, io_buf, n);
  saved = errno;
  if (fcntl(fd, F_SETFL, fl) != 0) setup_failed("fcntl(F_SETFL)");
  errno = saved;
  return r;
}

/* A non-blocking call's result: `want` bytes, or -1 for EAGAIN. */
static void io_result(const char *what, ssize_t r, long want) {
  if (r < 0 && errno != EAGAIN)
    broken(PROMISE_NB_IO, "%s failed: %s", what, strerror(errno));
  if (want >= 0 ? r == want : r < 0) return;
  replay_diverged(what, (long)r, want);
}

/* Writes of `chunk` bytes until EAGAIN (at most 512 of them). */
static void fill(int fd, size_t chunk, int want_eagain, int want_some) {
  long total = 0;
  int eagain = 0, i;
  for (i = 0; i < 512 && !eagain; ++i) {
    ssize_t r = nb_io(fd, 1, chunk);
    if (r >= 0) {
      total += r;
    } else if (errno == EAGAIN) {
      eagain = 1;
    } else {
      broken(PROMISE_NB_IO, "a write of a fill failed: %s", strerror(errno));
    }
  }
  stream_count += total;
  if (eagain != want_eagain)
    replay_diverged(want_eagain ? "the fill (no EAGAIN)" : "the fill (EAGAIN)", total, -1);
  if ((total > 0) != want_some) replay_diverged("the fill", total, want_some ? 1 : 0);
}

/* Reads until everything written was read (a lagging stream: waits for it,
   at most 2 s), or end of file, or EAGAIN. */
static void drain(int fd, int lag) {
  long deadline = now_ms() + 2000;
  while (stream_count > 0) {
    ssize_t r = nb_io(fd, 0, sizeof io_buf);
    struct pollfd p;
    if (r > 0) {
      stream_count -= r < stream_count ? (long)r : stream_count;
      continue;
    }
    if (r == 0) break;
    if (errno != EAGAIN) broken(PROMISE_NB_IO, "a read of the drain failed: %s", strerror(errno));
    if (!lag || now_ms() >= deadline) break;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    poll(&p, 1, deadline - now_ms() < 50 ? (int)(deadline - now_ms()) : 50);
  }
}
)C";
  rec.Helper("readiness_stream", kReadinessStreamHelper);
}

void AddDatagramHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  rec.Include("<sys/socket.h>");
  static const std::string kReadinessDatagramHelper = "#define PROMISE_DGRAM \\\n  " + Lit(kDatagramPromise) + "\n" +
                                       R"C(
static unsigned char dgram_buf[65536];

/* A non-blocking send of n bytes to the connected peer: sent whole. */
static void dgram_send(int fd, size_t n) {
  ssize_t r;
  memset(dgram_buf, 'd', n);
  r = send(fd, dgram_buf, n, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (r < 0) broken(PROMISE_DGRAM, "send of %zu bytes failed: %s", n, strerror(errno));
  if ((size_t)r != n) broken(PROMISE_DGRAM, "send of %zu bytes sent %zd", n, r);
}

/* A non-blocking receive of a datagram sent to fd (a lagging Kind: waits at
   most 2 s for it). `reset`: the recorded run saw ECONNRESET (the peer
   closed with messages unread, man 7 unix); `peer`: the peer is open. */
static void dgram_receive(int fd, size_t max, int lag, int reset, int peer) {
  long deadline = now_ms() + 2000;
  ssize_t r = recv(fd, dgram_buf, max, MSG_TRUNC | MSG_DONTWAIT);
  while (lag && r < 0 && errno == EAGAIN && now_ms() < deadline) {
    struct pollfd p;
    long left = deadline - now_ms();
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    poll(&p, 1, left < 50 ? (int)(left > 0 ? left : 0) : 50);
    r = recv(fd, dgram_buf, max, MSG_TRUNC | MSG_DONTWAIT);
  }
  if (r < 0 && errno == ECONNRESET && !peer) {
    if (!reset) replay_diverged("recv", -1, 0);
    return;
  }
  if (r < 0) broken(PROMISE_DGRAM, "receive of a datagram sent to it failed: %s", strerror(errno));
  if (reset) replay_diverged("recv (the recorded run saw ECONNRESET)", (long)r, -1);
}
)C";
  rec.Helper("readiness_datagram", kReadinessDatagramHelper);
}

void AddCounterHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  static const std::string kReadinessCounterHelper = "#define PROMISE_EVENTFD_MAX \\\n  " + Lit(kEventfdMaxPromise) +
                                      "\n#define PROMISE_NB_CALL \\\n  " +
                                      Lit(kNonBlockingIoPromise) + "\n" + R"C(
/* One non-blocking call on the eventfd, as ipcspec makes it: O_NONBLOCK set
   for the call unless the eventfd was made with EFD_NONBLOCK. */
static ssize_t ctr_call(int is_write, uint64_t *v) {
  int fl, saved;
  ssize_t r;
  if (c_default_nonblock) return is_write ? write(cfd, v, sizeof *v) : read(cfd, v, sizeof *v);
  fl = fcntl(cfd, F_GETFL);
  if (fl < 0) setup_failed("fcntl(F_GETFL)");
  if (fcntl(cfd, F_SETFL, fl | O_NONBLOCK) != 0) setup_failed("fcntl(F_SETFL)");
  r = is_write ? write(cfd, v, sizeof *v) : read(cfd, v, sizeof *v);
  saved = errno;
  if (fcntl(cfd, F_SETFL, fl) != 0) setup_failed("fcntl(F_SETFL)");
  errno = saved;
  return r;
}
/* A non-blocking add of v: `want` 0 (it succeeds), EAGAIN or EINVAL, as in
   the recorded run; `fits`: the counter stays at most 0xfffffffffffffffe. */
static void ctr_add(uint64_t v, int want, int fits) {
  ssize_t r = ctr_call(1, &v);
  int got = r == (ssize_t)sizeof v ? 0 : r < 0 ? errno : EIO;
  if (got == 0 && !fits)
    broken(PROMISE_EVENTFD_MAX, "write(0x%llx) past the maximum succeeded", (unsigned long long)v);
  if (got != 0 && got != EAGAIN && got != EINVAL)
    broken(PROMISE_NB_CALL, "write(0x%llx): %s", (unsigned long long)v, strerror(got));
  if (got != want) replay_diverged("write(eventfd)", got ? -1 : 8, want ? -1 : 8);
}
/* A non-blocking read: it succeeds (`want_ok`) or fails EAGAIN, as recorded. */
static void ctr_take(int want_ok) {
  uint64_t v = 0;
  ssize_t r = ctr_call(0, &v);
  if (r < 0 && errno != EAGAIN) broken(PROMISE_NB_CALL, "read: %s", strerror(errno));
  if ((r == (ssize_t)sizeof v) != want_ok) replay_diverged("read(eventfd)", (long)r, want_ok ? 8 : -1);
}
)C";
  rec.Helper("readiness_counter", kReadinessCounterHelper);
}

void AddMqHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  rec.Include("<mqueue.h>");
  static const std::string kReadinessMqHelper = "#define PROMISE_MQ_FULL \\\n  " + Lit(kMqFullPromise) +
                                 "\n#define PROMISE_NB_CALL \\\n  " + Lit(kNonBlockingIoPromise) +
                                 "\n" + R"C(
static char mq_buf[65536];
/* mq_send(3) of n bytes on the O_NONBLOCK descriptor: it succeeds
   (`want_ok`) or fails EAGAIN, as recorded; `full`: the queue holds
   mq_maxmsg messages. */
static void mq_nb_send(size_t n, unsigned prio, int want_ok, int full) {
  int r;
  memset(mq_buf, 'm', n);
  r = mq_send(q_nb, mq_buf, n, prio);
  if (r == 0 && full) broken(PROMISE_MQ_FULL, "a send to a full queue succeeded");
  if (r != 0 && errno != EAGAIN) broken(PROMISE_NB_CALL, "mq_send: %s", strerror(errno));
  if ((r == 0) != want_ok) replay_diverged("mq_send", r, want_ok ? 0 : -1);
}
/* mq_receive(3) on the O_NONBLOCK descriptor; `empty`: no message queued. */
static void mq_nb_receive(int want_ok, int empty) {
  unsigned prio;
  ssize_t r = mq_receive(q_nb, mq_buf, q_msgsize < sizeof mq_buf ? q_msgsize : sizeof mq_buf, &prio);
  if (r >= 0 && empty) broken(PROMISE_MQ_FULL, "a receive from an empty queue returned a message");
  if (r < 0 && errno != EAGAIN) broken(PROMISE_NB_CALL, "mq_receive: %s", strerror(errno));
  if ((r >= 0) != want_ok) replay_diverged("mq_receive", (long)r, want_ok ? 0 : -1);
}
)C";
  rec.Helper("readiness_mq", kReadinessMqHelper);
}

void AddWaiterHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  rec.Include("<sys/prctl.h>");
  rec.Include("<sys/syscall.h>");
  static const std::string kReadinessWaiterHelper = R"C(
/* Waiters: child i blocks in poll(2), select(2) or epoll_wait(2) on one
   descriptor (with a timeout of its own, so that it always ends) and
   writes what the call returned to a pipe. */
#define MAX_WAITERS 4
enum { WAIT_POLL, WAIT_SELECT, WAIT_EPOLL };
struct waiter_result { int ret, err; unsigned revents; };
static pid_t waiter_pid[MAX_WAITERS];
static int waiter_pipe[MAX_WAITERS];
static int waiter_call[MAX_WAITERS];
static int waiter_done[MAX_WAITERS];
static struct waiter_result waiter_res[MAX_WAITERS];

/* At exit (also after a failure): no waiter outlives the reproducer. */
static void waiters_end(void) {
  int i;
  if (in_child) return;
  for (i = 0; i < MAX_WAITERS; ++i) {
    if (waiter_pid[i] <= 0) continue;
    kill(waiter_pid[i], SIGKILL);
    while (waitpid(waiter_pid[i], NULL, 0) < 0 && errno == EINTR) {}
    waiter_pid[i] = 0;
  }
}

static void waiter_start(int i, int call, int fd, short events, int exclusive, int timeout_ms) {
  static int registered;
  int p[2];
  pid_t pid;
  if (!registered) atexit(waiters_end);
  registered = 1;
  if (pipe(p) != 0) setup_failed("pipe");
  pid = fork();
  if (pid < 0) setup_failed("fork");
  if (pid == 0) {
    struct waiter_result r;
    int k;
    in_child = 1;
    alarm(0);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    /* The waiter holds only what it waits on: a close in the parent is the
       last close, as in ipcspec's waiter threads. */
    for (k = 3; k < 1024; ++k)
      if (k != fd && k != p[1]) close(k);
    memset(&r, 0, sizeof r);
    if (call == WAIT_POLL) {
      struct pollfd q;
      q.fd = fd;
      q.events = events;
      q.revents = 0;
      r.ret = poll(&q, 1, timeout_ms);
      r.err = errno;
      r.revents = (unsigned short)q.revents;
    } else if (call == WAIT_SELECT) {
      fd_set rs, ws;
      struct timeval tv;
      FD_ZERO(&rs);
      FD_ZERO(&ws);
      if (events & POLLIN) FD_SET(fd, &rs);
      if (events & POLLOUT) FD_SET(fd, &ws);
      tv.tv_sec = timeout_ms / 1000;
      tv.tv_usec = (timeout_ms % 1000) * 1000;
      r.ret = select(fd + 1, &rs, &ws, NULL, &tv);
      r.err = errno;
      if (r.ret > 0)
        r.revents = (FD_ISSET(fd, &rs) ? POLLIN : 0) | (FD_ISSET(fd, &ws) ? POLLOUT : 0);
    } else {
      struct epoll_event ev, got;
      int ep = epoll_create1(EPOLL_CLOEXEC);
      memset(&ev, 0, sizeof ev);
      ev.data.fd = fd;
      ev.events = (unsigned short)events | (exclusive ? EPOLLEXCLUSIVE : 0u);
      if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) _exit(2);
      r.ret = epoll_wait(ep, &got, 1, timeout_ms);
      r.err = errno;
      if (r.ret > 0) r.revents = got.events;
    }
    if (write(p[1], &r, sizeof r) != (ssize_t)sizeof r) _exit(3);
    _exit(0);
  }
  close(p[1]);
  waiter_pid[i] = pid;
  waiter_pipe[i] = p[0];
  waiter_call[i] = call;
  waiter_done[i] = 0;
}

/* Whether waiter i's call returned (waiting at most timeout_ms for it). */
static int waiter_returned(int i, int timeout_ms) {
  struct pollfd p;
  int r;
  if (waiter_done[i]) return 1;
  p.fd = waiter_pipe[i];
  p.events = POLLIN;
  p.revents = 0;
  while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (r <= 0) return 0;
  if (read(waiter_pipe[i], &waiter_res[i], sizeof waiter_res[i]) != (ssize_t)sizeof waiter_res[i])
    setup_failed("the waiter ended without its result");
  close(waiter_pipe[i]);
  while (waitpid(waiter_pid[i], NULL, 0) < 0 && errno == EINTR) {}
  waiter_pid[i] = 0;
  waiter_done[i] = 1;
  return 1;
}

/* Whether waiter i sleeps in its call now: /proc/PID/stat state S, and
   /proc/PID/syscall naming the call (where the environment has no
   /proc/PID/syscall, state S alone). */
static int waiter_sleeps(int i) {
  char path[64], buf[512], *paren;
  long nr;
  ssize_t n;
  int fd;
  if (waiter_returned(i, 0)) return 0;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)waiter_pid[i]);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 0;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 0;
  buf[n] = '\0';
  paren = strrchr(buf, ')');
  if (paren == NULL || paren[1] != ' ' || paren[2] != 'S') return 0;
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)waiter_pid[i]);
  if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return 1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return 1;
  buf[n] = '\0';
  if (sscanf(buf, "%ld", &nr) != 1) return 0; /* "running" */
  switch (waiter_call[i]) {
    case WAIT_POLL: return nr == SYS_poll || nr == SYS_ppoll;
    case WAIT_SELECT: return nr == SYS_select || nr == SYS_pselect6;
    default:
#ifdef SYS_epoll_pwait2
      if (nr == SYS_epoll_pwait2) return 1;
#endif
      return nr == SYS_epoll_wait || nr == SYS_epoll_pwait;
  }
}

/* Until waiter i is seen asleep in its call (the step's alarm bounds it);
   its call returning first, on a descriptor that is not ready, is broken. */
static void waiter_until_blocked(int i, const char *what) {
  for (;;) {
    if (waiter_sleeps(i)) return;
    if (waiter_done[i])
      broken("man 2 poll: \"If none of the events requested (and no error) has occurred for "
             "any of the file descriptors, then poll() blocks until one of the events occurs.\"",
             "%s returned at once (%d, revents %s) on a descriptor that is not ready", what,
             waiter_res[i].ret, events_str(waiter_res[i].revents));
    sched_yield();
  }
}

/* After an event: how many of waiters 0..n-1 it woke. With
   /proc/PID/syscall (Linux): once the first returns (at most timeout_ms),
   those no longer asleep in their call; without it: those whose call
   returned an event within the waiters' own timeout. */
static int waiters_woken(int n, int timeout_ms) {
  struct pollfd p[MAX_WAITERS];
  int i, woken = 0;
  for (i = 0; i < n; ++i) {
    p[i].fd = waiter_pipe[i];
    p[i].events = POLLIN;
    p[i].revents = 0;
  }
  while (poll(p, (nfds_t)n, timeout_ms) < 0 && errno == EINTR) {}
  if (access("/proc/self/syscall", R_OK) == 0) {
    for (i = 0; i < n; ++i) woken += waiter_sleeps(i) ? 0 : 1;
    return woken;
  }
  for (i = 0; i < n; ++i)
    if (waiter_returned(i, timeout_ms + 1000) && waiter_res[i].ret >= 1) ++woken;
  return woken;
}

/* After the event: waiter i returns (its own timeout bounds the wait) and
   reports one of the events in `want`. */
static void waiter_expect(int i, unsigned want, const char *promise, const char *what,
                          const char *after, const char *expected) {
  if (!waiter_returned(i, 10000)) setup_failed("the waiter did not return within 10 s");
  if (waiter_res[i].ret < 1 || !(waiter_res[i].revents & want))
    broken(promise, "%s returned %d%s%s with %s after %s%s (expected %s)", what, waiter_res[i].ret,
           waiter_res[i].ret < 0 ? ", " : "", waiter_res[i].ret < 0 ? strerror(waiter_res[i].err) : "",
           events_str(waiter_res[i].revents), after,
           waiter_res[i].ret == 0 ? ", not woken by it" : "", expected);
}
)C";
  rec.Helper("readiness_waiter", kReadinessWaiterHelper);
}

}  // namespace ipcspec::readiness_repro
