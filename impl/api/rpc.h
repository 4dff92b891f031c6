// Rpc: a small remote procedure call over a local transport.
//
// client stub -> marshal -> kernel -> server stub -> procedure, and back.
// The server runs in its own process; clients may be other processes.
//
// Procedures every server offers (the suite calls these):
//   kEcho: replies with the arguments unchanged.
//   kSum:  arguments are little-endian uint32s; replies with their sum (uint64 LE).
//   kHold: never replies (the server blocks); used to kill a server mid-call.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

enum RpcMethod : uint32_t { kRpcEcho = 1, kRpcSum = 2, kRpcHold = 3 };

// Status of a reply, as the server sends it.
enum RpcStatus : uint32_t { kRpcOk = 0, kRpcMalformed = 1, kRpcNoSuchMethod = 2 };

struct RpcReply {
  uint32_t status = kRpcOk;
  std::vector<uint8_t> payload;
};

class RpcClient {
 public:
  virtual ~RpcClient() = default;
  // One call. An error when the transport fails or the deadline passes.
  virtual PosixErrorOr<RpcReply> Call(uint32_t method, const std::vector<uint8_t>& args,
                                      const Deadline& deadline) = 0;
};

struct RpcCaps {
  // Largest argument size a call may carry.
  size_t max_args = 0;
  // connect_raw gives a byte stream that carries the suite's own frames
  // (u32 length, id, method, arguments). false: the transport frames
  // messages itself (nng's SP protocol over ipc://), so there is no raw
  // connection on which the suite's malformed frames mean anything.
  bool raw_connection = true;
};

struct RpcServer {
  pid_t pid = -1;                    // the server process (owned by `owner`)
  // A new client (its own connection). Usable in a forked child.
  std::function<PosixErrorOr<std::unique_ptr<RpcClient>>()> connect;
  // A raw connection to the server, for sending malformed bytes: an fd the
  // caller owns.
  std::function<PosixErrorOr<int>()> connect_raw;
  // Kills and reaps the server, removes its socket.
  std::shared_ptr<Cleanup> owner;
};

struct RpcInterface {
  using Caps = RpcCaps;
  using Instance = RpcServer;
  static constexpr const char* kName = "Rpc";
};

using RpcKind = Kind<RpcInterface>;

}  // namespace ipcspec
