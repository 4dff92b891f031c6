// The ByteStream properties.
//
// The model is exact: a deque of the bytes in the stream, which ends are open
// and which forked writers are alive. Where the man pages allow several
// outcomes (a read or a write may be partial), a command loops until the
// model's outcome is reached and checks each step against what is allowed,
// so the model stays exact and every legal implementation passes.
//
// What is checked, with its source:
//   man 7 pipe, "I/O on pipes and FIFOs": "If a process attempts to read from
//     an empty pipe, then read(2) will block until data is available. If a
//     process attempts to write to a full pipe, then write(2) blocks until
//     sufficient data has been read from the pipe to allow the write to
//     complete." / "If all file descriptors referring to the write end of a
//     pipe have been closed, then an attempt to read(2) from the pipe will see
//     end-of-file" / "If all file descriptors referring to the read end of a
//     pipe have been closed, then a write(2) will cause a SIGPIPE signal to be
//     generated for the calling process. If the calling process is ignoring
//     this signal, then write(2) fails with the error EPIPE."
//   man 7 pipe, "PIPE_BUF": "POSIX.1 says that writes of less than PIPE_BUF
//     bytes must be atomic" and, with O_NONBLOCK and n <= PIPE_BUF, "If there
//     is room to write n bytes to the pipe, then write(2) succeeds
//     immediately, writing all n bytes; otherwise write(2) fails, with errno
//     set to EAGAIN."
//   man 2 read / man 2 write, EAGAIN: "The file descriptor fd refers to a
//     file other than a socket and has been marked nonblocking (O_NONBLOCK),
//     and the read would block." (and the same for sockets, man 7 unix).
//   man 7 unix: SOCK_STREAM gives EOF after the peer closes, and EPIPE with
//     SIGPIPE (unless MSG_NOSIGNAL) after the peer's read side is gone.
//   TCP (caps.epipe_may_be_delayed): after the reader closed, a write may
//     still succeed until the peer's reset arrives; then it fails EPIPE
//     (man 2 send: "EPIPE The local end has been shut down on a connection
//     oriented socket. In this case, the process will also receive a
//     SIGPIPE") or ECONNRESET (man 2 send: "Connection reset by peer";
//     man 7 tcp: EPIPE "The other end closed the socket unexpectedly").
#include "suites/byte_stream/byte_stream_properties.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <sstream>

#include "impl/core/checkpoint.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/sigpipe.h"
#include "impl/core/watchdog.h"
#include "impl/repro/repro.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

// Room accounting: an empty stream accepts empty_capacity bytes; each write
// of n bytes may use up to ceil(n / kUnit) units of it (a pipe write may
// start a fresh page), and all of it comes back once the stream is empty.
constexpr size_t kUnit = 4096;
size_t Units(size_t n) { return (n + kUnit - 1) / kUnit; }

uint8_t PatternByte(uint32_t i) { return static_cast<uint8_t>((i * 2654435761u) >> 13); }

std::vector<uint8_t> Pattern(uint32_t first, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = PatternByte(first + static_cast<uint32_t>(i));
  return v;
}

// ---------------------------------------------------------------------------
// The commands as C (impl/repro): each step prints the call it makes and the
// model's check after it. The promises the checks cite:
constexpr const char* kPromiseRoom =
    "man 7 pipe: with room for the data, a write completes without blocking "
    "(\"If there is room to write n bytes to the pipe, then write(2) succeeds immediately\")";
constexpr const char* kPromiseAtomic =
    "man 7 pipe, PIPE_BUF: \"POSIX.1 says that writes of less than PIPE_BUF bytes must be "
    "atomic\"; with O_NONBLOCK and n <= PIPE_BUF, \"If there is room to write n bytes to the "
    "pipe, then write(2) succeeds immediately, writing all n bytes; otherwise write(2) fails, "
    "with errno set to EAGAIN\"";
constexpr const char* kPromiseEpipe =
    "man 7 pipe: \"If all file descriptors referring to the read end of a pipe have been "
    "closed, then a write(2) will cause a SIGPIPE signal to be generated for the calling "
    "process. If the calling process is ignoring this signal, then write(2) fails with the "
    "error EPIPE\" (man 7 unix, man 2 send for sockets)";
constexpr const char* kPromiseEagain =
    "man 2 read: EAGAIN \"The file descriptor fd refers to a file other than a socket and has "
    "been marked nonblocking (O_NONBLOCK), and the read would block\"; the end of file comes "
    "only when no writer is left (man 7 pipe)";
constexpr const char* kPromiseEof =
    "man 7 pipe: \"If all file descriptors referring to the write end of a pipe have been "
    "closed, then an attempt to read(2) from the pipe will see end-of-file (read(2) will "
    "return 0)\"";
constexpr const char* kPromiseOrder =
    "man 7 pipe: a pipe is a unidirectional data channel; the bytes written come out of the "
    "read end in the order written, none lost or repeated; a read of a stream holding data "
    "returns some of it at once";
constexpr const char* kPromiseFull =
    "man 7 pipe: a non-blocking write to a full pipe fails with EAGAIN (\"If O_NONBLOCK is "
    "enabled ... otherwise write(2) fails, with errno set to EAGAIN\"); the capacity is "
    "F_GETPIPE_SZ (\"Pipe capacity\")";
constexpr const char* kPromiseClose = "man 2 close: \"close() returns zero\" on success";

using repro::Lit;

// The helpers every ByteStream reproducer shares.
void StreamPrelude(repro::Recording& rec) {
  rec.Include("<sys/socket.h>");
  std::string defs = "/* The documented promises the checks hold the environment to. */\n";
  for (const auto& [name, text] : std::vector<std::pair<const char*, const char*>>{
           {"PROMISE_ROOM", kPromiseRoom},     {"PROMISE_ATOMIC", kPromiseAtomic},
           {"PROMISE_EPIPE", kPromiseEpipe},   {"PROMISE_EAGAIN", kPromiseEagain},
           {"PROMISE_EOF", kPromiseEof},       {"PROMISE_ORDER", kPromiseOrder},
           {"PROMISE_FULL", kPromiseFull},     {"PROMISE_CLOSE", kPromiseClose}}) {
    defs += std::string("#define ") + name + " \\\n  " + Lit(text) + "\n";
  }
  rec.Helper("promises", defs);
  rec.Helper("pattern", R"C(/* The bytes ipcspec writes: byte i of the stream is pattern_byte(i). */
static unsigned char pattern_byte(uint32_t i) { return (unsigned char)((i * 2654435761u) >> 13); }
static const unsigned char *pattern(uint32_t first, size_t n) {
  static unsigned char *b;
  static size_t cap;
  size_t i;
  if (n > cap) {
    free(b);
    b = malloc(n);
    cap = n;
    if (b == NULL) setup_failed("malloc");
  }
  for (i = 0; i < n; ++i) b[i] = pattern_byte(first + (uint32_t)i);
  return b;
}
static unsigned char rbuf[1 << 17] __attribute__((unused));

/* One call, as ipcspec makes it: send/recv with MSG_DONTWAIT on a socket;
   on a pipe or FIFO, O_NONBLOCK set (or cleared) on the open file
   description for the one call, then the flags restored. */
static ssize_t stream_io(int fd, int is_write, const void *b, size_t n, int nonblock) {
  ssize_t r;
  int fl, saved;
  if (stream_is_socket) {
    return is_write ? send(fd, b, n, nonblock ? MSG_DONTWAIT : 0)
                    : recv(fd, (void *)b, n, nonblock ? MSG_DONTWAIT : 0);
  }
  fl = fcntl(fd, F_GETFL);
  if (fl < 0) setup_failed("fcntl(F_GETFL)");
  if (fcntl(fd, F_SETFL, nonblock ? (fl | O_NONBLOCK) : (fl & ~O_NONBLOCK)) != 0)
    setup_failed("fcntl(F_SETFL)");
  r = is_write ? write(fd, b, n) : read(fd, (void *)b, n);
  saved = errno;
  if (fcntl(fd, F_SETFL, fl) != 0) setup_failed("fcntl(F_SETFL)");
  errno = saved;
  return r;
}

/* Consumes a pending SIGPIPE (it is blocked): 1 if there was one. */
static int sigpipe_pending(void) {
  sigset_t s;
  struct timespec zero = {0, 0};
  sigemptyset(&s);
  sigaddset(&s, SIGPIPE);
  return sigtimedwait(&s, NULL, &zero) == SIGPIPE;
}
)C");
  rec.Prologue(
      "/* SIGPIPE stays blocked, so that a write to a broken stream can be seen to\n"
      "   raise it (it stays pending) instead of killing the reproducer. */\n"
      "{\n"
      "  sigset_t s;\n"
      "  sigemptyset(&s);\n"
      "  sigaddset(&s, SIGPIPE);\n"
      "  sigprocmask(SIG_BLOCK, &s, NULL);\n"
      "}\n");
}

