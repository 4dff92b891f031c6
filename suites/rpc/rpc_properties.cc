#include "suites/rpc/rpc_properties.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

struct Call {
  uint32_t method;  // kRpcEcho or kRpcSum
  std::vector<uint8_t> args;
};

std::vector<uint8_t> Expected(const Call& c) {
  if (c.method == kRpcEcho) return c.args;
  uint64_t sum = 0;
  for (size_t i = 0; i + 3 < c.args.size(); i += 4) {
    sum += static_cast<uint32_t>(c.args[i]) | (static_cast<uint32_t>(c.args[i + 1]) << 8) |
           (static_cast<uint32_t>(c.args[i + 2]) << 16) |
           (static_cast<uint32_t>(c.args[i + 3]) << 24);
  }
  std::vector<uint8_t> r(8);
  for (int i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sum >> (8 * i));
  return r;
}

rc::Gen<Call> GenCall() {
  return rc::gen::apply(
      [](bool echo, std::vector<uint8_t> args) {
        if (!echo) args.resize(args.size() / 4 * 4);
        return Call{echo ? kRpcEcho : kRpcSum, std::move(args)};
      },
      rc::gen::arbitrary<bool>(),
      rc::gen::weightedOneOf<std::vector<uint8_t>>(
          {{4, rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>())},
           {1, rc::gen::mapcat(rc::gen::inRange<size_t>(1, 20000), [](size_t n) {
              return rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
            })}}));
}

// ---------------------------------------------------------------------------
// The steps as C (impl/repro), for the Kinds that print themselves (the
// reference unix_*_rpc: their setup leaves `rpc_listen_fd`, `rpc_hold`,
// `rpc_addr`, `rpc_type`). The server process becomes fork() with its serving
// loop as C (rpc_serve: the same poll loop and wire format as
// impl/rpc/unix_rpc.cc), bounded: it ends when the parent closes its control
// pipe, also when the parent dies. A client process is a forked child that
// connects, says so, waits for the start, makes its calls and checks each
// reply; the parent waits for all of them at once (rpc_await_clients), so the
// first broken promise ends the run.

using repro::Lit;

constexpr const char* kReplyPromise =
    "every reply is the reply to its own request, also with several concurrent clients "
    "(impl/api/rpc.h: kEcho replies with the arguments, kSum with their sum as a uint64)";
constexpr const char* kMalformedPromise =
    "a malformed or truncated request gets an error reply (status kRpcMalformed = 1), and the "
    "server keeps serving (impl/rpc/unix_rpc.h)";

constexpr const char* kDeathPromise =
    "a server killed during a call gives the client an error, never a hang and never a reply "
    "(man 7 unix: the peer's close is seen as end of file / ECONNRESET)";

