#include "impl/pipe/pipe.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include "impl/api/fd_stream_end.h"

namespace ipcspec {

size_t DefaultPipeCapacity() { return 16 * static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

PosixErrorOr<ByteStream> OpenPipe(int flags, size_t shrink_to) {
  int fds[2];
  if (pipe2(fds, flags | O_CLOEXEC) != 0) return ErrnoError("pipe2()");
  FileDescriptor r(fds[0]), w(fds[1]);
  if (shrink_to > 0 && fcntl(w.get(), F_SETPIPE_SZ, static_cast<int>(shrink_to)) < 0) {
    return ErrnoError("fcntl(F_SETPIPE_SZ, " + std::to_string(shrink_to) + ")");
  }
  ByteStream s;
  int cap = fcntl(w.get(), F_GETPIPE_SZ);
  s.reported_capacity = cap > 0 ? static_cast<size_t>(cap) : 0;
  s.reader = std::make_unique<FdStreamEnd>(std::move(r), false, "pipe read end");
  s.writer = std::make_unique<FdStreamEnd>(std::move(w), false, "pipe write end");
  return s;
}

namespace {

ByteStreamCaps PipeCaps(size_t capacity, bool nonblocking) {
  ByteStreamCaps c;
  c.atomic_write = PIPE_BUF;  // man 7 pipe: "POSIX.1 says that writes of less than PIPE_BUF bytes must be atomic"
  c.empty_capacity = capacity;
  c.sigpipe_on_broken = true;
  c.fork_shares_ends = true;
  c.nonblocking_by_default = nonblocking;
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"pipe", "pipe", "pipe(2), blocking ends",
                                      PipeCaps(DefaultPipeCapacity(), false),
                                      [] { return OpenPipe(0); }}));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"pipe2_nonblock", "pipe", "pipe2(2) with O_NONBLOCK",
                                      PipeCaps(DefaultPipeCapacity(), true),
                                      [] { return OpenPipe(O_NONBLOCK); }}));
IPCSPEC_REGISTER_KIND(
    ByteStreamInterface,
    (ByteStreamKind{"pipe_one_page", "pipe", "pipe(2) shrunk to one page with F_SETPIPE_SZ",
                    PipeCaps(static_cast<size_t>(sysconf(_SC_PAGESIZE)), false), [] {
                      return OpenPipe(0, static_cast<size_t>(sysconf(_SC_PAGESIZE)));
                    }}));

}  // namespace
}  // namespace ipcspec