std::string U(size_t v) { return std::to_string(v) + "u"; }

// A write of n bytes (pattern from `first`) with room for all of it: it
// completes without blocking, possibly in several calls above the atomic size.
std::string CWriteWithRoom(const char* fd, size_t n, uint32_t first, bool nonblock, size_t atomic,
                           const char* who) {
  const std::string N = U(n);
  std::ostringstream c;
  c << "{\n"
    << "  const unsigned char *b = pattern(" << first << "u, " << N << ");\n"
    << "  size_t done = 0;\n"
    << "  while (done < " << N << ") {\n"
    << "    ssize_t r = stream_io(" << fd << ", 1, b + done, " << N << " - done, "
    << (nonblock ? 1 : 0) << ");\n"
    << "    if (r < 0)\n"
    << "      broken(" << "PROMISE_ROOM" << ",\n"
    << "             \"" << who << "write of %zu bytes with room for all of it failed: %s\", "
    << "(size_t)(" << N << " - done), strerror(errno));\n";
  if (n <= atomic) {
    c << "    if (done == 0 && (size_t)r != " << N << ")\n"
      << "      broken(" << "PROMISE_ATOMIC" << ",\n"
      << "             \"" << who << "write of " << n
      << " bytes (at most PIPE_BUF) was split: %zd bytes written\", r);\n";
  }
  c << "    if (r == 0) broken(" << "PROMISE_ROOM" << ", \"" << who
    << "write of %zu bytes returned 0\", (size_t)(" << N << " - done));\n"
    << "    done += (size_t)r;\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

// A write after every reader closed: EPIPE, and SIGPIPE raised.
std::string CWriteBroken(size_t n, uint32_t first, bool nonblock, bool sigpipe, const char* who) {
  std::ostringstream c;
  c << "{\n"
    << "  ssize_t r = stream_io(wfd, 1, pattern(" << first << "u, " << U(n) << "), " << U(n)
    << ", " << (nonblock ? 1 : 0) << ");\n"
    << "  if (r >= 0) broken(" << "PROMISE_EPIPE" << ",\n"
    << "                     \"" << who
    << "write with no reader left succeeded: %zd bytes written\", r);\n"
    << "  if (errno != EPIPE) broken(" << "PROMISE_EPIPE" << ",\n"
    << "                             \"" << who
    << "write with no reader left failed with %s, not EPIPE\", strerror(errno));\n";
  if (sigpipe) {
    c << "  if (!sigpipe_pending()) broken(" << "PROMISE_EPIPE" << ",\n"
      << "                               \"" << who
      << "write failed EPIPE but raised no SIGPIPE\");\n";
  }
  c << "}\n";
  return c.str();
}

// ---------------------------------------------------------------------------
// Forked writers: a child holding its own copy of the write end, driven
// through a control pipe. It runs plain system calls only.

struct ChildCmd {
  uint32_t op;  // 1 write, 2 exit
  uint32_t n;
  uint32_t first;
};
struct ChildReply {
  int64_t written;  // bytes written, or -1
  int32_t err;      // errno of the failing call
  int32_t sigpipe;  // 1 if SIGPIPE was pending after it
};

bool SigpipePendingAndConsume() { return ScopedBlockSigpipe::ConsumePending(); }

struct WriterChild {
  Child child;
  FileDescriptor ctl;    // parent writes commands
  FileDescriptor reply;  // parent reads replies
};

struct StreamSut {
  const ByteStreamKind* kind;
  ByteStream s;
  std::vector<WriterChild> children;  // by index; closed ones stay as empty slots
};

// The child's loop: returns its exit code.
int WriterChildMain(StreamEnd& writer, int ctl, int reply, size_t atomic) {
  // Tell the parent that setup (dropping the read end) is done.
  ChildReply ready{0, 0, 0};
  if (write(reply, &ready, sizeof ready) != static_cast<ssize_t>(sizeof ready)) return 11;
  std::vector<uint8_t> buf;
  for (;;) {
    ChildCmd c;
    ssize_t r = read(ctl, &c, sizeof c);
    if (r == 0) return 0;
    if (r != static_cast<ssize_t>(sizeof c)) return 10;
    if (c.op == 2) return 0;
    buf.resize(c.n);
    for (uint32_t i = 0; i < c.n; ++i) buf[i] = PatternByte(c.first + i);
    ChildReply rep{0, 0, 0};
    size_t done = 0;
    while (done < c.n) {
      auto w = writer.Write(buf.data() + done, c.n - done, Blocking::kBlock);
      if (!w.ok()) {
        rep.written = done == 0 ? -1 : static_cast<int64_t>(done);
        rep.err = w.errno_value();
        break;
      }
      // An atomic-sized write is never split (man 7 pipe, PIPE_BUF).
      if (done == 0 && c.n <= atomic && w.value() != c.n) {
        rep.written = static_cast<int64_t>(w.value());
        rep.err = -1;  // split atomic write
        break;
      }
      done += w.value();
      rep.written = static_cast<int64_t>(done);
    }
    rep.sigpipe = SigpipePendingAndConsume() ? 1 : 0;
    if (write(reply, &rep, sizeof rep) != static_cast<ssize_t>(sizeof rep)) return 11;
  }
}

// ---------------------------------------------------------------------------
// The model.

struct StreamModel {
  std::deque<uint8_t> data;
  bool reader_open = true;
  bool writer_open = true;
  std::vector<bool> child_alive;
  size_t units_used = 0;
  size_t units = 0;
  size_t atomic = 0;
  bool sigpipe = true;
  bool epipe_delayed = false;
  bool may_lag = false;  // caps.delivery_may_lag
  bool forkable = true;
  uint32_t next_byte = 0;

  int live_children() const {
    return static_cast<int>(std::count(child_alive.begin(), child_alive.end(), true));
  }
  int writers() const { return (writer_open ? 1 : 0) + live_children(); }
  bool Fits(size_t n) const { return units_used + Units(n) <= units; }
  void Append(size_t n) {
    for (uint8_t b : Pattern(next_byte, n)) data.push_back(b);
    next_byte += static_cast<uint32_t>(n);
    units_used += Units(n);
  }
  void Consume(size_t n) {
    data.erase(data.begin(), data.begin() + static_cast<long>(n));
    if (data.empty()) units_used = 0;
  }
};

using StreamCommand = rc::state::Command<StreamModel, StreamSut>;

rc::Gen<size_t> WriteSize(const StreamModel& m) {
  std::vector<size_t> edges = {1, 2, 3, 4095, 4096, 4097, 8192};
  if (m.atomic > 1) {
    edges.push_back(m.atomic - 1);
    edges.push_back(m.atomic);
    edges.push_back(m.atomic + 1);
  }
  return rc::gen::weightedOneOf<size_t>({
      {4, rc::gen::inRange<size_t>(1, 65)},
      {3, rc::gen::inRange<size_t>(1, 9000)},
      {2, rc::gen::elementOf(edges)},
  });
}

rc::Gen<Blocking> AnyBlocking() { return rc::gen::element(Blocking::kBlock, Blocking::kNonBlock); }

// Checks a write that must fail because no reader is left.
void ExpectBrokenPipe(const PosixErrorOr<size_t>& r, const StreamModel& m, const char* who) {
  if (m.epipe_delayed) {
    // TCP: success (the peer's reset has not come back yet), EPIPE (with
    // SIGPIPE) or ECONNRESET (with no SIGPIPE promised; drop any).
    const bool reset = !r.ok() && r.errno_value() == ECONNRESET;
    if (r.ok() || reset) {
      (void)SigpipePendingAndConsume();
      return;
    }
  }
  if (r.ok() || r.errno_value() != EPIPE) {
    RC_FAIL(std::string(who) + " write with no reader left: expected EPIPE, got " +
            (r.ok() ? "success, " + std::to_string(r.value()) + " bytes written"
                    : r.error().ToString()) +
            " (man 7 pipe: \"If all file descriptors referring to the read end of a pipe have "
            "been closed, then a write(2) will cause a SIGPIPE signal ... fails with EPIPE\")");
  }
  if (m.sigpipe && !SigpipePendingAndConsume()) {
    RC_FAIL(std::string(who) +
            " write with no reader left failed EPIPE but raised no SIGPIPE (man 7 pipe)");
  }
}

// Classification of ModelSequences' cases (impl/core/coverage.h).
constexpr const char* kWriterForked = "a writer was forked";
constexpr const char* kFilledAndDrained = "the stream was filled to EAGAIN and drained";
constexpr const char* kReadSawEof = "a read found no writer left (end-of-file)";

struct Write : StreamCommand {
  size_t n;
  Blocking b;
  explicit Write(const StreamModel& m) : n(*WriteSize(m)), b(*AnyBlocking()) {}
  void checkPreconditions(const StreamModel& m) const override {
    RC_PRE(m.writer_open);
    const bool fits = !m.reader_open || m.Fits(n);
    RC_PRE(fits);
  }
  void apply(StreamModel& m) const override {
    if (m.reader_open) m.Append(n);
  }
  void run(const StreamModel& m, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      const bool nb = b == Blocking::kNonBlock;
      if (!m.reader_open) {
        rec->Step(t.str(), CWriteBroken(n, m.next_byte, nb, m.sigpipe, ""),
                  "a write with no reader left fails at once (EPIPE)");
      } else {
        rec->Step(t.str(), CWriteWithRoom("wfd", n, m.next_byte, nb, m.atomic, ""),
                  "the write completes without blocking: the stream has room for it (man 7 "
                  "pipe)");
      }
    }
    std::vector<uint8_t> bytes = Pattern(m.next_byte, n);
    StreamEnd& w = *sut.s.writer;
    if (!m.reader_open) {
      ExpectBrokenPipe(w.Write(bytes.data(), n, b), m, "a");
      return;
    }
    // The model says all n bytes fit: the write completes without blocking,
    // possibly in several calls when n is above the atomic size.
    size_t done = 0;
    while (done < n) {
      // Short on purpose: the timer can only interrupt a call that SLEEPS in
      // the kernel (EINTR); a call with room never does, however late it runs.
      Watchdog dog(Deadline::In(std::chrono::seconds(1)));
      auto r = w.Write(bytes.data() + done, n - done, b);
      // Hung only if the watchdog interrupted the call: a call that completed
      // after a long deschedule is not a failure.
      if (!r.ok() && r.errno_value() == EINTR && dog.fired()) {
        RC_FAIL("write blocked although the stream had room for it (man 7 pipe)");
      }
      if (!r.ok()) {
        RC_FAIL("write with room for all of it failed: " + r.error().ToString() +
                " (man 7 pipe: with room, \"write(2) succeeds immediately\")");
      }
      RC_ASSERT(r.value() >= 1u);
      if (done == 0 && n <= m.atomic && r.value() != n) {
        RC_FAIL("a write of " + std::to_string(n) + " bytes (<= atomic size " +
                std::to_string(m.atomic) + ") was split: " + std::to_string(r.value()) +
                " bytes (man 7 pipe: writes of at most PIPE_BUF bytes are atomic)");
      }
      done += r.value();
    }
  }
  void show(std::ostream& os) const override {
    os << "write(" << n << " bytes, " << ToString(b) << ")";
  }
};