void RpcReproPrelude(repro::Recording& rec) {
  rec.Include("<poll.h>");
  rec.Include("<sys/socket.h>");
  rec.Include("<sched.h>");
  rec.Include("<sys/syscall.h>");
  rec.Helper("rpc_helpers", std::string("#define REPLY_PROMISE ") + Lit(kReplyPromise) +
                                "\n#define MALFORMED_PROMISE " + Lit(kMalformedPromise) +
                                "\n#define DEATH_PROMISE " + Lit(kDeathPromise) + "\n" +
                                R"C(
/* The wire format (impl/rpc/unix_rpc.h), little-endian uint32s:
   request [length][id][method][args...], reply [length][id][status][payload...],
   length = 8 + the arguments (the payload). */
#define RPC_MAX_ARGS 65536
#define RPC_FRAME_MAX (12 + RPC_MAX_ARGS)
#define RPC_MAX_CONNS 32
enum { RPC_ECHO = 1, RPC_SUM = 2, RPC_HOLD = 3 };
enum { RPC_OK = 0, RPC_MALFORMED = 1, RPC_NO_SUCH_METHOD = 2 };

static void put_u32(unsigned char *p, uint32_t v) {
  int i;
  for (i = 0; i < 4; ++i) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static int send_all(int fd, const unsigned char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return 0;
    p += w;
    n -= (size_t)w;
  }
  return 1;
}

/* ---- The server process ---- */
static void rpc_reply(int fd, uint32_t id, uint32_t status, const unsigned char *payload,
                      size_t n, unsigned char *out) {
  put_u32(out, (uint32_t)(8 + n));
  put_u32(out + 4, id);
  put_u32(out + 8, status);
  if (n) memcpy(out + 12, payload, n);
  (void)send_all(fd, out, 12 + n);
}

/* One whole request frame; returns 0 to close the connection. */
static int rpc_handle(int fd, const unsigned char *f, size_t len, unsigned char *out) {
  uint32_t id = get_u32(f + 4), method = get_u32(f + 8);
  const unsigned char *args = f + 12;
  size_t nargs = len - 8, i;
  switch (method) {
    case RPC_ECHO:
      rpc_reply(fd, id, RPC_OK, args, nargs, out);
      return 1;
    case RPC_SUM: {
      uint64_t sum = 0;
      unsigned char r[8];
      int k;
      if (nargs % 4 != 0) {
        rpc_reply(fd, id, RPC_MALFORMED, NULL, 0, out);
        return 1;
      }
      for (i = 0; i < nargs; i += 4) sum += get_u32(args + i);
      for (k = 0; k < 8; ++k) r[k] = (unsigned char)(sum >> (8 * k));
      rpc_reply(fd, id, RPC_OK, r, 8, out);
      return 1;
    }
    case RPC_HOLD: {  /* never replies: blocks until the server is killed */
      char c;
      while (read(rpc_hold[0], &c, 1) != 0) {
      }
      return 0;
    }
    default:
      rpc_reply(fd, id, RPC_NO_SUCH_METHOD, NULL, 0, out);
      return 1;
  }
}

/* The server: a single-threaded poll(2) loop over the listening socket and
   up to 32 connections. It exits when its control pipe `ctl` closes (the
   parent is done, or died): it never outlives the run. */
static void rpc_serve(int ctl) {
  struct { int fd; size_t have; unsigned char *buf; } c[RPC_MAX_CONNS];
  unsigned char *storage = malloc((size_t)(RPC_MAX_CONNS + 1) * RPC_FRAME_MAX), *out;
  const int packets = rpc_type == SOCK_SEQPACKET;
  int i;
  if (storage == NULL) setup_failed("malloc (server)");
  out = storage + (size_t)RPC_MAX_CONNS * RPC_FRAME_MAX;
  for (i = 0; i < RPC_MAX_CONNS; ++i) {
    c[i].fd = -1;
    c[i].have = 0;
    c[i].buf = storage + (size_t)i * RPC_FRAME_MAX;
  }
  for (;;) {
    struct pollfd p[RPC_MAX_CONNS + 2];
    int map[RPC_MAX_CONNS + 2], n = 0, k;
    p[n].fd = ctl;
    p[n].events = POLLIN;
    p[n].revents = 0;
    map[n++] = -2;
    p[n].fd = rpc_listen_fd;
    p[n].events = POLLIN;
    p[n].revents = 0;
    map[n++] = -1;
    for (i = 0; i < RPC_MAX_CONNS; ++i) {
      if (c[i].fd < 0) continue;
      p[n].fd = c[i].fd;
      p[n].events = POLLIN;
      p[n].revents = 0;
      map[n++] = i;
    }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      setup_failed("poll (server)");
    }
    for (k = 0; k < n; ++k) {
      ssize_t r;
      int close_it = 0, slot;
      if (!p[k].revents) continue;
      if (map[k] == -2) _exit(0);  /* the parent closed the control pipe */
      if (map[k] == -1) {
        int fd = accept4(rpc_listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0) continue;
        for (slot = 0; slot < RPC_MAX_CONNS && c[slot].fd >= 0; ++slot) {
        }
        if (slot == RPC_MAX_CONNS) {
          close(fd);
          continue;
        }
        c[slot].fd = fd;
        c[slot].have = 0;
        continue;
      }
      i = map[k];
      r = recv(c[i].fd, c[i].buf + c[i].have, RPC_FRAME_MAX - c[i].have, 0);
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        /* End of file in the middle of a frame: truncated. */
        if (r == 0 && c[i].have > 0)
          rpc_reply(c[i].fd, c[i].have >= 8 ? get_u32(c[i].buf + 4) : 0, RPC_MALFORMED, NULL, 0, out);
        close_it = 1;
      } else {
        c[i].have += (size_t)r;
        for (;;) {  /* every whole frame in the buffer */
          uint32_t len;
          size_t used;
          if (c[i].have < 4) {
            if (packets && c[i].have > 0) {  /* a packet too short for a header */
              rpc_reply(c[i].fd, 0, RPC_MALFORMED, NULL, 0, out);
              close_it = 1;
            }
            break;
          }
          len = get_u32(c[i].buf);
          if (len < 8 || len > RPC_FRAME_MAX - 4 || (packets && c[i].have != (size_t)len + 4)) {
            rpc_reply(c[i].fd, c[i].have >= 8 ? get_u32(c[i].buf + 4) : 0, RPC_MALFORMED, NULL, 0, out);
            close_it = 1;
            break;
          }
          if (c[i].have < (size_t)len + 4) break;  /* wait for the rest */
          if (!rpc_handle(c[i].fd, c[i].buf, len, out)) {
            close_it = 1;
            break;
          }
          used = (size_t)len + 4;
          memmove(c[i].buf, c[i].buf + used, c[i].have - used);
          c[i].have -= used;
        }
      }
      if (close_it) {
        close(c[i].fd);
        c[i].fd = -1;
        c[i].have = 0;
      }
    }
  }
}

