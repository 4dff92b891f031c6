#include "impl/rpc/unix_rpc.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <random>

#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"

namespace ipcspec {
namespace {

constexpr int kMaxConns = 32;

void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t GetU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// An abstract socket address (no file to remove), unique per server.
sockaddr_un AbstractAddress(const std::string& name, socklen_t* len) {
  sockaddr_un a = {};
  a.sun_family = AF_UNIX;
  a.sun_path[0] = '\0';
  std::memcpy(a.sun_path + 1, name.data(), name.size());
  *len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  return a;
}

bool SendAll(int fd, const uint8_t* p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// ---------------------------------------------------------------------------
// The server: a single-threaded poll loop in its own process. It uses only
// system calls and the buffers allocated before the fork.

struct ServerConn {
  int fd = -1;
  size_t have = 0;
  uint8_t* buf = nullptr;
};

struct ServerState {
  UnixRpcOptions opts;
  size_t frame_max;  // 4 + 8 + max_args
  std::vector<uint8_t> storage;  // kMaxConns input buffers + one reply buffer
  int hold_fd;                   // read end of a pipe nobody writes to: kHold blocks on it
};

void Reply(int fd, uint32_t id, uint32_t status, const uint8_t* payload, size_t n,
           uint8_t* out) {
  PutU32(out, static_cast<uint32_t>(8 + n));
  PutU32(out + 4, id);
  PutU32(out + 8, status);
  if (n) std::memcpy(out + 12, payload, n);
  (void)SendAll(fd, out, 12 + n);
}

// Handles one whole frame (length already checked). Returns false to close.
bool Handle(ServerState& s, int fd, const uint8_t* f, size_t len, uint8_t* out) {
  uint32_t id = GetU32(f + 4);
  uint32_t method = GetU32(f + 8);
  const uint8_t* args = f + 12;
  size_t nargs = len - 8;
  switch (method) {
    case kRpcEcho:
      Reply(fd, id, kRpcOk, args, nargs, out);
      return true;
    case kRpcSum: {
      if (nargs % 4 != 0) {
        Reply(fd, id, kRpcMalformed, nullptr, 0, out);
        return true;
      }
      uint64_t sum = 0;
      for (size_t i = 0; i < nargs; i += 4) sum += GetU32(args + i);
      uint8_t r[8];
      for (int i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sum >> (8 * i));
      Reply(fd, id, kRpcOk, r, 8, out);
      return true;
    }
    case kRpcHold: {
      char c;
      while (read(s.hold_fd, &c, 1) != 0) {
      }
      return false;
    }
    default:
      Reply(fd, id, kRpcNoSuchMethod, nullptr, 0, out);
      return true;
  }
}

int ServerMain(ServerState& s, int listen_fd) {
  ServerConn conns[kMaxConns];
  uint8_t* reply_buf = s.storage.data() + kMaxConns * s.frame_max;
  for (int i = 0; i < kMaxConns; ++i) conns[i].buf = s.storage.data() + i * s.frame_max;
  const bool packets = s.opts.socket_type == SOCK_SEQPACKET;
  for (;;) {
    struct pollfd p[kMaxConns + 1];
    int map[kMaxConns + 1];
    int n = 0;
    p[n] = {listen_fd, POLLIN, 0};
    map[n++] = -1;
    for (int i = 0; i < kMaxConns; ++i) {
      if (conns[i].fd >= 0) {
        p[n] = {conns[i].fd, POLLIN, 0};
        map[n++] = i;
      }
    }
    if (poll(p, static_cast<nfds_t>(n), -1) < 0) {
      if (errno == EINTR) continue;
      return 20;
    }
    for (int k = 0; k < n; ++k) {
      if (!p[k].revents) continue;
      if (map[k] < 0) {
        int c = accept4(listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
        if (c < 0) continue;
        int slot = -1;
        for (int i = 0; i < kMaxConns && slot < 0; ++i) {
          if (conns[i].fd < 0) slot = i;
        }
        if (slot < 0) {
          close(c);
          continue;
        }
        conns[slot].fd = c;
        conns[slot].have = 0;
        continue;
      }
      ServerConn& cn = conns[map[k]];
      ssize_t r = recv(cn.fd, cn.buf + cn.have, s.frame_max - cn.have, 0);
      bool close_it = false;
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) {
        // End of file (or an error) in the middle of a frame: truncated.
        if (r == 0 && cn.have > 0) {
          Reply(cn.fd, cn.have >= 8 ? GetU32(cn.buf + 4) : 0, kRpcMalformed, nullptr, 0,
                reply_buf);
          if (s.opts.server_exits_on_malformed) return 30;
        }
        close_it = true;
      } else {
        cn.have += static_cast<size_t>(r);
        // Handle every whole frame in the buffer.
        for (;;) {
          if (cn.have < 4) {
            if (packets && cn.have > 0) {  // a packet too short for a header
              Reply(cn.fd, 0, kRpcMalformed, nullptr, 0, reply_buf);
              if (s.opts.server_exits_on_malformed) return 30;
              close_it = true;
            }
            break;
          }
          uint32_t len = GetU32(cn.buf);
          bool bad = len < 8 || len > s.frame_max - 4 ||
                     (packets && cn.have != static_cast<size_t>(len) + 4);
          if (bad) {
            Reply(cn.fd, cn.have >= 8 ? GetU32(cn.buf + 4) : 0, kRpcMalformed, nullptr, 0,
                  reply_buf);
            if (s.opts.server_exits_on_malformed) return 30;
            close_it = true;
            break;
          }
          if (cn.have < static_cast<size_t>(len) + 4) break;  // wait for the rest
          if (!Handle(s, cn.fd, cn.buf, len, reply_buf)) {
            close_it = true;
            break;
          }
          size_t used = static_cast<size_t>(len) + 4;
          std::memmove(cn.buf, cn.buf + used, cn.have - used);
          cn.have -= used;
        }
      }
      if (close_it) {
        close(cn.fd);
        cn.fd = -1;
        cn.have = 0;
      }
    }
  }
}

// ---------------------------------------------------------------------------
// The client stub.

class UnixRpcClient : public RpcClient {
 public:
  UnixRpcClient(FileDescriptor fd, int type, bool check_ids, bool wait_past_eof)
      : fd_(std::move(fd)), type_(type), check_ids_(check_ids), wait_past_eof_(wait_past_eof) {
    // Ids unique per process, so a reply for someone else's call is visible.
    next_id_ = (static_cast<uint32_t>(getpid()) << 12) ^ 0x1000;
  }

  PosixErrorOr<RpcReply> Call(uint32_t method, const std::vector<uint8_t>& args,
                              const Deadline& deadline) override {
    uint32_t id = next_id_++;
    std::vector<uint8_t> frame = EncodeFrame(id, method, args);
    size_t off = 0;
    while (off < frame.size()) {
      IPCSPEC_RETURN_IF_ERROR(WaitFor(POLLOUT, deadline, "send"));
      ssize_t w = send(fd_.get(), frame.data() + off, frame.size() - off,
                       MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (w < 0) return ErrnoError("send(rpc request)");
      off += static_cast<size_t>(w);
    }
    std::vector<uint8_t> in;
    IPCSPEC_ASSIGN_OR_RETURN(in, ReadFrame(deadline));
    uint32_t rid = GetU32(in.data() + 4);
    if (check_ids_ && rid != id) {
      return PosixError(EPROTO, "rpc reply for request " + std::to_string(rid) +
                                    " to request " + std::to_string(id));
    }
    RpcReply r;
    r.status = GetU32(in.data() + 8);
    r.payload.assign(in.begin() + 12, in.end());
    return r;
  }

 private:
  PosixError WaitFor(short ev, const Deadline& d, const char* what) {
    for (;;) {
      struct pollfd p = {fd_.get(), ev, 0};
      int n = poll(&p, 1, d.RemainingMs());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoError(std::string("poll(rpc ") + what + ")");
      if (n == 0) return PosixError(ETIMEDOUT, std::string("rpc ") + what + " past the deadline");
      return NoError();
    }
  }

  // Reads one reply frame: [len][id][status][payload].
  PosixErrorOr<std::vector<uint8_t>> ReadFrame(const Deadline& d) {
    std::vector<uint8_t> buf(type_ == SOCK_SEQPACKET ? 12 + 65536 + 64 : 4);
    size_t have = 0;
    size_t want = type_ == SOCK_SEQPACKET ? buf.size() : 4;
    for (;;) {
      IPCSPEC_RETURN_IF_ERROR(WaitFor(POLLIN, d, "reply"));
      ssize_t r = recv(fd_.get(), buf.data() + have, want - have, MSG_DONTWAIT);
      if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (r < 0) return ErrnoError("recv(rpc reply)");
      if (r == 0) {
        if (wait_past_eof_) {
          // (Mutant behaviour: keep waiting for a reply that cannot come.)
          struct pollfd p = {-1, 0, 0};
          poll(&p, 1, d.RemainingMs());
          return PosixError(ETIMEDOUT, "rpc reply past the deadline");
        }
        return PosixError(ECONNRESET, "the rpc server closed the connection during the call");
      }
      have += static_cast<size_t>(r);
      if (type_ == SOCK_SEQPACKET) {
        if (have < 12 || GetU32(buf.data()) + 4 != have) {
          return PosixError(EPROTO, "rpc reply packet of " + std::to_string(have) + " bytes");
        }
        buf.resize(have);
        return buf;
      }
      if (have == 4 && want == 4) {
        uint32_t len = GetU32(buf.data());
        if (len < 8 || len > 8 + 65536) {
          return PosixError(EPROTO, "rpc reply length " + std::to_string(len));
        }
        want = 4 + len;
        buf.resize(want);
      }
      if (have == want && want > 4) return buf;
    }
  }

  FileDescriptor fd_;
  int type_;
  bool check_ids_;
  bool wait_past_eof_;
  uint32_t next_id_;
};

}  // namespace

std::vector<uint8_t> EncodeFrame(uint32_t id, uint32_t word, const std::vector<uint8_t>& body) {
  std::vector<uint8_t> f(12 + body.size());
  PutU32(f.data(), static_cast<uint32_t>(8 + body.size()));
  PutU32(f.data() + 4, id);
  PutU32(f.data() + 8, word);
  if (!body.empty()) std::memcpy(f.data() + 12, body.data(), body.size());
  return f;
}

std::unique_ptr<RpcClient> MakeUnixRpcClient(int fd, int type, bool check_ids,
                                             bool wait_past_eof) {
  return std::make_unique<UnixRpcClient>(FileDescriptor(fd), type, check_ids, wait_past_eof);
}

PosixErrorOr<std::unique_ptr<RpcClient>> ConnectUnixRpc(const std::string& name, int type,
                                                         bool check_ids, bool wait_past_eof) {
  FileDescriptor fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return ErrnoError("socket(AF_UNIX)");
  socklen_t len;
  sockaddr_un a = AbstractAddress(name, &len);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0) {
    return ErrnoError("connect(@" + name + ")");
  }
  return std::unique_ptr<RpcClient>(
      std::make_unique<UnixRpcClient>(std::move(fd), type, check_ids, wait_past_eof));
}

PosixErrorOr<RpcServer> StartUnixRpcServer(const UnixRpcOptions& opts) {
  static std::atomic<uint32_t> counter{0};
  std::random_device rd;
  std::string name = "ipcspec-rpc-" + std::to_string(getpid()) + "-" +
                     std::to_string(counter++) + "-" + std::to_string(rd());
  FileDescriptor lfd(socket(AF_UNIX, opts.socket_type | SOCK_CLOEXEC, 0));
  if (!lfd.valid()) return ErrnoError("socket(AF_UNIX)");
  socklen_t len;
  sockaddr_un a = AbstractAddress(name, &len);
  if (bind(lfd.get(), reinterpret_cast<sockaddr*>(&a), len) != 0) {
    return ErrnoError("bind(@" + name + ")");
  }
  if (listen(lfd.get(), 64) != 0) return ErrnoError("listen(@" + name + ")");
  int hold[2];
  if (pipe2(hold, O_CLOEXEC) != 0) return ErrnoError("pipe2(hold)");
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);

