#include "suites/readiness/readiness_repro.h"

#include <poll.h>

#include <sstream>

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
  std::ostringstream os;
  os << "{" << Lit(name) << ", " << c_fd << ", " << Mask(yes) << ", " << Mask(no) << ", "
     << kNeed[need] << ",\n   " << Lit(e.ToString()) << ", " << Lit(e.cites) << "}";
  return os.str();
}

std::string ResultCode(long v) { return std::to_string(v); }

// The replay's exit when it goes another way than the recorded run.
void AddDiverged(repro::Recording& rec) {
  rec.Helper("replay_diverged", R"C(/* The replay went another way than the run it was recorded from: the
   checks after this step assume that run, so there is no verdict. */
static void replay_diverged(const char *what, long got, long want) {
  fprintf(stderr, "REPLAY DIVERGED: %s: %s returned %ld%s where the recorded run saw %ld%s;\n"
          "  the checks after it assume the recorded run (no verdict)\n",
          step, what, got, got < 0 ? " (an error)" : "", want, want < 0 ? " (EAGAIN)" : "");
  exit(2);
})C");
}

void AddStreamHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  rec.Include("<sys/socket.h>");
  rec.Helper("readiness_stream",
             "#define PROMISE_NB_IO \\\n  " + Lit(kNonBlockingIoPromise) + "\n" + R"C(
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
)C");
}

void AddDatagramHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
  AddDiverged(rec);
  rec.Include("<sys/socket.h>");
  rec.Helper("readiness_datagram", "#define PROMISE_DGRAM \\\n  " + Lit(kDatagramPromise) + "\n" +
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
)C");
}

}  // namespace ipcspec::readiness_repro