/* ---- The clients ---- */
static int rpc_connect(const char *who) {
  int fd = socket(AF_UNIX, rpc_type | SOCK_CLOEXEC, 0);
  if (fd < 0) setup_failed("socket(AF_UNIX)");
  if (connect(fd, (struct sockaddr *)&rpc_addr, rpc_addr_len) != 0)
    broken("man 2 connect: a connection to a listening socket whose server serves is accepted",
           "%s: connect: %s", who, strerror(errno));
  return fd;
}

/* Reads one reply frame into buf (RPC_FRAME_MAX + 64 bytes): its length. */
static size_t rpc_read_reply(int fd, unsigned char *buf, const char *who) {
  const int packets = rpc_type == SOCK_SEQPACKET;
  size_t have = 0, want = packets ? RPC_FRAME_MAX + 64 : 4;
  for (;;) {
    ssize_t r = recv(fd, buf + have, want - have, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) broken(REPLY_PROMISE, "%s: recv(reply): %s", who, strerror(errno));
    if (r == 0) broken(REPLY_PROMISE, "%s: the server closed the connection during the call", who);
    have += (size_t)r;
    if (packets) {
      if (have < 12 || get_u32(buf) + 4 != have)
        broken(REPLY_PROMISE, "%s: a reply packet of %zu bytes (a frame a packet)", who, have);
      return have;
    }
    if (have == 4 && want == 4) {
      uint32_t len = get_u32(buf);
      if (len < 8 || len > 8 + RPC_MAX_ARGS) broken(REPLY_PROMISE, "%s: a reply of length %u", who, len);
      want = 4 + len;
    }
    if (have == want && want > 4) return have;
  }
}

/* One call: the reply must carry this request's id, status 0 and the
   procedure's result. */
static void rpc_call(int fd, const char *who, uint32_t id, uint32_t method,
                     const char *args_text, size_t n) {
  const unsigned char *args = (const unsigned char *)args_text;
  unsigned char *frame = malloc(12 + n), *in = malloc(RPC_FRAME_MAX + 64), sum_le[8];
  const unsigned char *expect = args;
  size_t nexpect = n, got, i;
  const char *what = method == RPC_SUM ? "kSum" : "kEcho";
  if (frame == NULL || in == NULL) setup_failed("malloc");
  put_u32(frame, (uint32_t)(8 + n));
  put_u32(frame + 4, id);
  put_u32(frame + 8, method);
  if (n) memcpy(frame + 12, args, n);
  if (!send_all(fd, frame, 12 + n))
    broken(REPLY_PROMISE, "%s: send(request %u, %s of %zu bytes): %s", who, id, what, n, strerror(errno));
  got = rpc_read_reply(fd, in, who);
  if (get_u32(in + 4) != id)
    broken(REPLY_PROMISE, "%s: request %u (%s of %zu bytes) got the reply to request %u",
           who, id, what, n, get_u32(in + 4));
  if (get_u32(in + 8) != RPC_OK)
    broken(REPLY_PROMISE, "%s: request %u (%s of %zu bytes), well formed, got status %u",
           who, id, what, n, get_u32(in + 8));
  if (method == RPC_SUM) {
    uint64_t sum = 0;
    for (i = 0; i + 3 < n; i += 4) sum += get_u32(args + i);
    for (i = 0; i < 8; ++i) sum_le[i] = (unsigned char)(sum >> (8 * i));
    expect = sum_le;
    nexpect = 8;
  }
  if (got - 12 != nexpect || (nexpect && memcmp(in + 12, expect, nexpect) != 0))
    broken(REPLY_PROMISE, "%s: request %u (%s of %zu bytes) got a %zu-byte payload that is not "
           "its result (%zu bytes)", who, id, what, n, got - 12, nexpect);
  free(frame);
  free(in);
}

/* The parent: waits until clients first..last have each finished (a byte on
   their done pipe); one that ends instead is reaped at once, so the first
   broken promise a client finds ends the run. */