// A read of a stream the model says holds data (or has reached its end).
// When delivery may lag (caps.delivery_may_lag: TCP), a non-blocking read
// that finds nothing yet waits for the data with a blocking read under a
// Watchdog: the bytes were sent, so they must come, within the deadline.
PosixErrorOr<size_t> ReadSent(StreamEnd& r, uint8_t* buf, size_t n, Blocking b, bool may_lag) {
  auto got = r.Read(buf, n, b);
  if (!may_lag || b != Blocking::kNonBlock || got.ok() || got.errno_value() != EAGAIN) return got;
  Watchdog dog(Deadline::In(std::chrono::seconds(5)));
  got = r.Read(buf, n, Blocking::kBlock);
  if (!got.ok() && got.errno_value() == EINTR && dog.fired()) {
    return PosixError(EAGAIN, "read: nothing arrived within 5 s (scaled) of data or the end of "
                              "file sent, after a non-blocking read found nothing");
  }
  return got;
}

struct Read : StreamCommand {
  size_t n;
  Blocking b;
  explicit Read(const StreamModel& m)
      : n(*rc::gen::weightedOneOf<size_t>({{3, rc::gen::inRange<size_t>(1, 65)},
                                           {2, rc::gen::inRange<size_t>(1, 70000)}})),
        b(*AnyBlocking()) {}
  void checkPreconditions(const StreamModel& m) const override {
    RC_PRE(m.reader_open);
    // A blocking read of an empty stream with a writer blocks: that is the
    // fault scenarios' business, not this sequence's.
    const bool would_block = m.data.empty() && m.writers() > 0 && b == Blocking::kBlock;
    RC_PRE(!would_block);
  }
  void apply(StreamModel& m) const override { m.Consume(std::min(n, m.data.size())); }
  void Record(const StreamModel& m, repro::Recording& rec) const {
    std::ostringstream t;
    show(t);
    const int nb = b == Blocking::kNonBlock ? 1 : 0;
    const std::string N = U(n);
    std::ostringstream c;
    if (m.data.empty() && m.writers() > 0) {
      c << "{\n"
        << "  ssize_t r = stream_io(rfd, 0, rbuf, " << N << ", " << nb << ");\n"
        << "  if (r == 0) broken(" << "PROMISE_EAGAIN" << ",\n"
        << "                     \"non-blocking read of an empty stream returned 0 (end of "
           "file) while " << m.writers() << " writer(s) still hold the write end; expected "
           "EAGAIN\");\n"
        << "  if (r > 0) broken(" << "PROMISE_EAGAIN" << ",\n"
        << "                    \"non-blocking read of an empty stream returned %zd bytes "
           "from nowhere; expected EAGAIN\", r);\n"
        << "  if (errno != EAGAIN) broken(" << "PROMISE_EAGAIN" << ",\n"
        << "                              \"non-blocking read of an empty stream failed with "
           "%s, not EAGAIN\", strerror(errno));\n"
        << "}\n";
      rec.Step(t.str(), c.str(), "a non-blocking read returns at once");
      return;
    }
    if (m.data.empty()) {
      c << "{\n"
        << "  ssize_t r = stream_io(rfd, 0, rbuf, " << N << ", " << nb << ");\n"
        << "  if (r != 0) broken(" << "PROMISE_EOF" << ",\n"
        << "                     \"read after every writer closed and the data drained "
           "returned %zd (%s); expected 0 (end of file)\", r, r < 0 ? strerror(errno) : "
           "\"bytes\");\n"
        << "}\n";
      rec.Step(t.str(), c.str(), "a read with no writer left returns 0 at once (end of file)");
      return;
    }
    const size_t want = std::min(n, m.data.size());
    const uint32_t first = m.next_byte - static_cast<uint32_t>(m.data.size());
    c << "{\n"
      << "  /* The stream holds " << m.data.size() << " bytes (pattern from " << first
      << "): this read must return " << want << ". */\n"
      << "  size_t done = 0, i;\n"
      << "  while (done < " << U(want) << ") {\n"
      << "    ssize_t r = stream_io(rfd, 0, rbuf + done, " << N << " - done, " << nb << ");\n"
      << "    if (r < 0) broken(" << "PROMISE_ORDER" << ",\n"
      << "                      \"read of a stream holding %zu bytes failed: %s\", (size_t)"
      << m.data.size() << "u - done, strerror(errno));\n"
      << "    if (r == 0) broken(" << "PROMISE_ORDER" << ",\n"
      << "                       \"read returned 0 (end of file) while %zu bytes were still in "
         "the stream\", (size_t)" << m.data.size() << "u - done);\n"
      << "    if (done + (size_t)r > " << U(want) << ") broken(" << "PROMISE_ORDER" << ",\n"
      << "        \"read returned %zd bytes but only %zu were in the stream (duplicated "
         "data)\", r, (size_t)" << U(want) << " - done);\n"
      << "    done += (size_t)r;\n"
      << "  }\n"
      << "  for (i = 0; i < " << U(want) << "; ++i)\n"
      << "    if (rbuf[i] != pattern_byte(" << first << "u + (uint32_t)i))\n"
      << "      broken(" << "PROMISE_ORDER" << ",\n"
      << "             \"byte %zu of this read is 0x%02x, expected 0x%02x: data lost, "
         "duplicated or reordered\", i, rbuf[i], pattern_byte(" << first
      << "u + (uint32_t)i));\n"
      << "}\n";
    rec.Step(t.str(), c.str(),
             "a read of a stream holding data returns at once (man 7 pipe: read blocks only "
             "while the pipe is empty)");
  }
  void run(const StreamModel& m, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    StreamEnd& r = *sut.s.reader;
    std::vector<uint8_t> buf(n);
    Coverage::ReachedIf(m.data.empty() && m.writers() == 0, kReadSawEof);
    if (m.data.empty()) {
      // With no writer left the end of file was sent: it may lag like data.
      auto got = m.writers() > 0 ? r.Read(buf.data(), n, b)
                                 : ReadSent(r, buf.data(), n, b, m.may_lag);
      if (m.writers() > 0) {
        if (got.ok()) {
          RC_FAIL("non-blocking read of an empty stream with " + std::to_string(m.writers()) +
                  " writer(s) returned " + std::to_string(got.value()) +
                  (got.value() == 0 ? " (end of file too early)" : " bytes from nowhere") +
                  "; expected EAGAIN (man 2 read: EAGAIN \"the read would block\")");
        }
        RC_ASSERT(got.errno_value() == EAGAIN);
      } else {
        if (!got.ok() || got.value() != 0) {
          RC_FAIL("read after every writer closed and the data drained: expected 0 (end of "
                  "file), got " +
                  (got.ok() ? std::to_string(got.value()) : got.error().ToString()) +
                  " (man 7 pipe: \"an attempt to read(2) from the pipe will see end-of-file\")");
        }
      }
      return;
    }
    size_t want = std::min(n, m.data.size());
    size_t done = 0;
    while (done < want) {
      std::optional<Watchdog> dog;  // see Write
      if (b == Blocking::kBlock) dog.emplace(Deadline::In(std::chrono::seconds(1)));
      auto got = ReadSent(r, buf.data() + done, n - done, b, m.may_lag);
      if (!got.ok() && got.errno_value() == EINTR && dog && dog->fired()) {
        RC_FAIL("read blocked although the stream held data");
      }
      if (!got.ok()) {
        RC_FAIL("read of a stream holding " + std::to_string(m.data.size() - done) +
                " bytes failed: " + got.error().ToString());
      }
      if (got.value() == 0) {
        RC_FAIL("read returned 0 (end of file) while " + std::to_string(m.data.size() - done) +
                " bytes were still in the stream");
      }
      if (done + got.value() > want) {
        RC_FAIL("read returned " + std::to_string(got.value()) + " bytes but only " +
                std::to_string(want - done) + " were in the stream (duplicated data)");
      }
      done += got.value();
    }
    for (size_t i = 0; i < want; ++i) {
      if (buf[i] != m.data[i]) {
        std::ostringstream os;
        os << "byte " << i << " of this read is 0x" << std::hex << int(buf[i])
           << ", the model says 0x" << int(m.data[i])
           << ": data lost, duplicated or reordered (man 7 pipe: a pipe is a "
              "unidirectional data channel, bytes come out in the order written)";
        RC_FAIL(os.str());
      }
    }
  }
  void show(std::ostream& os) const override {
    os << "read(up to " << n << " bytes, " << ToString(b) << ")";
  }
};

