// The libuv ByteStream Kinds (libuv_stream.h says what each operation is).
#include <sys/syscall.h>
#include <unistd.h>

#include "impl/adapters/libuv/libuv_stream.h"

namespace ipcspec {
namespace {

ByteStreamCaps UvCaps(size_t empty_capacity) {
  ByteStreamCaps c;
  // The libuv manual promises no atomic write size for a stream (uv_write:
  // "Write data to stream. Buffers are written in order."; nothing about
  // interleaving with other writers): no such promise claimed.
  c.atomic_write = 0;
  c.empty_capacity = empty_capacity;
  // libuv writes with write(2) (no MSG_NOSIGNAL, no handler of its own): a
  // write with no reader left raises SIGPIPE and fails UV_EPIPE. The libuv
  // manual says nothing of SIGPIPE; the properties check what Linux does.
  c.sigpipe_on_broken = true;
  // A forked child keeps using its ends after uv_loop_fork (the adapter calls
  // it on each end's loop before its first call in the child).
  c.fork_shares_ends = true;
  c.nonblocking_by_default = false;
  // A blocking libuv call sleeps in its loop's epoll_wait (libuv 1.44 on
  // Linux: uv__io_poll; the libuv manual, "Design overview": "The event loop
  // ... uses ... epoll on Linux"), not in read(2) or write(2): the suites'
  // blocked-detection accepts that sleep for these Kinds.
  c.also_blocked_in = {SYS_epoll_wait, SYS_epoll_pwait};
  return c;
}

ByteStreamKind PipeKind() {
  ByteStreamKind k;
  k.name = "libuv_pipe";
  k.mechanism = "pipe";
  k.description = "libuv uv_pipe_t over pipe(2) (uv_pipe_open), one loop per end";
  // An empty pipe holds 16 pages (man 7 pipe, "Pipe capacity").
  k.caps = UvCaps(16 * static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  k.open = OpenUvPipe;
  k.library = "libuv";
  return k;
}

ByteStreamKind UnixSocketKind() {
  ByteStreamKind k;
  k.name = "libuv_unix_socket";
  k.mechanism = "unix_socket";
  k.description =
      "libuv uv_pipe_t over a Unix stream socket (uv_pipe_bind, uv_listen, uv_pipe_connect, "
      "uv_accept), one loop per end";
  // Well under the default SO_SNDBUF (net.core.wmem_default), as for
  // unix_stream_socketpair.
  k.caps = UvCaps(32768);
  k.open = OpenUvUnixSocket;
  k.library = "libuv";
  return k;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface, PipeKind());
IPCSPEC_REGISTER_KIND(ByteStreamInterface, UnixSocketKind());

}  // namespace
}  // namespace ipcspec