static void rpc_await_clients(int first, int last) {
  int finished[MAX_CHILDREN], left = last - first + 1, i, k;
  memset(finished, 0, sizeof finished);
  while (left > 0) {
    struct pollfd p[MAX_CHILDREN];
    int idx[MAX_CHILDREN], n = 0;
    for (i = first; i <= last; ++i) {
      if (finished[i]) continue;
      p[n].fd = done_fd[i][0];
      p[n].events = POLLIN;
      p[n].revents = 0;
      idx[n++] = i;
    }
    if (poll(p, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      setup_failed("poll");
    }
    for (k = 0; k < n; ++k) {
      if (!p[k].revents) continue;
      parent_await(idx[k]);
      finished[idx[k]] = 1;
      --left;
    }
  }
}

/* ---- ServerDeathGivesAnError ---- */
/* The client's kHold call: the server blocks in it and is killed; the call
   must end with an error (end of file, ECONNRESET), never a reply. It tells
   the parent (child 1's done pipe) once the request is sent. */
static void rpc_hold_call(int fd) {
  unsigned char frame[15], b[64];
  ssize_t r;
  put_u32(frame, 11);
  put_u32(frame + 4, 7);
  put_u32(frame + 8, RPC_HOLD);
  frame[12] = 1;
  frame[13] = 2;
  frame[14] = 3;
  if (!send_all(fd, frame, sizeof frame)) setup_failed("send(the kHold request)");
  child_done(1);  /* the request is on its way */
  while ((r = recv(fd, b, sizeof b, 0)) < 0 && errno == EINTR) {
  }
  if (r > 0)
    broken(DEATH_PROMISE, "the client got %zd bytes of a reply from a server killed during the call", r);
}

/* /proc/PID/syscall's first number: the system call PID is blocked in; -1:
   running; -2: not available here. */
static long proc_syscall(pid_t pid) {
  char path[64], buf[128];
  ssize_t n;
  int fd;
  snprintf(path, sizeof path, "/proc/%ld/syscall", (long)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -2;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return -2;
  buf[n] = 0;
  if (strncmp(buf, "running", 7) == 0) return -1;
  return strtol(buf, NULL, 10);
}

/* /proc/PID/stat's state letter, and whether /proc/PID/wchan names `fn`. */
static char proc_state(pid_t pid) {
  char path[64], buf[512], *p;
  ssize_t n;
  int fd;
  snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return '?';
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0) return '?';
  buf[n] = 0;
  p = strrchr(buf, ')');
  return p != NULL && p[1] == ' ' ? p[2] : '?';
}
static int proc_wchan_is(pid_t pid, const char *fn) {
  char path[64], buf[128];
  ssize_t n;
  int fd;
  snprintf(path, sizeof path, "/proc/%ld/wchan", (long)pid);
  fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (n <= 0 || buf[0] == '0') return -1;  /* hidden */
  buf[n] = 0;
  return strcmp(buf, fn) == 0;
}

/* Waits (under the step's alarm, never a sleep) until the server is inside
   the procedure: blocked in read(2) of its hold pipe. */
static void rpc_wait_server_in_call(pid_t server) {
  for (;;) {
    long sc = proc_syscall(server);
    if (sc == SYS_read) return;
    if (sc == -2 && proc_state(server) == 'S') {
      int w = proc_wchan_is(server, "pipe_read");
      if (w != 0) return;  /* in pipe_read, or no wchan either: its state is all there is */
    }
    sched_yield();
  }
}

/* A raw connection for a malformed request (kept open until closed). */
static int rpc_raw = -1;

/* Sends the bytes of a malformed request (then, for a truncated one on a
   stream, shutdown(SHUT_WR)): the reply must be the error status. */
static void rpc_malformed(const char *bytes, size_t n, int then_shutdown, const char *what) {
  unsigned char h[12];
  size_t have = 0;
  rpc_raw = rpc_connect("a raw connection");
  if (send(rpc_raw, bytes, n, MSG_NOSIGNAL) != (ssize_t)n) setup_failed("send(the malformed request)");
  if (then_shutdown) shutdown(rpc_raw, SHUT_WR);
  while (have < sizeof h) {
    ssize_t r = recv(rpc_raw, h + have, sizeof h - have, 0);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) broken(MALFORMED_PROMISE, "malformed request (%s): recv(reply): %s", what, strerror(errno));
    if (r == 0)
      broken(MALFORMED_PROMISE, "malformed request (%s): the server closed the connection without "
             "an error reply", what);
    have += (size_t)r;
  }
  if (get_u32(h + 8) != RPC_MALFORMED)
    broken(MALFORMED_PROMISE, "malformed request (%s) got status %u, not the error status %d", what,
           get_u32(h + 8), RPC_MALFORMED);
}
)C");
}

// The server process: fork() and its loop, then the parent drops its copies
// of the listening socket and the hold pipe (as StartUnixRpcServer does).
void RecordServer(repro::Recording& rec) {
  RpcReproPrelude(rec);
  rec.Fork(0, "the server process starts: fork(); it serves in a poll(2) loop (rpc_serve)",
           "child_done(0);  /* serving */\nrpc_serve(go_fd[0][0]);  /* never returns */\n");
  rec.Step("the parent closes its copies of the listening socket and the hold pipe",
           "close(rpc_listen_fd);\nrpc_listen_fd = -1;\nclose(rpc_hold[0]);\nrpc_hold[0] = -1;\n"
           "close(rpc_hold[1]);\nrpc_hold[1] = -1;\n");
}

