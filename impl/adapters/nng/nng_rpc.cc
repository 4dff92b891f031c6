// nng req/rep over ipc:// as an Rpc Kind (impl/api/rpc.h).
//
// The server is a forked process with a rep0 socket listening on a unique
// ipc:// path; each client is a req0 socket dialed to it. A request is one
// nng message [u32 id][u32 method][arguments], a reply one message
// [u32 id][u32 status][payload] (little-endian). nng frames the messages
// itself (the SP protocol over ipc://), so there is no raw connection for
// the suite's malformed frames (RpcCaps::raw_connection = false).
//
// The server is forked from a process that has not started nng (the Rpc
// properties' process never opens an nng socket itself), so nng's threads
// start fresh in the server and in each forked client.
#include <fcntl.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>

#include "impl/adapters/nng/nng_util.h"
#include "impl/api/rpc.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"

namespace ipcspec {
namespace {

constexpr size_t kMaxArgs = 65536;

void PutU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint32_t GetU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

// Sends the reply [id][status][payload]. Failures are the client's problem
// (it times out): the server goes on.
void Reply(nng_socket s, uint32_t id, uint32_t status, const uint8_t* payload, size_t n) {
  nng_msg* r;
  if (nng_msg_alloc(&r, 8 + n) != 0) return;
  uint8_t* b = static_cast<uint8_t*>(nng_msg_body(r));
  PutU32(b, id);
  PutU32(b + 4, status);
  if (n) std::memcpy(b + 8, payload, n);
  if (nng_sendmsg(s, r, 0) != 0) nng_msg_free(r);
}

// The server process: returns only on an error (its exit code).
int ServerMain(const std::string& url, int ready_fd, int hold_fd) {
  nng_socket s;
  if (nng_rep0_open(&s) != 0) return 10;
  if (nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 8 + kMaxArgs) != 0) return 11;
  if (nng_listen(s, url.c_str(), nullptr, 0) != 0) return 12;
  char ok = 'r';
  if (write(ready_fd, &ok, 1) != 1) return 13;
  close(ready_fd);
  for (;;) {
    nng_msg* m;
    int rv = nng_recvmsg(s, &m, 0);
    if (rv == NNG_ECLOSED) return 14;
    if (rv != 0) continue;
    size_t len = nng_msg_len(m);
    const uint8_t* b = static_cast<const uint8_t*>(nng_msg_body(m));
    if (len < 8) {
      Reply(s, len >= 4 ? GetU32(b) : 0, kRpcMalformed, nullptr, 0);
      nng_msg_free(m);
      continue;
    }
    uint32_t id = GetU32(b);
    uint32_t method = GetU32(b + 4);
    const uint8_t* args = b + 8;
    size_t nargs = len - 8;
    switch (method) {
      case kRpcEcho:
        Reply(s, id, kRpcOk, args, nargs);
        break;
      case kRpcSum: {
        if (nargs % 4 != 0) {
          Reply(s, id, kRpcMalformed, nullptr, 0);
          break;
        }
        uint64_t sum = 0;
        for (size_t i = 0; i < nargs; i += 4) sum += GetU32(args + i);
        uint8_t r[8];
        for (int i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sum >> (8 * i));
        Reply(s, id, kRpcOk, r, 8);
        break;
      }
      case kRpcHold: {
        // Never replies: blocks in read(2) on a pipe whose write end this
        // process holds and never writes, until the server is killed.
        char c;
        while (read(hold_fd, &c, 1) != 0) {
        }
        break;
      }
      default:
        Reply(s, id, kRpcNoSuchMethod, nullptr, 0);
        break;
    }
    nng_msg_free(m);
  }
}

class NngRpcClient : public RpcClient {
 public:
  explicit NngRpcClient(nng_socket s) : s_(s) {}
  ~NngRpcClient() override { nng_close(s_); }

