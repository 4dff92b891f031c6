// gRPC C++ (Debian libgrpc++-dev 1.51) behind impl/api/rpc.h: the server
// process, the client, and what the scenario tests share.
//
// gRPC starts threads (its executor, its timer and event-engine threads) the
// first time it is used, and its threads do not survive fork(2): "gRPC ...
// uses multithreading for performance, and hence doesn't support fork()"
// unless the application "only instantiate[s] gRPC ... objects after calling
// fork()" (doc/fork_support.md). So the process that forks the servers and
// the clients (the property's, the test's) never touches gRPC: a server is a
// forked process that starts gRPC itself, and a client is created in a forked
// child (RpcServer::connect is only called there).
#pragma once

#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "impl/adapters/grpc/ipcspec_rpc.grpc.pb.h"
#include "impl/api/rpc.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {
namespace grpcadapter {

// The adapter's own method, beside impl/api/rpc.h's: the server signals
// `entered` (a checkpoint in shared memory), waits for one byte on its gate
// pipe, then replies like kRpcEcho. The EINTR scenario holds a call open
// with it.
constexpr uint32_t kGate = 100;
// The adapter's own method: the server replies, then shuts down cleanly
// (grpc::Server::Shutdown) and exits 0.
constexpr uint32_t kShutdown = 101;

// Largest request a server takes: gRPC's default maximum receive message
// size, 4 MiB (GRPC_DEFAULT_MAX_RECV_MESSAGE_LENGTH, grpc/impl/grpc_types.h:
// "Maximum message length that the channel can receive ... -1 means
// unlimited", default 4 MiB), less the request's own fields.
constexpr size_t kMaxArgs = 4 * 1024 * 1024 - 64;

// The adapter's mutants (IPCSPEC_GRPC_MUTANT=NAME, inherited by every
// process of a run): each breaks the adapter the way a scenario test must
// catch, so that no scenario check is vacuous (grpc_mutants_test.sh):
//   retry_unavailable  the client retries a call that failed UNAVAILABLE until its deadline
//   deadline_early     the client gives gRPC a deadline 20 ms earlier than asked
//   gate_twice         the server runs a kGate procedure twice (a duplicated call)
//   refuse_bound_path  a server refuses a path where a socket file exists (like bind(2))
//   unlink_at_listen   a server removes its socket file once it listens
//   stream_skip        the server's stream leaves out reply 2
//   global_pool        a forked child's channel ignores its local subchannel pool
//   exit_without_shutdown  kShutdown exits the server without grpc::Server::Shutdown
//   wrong_id           the server answers kRpcEcho with another request's id
bool Mutant(const char* name);

// A unique socket path under the test's temporary directory (or /tmp when
// that is too long for sun_path).
std::string SocketPath(const char* stem);

// What a scenario can ask of a server besides the Rpc methods.
struct ServerExtras {
  int gate_fd = -1;                 // read end of the gate pipe (kGate); -1: none
  Checkpoint* entered = nullptr;    // signalled (stage += 1) when a kGate call arrives
  Checkpoint* streamed = nullptr;   // signalled with the count of stream replies written
  bool sigusr1_handler = false;     // install a SIGUSR1 handler without SA_RESTART first
};

// Starts a server process listening on unix:`path`; returns once it listens.
// The RpcServer's owner SIGKILLs and reaps it and unlinks `path`.
PosixErrorOr<RpcServer> StartServer(const std::string& path, const ServerExtras& extras = {});

// The errno a gRPC status code stands for in an RpcClient error:
// DEADLINE_EXCEEDED is ETIMEDOUT, UNAVAILABLE is ECONNRESET, ...
int StatusErrno(grpc::StatusCode code);
const char* StatusCodeName(grpc::StatusCode code);

// A client: a channel to unix:`path` and a stub. Use it only in a process
// that forked no gRPC-using child before and forks none after (see above).
class Client : public RpcClient {
 public:
  // local_subchannel_pool: the channel keeps its connections to itself
  // (GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL) instead of sharing them with other
  // channels to the same target through gRPC's global subchannel pool.
  explicit Client(const std::string& path, bool local_subchannel_pool = false);
  PosixErrorOr<RpcReply> Call(uint32_t method, const std::vector<uint8_t>& args,
                              const Deadline& deadline) override;
  // The same call with gRPC's status: `*status` is set on every return.
  PosixErrorOr<RpcReply> CallWithStatus(uint32_t method, const std::vector<uint8_t>& args,
                                        std::chrono::system_clock::time_point deadline,
                                        grpc::Status* status);
  IpcSpec::Stub& stub() { return *stub_; }
  // The pid of the server process that sent the last reply.
  uint32_t last_pid() const { return last_pid_; }

 private:
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<IpcSpec::Stub> stub_;
  uint32_t next_id_ = 1;
  uint32_t last_pid_ = 0;
};

// The byte j of stream reply i (StreamRequest in ipcspec_rpc.proto).
inline uint8_t StreamByte(uint32_t i, uint32_t j) { return static_cast<uint8_t>((i + j) % 251); }

}  // namespace grpcadapter
}  // namespace ipcspec