  auto state = std::make_shared<ServerState>();
  state->opts = opts;
  state->frame_max = 4 + 8 + opts.max_args;
  state->storage.assign((kMaxConns + 1) * state->frame_max, 0);  // before the fork
  state->hold_fd = hold_r.get();
  int listen_fd = lfd.get();
  // The server keeps both ends of the hold pipe: with a writer that never
  // writes, a read of it blocks until the server is killed.
  auto child = Child::Fork([state, listen_fd]() { return ServerMain(*state, listen_fd); });
  if (!child.ok()) return child.error();
  auto owned = std::make_shared<Child>(std::move(child).ValueOrDie());

  RpcServer s;
  s.pid = owned->pid();
  int type = opts.socket_type;
  s.connect = [name, type]() { return ConnectUnixRpc(name, type); };
  s.connect_raw = [name, type]() -> PosixErrorOr<int> {
    FileDescriptor fd(socket(AF_UNIX, type | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return ErrnoError("socket(AF_UNIX)");
    socklen_t l;
    sockaddr_un addr = AbstractAddress(name, &l);
    if (connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), l) != 0) {
      return ErrnoError("connect(@" + name + ")");
    }
    return fd.release();
  };
  // The listening socket and the hold pipe belong to the server process: the
  // parent closes its copies, so that a dead server refuses connections
  // (ECONNREFUSED) instead of queueing them where nobody accepts.
  lfd.reset();
  hold_r.reset();
  hold_w.reset();
  s.owner = std::make_shared<Cleanup>([owned, state]() mutable {
    owned.reset();  // SIGKILL and reap
  });
  return s;
}

namespace {

// The server's socket as C, for the reproducers (impl/repro): the listening
// socket `rpc_listen_fd` on an abstract address (`rpc_addr`, no file to
// remove) and the hold pipe `rpc_hold` (kHold blocks reading it). The server
// process itself is a step of the property (fork() and its serving loop,
// suites/rpc/rpc_properties.cc), as StartUnixRpcServer forks it.
CSnippet UnixRpcC(const char* type) {
  CSnippet c;
  c.includes = "#include <stddef.h>\n#include <sys/socket.h>\n#include <sys/un.h>\n#include <time.h>\n";
  c.globals = std::string("static const int rpc_type = ") + type +
              ";\n"
              "static int rpc_listen_fd = -1;        /* the server's listening socket */\n"
              "static int rpc_hold[2] = {-1, -1};    /* a pipe nobody writes to: kHold reads it */\n"
              "static struct sockaddr_un rpc_addr;   /* an abstract address: no file */\n"
              "static socklen_t rpc_addr_len;\n";
  c.setup = std::string(R"C({
  /* A name of its own: the pid and the clock (pids repeat across PID
     namespaces that share the network namespace), another on a clash. */
  struct timespec now;
  int attempt;
  clock_gettime(CLOCK_MONOTONIC, &now);
  rpc_listen_fd = socket(AF_UNIX, )C") + type + R"C( | SOCK_CLOEXEC, 0);
  if (rpc_listen_fd < 0) setup_failed("socket(AF_UNIX, )C" + type + R"C()");
  for (attempt = 0;; ++attempt) {
    char name[96];
    int n = snprintf(name, sizeof name, "ipcspec-repro-rpc-%ld-%ld.%09ld-%d", (long)getpid(),
                     (long)now.tv_sec, (long)now.tv_nsec, attempt);
    memset(&rpc_addr, 0, sizeof rpc_addr);
    rpc_addr.sun_family = AF_UNIX;
    memcpy(rpc_addr.sun_path + 1, name, (size_t)n);  /* sun_path[0] = 0: abstract */
    rpc_addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
    if (bind(rpc_listen_fd, (struct sockaddr *)&rpc_addr, rpc_addr_len) == 0) break;
    if (errno != EADDRINUSE || attempt == 99) setup_failed("bind(abstract address)");
  }
  if (listen(rpc_listen_fd, 64) != 0) setup_failed("listen");
  if (pipe2(rpc_hold, O_CLOEXEC) != 0) setup_failed("pipe2(hold)");
}
)C";
  c.teardown =
      "if (rpc_listen_fd >= 0) close(rpc_listen_fd);\n"
      "if (rpc_hold[0] >= 0) close(rpc_hold[0]);\n"
      "if (rpc_hold[1] >= 0) close(rpc_hold[1]);\n";
  return c;
}

RpcKind UnixRpcKind(const char* name, const char* desc, int type, const char* type_name) {
  RpcCaps caps;
  caps.max_args = 65536;
  return WithC(RpcKind{name, "rpc", desc, caps,
                       [type]() {
                         UnixRpcOptions o;
                         o.socket_type = type;
                         return StartUnixRpcServer(o);
                       }},
               UnixRpcC(type_name));
}

IPCSPEC_REGISTER_KIND(RpcInterface, UnixRpcKind("unix_stream_rpc",
                                                "framed RPC over AF_UNIX SOCK_STREAM",
                                                SOCK_STREAM, "SOCK_STREAM"));
IPCSPEC_REGISTER_KIND(RpcInterface, UnixRpcKind("unix_seqpacket_rpc",
                                                "RPC over AF_UNIX SOCK_SEQPACKET, a frame a packet",
                                                SOCK_SEQPACKET, "SOCK_SEQPACKET"));

}  // namespace
}  // namespace ipcspec
