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

void AddStreamHelpers(repro::Recording& rec) {
  AddReadinessHelpers(rec);
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

/* The replay went another way than the run it was recorded from: the
   checks after this step assume that run, so there is no verdict. */
static void replay_diverged(const char *what, long got, long want) {
  fprintf(stderr, "REPLAY DIVERGED: %s: %s returned %ld%s where the recorded run saw %ld%s;\n"
          "  the checks after it assume the recorded run (no verdict)\n",
          step, what, got, got < 0 ? " (an error)" : "", want, want < 0 ? " (EAGAIN)" : "");
  exit(2);
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

}  // namespace ipcspec::readiness_repro
