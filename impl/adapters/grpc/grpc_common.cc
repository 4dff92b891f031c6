#include "impl/adapters/grpc/grpc_common.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <mutex>

#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"

namespace ipcspec {
namespace grpcadapter {
namespace {

// The server's procedures.
class Service final : public IpcSpec::Service {
 public:
  explicit Service(const ServerExtras& extras) : extras_(extras) {}

  grpc::Status Call(grpc::ServerContext*, const Request* req, Reply* rep) override {
    rep->set_id(req->id());
    rep->set_pid(static_cast<uint32_t>(getpid()));
    rep->set_status(kRpcOk);
    const std::string& args = req->args();
    switch (req->method()) {
      case kRpcEcho:
        rep->set_payload(args);
        if (Mutant("wrong_id")) rep->set_id(req->id() + 1);
        break;
      case kRpcSum: {
        if (args.size() % 4 != 0) {
          rep->set_status(kRpcMalformed);
          break;
        }
        uint64_t sum = 0;
        const auto* b = reinterpret_cast<const uint8_t*>(args.data());
        for (size_t i = 0; i < args.size(); i += 4) {
          sum += static_cast<uint32_t>(b[i]) | (static_cast<uint32_t>(b[i + 1]) << 8) |
                 (static_cast<uint32_t>(b[i + 2]) << 16) | (static_cast<uint32_t>(b[i + 3]) << 24);
        }
        std::string r(8, '\0');
        for (int i = 0; i < 8; ++i) r[static_cast<size_t>(i)] = static_cast<char>(sum >> (8 * i));
        rep->set_payload(r);
        break;
      }
      case kRpcHold: {
        // Never replies. The main thread is told, and from then on sleeps in
        // read(2) on the hold pipe (what Rpc.ServerDeathGivesAnError waits
        // to see before it kills the server); this thread waits for ever.
        std::unique_lock<std::mutex> l(mu_);
        held_ = true;
        cv_.notify_all();
        for (;;) cv_.wait(l);
      }
      case kGate: {
        if (extras_.gate_fd < 0) {
          rep->set_status(kRpcNoSuchMethod);
          break;
        }
        if (extras_.entered != nullptr) extras_.entered->Signal(extras_.entered->stage() + 1);
        if (extras_.entered != nullptr && Mutant("gate_twice")) {
          extras_.entered->Signal(extras_.entered->stage() + 1);
        }
        char c;
        ssize_t n;
        do {
          n = read(extras_.gate_fd, &c, 1);
        } while (n < 0 && errno == EINTR);
        rep->set_payload(args);
        break;
      }
      case kShutdown: {
        std::unique_lock<std::mutex> l(mu_);
        shutdown_ = true;
        cv_.notify_all();
        break;
      }
      default:
        rep->set_status(kRpcNoSuchMethod);
        break;
    }
    return grpc::Status::OK;
  }

  grpc::Status Stream(grpc::ServerContext*, const StreamRequest* req,
                      grpc::ServerWriter<Reply>* w) override {
    for (uint32_t i = 0; i < req->count(); ++i) {
      if (i == 2 && Mutant("stream_skip")) continue;
      Reply r;
      r.set_id(i);
      std::string p(req->size(), '\0');
      for (uint32_t j = 0; j < req->size(); ++j) p[j] = static_cast<char>(StreamByte(i, j));
      r.set_payload(std::move(p));
      if (!w->Write(r)) return grpc::Status(grpc::StatusCode::CANCELLED, "client gone");
      if (extras_.streamed != nullptr) extras_.streamed->Signal(i + 1);
    }
    return grpc::Status::OK;
  }

  // The main thread: waits (in futex(2)) until a kRpcHold call arrives,
  // then sleeps in read(2) on `hold_fd` until killed; or, after a
  // kShutdown call, shuts the server down and returns.
  void ParkMainThread(int hold_fd, grpc::Server* server) {
    {
      std::unique_lock<std::mutex> l(mu_);
      while (!held_ && !shutdown_) cv_.wait(l);
      if (!held_) {
        l.unlock();
        if (Mutant("exit_without_shutdown")) _exit(0);
        server->Shutdown();
        return;
      }
    }
    char c;
    while (read(hold_fd, &c, 1) != 0) {
    }
    for (;;) pause();
  }

