// gRPC C++ unary calls over a unix: socket as an Rpc Kind (impl/api/rpc.h):
// a server process (grpc::ServerBuilder, a synchronous service) listening on
// a unique unix:PATH, each client a channel and a stub in its own process.
#include "impl/adapters/grpc/grpc_common.h"

namespace ipcspec {
namespace {

PosixErrorOr<RpcServer> OpenGrpcUnix() {
  return grpcadapter::StartServer(grpcadapter::SocketPath("grpc"));
}

RpcKind GrpcRpcKind() {
  RpcCaps caps;
  caps.max_args = grpcadapter::kMaxArgs;
  // gRPC frames its calls itself (HTTP/2 over the socket): there is no raw
  // stream on which the suite's own frames mean anything, so
  // Rpc.MalformedRequestsGetErrorReplies is not applicable.
  caps.raw_connection = false;
  RpcKind k{"grpc_unary_unix", "rpc",
            "gRPC C++ unary calls: a synchronous server process on unix:PATH, a channel and "
            "stub per client process",
            caps, OpenGrpcUnix};
  k.library = "grpc";
  // Its Kind cannot print itself as C (impl/repro): a reproducer would need the
  // library, not only libc.
  k.c.why_not = "an external library";
  return k;
}

IPCSPEC_REGISTER_KIND(RpcInterface, GrpcRpcKind());

}  // namespace
}  // namespace ipcspec
