// POCO's Pipe, and a Pipe through a process started by Process::launch, as
// ByteStream Kinds.
//
// Poco/Pipe.h: "This class implements an anonymous pipe." writeBytes():
// "Sends the contents of the given buffer through the pipe. Blocks until the
// receiver is ready to read the data. Returns the number of bytes sent."
// readBytes(): "Receives data from the pipe ... Up to length bytes are
// received. Blocks until data becomes available. Returns the number of bytes
// received, or 0 if the pipe has been closed." close(CLOSE_READ /
// CLOSE_WRITE) closes one end. Pipe objects share a reference-counted
// PipeImpl. On Linux (Foundation/src/PipeImpl_POSIX.cpp) it is pipe(2) (no
// O_CLOEXEC); writeBytes is one write(2) and readBytes one read(2), each
// retried on EINTR; a failure throws WriteFileException / ReadFileException.
//
// Pipe has no non-blocking calls. For Blocking::kNonBlock the adapter sets
// O_NONBLOCK on Pipe::readHandle() / writeHandle() ("for internal use only")
// around the one readBytes / writeBytes, as the kernel pipe Kinds do around
// read(2) / write(2) (impl/api/fd_stream_end.h).
//
// poco_pipe: one Pipe; the writer end writes, the reader end reads. POCO
//   documents no atomicity; each writeBytes is one write(2) to a pipe, so man
//   7 pipe's PIPE_BUF rule is what the Kind claims, and what is checked.
// poco_process_pipe: Process::launch("/bin/cat", {}, &in, &out, 0) (Poco/
//   Process.h: "the corresponding standard input, standard output ... of the
//   launched process is redirected to the Pipe"); the writer end writes to
//   `in`, the reader end reads `out`: the bytes cross the launched process.
//   What cat copies reaches the reader some time after writeBytes returns
//   (delivery_may_lag), a full stream drains by itself (full_stays_full
//   false), EOF comes when the last writer closed `in` and cat exited, and a
//   write after the reader closed may succeed until cat has died of SIGPIPE
//   (epipe_may_be_delayed). cat promises no atomicity of interleaved writes
//   (atomic_write 0). The stream's cleanup Process::kill()s cat and waits for
//   it through its ProcessHandle.
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <unistd.h>

#include <climits>
#include <memory>

#include "Poco/Pipe.h"
#include "Poco/Process.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/adapters/poco/poco_kinds.h"
#include "impl/api/byte_stream.h"
#include "impl/core/cleanup.h"

namespace ipcspec {
namespace {

using poco::Guard;

class PocoPipeEnd : public StreamEnd {
 public:
  PocoPipeEnd(Poco::Pipe pipe, bool reader, std::string desc)
      : pipe_(std::move(pipe)), reader_(reader), desc_(std::move(desc)) {}

  PosixErrorOr<size_t> Write(const uint8_t* data, size_t n, Blocking b) override {
    if (reader_) return PosixError(EBADF, "Write() on the read end");
    if (closed()) return PosixError(EBADF, "Write() after Close()");
    const int len = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    int got = 0;
    PosixError e = WithMode(b, [&] {
      return Guard("Pipe::writeBytes()", [&] {
        got = pipe_.writeBytes(data, len);
        return NoError();
      });
    });
    if (!e.ok()) return e;
    return static_cast<size_t>(got);
  }

  PosixErrorOr<size_t> Read(uint8_t* data, size_t n, Blocking b) override {
    if (!reader_) return PosixError(EBADF, "Read() on the write end");
    if (closed()) return PosixError(EBADF, "Read() after Close()");
    const int len = n > static_cast<size_t>(INT_MAX) ? INT_MAX : static_cast<int>(n);
    int got = 0;
    PosixError e = WithMode(b, [&] {
      return Guard("Pipe::readBytes()", [&] {
        got = pipe_.readBytes(data, len);
        return NoError();
      });
    });
    if (!e.ok()) return e;
    return static_cast<size_t>(got);
  }

  PosixError Close() override {
    if (closed()) return PosixError(EBADF, "Close() twice");
    return Guard("Pipe::close()", [&] {
      pipe_.close(reader_ ? Poco::Pipe::CLOSE_READ : Poco::Pipe::CLOSE_WRITE);
      return NoError();
    });
  }
  bool closed() const override { return fd() < 0; }
  int fd() const override { return reader_ ? pipe_.readHandle() : pipe_.writeHandle(); }