 private:
  ServerExtras extras_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool held_ = false;
  bool shutdown_ = false;
};

void NoteSignal(int) {}

// The server process: returns only on an error (its exit code).
int ServerMain(const std::string& path, int ready_fd, int hold_fd, const ServerExtras& extras) {
  if (extras.sigusr1_handler) {
    struct sigaction sa = {};
    sa.sa_handler = NoteSignal;  // no SA_RESTART: every slow call it lands in fails EINTR
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGUSR1, &sa, nullptr) != 0) return 9;
  }
  Service service(extras);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (!server) return 10;
  if (Mutant("unlink_at_listen")) (void)unlink(path.c_str());
  char ok = 'r';
  if (write(ready_fd, &ok, 1) != 1) return 11;
  close(ready_fd);
  service.ParkMainThread(hold_fd, server.get());
  return 0;  // shut down cleanly (kShutdown)
}

}  // namespace

bool Mutant(const char* name) {
  const char* m = std::getenv("IPCSPEC_GRPC_MUTANT");
  return m != nullptr && std::strcmp(m, name) == 0;
}

std::string SocketPath(const char* stem) {
  static std::atomic<unsigned> counter{0};
  std::string name = std::string("/") + stem + std::to_string(getpid()) + "_" +
                     std::to_string(counter++) + ".sock";
  const char* tmp = std::getenv("TEST_TMPDIR");
  if (tmp != nullptr && std::strlen(tmp) + name.size() < 100) return tmp + name;
  return "/tmp" + name;
}

PosixErrorOr<RpcServer> StartServer(const std::string& path, const ServerExtras& extras) {
  struct stat sb;
  if (Mutant("refuse_bound_path") && lstat(path.c_str(), &sb) == 0) {
    return PosixError(EADDRINUSE, "mutant refuse_bound_path: " + path + " exists");
  }
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2(ready)");
  FileDescriptor ready_r(ready[0]), ready_w(ready[1]);
  if (pipe2(hold, O_CLOEXEC) != 0) return ErrnoError("pipe2(hold)");
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);
  int rfd = ready_w.get(), hfd = hold_r.get();
  auto child = Child::Fork([path, rfd, hfd, extras]() { return ServerMain(path, rfd, hfd, extras); });
  if (!child.ok()) return child.error();
  auto owned = std::make_shared<Child>(std::move(child).ValueOrDie());
  ready_w.reset();
  hold_r.reset();
  hold_w.reset();
  // The server says it listens with a byte on the ready pipe; it may take a
  // while on a loaded machine (gRPC starts its threads), so: a deadline.
  Deadline d = Deadline::Default();
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, d.RemainingMs());
  } while (n < 0 && errno == EINTR);
  char c;
  if (n <= 0 || read(ready_r.get(), &c, 1) != 1) {
    auto st = owned->Wait(Deadline::In(std::chrono::milliseconds(100)));
    owned.reset();
    (void)unlink(path.c_str());
    return PosixError(n == 0 ? ETIMEDOUT : EIO,
                      "the gRPC server did not start listening on unix:" + path +
                          (st.ok() ? ": it " + st.value().ToString()
                                   : std::string(" by its deadline")));
  }
  RpcServer s;
  s.pid = owned->pid();
  s.connect = [path]() -> PosixErrorOr<std::unique_ptr<RpcClient>> {
    return std::unique_ptr<RpcClient>(std::make_unique<Client>(path));
  };
  s.connect_raw = []() -> PosixErrorOr<int> {
    return PosixError(ENOTSUP, "gRPC frames its messages itself (HTTP/2): no raw connection");
  };
  s.owner = std::make_shared<Cleanup>([owned, path]() mutable {
    owned.reset();               // SIGKILL and reap
    (void)unlink(path.c_str());  // a killed server leaves its socket file
  });
  return s;
}