// Bytes as a C string literal: printable characters as they are, others as
// three-digit octal escapes, and '?' escaped too (repro::Lit leaves it, and
// random bytes can spell a trigraph such as "??(", which -Wall warns about).
std::string CBytes(const std::vector<uint8_t>& v) {
  std::string out = "\"";
  for (uint8_t c : v) {
    if (c == '"' || c == '\\' || c == '?') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20 || c >= 0x7f) {
      char b[8];
      std::snprintf(b, sizeof b, "\\%03o", c);
      out += b;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

// RepliesMatchRequests' case as C: the server, each client's calls, the start.
void RecordReplies(repro::Recording& rec, const std::vector<std::vector<Call>>& calls) {
  RecordServer(rec);
  const int clients = static_cast<int>(calls.size());
  for (int ci = 0; ci < clients; ++ci) {
    const auto& mine = calls[static_cast<size_t>(ci)];
    const std::string idx = std::to_string(ci + 1);
    const std::string who = "client " + std::to_string(ci);
    std::ostringstream c;
    c << "{\n  int fd = rpc_connect(" << Lit(who) << ");\n"
      << "  child_done(" << idx << ");   /* connected */\n"
      << "  child_await(" << idx << ");  /* the start: all clients together */\n"
      << "  step_alarm(" << Lit(who + ": its " + std::to_string(mine.size()) + " call(s)")
      << ", \"a call to a serving server gets its reply at once\");\n";
    for (size_t j = 0; j < mine.size(); ++j) {
      const Call& call = mine[j];
      c << "  rpc_call(fd, " << Lit(who) << ", " << ((static_cast<uint32_t>(ci) << 16) | j)
        << "u, " << (call.method == kRpcEcho ? "RPC_ECHO" : "RPC_SUM") << ", "
        << CBytes(call.args) << ", " << call.args.size() << "u);\n";
    }
    c << "  alarm(0);\n  close(fd);\n  child_done(" << idx << ");  /* all replies right */\n"
      << "  _exit(0);\n}\n";
    rec.Fork(ci + 1,
             who + " (a process) connects; then, at the start, makes its " +
                 std::to_string(mine.size()) + " call(s), checking each reply",
             c.str());
  }
  rec.Step("all " + std::to_string(clients) +
               " client(s) start together (their calls overlap); the parent waits for each",
           "alarm(STEP_ALARM_SECONDS + 2);  /* a client's own alarm fires first */\n"
           "{\n  int i;\n  for (i = 1; i <= " + std::to_string(clients) +
               "; ++i) parent_go(i);\n}\nrpc_await_clients(1, " + std::to_string(clients) +
               ");\n",
           "every client finishes its calls");
}


// ServerDeathGivesAnError as C: the server; a client that calls kHold; the
// server seen blocked inside the call, killed; the client's call must end.
void RecordServerDeath(repro::Recording& rec) {
  RecordServer(rec);
  rec.Fork(1, "a client (a process) connects; at the start it calls kHold (the server blocks in it)",
           "{\n  int fd = rpc_connect(\"the client\");\n"
           "  child_done(1);   /* connected */\n"
           "  child_await(1);  /* the start */\n"
           "  step_alarm(\"the client: its kHold call, during which the server is killed\",\n"
           "             \"a server killed during a call gives the client an error at once "
           "(end of file, ECONNRESET), never a hang\");\n"
           "  rpc_hold_call(fd);\n"
           "  alarm(0);\n  close(fd);\n"
           "  child_done(1);   /* the call ended without a reply */\n  _exit(0);\n}\n");
  rec.Step("the client sends its kHold request", "parent_go(1);\nparent_await(1);\n",
           "the request is sent at once");
  rec.Step("wait until the server is inside the call: blocked in read(2) of its hold pipe "
           "(/proc/PID/syscall; where it is missing, its state 'S' in pipe_read)",
           "rpc_wait_server_in_call(child_pid[0]);\n",
           "the server gets inside the kHold call");
  rec.Kill(0, SIGKILL, "kill(server, SIGKILL) while it is inside the call");
  rec.Step("the client's call ends with an error, not a reply", "parent_await(1);\n",
           "a server killed during a call gives the client an error at once, never a hang");
}

// Exit codes of a client process.
enum : int { kClientOk = 0, kWrongReply = 1, kTransport = 2, kBadStatus = 3, kNoClient = 4 };

const char* ClientVerdict(int code) {
  switch (code) {
    case kWrongReply: return "got a reply that is not the reply to its request";
    case kTransport: return "a call failed at the transport";
    case kBadStatus: return "a well-formed call got an error status";
    case kNoClient: return "could not connect";
    default: return "ended abnormally";
  }
}

PropertyOutcome RepliesMatchRequests(const RpcKind& kind) {
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    int clients = *rc::gen::inRange(1, 5);
    std::vector<std::vector<Call>> calls(static_cast<size_t>(clients));
    for (auto& c : calls) {
      c = *rc::gen::container<std::vector<Call>>(
          static_cast<size_t>(*rc::gen::inRange(1, 12)), GenCall());
    }
    if (auto* rec = repro::Active()) RecordReplies(*rec, calls);
    auto server_or = kind.Open();
    if (!server_or.ok()) RC_FAIL("starting the server: " + server_or.error().ToString());
    RpcServer server = std::move(server_or).ValueOrDie();
    auto go = Checkpoint::Create();
    RC_ASSERT(go.ok());
    // Each client says when it is done: the count of finished clients, or
    // kAnyFailed at once when one fails, so that the others (perhaps waiting
    // for a reply that went elsewhere) need not be waited for.
    constexpr uint32_t kAnyFailed = 1u << 30;
    auto done = Checkpoint::Create();
    auto finished = SharedObject<std::atomic<uint32_t>>::Create(0u);
    // Each client's verdict, written before it signals: after a failure the
    // parent names the failing client without waiting for its exit.
    struct Verdicts {
      std::atomic<int> code[4] = {{-1}, {-1}, {-1}, {-1}};
    };
    auto verdicts = SharedObject<Verdicts>::Create();
    RC_ASSERT(done.ok() && finished.ok() && verdicts.ok());
    std::vector<Child> kids;
    for (int ci = 0; ci < clients; ++ci) {
      const auto& mine = calls[static_cast<size_t>(ci)];
      auto c = Child::Fork([&]() -> int {
        auto verdict = [&](int code) {
          verdicts.value()->code[ci].store(code);
          if (code != kClientOk) {
            done.value().Signal(kAnyFailed);
          } else {
            done.value().Signal(++*finished.value());
          }
          return code;
        };
        auto client = server.connect();
        if (!client.ok()) return verdict(kNoClient);
        // Start together, so that calls really overlap.
        if (!go.value().WaitFor(1, Deadline::Default()).ok()) return verdict(kTransport);
        for (const Call& call : mine) {
          auto r = client.value()->Call(call.method, call.args, Deadline::Default());
          if (!r.ok()) return verdict(r.errno_value() == EPROTO ? kWrongReply : kTransport);
          if (r.value().status != kRpcOk) return verdict(kBadStatus);
          if (r.value().payload != Expected(call)) return verdict(kWrongReply);
        }
        return verdict(kClientOk);
      });
      if (!c.ok()) RC_FAIL("fork: " + c.error().ToString());
      kids.push_back(std::move(c).ValueOrDie());
    }
    go.value().Signal(1);
    PosixError waited = done.value().WaitFor(static_cast<uint32_t>(clients), Deadline::Default());
    if (!waited.ok()) RC_FAIL("the clients did not finish: " + waited.ToString());
    bool any_failed = done.value().stage() >= kAnyFailed;
    for (int i = 0; any_failed && i < clients; ++i) {
      const int code = verdicts.value()->code[i].load();
      if (code > kClientOk) {
        RC_FAIL("client " + std::to_string(i) + " of " + std::to_string(clients) + " " +
                ClientVerdict(code) +
                ": every reply must be the reply to its own request, also with several "
                "concurrent clients");
      }
    }
    for (size_t i = 0; i < kids.size(); ++i) {
      // After a failure the others may be stuck waiting: stop them.
      auto st = any_failed ? kids[i].Wait(Deadline::In(std::chrono::milliseconds(0)))
                           : kids[i].Wait();
      if (!st.ok()) continue;  // still running after a failure: killed by ~Child
      if (!st.value().ExitedWith(kClientOk)) {
        RC_FAIL("client " + std::to_string(i) + " of " + std::to_string(clients) + " " +
                (st.value().exited() ? ClientVerdict(st.value().exit_code())
                                     : st.value().ToString()) +
                ": every reply must be the reply to its own request, also with several "
                "concurrent clients");
      }
    }
    if (any_failed) RC_FAIL("a client failed but exited cleanly: inconsistent");
  }));
}

