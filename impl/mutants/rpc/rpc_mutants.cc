// Broken RPC Kinds. The RPC suite must reject every one (suites/selftest/rpc).
#include <sys/socket.h>
#include <unistd.h>

#include "impl/core/file_descriptor.h"
#include "impl/rpc/unix_rpc.h"

namespace ipcspec {
namespace {

RpcKind Mutant(std::string name, std::string bug, std::function<PosixErrorOr<RpcServer>()> open) {
  RpcCaps caps;
  caps.max_args = 65536;
  RpcKind k{std::move(name), "rpc", "mutant of unix_stream_rpc", caps, std::move(open)};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  k.base = "unix_stream_rpc";
  return k;
}

UnixRpcOptions Stream() {
  UnixRpcOptions o;
  o.socket_type = SOCK_STREAM;
  return o;
}

// Bug: every client shares one connection and takes whatever reply comes
// next, without matching its id: with concurrent clients a reply can go to
// the wrong request.
PosixErrorOr<RpcServer> SharedConnection() {
  IPCSPEC_ASSIGN_OR_RETURN(RpcServer s, StartUnixRpcServer(Stream()));
  IPCSPEC_ASSIGN_OR_RETURN(int raw, s.connect_raw());
  auto shared = std::make_shared<FileDescriptor>(raw);
  s.connect = [shared]() -> PosixErrorOr<std::unique_ptr<RpcClient>> {
    int fd = dup(shared->get());
    if (fd < 0) return ErrnoError("dup(shared rpc connection)");
    return MakeUnixRpcClient(fd, SOCK_STREAM, /*check_ids=*/false, false);
  };
  auto owner = s.owner;
  s.owner = std::make_shared<Cleanup>([owner, shared]() mutable {
    shared.reset();
    owner.reset();
  });
  return s;
}

// Bug: the client stub does not treat the server's end of file as an error
// and waits for a reply that cannot come (until its deadline).
PosixErrorOr<RpcServer> WaitsPastEof() {
  IPCSPEC_ASSIGN_OR_RETURN(RpcServer s, StartUnixRpcServer(Stream()));
  auto raw = s.connect_raw;
  s.connect = [raw]() -> PosixErrorOr<std::unique_ptr<RpcClient>> {
    IPCSPEC_ASSIGN_OR_RETURN(int fd, raw());
    return MakeUnixRpcClient(fd, SOCK_STREAM, true, /*wait_past_eof=*/true);
  };
  return s;
}

// Bug: the server answers a malformed request, then exits.
PosixErrorOr<RpcServer> ExitsOnMalformed() {
  UnixRpcOptions o = Stream();
  o.server_exits_on_malformed = true;
  return StartUnixRpcServer(o);
}

IPCSPEC_REGISTER_KIND(RpcInterface,
                      Mutant("mutant_rpc_shared_connection",
                             "clients share one connection and take the next reply, whatever "
                             "request it answers",
                             SharedConnection));
IPCSPEC_REGISTER_KIND(RpcInterface,
                      Mutant("mutant_rpc_waits_past_eof",
                             "the client waits for a reply after the server closed the "
                             "connection",
                             WaitsPastEof));
IPCSPEC_REGISTER_KIND(RpcInterface,
                      Mutant("mutant_rpc_exits_on_malformed",
                             "the server exits after answering a malformed request",
                             ExitsOnMalformed));

}  // namespace
}  // namespace ipcspec