struct CloseWriter : StreamCommand {
  void checkPreconditions(const StreamModel& m) const override { RC_PRE(m.writer_open); }
  void apply(StreamModel& m) const override { m.writer_open = false; }
  void run(const StreamModel&, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      rec->Step("close(write end)", std::string("if (close(wfd) != 0) broken(") +
                                        "PROMISE_CLOSE" +
                                        ", \"close(write end) failed: %s\", strerror(errno));\n"
                                        "wfd = -1;\n");
    }
    PosixError e = sut.s.writer->Close();
    if (!e.ok()) RC_FAIL("closing the write end: " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "close(write end)"; }
};

struct CloseReader : StreamCommand {
  void checkPreconditions(const StreamModel& m) const override { RC_PRE(m.reader_open); }
  void apply(StreamModel& m) const override {
    m.reader_open = false;
    m.data.clear();
    m.units_used = 0;
  }
  void run(const StreamModel&, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      rec->Step("close(read end)", std::string("if (close(rfd) != 0) broken(") +
                                       "PROMISE_CLOSE" +
                                       ", \"close(read end) failed: %s\", strerror(errno));\n"
                                       "rfd = -1;\n");
    }
    PosixError e = sut.s.reader->Close();
    if (!e.ok()) RC_FAIL("closing the read end: " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "close(read end)"; }
};

PosixErrorOr<ChildReply> AwaitReply(WriterChild& wc) {
  Deadline d = Deadline::In(std::chrono::seconds(5));
  struct pollfd p = {wc.reply.get(), POLLIN, 0};
  int n = poll(&p, 1, d.RemainingMs());
  if (n == 0) return PosixError(ETIMEDOUT, "the child's write did not finish by the deadline");
  if (n < 0) return ErrnoError("poll(child reply)");
  ChildReply rep;
  if (read(wc.reply.get(), &rep, sizeof rep) != static_cast<ssize_t>(sizeof rep)) {
    return PosixError(EPIPE, "the child died without replying");
  }
  return rep;
}

PosixErrorOr<ChildReply> AskChild(WriterChild& wc, const ChildCmd& cmd) {
  if (write(wc.ctl.get(), &cmd, sizeof cmd) != static_cast<ssize_t>(sizeof cmd)) {
    return ErrnoError("write(child control pipe)");
  }
  return AwaitReply(wc);
}