PropertyOutcome ServerDeathGivesAnError(const RpcKind& kind) {
  PropertyOutcome out;
  // One case of the reproducer Session (a plain check: no rapidcheck run).
  struct Case {
    repro::Session* s;
    const PropertyOutcome* out;
    ~Case() {
      if (s != nullptr) s->EndCase(!out->passed);
    }
  } one_case{repro::Session::Current(), &out};
  if (one_case.s != nullptr) one_case.s->BeginCase();
  if (auto* rec = repro::Active()) RecordServerDeath(*rec);
  auto fail = [&](const std::string& why) {
    out.passed = false;
    out.message = why + "\nA server killed during a call must give the client an error: never a "
                        "hang and never another call's reply.\n";
    return out;
  };
  auto server_or = kind.Open();
  if (!server_or.ok()) return fail("starting the server: " + server_or.error().ToString());
  RpcServer server = std::move(server_or).ValueOrDie();
  struct Result {
    std::atomic<int> connected{0};
    int done = 0;
    int err = 0;
    int got_reply = 0;
    long ms = 0;
  };
  auto res = SharedObject<Result>::Create();
  if (!res.ok()) return fail(res.error().ToString());
  Result* r = res.value().get();
  auto caller = Child::Fork([&]() -> int {
    auto client = server.connect();
    if (!client.ok()) return kNoClient;
    r->connected.store(1);
    auto t0 = std::chrono::steady_clock::now();
    // A dead peer's end of file arrives in microseconds; 1 s (scaled) is ample.
    auto reply = client.value()->Call(kRpcHold, {1, 2, 3}, Deadline::In(std::chrono::seconds(1)));
    r->ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - t0)
                                  .count());
    r->got_reply = reply.ok();
    r->err = reply.ok() ? 0 : reply.errno_value();
    r->done = 1;
    return 0;
  });
  if (!caller.ok()) return fail("fork: " + caller.error().ToString());
  // The server is inside the procedure when it sleeps in read(2) on its hold pipe.
  // Where only the process state is seen (gVisor: no /proc/PID/syscall), a
  // server asleep in accept(2) looks the same: first let the client connect
  // and block awaiting its reply, so that the request is on its way.
  if (BlockedDetection() != "state+syscall") {
    if (!PollUntil([&] { return r->connected.load() != 0; }, Deadline::Default())) {
      return fail("the client never connected");
    }
    PosixError waiting = WaitUntilBlocked(caller.value().pid(), {});
    if (!waiting.ok()) return fail("the client never waited for its reply: " + waiting.ToString());
  }
  PosixError blocked = WaitUntilBlocked(server.pid, {SYS_read});
  if (!blocked.ok()) return fail("the server never got inside the call: " + blocked.ToString());
  kill(server.pid, SIGKILL);
  auto st = caller.value().Wait();
  if (!st.ok()) return fail("the client: " + st.error().ToString());
  if (!r->done) return fail("the client " + st.value().ToString() + " before the call ended");
  if (r->got_reply) return fail("the client got a reply from a server killed during the call");
  if (r->err == ETIMEDOUT) {
    return fail("the client's call hung until its deadline (" + std::to_string(r->ms) +
                " ms) after the server died, instead of failing at once");
  }
  out.passed = true;
  out.cases = 1;
  return out;
}

