// The reference RPC over an AF_UNIX socket (stream or seqpacket).
//
// Wire format, all little-endian uint32:
//   request: [length][id][method][args...]   length = 8 + args (id+method+args)
//   reply:   [length][id][status][payload...]
// A request whose length is below 8 or above the limit, or that ends early
// (end of file in the middle), gets a kRpcMalformed reply; then the server
// closes that connection and goes on serving the others.
#pragma once

#include "impl/api/rpc.h"

namespace ipcspec {

struct UnixRpcOptions {
  int socket_type = 0;       // SOCK_STREAM or SOCK_SEQPACKET
  size_t max_args = 65536;
  // Mutants' knobs (the reference leaves them false).
  bool server_exits_on_malformed = false;
};

PosixErrorOr<RpcServer> StartUnixRpcServer(const UnixRpcOptions& opts);

// A client over one connection; `check_ids` false makes it accept any reply
// (used by a mutant), `wait_past_eof` makes it ignore the server's EOF (same).
PosixErrorOr<std::unique_ptr<RpcClient>> ConnectUnixRpc(const std::string& path, int socket_type,
                                                         bool check_ids = true,
                                                         bool wait_past_eof = false);

// A client over an existing connection.
std::unique_ptr<RpcClient> MakeUnixRpcClient(int fd, int socket_type, bool check_ids,
                                             bool wait_past_eof);

// Frame helpers, shared with the suite's malformed-request property.
std::vector<uint8_t> EncodeFrame(uint32_t id, uint32_t word, const std::vector<uint8_t>& body);

}  // namespace ipcspec
