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

// The same pipe as C, for the reproducers (impl/repro): what OpenPipe does.
CSnippet PipeC(const char* flags, bool one_page) {
  CSnippet c;
  c.globals =
      "static int rfd = -1, wfd = -1;      /* the read end and the write end */\n"
      "static const int stream_is_socket = 0;\n";
  c.setup = std::string("{\n  int fds[2];\n  if (pipe2(fds, ") + flags +
            ") != 0) setup_failed(\"pipe2\");\n  rfd = fds[0];\n  wfd = fds[1];\n}\n";
  if (one_page) {
    c.setup +=
        "if (fcntl(wfd, F_SETPIPE_SZ, (int)sysconf(_SC_PAGESIZE)) < 0)\n"
        "  setup_failed(\"fcntl(F_SETPIPE_SZ, one page)\");\n";
  }
  c.teardown = "if (rfd >= 0) close(rfd);\nif (wfd >= 0) close(wfd);\n";
  return c;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"pipe", "pipe", "pipe(2), blocking ends",
                                           PipeCaps(DefaultPipeCapacity(), false),
                                           [] { return OpenPipe(0); }},
                            PipeC("O_CLOEXEC", false)));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      WithC(ByteStreamKind{"pipe2_nonblock", "pipe", "pipe2(2) with O_NONBLOCK",
                                           PipeCaps(DefaultPipeCapacity(), true),
                                           [] { return OpenPipe(O_NONBLOCK); }},
                            PipeC("O_CLOEXEC | O_NONBLOCK", false)));
IPCSPEC_REGISTER_KIND(
    ByteStreamInterface,
    WithC(ByteStreamKind{"pipe_one_page", "pipe", "pipe(2) shrunk to one page with F_SETPIPE_SZ",
                         PipeCaps(static_cast<size_t>(sysconf(_SC_PAGESIZE)), false),
                         [] { return OpenPipe(0, static_cast<size_t>(sysconf(_SC_PAGESIZE))); }},
          PipeC("O_CLOEXEC", true)));

}  // namespace
}  // namespace ipcspec