 private:
  // Runs `call` with O_NONBLOCK set on this end for kNonBlock.
  template <typename F>
  PosixError WithMode(Blocking b, F&& call) {
    if (b == Blocking::kBlock) return call();
    const int h = fd();
    const int flags = fcntl(h, F_GETFL);
    if (flags < 0) return ErrnoError("fcntl(F_GETFL) on " + desc_);
    if (fcntl(h, F_SETFL, flags | O_NONBLOCK) != 0) return ErrnoError("fcntl(F_SETFL, O_NONBLOCK)");
    PosixError e = call();
    const int saved = errno;
    fcntl(h, F_SETFL, flags);
    errno = saved;
    return e;
  }

  Poco::Pipe pipe_;
  bool reader_;
  std::string desc_;
};

PosixErrorOr<ByteStream> OpenPocoPipe() {
  std::optional<Poco::Pipe> p;
  PosixError e = Guard("Pipe()", [&] {
    p.emplace();
    return NoError();
  });
  if (!e.ok()) return e;
  ByteStream s;
  int cap = fcntl(p->writeHandle(), F_GETPIPE_SZ);
  s.reported_capacity = cap > 0 ? static_cast<size_t>(cap) : 0;
  s.reader = std::make_unique<PocoPipeEnd>(*p, true, "Poco::Pipe read end");
  s.writer = std::make_unique<PocoPipeEnd>(*p, false, "Poco::Pipe write end");
  return s;
}

PosixErrorOr<ByteStream> OpenPocoProcessPipe() {
  std::optional<Poco::Pipe> in, out;
  std::optional<Poco::ProcessHandle> ph;
  const pid_t parent = getpid();
  PosixError e = Guard("Process::launch(/bin/cat, {}, &in, &out, 0)", [&] {
    in.emplace();
    out.emplace();
    Poco::Process::Args args;
    ph.emplace(Poco::Process::launch("/bin/cat", args, &*in, &*out, nullptr));
    return NoError();
  });
  if (!e.ok()) return e;
  ByteStream s;
  s.reported_capacity = 0;  // two pipes and cat's buffer in between
  s.reader = std::make_unique<PocoPipeEnd>(*out, true, "read end of cat's stdout Pipe");
  s.writer = std::make_unique<PocoPipeEnd>(*in, false, "write end of cat's stdin Pipe");
  auto handle = std::make_shared<Poco::ProcessHandle>(*ph);
  s.cleanup = std::make_shared<Cleanup>([handle, parent] {
    if (getpid() != parent) return;  // a forked child's copy: the parent reaps cat
    try {
      Poco::Process::kill(*handle);  // SIGKILL
    } catch (const Poco::Exception&) {
      // cat already exited (ESRCH): it is reaped below all the same
    }
    try {
      handle->wait();
    } catch (const Poco::Exception&) {
    }
  });
  return s;
}

}  // namespace

ByteStreamCaps poco::PipeCaps() {
  ByteStreamCaps c;
  c.atomic_write = PIPE_BUF;  // one write(2) per writeBytes: man 7 pipe
  c.empty_capacity = 16 * static_cast<size_t>(sysconf(_SC_PAGESIZE));  // man 7 pipe: 65536
  c.sigpipe_on_broken = true;
  c.fork_shares_ends = true;
  c.nonblocking_by_default = false;
  return c;
}

ByteStreamCaps poco::ProcessPipeCaps() {
  ByteStreamCaps c = PipeCaps();
  c.atomic_write = 0;               // cat promises nothing about interleaving
  c.epipe_may_be_delayed = true;    // until cat has written into the closed pipe and died
  c.full_stays_full = false;        // cat keeps moving bytes from `in` to `out`
  c.delivery_may_lag = true;        // the bytes cross another process
  return c;
}

namespace {

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"poco_pipe", "poco_pipe",
                                      "Poco::Pipe: writeBytes on one end, readBytes on the other",
                                      poco::PipeCaps(), OpenPocoPipe, false, "", "", "poco"}));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      (ByteStreamKind{"poco_process_pipe", "poco_process_pipe",
                                      "Poco::Process::launch(/bin/cat) with an input and an "
                                      "output Pipe: the bytes cross the launched process",
                                      poco::ProcessPipeCaps(), OpenPocoProcessPipe, false, "",
                                      "",
                                      "poco"}));

}  // namespace
}  // namespace ipcspec