struct ForkWriter : StreamCommand {
  void checkPreconditions(const StreamModel& m) const override {
    const bool ok =
        m.forkable && m.writer_open && m.live_children() < 3 && m.child_alive.size() < 6;
    RC_PRE(ok);
  }
  void apply(StreamModel& m) const override { m.child_alive.push_back(true); }
  void run(const StreamModel& m, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      rec->Fork(static_cast<int>(m.child_alive.size()), "fork(a child holding the write end)",
                m.reader_open ? "close(rfd);  /* only the parent reads */\n" : "");
    }
    Coverage::Reached(kWriterForked);
    int ctl[2], rep[2];
    RC_ASSERT(pipe2(ctl, O_CLOEXEC) == 0);
    RC_ASSERT(pipe2(rep, O_CLOEXEC) == 0);
    WriterChild wc;
    wc.ctl.reset(ctl[1]);
    wc.reply.reset(rep[0]);
    FileDescriptor child_ctl(ctl[0]), child_rep(rep[1]);
    // Everything the child must not hold: other children's control pipes.
    std::vector<int> others;
    for (const auto& o : sut.children) {
      if (o.ctl.valid()) others.push_back(o.ctl.get());
      if (o.reply.valid()) others.push_back(o.reply.get());
    }
    StreamSut* s = &sut;
    size_t atomic = m.atomic;
    auto c = Child::Fork([&, s, atomic]() -> int {
      for (int fd : others) close(fd);
      close(ctl[1]);
      close(rep[0]);
      // Only the parent reads: the child drops its copy of the read end.
      if (!s->s.reader->closed()) (void)s->s.reader->Close();
      return WriterChildMain(*s->s.writer, ctl[0], rep[1], atomic);
    });
    if (!c.ok()) RC_FAIL("fork: " + c.error().ToString());
    wc.child = std::move(c).ValueOrDie();
    child_ctl.reset();
    child_rep.reset();
    // Wait for the child's "ready": until then it may still hold the read end.
    auto ready = AwaitReply(wc);
    if (!ready.ok()) RC_FAIL("forked writer: " + ready.error().ToString());
    sut.children.push_back(std::move(wc));
  }
  void show(std::ostream& os) const override { os << "fork(a child holding the write end)"; }
};

rc::Gen<size_t> LiveChild(const StreamModel& m) {
  std::vector<size_t> live;
  for (size_t i = 0; i < m.child_alive.size(); ++i) {
    if (m.child_alive[i]) live.push_back(i);
  }
  RC_PRE(!live.empty());
  return rc::gen::elementOf(live);
}

struct ChildWrite : StreamCommand {
  size_t idx;
  size_t n;
  explicit ChildWrite(const StreamModel& m) : idx(*LiveChild(m)), n(*WriteSize(m)) {}
  void checkPreconditions(const StreamModel& m) const override {
    // (RC_PRE captures its expression and does not short-circuit: guard first.)
    const bool alive = idx < m.child_alive.size() && m.child_alive[idx];
    RC_PRE(alive);
    const bool fits = !m.reader_open || m.Fits(n);
    RC_PRE(fits);
  }
  void apply(StreamModel& m) const override {
    if (m.reader_open) m.Append(n);
  }
  void run(const StreamModel& m, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream t;
      show(t);
      rec->ChildStep(static_cast<int>(idx), t.str(),
                     m.reader_open
                         ? CWriteWithRoom("wfd", n, m.next_byte, false, m.atomic, "child's ")
                         : CWriteBroken(n, m.next_byte, false, m.sigpipe, "child's "),
                     m.reader_open ? "the child's write completes: the stream has room for it"
                                   : "a write with no reader left fails at once (EPIPE)");
    }
    auto rep = AskChild(sut.children[idx], ChildCmd{1, static_cast<uint32_t>(n), m.next_byte});
    if (!rep.ok()) RC_FAIL("child " + std::to_string(idx) + ": " + rep.error().ToString());
    const ChildReply& r = rep.value();
    if (!m.reader_open && m.epipe_delayed) {
      // TCP: all written (the reset has not come back yet), or EPIPE (with
      // SIGPIPE) or ECONNRESET, possibly after part of it was written.
      const bool all = r.err == 0 && r.written == static_cast<int64_t>(n);
      const bool broken = r.err == EPIPE || r.err == ECONNRESET;
      if (!all && !broken) {
        RC_FAIL("child's write after the reader closed (TCP): expected success, EPIPE or "
                "ECONNRESET, got written=" + std::to_string(r.written) + " errno " +
                ErrnoName(r.err) + " (man 2 send: EPIPE, ECONNRESET)");
      }
      if (r.err == EPIPE && m.sigpipe && !r.sigpipe) {
        RC_FAIL("child's EPIPE write raised no SIGPIPE (man 2 send: \"the process will also "
                "receive a SIGPIPE unless MSG_NOSIGNAL is set\")");
      }
      return;
    }
    if (!m.reader_open) {
      if (r.written != -1 || r.err != EPIPE) {
        RC_FAIL("child's write with no reader left: expected EPIPE, got written=" +
                std::to_string(r.written) + " errno " + ErrnoName(r.err) + " (man 7 pipe)");
      }
      if (m.sigpipe && !r.sigpipe) RC_FAIL("child's EPIPE write raised no SIGPIPE (man 7 pipe)");
      return;
    }
    if (r.err == -1) {
      RC_FAIL("child's write of " + std::to_string(n) + " bytes (<= atomic size) was split: " +
              std::to_string(r.written) + " bytes (man 7 pipe, PIPE_BUF)");
    }
    if (r.written != static_cast<int64_t>(n)) {
      RC_FAIL("child's write with room for it wrote " + std::to_string(r.written) + " of " +
              std::to_string(n) + " bytes, errno " + ErrnoName(r.err));
    }
  }
  void show(std::ostream& os) const override {
    os << "child " << idx << ": write(" << n << " bytes, blocking)";
  }
};

struct ChildExit : StreamCommand {
  size_t idx;
  explicit ChildExit(const StreamModel& m) : idx(*LiveChild(m)) {}
  void checkPreconditions(const StreamModel& m) const override {
    // (RC_PRE captures its expression and does not short-circuit: guard first.)
    const bool alive = idx < m.child_alive.size() && m.child_alive[idx];
    RC_PRE(alive);
  }
  void apply(StreamModel& m) const override { m.child_alive[idx] = false; }
  void run(const StreamModel&, StreamSut& sut) const override {
    if (auto* rec = repro::Active()) {
      rec->ChildExit(static_cast<int>(idx), "child " + std::to_string(idx) + ": exit");
    }
    WriterChild& wc = sut.children[idx];
    ChildCmd bye{2, 0, 0};
    RC_ASSERT(write(wc.ctl.get(), &bye, sizeof bye) == static_cast<ssize_t>(sizeof bye));
    auto st = wc.child.Wait();
    if (!st.ok()) RC_FAIL("child " + std::to_string(idx) + " exit: " + st.error().ToString());
    if (!st.value().ExitedWith(0)) {
      RC_FAIL("child " + std::to_string(idx) + " " + st.value().ToString());
    }
    wc.ctl.reset();
    wc.reply.reset();
  }
  void show(std::ostream& os) const override { os << "child " << idx << ": exit"; }
};