  PosixErrorOr<RpcReply> Call(uint32_t method, const std::vector<uint8_t>& args,
                              const Deadline& deadline) override {
    uint32_t id = next_id_++;
    int ms = deadline.RemainingMs();
    if (ms < 0) ms = 0;
    int rv;
    if ((rv = nng_socket_set_ms(s_, NNG_OPT_SENDTIMEO, ms)) != 0 ||
        (rv = nng_socket_set_ms(s_, NNG_OPT_RECVTIMEO, ms)) != 0) {
      return NngError(rv, "nng_socket_set_ms(NNG_OPT_SENDTIMEO/RECVTIMEO)");
    }
    nng_msg* m;
    if ((rv = nng_msg_alloc(&m, 8 + args.size())) != 0) return NngError(rv, "nng_msg_alloc");
    uint8_t* b = static_cast<uint8_t*>(nng_msg_body(m));
    PutU32(b, id);
    PutU32(b + 4, method);
    if (!args.empty()) std::memcpy(b + 8, args.data(), args.size());
    if ((rv = nng_sendmsg(s_, m, 0)) != 0) {
      nng_msg_free(m);
      return NngError(rv, "nng_sendmsg(request)");
    }
    nng_msg* r;
    if ((rv = nng_recvmsg(s_, &r, 0)) != 0) return NngError(rv, "nng_recvmsg(reply)");
    size_t len = nng_msg_len(r);
    const uint8_t* rb = static_cast<const uint8_t*>(nng_msg_body(r));
    if (len < 8 || GetU32(rb) != id) {
      nng_msg_free(r);
      return PosixError(EPROTO, "nng reply is not the reply to request " + std::to_string(id));
    }
    RpcReply out;
    out.status = GetU32(rb + 4);
    out.payload.assign(rb + 8, rb + len);
    nng_msg_free(r);
    return out;
  }

 private:
  nng_socket s_;
  uint32_t next_id_ = 1;
};

PosixErrorOr<std::unique_ptr<RpcClient>> Connect(const std::string& url) {
  nng_socket s;
  int rv = nng_req0_open(&s);
  if (rv != 0) return NngError(rv, "nng_req0_open");
  if ((rv = nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, 8 + kMaxArgs)) != 0 ||
      (rv = nng_dial(s, url.c_str(), nullptr, 0)) != 0) {
    nng_close(s);
    return NngError(rv, "nng_dial(" + url + ")");
  }
  return std::unique_ptr<RpcClient>(std::make_unique<NngRpcClient>(s));
}

PosixErrorOr<RpcServer> StartServer() {
  std::string path = NngIpcPath("r");
  std::string url = "ipc://" + path;
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2(ready)");
  FileDescriptor ready_r(ready[0]), ready_w(ready[1]);
  if (pipe2(hold, O_CLOEXEC) != 0) return ErrnoError("pipe2(hold)");
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);
  int rfd = ready_w.get(), hfd = hold_r.get();
  auto child = Child::Fork([url, rfd, hfd]() { return ServerMain(url, rfd, hfd); });
  if (!child.ok()) return child.error();
  auto owned = std::make_shared<Child>(std::move(child).ValueOrDie());
  ready_w.reset();
  hold_r.reset();
  hold_w.reset();
  // Wait for the listener (a byte on the ready pipe), with a deadline.
  Deadline d = Deadline::Default();
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, d.RemainingMs());
  } while (n < 0 && errno == EINTR);
  char c;
  if (n <= 0 || read(ready_r.get(), &c, 1) != 1) {
    auto st = owned->Wait(Deadline::In(std::chrono::milliseconds(100)));
    (void)unlink(path.c_str());
    return PosixError(EIO, "the nng rep server did not start listening on " + url +
                               (st.ok() ? ": it " + st.value().ToString() : std::string()));
  }
  RpcServer s;
  s.pid = owned->pid();
  s.connect = [url]() { return Connect(url); };
  s.connect_raw = []() -> PosixErrorOr<int> {
    return PosixError(ENOTSUP, "nng frames its messages itself: no raw connection");
  };
  s.owner = std::make_shared<Cleanup>([owned, path]() mutable {
    owned.reset();  // SIGKILL and reap
    (void)unlink(path.c_str());  // a killed listener leaves its socket file
  });
  return s;
}

RpcKind NngRpcKind() {
  RpcCaps caps;
  caps.max_args = kMaxArgs;
  caps.raw_connection = false;
  RpcKind k{"nng_reqrep_ipc", "rpc", "nng req0 clients, a rep0 server, over ipc://", caps,
            StartServer};
  k.library = "nng";
  // Its Kind cannot print itself as C (impl/repro): a reproducer would need the
  // library, not only libc.
  k.c.why_not = "an external library";
  return k;
}

IPCSPEC_REGISTER_KIND(RpcInterface, NngRpcKind());

}  // namespace
}  // namespace ipcspec