int StatusErrno(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return 0;
    case grpc::StatusCode::DEADLINE_EXCEEDED: return ETIMEDOUT;
    case grpc::StatusCode::UNAVAILABLE: return ECONNRESET;
    case grpc::StatusCode::CANCELLED: return ECANCELED;
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return EMSGSIZE;
    case grpc::StatusCode::UNIMPLEMENTED: return ENOSYS;
    case grpc::StatusCode::INVALID_ARGUMENT: return EINVAL;
    default: return EIO;
  }
}

const char* StatusCodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK: return "OK";
    case grpc::StatusCode::CANCELLED: return "CANCELLED";
    case grpc::StatusCode::UNKNOWN: return "UNKNOWN";
    case grpc::StatusCode::INVALID_ARGUMENT: return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED: return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND: return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS: return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED: return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED: return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION: return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED: return "ABORTED";
    case grpc::StatusCode::OUT_OF_RANGE: return "OUT_OF_RANGE";
    case grpc::StatusCode::UNIMPLEMENTED: return "UNIMPLEMENTED";
    case grpc::StatusCode::INTERNAL: return "INTERNAL";
    case grpc::StatusCode::UNAVAILABLE: return "UNAVAILABLE";
    case grpc::StatusCode::DATA_LOSS: return "DATA_LOSS";
    case grpc::StatusCode::UNAUTHENTICATED: return "UNAUTHENTICATED";
    default: return "(unknown code)";
  }
}

namespace {
grpc::ChannelArguments ChannelArgs(bool local_subchannel_pool) {
  grpc::ChannelArguments args;
  if (local_subchannel_pool) args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return args;
}
}  // namespace

Client::Client(const std::string& path, bool local_subchannel_pool)
    : channel_(grpc::CreateCustomChannel("unix:" + path, grpc::InsecureChannelCredentials(),
                                         ChannelArgs(local_subchannel_pool))),
      stub_(IpcSpec::NewStub(channel_)) {}

PosixErrorOr<RpcReply> Client::CallWithStatus(uint32_t method, const std::vector<uint8_t>& args,
                                              std::chrono::system_clock::time_point deadline,
                                              grpc::Status* status) {
  uint32_t id = next_id_++;
  grpc::ClientContext ctx;
  ctx.set_deadline(deadline);
  Request req;
  req.set_id(id);
  req.set_method(method);
  req.set_args(std::string(args.begin(), args.end()));
  Reply rep;
  if (Mutant("deadline_early")) ctx.set_deadline(deadline - std::chrono::milliseconds(20));
  *status = stub_->Call(&ctx, req, &rep);
  while (Mutant("retry_unavailable") && status->error_code() == grpc::StatusCode::UNAVAILABLE &&
         std::chrono::system_clock::now() < deadline) {
    grpc::ClientContext again;
    again.set_deadline(deadline);
    *status = stub_->Call(&again, req, &rep);
  }
  if (!status->ok()) {
    return PosixError(StatusErrno(status->error_code()),
                      std::string("grpc IpcSpec/Call: ") + StatusCodeName(status->error_code()) +
                          ": " + status->error_message());
  }
  if (rep.id() != id) {
    return PosixError(EPROTO, "gRPC reply " + std::to_string(rep.id()) +
                                  " is not the reply to request " + std::to_string(id));
  }
  RpcReply out;
  out.status = rep.status();
  out.payload.assign(rep.payload().begin(), rep.payload().end());
  last_pid_ = rep.pid();
  return out;
}

PosixErrorOr<RpcReply> Client::Call(uint32_t method, const std::vector<uint8_t>& args,
                                    const Deadline& deadline) {
  int ms = deadline.RemainingMs();
  if (ms < 0) ms = 0;
  grpc::Status status;
  return CallWithStatus(method, args,
                        std::chrono::system_clock::now() + std::chrono::milliseconds(ms), &status);
}

}  // namespace grpcadapter
}  // namespace ipcspec