// A malformed request and what the server must answer.
struct Malformed {
  std::vector<uint8_t> bytes;
  bool then_shutdown;  // half-close after sending (a truncated request)
  std::string what;
};

rc::Gen<Malformed> GenMalformed(size_t max_args, bool packets) {
  auto put = [](std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  return rc::gen::oneOf(
      // A length field below the 8 bytes of id and method.
      rc::gen::map(rc::gen::inRange<uint32_t>(0, 8),
                   [put](uint32_t len) {
                     std::vector<uint8_t> v;
                     put(v, len);
                     put(v, 7);
                     put(v, kRpcEcho);
                     return Malformed{v, false, "length " + std::to_string(len) + " < 8"};
                   }),
      // A length above the limit.
      rc::gen::map(rc::gen::inRange<uint32_t>(static_cast<uint32_t>(max_args) + 9, 0x7fffffff),
                   [put](uint32_t len) {
                     std::vector<uint8_t> v;
                     put(v, len);
                     put(v, 7);
                     put(v, kRpcEcho);
                     return Malformed{v, false, "length " + std::to_string(len) + " too large"};
                   }),
      // Truncated: the header promises more than comes before end of file
      // (for a packet transport: more than the packet holds).
      rc::gen::map(rc::gen::pair(rc::gen::inRange<uint32_t>(1, 4096), rc::gen::inRange<uint32_t>(1, 12)),
                   [put, packets](std::pair<uint32_t, uint32_t> p) {
                     std::vector<uint8_t> v;
                     put(v, 8 + p.first + p.second);
                     put(v, 9);
                     put(v, kRpcEcho);
                     v.resize(v.size() + p.first, 0xab);
                     return Malformed{v, !packets,
                                      "truncated: " + std::to_string(p.first) + " of " +
                                          std::to_string(p.first + p.second) + " argument bytes"};
                   }));
}

// Reads one reply frame header from a raw connection: its status.
PosixErrorOr<uint32_t> ReadStatus(int fd, const Deadline& d) {
  uint8_t h[12];
  size_t have = 0;
  while (have < sizeof h) {
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, d.RemainingMs());
    if (n == 0) return PosixError(ETIMEDOUT, "no reply to the malformed request by the deadline");
    if (n < 0) return ErrnoError("poll");
    ssize_t r = recv(fd, h + have, sizeof h - have, 0);
    if (r < 0) return ErrnoError("recv(reply to a malformed request)");
    if (r == 0) return PosixError(ECONNRESET, "the server closed the connection without an error reply");
    have += static_cast<size_t>(r);
  }
  return static_cast<uint32_t>(h[8]) | (static_cast<uint32_t>(h[9]) << 8) |
         (static_cast<uint32_t>(h[10]) << 16) | (static_cast<uint32_t>(h[11]) << 24);
}