// Fill the stream with non-blocking writes until EAGAIN, check the amount and
// the EAGAIN rule, then drain it all and check every byte.
struct FillAndDrain : StreamCommand {
  size_t chunk;
  explicit FillAndDrain(const StreamModel& m)
      : chunk(*rc::gen::elementOf(std::vector<size_t>{1000, 4096, 5000, 16384})) {}
  void checkPreconditions(const StreamModel& m) const override {
    const bool open = m.writer_open && m.reader_open;
    RC_PRE(open);
  }
  void apply(StreamModel& m) const override {
    m.data.clear();
    m.units_used = 0;
  }
  void run(const StreamModel& m, StreamSut& sut) const override {
    Coverage::Reached(kFilledAndDrained);
    StreamEnd& w = *sut.s.writer;
    StreamEnd& r = *sut.s.reader;
    const uint32_t base = 0x80000000u + m.next_byte;
    std::vector<uint8_t> expect(m.data.begin(), m.data.end());
    // Guaranteed: at least this many whole chunks fit before EAGAIN.
    size_t guaranteed = m.units >= m.units_used ? (m.units - m.units_used) / Units(chunk) : 0;
    if (auto* rec = repro::Active()) {
      rec->Helper("fill_and_drain", (R"C(/* Fills the stream with non-blocking writes of `chunk` bytes until EAGAIN,
   then drains it with non-blocking reads and checks every byte. Byte p of
   what it holds is pattern_byte(held_first + p) for the `held` bytes there
   before, pattern_byte(fill_first + p) for the bytes the fill wrote. */
static void fill_and_drain(size_t chunk, uint32_t held_first, size_t held, uint32_t fill_first,
                           size_t guaranteed, size_t capacity, size_t atomic) {
  size_t total = held, whole = 0, done = 0, p;
  unsigned char *got;
  ssize_t r;
  for (;;) {
    r = stream_io(wfd, 1, pattern(fill_first + (uint32_t)total, chunk), chunk, 1);
    if (r < 0) {
      if (errno != EAGAIN)
        broken(PROMISE_FULL, "non-blocking write into a filling stream failed with %s, not EAGAIN",
               strerror(errno));
      break;
    }
    if (chunk <= atomic && (size_t)r != chunk)
      broken(PROMISE_ATOMIC, "non-blocking write of %zu bytes (at most PIPE_BUF) wrote %zd", chunk, r);
    if (r == 0)
      broken(PROMISE_FULL, "non-blocking write of %zu bytes returned 0: neither wrote nor failed EAGAIN",
             chunk);
    if ((size_t)r == chunk) ++whole;
    total += (size_t)r;
    if (total > 8u * 1024 * 1024)
      broken(PROMISE_FULL, "non-blocking writes never reported a full stream (EAGAIN) after %zu bytes",
             total);
  }
  if (whole < guaranteed)
    broken(PROMISE_FULL, "EAGAIN after only %zu whole writes of %zu bytes; the stream had room for at least %zu",
           whole, chunk, guaranteed);
  if (capacity > 0 && total > capacity)
    broken(PROMISE_FULL, "the stream took %zu bytes, more than its capacity F_GETPIPE_SZ = %zu", total,
           capacity);
  got = malloc(total + 1);
  if (got == NULL) setup_failed("malloc");
  while (done < total) {
    r = stream_io(rfd, 0, got + done, total + 1 - done, 1);
    if (r <= 0)
      broken(PROMISE_ORDER, "draining a full stream: read after %zu of %zu bytes gave %s", done, total,
             r == 0 ? "0 (end of file)" : strerror(errno));
    done += (size_t)r;
    if (done > total) broken(PROMISE_ORDER, "draining returned more bytes than were written");
  }
  for (p = 0; p < total; ++p) {
    unsigned char want = p < held ? pattern_byte(held_first + (uint32_t)p)
                                  : pattern_byte(fill_first + (uint32_t)p);
    if (got[p] != want)
      broken(PROMISE_ORDER, "draining a full stream: byte %zu of %zu is 0x%02x, expected 0x%02x: data lost or duplicated",
             p, total, got[p], want);
  }
  free(got);
  r = stream_io(rfd, 0, rbuf, 1, 1);
  if (r >= 0 || errno != EAGAIN)
    broken(PROMISE_EAGAIN, "non-blocking read of the drained stream (writer open) gave %s; expected EAGAIN",
           r == 0 ? "0 (end of file)" : r > 0 ? "data" : strerror(errno));
}
)C"));
      std::ostringstream t, c;
      show(t);
      c << "fill_and_drain(" << U(chunk) << ", "
        << m.next_byte - static_cast<uint32_t>(m.data.size()) << "u, " << U(m.data.size())
        << ", " << base << "u,\n               " << U(guaranteed) << ", "
        << U(sut.s.reported_capacity) << ", " << U(m.atomic) << ");\n";
      rec->Step(t.str(), c.str(), "non-blocking writes and reads return at once");
    }
    size_t limit_bytes = 8 * 1024 * 1024;
    size_t whole = 0;
    for (;;) {
      std::vector<uint8_t> bytes = Pattern(base + static_cast<uint32_t>(expect.size()), chunk);
      auto res = w.Write(bytes.data(), chunk, Blocking::kNonBlock);
      if (!res.ok()) {
        if (res.errno_value() != EAGAIN) {
          RC_FAIL("non-blocking write into a filling stream: expected success or EAGAIN, got " +
                  res.error().ToString());
        }
        break;
      }
      if (chunk <= m.atomic && res.value() != chunk) {
        RC_FAIL("non-blocking write of " + std::to_string(chunk) +
                " bytes (<= PIPE_BUF) wrote " + std::to_string(res.value()) +
                " (man 7 pipe: \"If there is room to write n bytes ... writing all n bytes; "
                "otherwise write(2) fails, with errno set to EAGAIN\")");
      }
      if (res.value() == 0) {
        RC_FAIL("non-blocking write of " + std::to_string(chunk) +
                " bytes returned 0: neither wrote nor failed EAGAIN (man 7 pipe: a write to a "
                "full pipe with O_NONBLOCK \"fails, with errno set to EAGAIN\")");
      }
      if (res.value() == chunk) ++whole;
      expect.insert(expect.end(), bytes.begin(), bytes.begin() + static_cast<long>(res.value()));
      if (expect.size() > limit_bytes) {
        RC_FAIL("non-blocking writes never reported a full stream (EAGAIN) after " +
                std::to_string(expect.size()) + " bytes");
      }
    }
    if (whole < guaranteed) {
      RC_FAIL("EAGAIN after only " + std::to_string(whole) + " whole writes of " +
              std::to_string(chunk) + " bytes; the stream had room for at least " +
              std::to_string(guaranteed) + " (capacity " +
              std::to_string(m.units * kUnit) + " bytes when empty)");
    }
    if (sut.s.reported_capacity > 0 && expect.size() > sut.s.reported_capacity) {
      RC_FAIL("the stream took " + std::to_string(expect.size()) +
              " bytes, more than its capacity F_GETPIPE_SZ = " +
              std::to_string(sut.s.reported_capacity) + " (man 7 pipe, \"Pipe capacity\")");
    }
    std::vector<uint8_t> got(expect.size() + 1);
    size_t done = 0;
    while (done < expect.size()) {
      auto res = ReadSent(r, got.data() + done, got.size() - done, Blocking::kNonBlock, m.may_lag);
      if (!res.ok() || res.value() == 0) {
        RC_FAIL("draining a full stream: read after " + std::to_string(done) + " of " +
                std::to_string(expect.size()) + " bytes gave " +
                (res.ok() ? std::string("0 (EOF)") : res.error().ToString()));
      }
      done += res.value();
      if (done > expect.size()) RC_FAIL("draining returned more bytes than were written");
    }
    for (size_t i = 0; i < expect.size(); ++i) {
      if (got[i] != expect[i]) {
        RC_FAIL("draining a full stream: byte " + std::to_string(i) + " of " +
                std::to_string(expect.size()) + " differs: data lost or duplicated");
      }
    }
    auto empty = r.Read(got.data(), 1, Blocking::kNonBlock);
    if (empty.ok() || empty.errno_value() != EAGAIN) {
      RC_FAIL("non-blocking read of the drained stream (writer open): expected EAGAIN, got " +
              (empty.ok() ? std::to_string(empty.value()) : empty.error().ToString()));
    }
  }
  void show(std::ostream& os) const override {
    os << "fill(non-blocking writes of " << chunk << " bytes until EAGAIN), then drain";
  }
};

constexpr const char* kModelSequencesCites =
    "man 7 pipe \"I/O on pipes and FIFOs\" (order, EOF, SIGPIPE/EPIPE, EAGAIN) and "
    "\"PIPE_BUF\"; man 2 read, man 2 write (EAGAIN); man 7 unix for sockets";

// SIGPIPE stays blocked for a property run; any left is dropped at the end.
using SigpipeBlocked = ScopedBlockSigpipe;

PropertyOutcome ModelSequences(const ByteStreamKind& kind) {
  SigpipeBlocked guard;
  std::vector<CoverageMinimum> minimums = {{kFilledAndDrained, 10}, {kReadSawEof, 5}};
  if (kind.caps.fork_shares_ends) minimums.push_back({kWriterForked, 20});
  Coverage cov("ModelSequences", kModelSequencesCites, minimums);
  return cov.Judge(RunProperty(CurrentTestId(), repro::Recorded([&kind, &cov] {
    Coverage::Case counted(cov);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    if (auto* rec = repro::Active()) StreamPrelude(*rec);
    StreamSut sut{&kind, std::move(opened).ValueOrDie(), {}};
    StreamModel m0;
    size_t capacity = kind.caps.empty_capacity;
    if (sut.s.reported_capacity > 0) capacity = std::min(capacity, sut.s.reported_capacity);
    m0.units = capacity / kUnit;
    m0.atomic = kind.caps.atomic_write;
    m0.sigpipe = kind.caps.sigpipe_on_broken;
    m0.epipe_delayed = kind.caps.epipe_may_be_delayed;
    m0.may_lag = kind.caps.delivery_may_lag;
    m0.forkable = kind.caps.fork_shares_ends;
    rc::state::check(m0, sut,
                     // Weights by repetition: forked writers and the
                     // close of the parent's write end come often enough that
                     // "EOF only when the LAST writer closed" is exercised.
                     rc::state::gen::execOneOfWithArgs<
                         Write, Write, Write, Read, Read, Read, Read, CloseWriter, CloseWriter,
                         CloseReader, ForkWriter, ForkWriter, ChildWrite, ChildWrite, ChildExit,
                         FillAndDrain>());
  })));
}

// ---------------------------------------------------------------------------
// Concurrent writers: several processes write records of at most the atomic
// size at once; the reader must find every record whole and each writer's
// records in order (man 7 pipe, "PIPE_BUF").

struct Record {
  uint8_t writer;
  uint16_t seq;
  uint16_t size;
};

uint8_t RecordByte(uint8_t writer, uint16_t seq, size_t i) {
  return static_cast<uint8_t>(writer * 37 + seq * 11 + i * 3 + 1);
}

void FillRecord(uint8_t writer, uint16_t seq, uint16_t size, uint8_t* out) {
  out[0] = writer;
  out[1] = static_cast<uint8_t>(seq >> 8);
  out[2] = static_cast<uint8_t>(seq);
  for (size_t i = 3; i < size; ++i) out[i] = RecordByte(writer, seq, i);
}

// Waits for the end's fd to be ready, for a Kind whose ends are non-blocking.
bool WaitReady(const StreamEnd& e, short events, const Deadline& d) {
  if (e.fd() < 0) return true;
  struct pollfd p = {e.fd(), events, 0};
  return poll(&p, 1, d.RemainingMs()) > 0;
}

// The whole case as one C step: the writers forked at once, the parent
// reading to the end of file, then every record checked.
void RecordConcurrentWriters(repro::Recording& rec, const std::vector<std::vector<uint16_t>>& sizes,
                             size_t atomic, bool nb) {
  StreamPrelude(rec);
  rec.Include("<poll.h>");
  rec.Helper("concurrent_writers", R"C(/* Writer w forks and writes its records (sizes[w][q] bytes each: byte 0 is w,
   bytes 1-2 the record's number q, the rest record_byte(w, q, i)) with one
   write(2) each; the parent keeps only the read end and reads to the end of
   file. Every record must come out whole, each writer's in order. */
static unsigned char record_byte(int w, int q, size_t i) { return (unsigned char)(w * 37 + q * 11 + i * 3 + 1); }
static void concurrent_writers(int writers, const unsigned short *const *sizes, const size_t *counts,
                               size_t atomic, int nb) {
  pid_t pids[8];
  size_t total = 0, got = 0, pos = 0, next[8] = {0};
  unsigned char *all, rec[65536];
  int w, st;
  for (w = 0; w < writers; ++w) {
    size_t q;
    for (q = 0; q < counts[w]; ++q) total += sizes[w][q];
  }
  for (w = 0; w < writers; ++w) {
    pids[w] = fork();
    if (pids[w] < 0) setup_failed("fork");
    if (pids[w] == 0) {
      size_t q, i;
      in_child = 1;
      close(rfd);
      for (q = 0; q < counts[w]; ++q) {
        size_t n = sizes[w][q];
        rec[0] = (unsigned char)w;
        rec[1] = (unsigned char)(q >> 8);
        rec[2] = (unsigned char)q;
        for (i = 3; i < n; ++i) rec[i] = record_byte(w, (int)q, i);
        for (;;) {
          ssize_t r = stream_io(wfd, 1, rec, n, nb);
          if (r >= 0) {
            if ((size_t)r != n) _exit(n <= atomic ? 3 : 4); /* split */
            break;
          }
          if (errno == EINTR) continue;
          if (errno == EAGAIN && nb) {
            struct pollfd p = {wfd, POLLOUT, 0};
            poll(&p, 1, -1);
            continue;
          }
          _exit(4);
        }
      }
      _exit(0);
    }
  }
  close(wfd);
  wfd = -1;
  all = malloc(total + 65536);
  if (all == NULL) setup_failed("malloc");
  for (;;) {
    ssize_t r = stream_io(rfd, 0, all + got, 65536, nb);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN && nb) {
        struct pollfd p = {rfd, POLLIN, 0};
        poll(&p, 1, -1);
        continue;
      }
      broken(PROMISE_ORDER, "read of the writers' records failed: %s", strerror(errno));
    }
    if (r == 0) break;
    got += (size_t)r;
    if (got > total) broken(PROMISE_ORDER, "read %zu bytes, more than the %zu the writers wrote", got, total);
  }
  for (w = 0; w < writers; ++w) {
    while (waitpid(pids[w], &st, 0) < 0) {
      if (errno != EINTR) setup_failed("waitpid");
    }
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3)
      broken(PROMISE_ATOMIC, "writer %d: a write of at most PIPE_BUF bytes was split", w);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      broken(PROMISE_ROOM, "writer %d: a write failed (wait status 0x%x)", w, st);
  }
  if (got != total) broken(PROMISE_ORDER, "got %zu bytes, the writers wrote %zu", got, total);
  while (pos < got) {
    int wi = all[pos], seq;
    size_t size, i;
    if (pos + 3 > got || wi >= writers)
      broken(PROMISE_ATOMIC, "at byte %zu: not the start of a record: writes were interleaved", pos);
    seq = (all[pos + 1] << 8) | all[pos + 2];
    if ((size_t)seq != next[wi] || (size_t)seq >= counts[wi])
      broken(PROMISE_ATOMIC, "at byte %zu: writer %d's record %d where record %zu was due: torn or reordered writes",
             pos, wi, seq, next[wi]);
    size = sizes[wi][seq];
    if (pos + size > got) broken(PROMISE_ATOMIC, "a record runs past the end of the data");
    for (i = 3; i < size; ++i)
      if (all[pos + i] != record_byte(wi, seq, i))
        broken(PROMISE_ATOMIC, "writer %d's record %d (%zu bytes) is torn at byte %zu: another write landed inside it",
               wi, seq, size, i);
    ++next[wi];
    pos += size;
  }
  free(all);
}
)C");
  std::ostringstream c, t;
  c << "{\n";
  for (size_t w = 0; w < sizes.size(); ++w) {
    c << "  static const unsigned short s" << w << "[] = {";
    for (size_t q = 0; q < sizes[w].size(); ++q) c << (q ? ", " : "") << sizes[w][q];
    c << "};\n";
  }
  c << "  static const unsigned short *const sizes[] = {";
  for (size_t w = 0; w < sizes.size(); ++w) c << (w ? ", " : "") << "s" << w;
  c << "};\n  static const size_t counts[] = {";
  for (size_t w = 0; w < sizes.size(); ++w) c << (w ? ", " : "") << sizes[w].size() << "u";
  c << "};\n  concurrent_writers(" << sizes.size() << ", sizes, counts, " << U(atomic) << ", "
    << (nb ? 1 : 0) << ");\n}\n";
  t << sizes.size() << " writers at once (records of at most PIPE_BUF bytes), the parent reads "
    << "to the end of file";
  rec.Step(t.str(), c.str(), "the writers finish and the reader sees the end of file");
}

PropertyOutcome ConcurrentWritersAreAtomic(const ByteStreamKind& kind) {
  SigpipeBlocked guard;
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    const size_t atomic = kind.caps.atomic_write;
    const bool nb = kind.caps.nonblocking_by_default;
    const Blocking mode = nb ? Blocking::kNonBlock : Blocking::kBlock;
    int writers = *rc::gen::inRange(2, 5);
    std::vector<std::vector<uint16_t>> sizes(static_cast<size_t>(writers));
    for (auto& s : sizes) {
      int count = *rc::gen::inRange(1, 40);
      auto size_gen = rc::gen::weightedOneOf<uint16_t>(
          {{2, rc::gen::inRange<uint16_t>(4, 64)},
           {2, rc::gen::inRange<uint16_t>(4, static_cast<uint16_t>(atomic + 1))},
           {1, rc::gen::just(static_cast<uint16_t>(atomic))}});
      s = *rc::gen::container<std::vector<uint16_t>>(static_cast<size_t>(count), size_gen);
    }
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    if (auto* rec = repro::Active()) RecordConcurrentWriters(*rec, sizes, atomic, nb);
    ByteStream s = std::move(opened).ValueOrDie();
    // The writers start together (a checkpoint the parent raises once every
    // one is forked), so that their writes overlap in time: forked one after
    // the other, each could finish before the next runs, and writes that are
    // not atomic would go unseen.
    auto start = Checkpoint::Create();
    if (!start.ok()) RC_FAIL("checkpoint: " + start.error().ToString());
    const Checkpoint& go = start.value();
    std::vector<Child> children;
    for (int wi = 0; wi < writers; ++wi) {
      const auto& my = sizes[static_cast<size_t>(wi)];
      auto c = Child::Fork([&, wi]() -> int {
        (void)s.reader->Close();
        std::vector<uint8_t> rec(atomic);
        Deadline d = Deadline::Default();
        if (!go.WaitFor(1, d).ok()) return 5;  // never told to start
        for (size_t q = 0; q < my.size(); ++q) {
          FillRecord(static_cast<uint8_t>(wi), static_cast<uint16_t>(q), my[q], rec.data());
          for (;;) {
            auto w = s.writer->Write(rec.data(), my[q], mode);
            if (w.ok()) {
              if (w.value() != my[q]) return 3;  // split
              break;
            }
            if (w.errno_value() == EINTR) continue;
            if (w.errno_value() == EAGAIN && nb && WaitReady(*s.writer, POLLOUT, d)) continue;
            return 4;
          }
        }
        return 0;
      });
      if (!c.ok()) RC_FAIL("fork: " + c.error().ToString());
      children.push_back(std::move(c).ValueOrDie());
    }
    // The parent keeps only the read end, so EOF comes when all children end.
    RC_ASSERT(s.writer->Close().ok());
    start.value().Signal(1);
    size_t total = 0;
    for (const auto& v : sizes) {
      for (uint16_t n : v) total += n;
    }
    std::vector<uint8_t> got;
    got.reserve(total);
    std::vector<uint8_t> buf(65536);
    Deadline d = Deadline::Default();
    for (;;) {
      Watchdog dog(d);
      auto r = s.reader->Read(buf.data(), buf.size(), mode);
      if (!r.ok()) {
        if (r.errno_value() == EINTR && dog.fired()) {
          RC_FAIL("reading the writers' records passed the deadline");
        }
        if (r.errno_value() == EINTR) continue;
        if (r.errno_value() == EAGAIN && nb && WaitReady(*s.reader, POLLIN, d)) continue;
        RC_FAIL("read: " + r.error().ToString());
      }
      if (r.value() == 0) break;
      got.insert(got.end(), buf.begin(), buf.begin() + static_cast<long>(r.value()));
      if (got.size() > total) RC_FAIL("read more bytes than the writers wrote");
    }
    for (size_t wi = 0; wi < children.size(); ++wi) {
      auto st = children[wi].Wait();
      if (!st.ok()) RC_FAIL("writer " + std::to_string(wi) + ": " + st.error().ToString());
      if (!st.value().ExitedWith(0)) {
        RC_FAIL("writer " + std::to_string(wi) + " " + st.value().ToString() +
                (st.value().ExitedWith(3)   ? " (a write of at most PIPE_BUF bytes was split)"
                 : st.value().ExitedWith(5) ? " (never told to start: the checkpoint passed its deadline)"
                                            : ""));
      }
    }
    if (got.size() != total) {
      RC_FAIL("got " + std::to_string(got.size()) + " bytes, the writers wrote " +
              std::to_string(total));
    }
    // Parse: every record whole, each writer's records in order.
    std::vector<size_t> next(static_cast<size_t>(writers), 0);
    size_t pos = 0;
    while (pos < got.size()) {
      uint8_t wi = got[pos];
      if (pos + 3 > got.size() || wi >= writers) {
        RC_FAIL("at byte " + std::to_string(pos) +
                ": not the start of a record: writes were interleaved below PIPE_BUF "
                "(man 7 pipe: \"writes of less than PIPE_BUF bytes must be atomic\")");
      }
      uint16_t seq = static_cast<uint16_t>((got[pos + 1] << 8) | got[pos + 2]);
      if (seq != next[wi] || seq >= sizes[wi].size()) {
        RC_FAIL("at byte " + std::to_string(pos) + ": writer " + std::to_string(wi) +
                "'s record " + std::to_string(seq) + " where record " +
                std::to_string(next[wi]) + " was due: torn or reordered writes");
      }
      uint16_t size = sizes[wi][seq];
      if (pos + size > got.size()) RC_FAIL("a record runs past the end of the data");
      for (size_t i = 3; i < size; ++i) {
        if (got[pos + i] != RecordByte(wi, seq, i)) {
          RC_FAIL("writer " + std::to_string(wi) + "'s record " + std::to_string(seq) + " (" +
                  std::to_string(size) + " bytes) is torn at byte " + std::to_string(i) +
                  ": another write landed inside it (man 7 pipe: writes of at most PIPE_BUF "
                  "bytes \"must be atomic: the output data is written to the pipe as a "
                  "contiguous sequence\")");
        }
      }
      ++next[wi];
      pos += size;
    }
  }));
}

std::optional<std::string> NeedsAtomicAndFork(const ByteStreamKind& k) {
  if (k.caps.atomic_write == 0) return "promises no atomic write size";
  if (!k.caps.fork_shares_ends) return "its ends cannot be shared with a forked writer";
  return std::nullopt;
}

}  // namespace

const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamProperties() {
  static const auto* props = new std::vector<SuiteProperty<ByteStreamInterface>>{
      {"ModelSequences", kModelSequencesCites,
       nullptr, ModelSequences},
      {"ConcurrentWritersAreAtomic",
       "man 7 pipe \"PIPE_BUF\": \"POSIX.1 says that writes of less than PIPE_BUF bytes must "
       "be atomic: the output data is written to the pipe as a contiguous sequence\"",
       NeedsAtomicAndFork, ConcurrentWritersAreAtomic},
  };
  return *props;
}

}  // namespace ipcspec