PropertyOutcome MalformedRequestsGetErrorReplies(const RpcKind& kind) {
  auto server_or = kind.Open();
  if (!server_or.ok()) {
    return {false, 0, "starting the server: " + server_or.error().ToString()};
  }
  RpcServer server = std::move(server_or).ValueOrDie();
  bool packets = kind.description.find("SEQPACKET") != std::string::npos;
  return RunProperty(CurrentTestId(), repro::Recorded([&] {
    Malformed m = *GenMalformed(kind.caps.max_args, packets);
    if (auto* rec = repro::Active()) {
      // Each case as C starts its own server (the property's serves them all).
      RecordServer(*rec);
      rec->Step("a raw connection sends a malformed request (" + m.what + "): " +
                    std::to_string(m.bytes.size()) + " bytes" +
                    (m.then_shutdown ? ", then shutdown(SHUT_WR)" : "") +
                    "; the reply must be the error status",
                "rpc_malformed(" + CBytes(m.bytes) + ", " + std::to_string(m.bytes.size()) +
                    "u, " + (m.then_shutdown ? "1" : "0") + ", " + Lit(m.what) + ");\n",
                "a malformed request gets its error reply at once");
      rec->Step("the server goes on serving: a new client calls kEcho(4 5 6)",
                "{\n  int fd = rpc_connect(\"a new client\");\n"
                "  rpc_call(fd, \"a new client\", 1u, RPC_ECHO, \"\\004\\005\\006\", 3u);\n"
                "  close(fd);\n}\nclose(rpc_raw);\nrpc_raw = -1;\n",
                "a call to a serving server gets its reply at once");
    }
    auto raw = server.connect_raw();
    if (!raw.ok()) RC_FAIL("connecting (is the server still serving?): " + raw.error().ToString());
    FileDescriptor fd(raw.value());
    ssize_t sent = send(fd.get(), m.bytes.data(), m.bytes.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(m.bytes.size())) {
      RC_FAIL("sending the malformed request (" + m.what + ") failed");
    }
    if (m.then_shutdown) shutdown(fd.get(), SHUT_WR);
    auto status = ReadStatus(fd.get(), Deadline::In(std::chrono::seconds(5)));
    if (!status.ok()) {
      RC_FAIL("malformed request (" + m.what + "): " + status.error().ToString() +
              "; a malformed or truncated request must get an error reply");
    }
    if (status.value() != kRpcMalformed) {
      RC_FAIL("malformed request (" + m.what + ") got status " + std::to_string(status.value()) +
              ", not the error status " + std::to_string(kRpcMalformed));
    }
    // The server goes on serving: a well-formed call still works.
    auto client = server.connect();
    if (!client.ok()) RC_FAIL("after a malformed request the server no longer accepts: " +
                              client.error().ToString());
    auto r = client.value()->Call(kRpcEcho, {4, 5, 6}, Deadline::In(std::chrono::seconds(5)));
    if (!r.ok() || r.value().status != kRpcOk || r.value().payload != std::vector<uint8_t>{4, 5, 6}) {
      RC_FAIL("after a malformed request (" + m.what + ") the server no longer serves: " +
              (r.ok() ? "status " + std::to_string(r.value().status) : r.error().ToString()));
    }
  }));
}

}  // namespace

const std::vector<SuiteProperty<RpcInterface>>& RpcProperties() {
  static const auto* props = new std::vector<SuiteProperty<RpcInterface>>{
      {"RepliesMatchRequests",
       "every reply matches its request, also with several concurrent clients", nullptr,
       RepliesMatchRequests},
      {"ServerDeathGivesAnError",
       "a server killed during a call gives the client an error, never a hang and never "
       "another call's reply (man 7 unix: the peer's close is seen as end of file / "
       "ECONNRESET)",
       nullptr, ServerDeathGivesAnError},
      {"MalformedRequestsGetErrorReplies",
       "a malformed or truncated request gets an error reply, and the server keeps serving",
       [](const RpcKind& k) -> std::optional<std::string> {
         if (!k.caps.raw_connection) {
           return std::string("no raw connection: the transport frames messages itself");
         }
         return std::nullopt;
       },
       MalformedRequestsGetErrorReplies},
  };
  return *props;
}

}  // namespace ipcspec
