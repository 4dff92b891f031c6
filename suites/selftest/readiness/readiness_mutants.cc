// ByteStream Kinds whose data is a correct pipe's but whose reading end
// reports readiness wrongly: its descriptor (StreamEnd::fd(), what a caller
// polls) is a "notification descriptor" the Kind keeps beside the pipe, as
// libraries do that hand out one descriptor to poll for a state of their
// own (ZeroMQ's ZMQ_FD, a library's eventfd or epoll instance). Each keeps
// that descriptor right except for one bug. Only the readiness suite can
// see them (the data, the errors and the blocking are the pipe's own), and
// it must (suites/selftest/readiness).
#include <fcntl.h>
#include <limits.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <memory>

#include "impl/api/byte_stream.h"
#include "impl/core/file_descriptor.h"
#include "impl/pipe/pipe.h"

namespace ipcspec {
namespace {

enum class Bug {
  // The notification pipe always holds a byte: readable when empty.
  kReadableWhenEmpty,
  // The notification pipe holds a byte while the stream holds data, and is
  // written only when the stream goes from empty to not empty: a write to a
  // stream that already holds data makes no edge.
  kDropsEdge,
  // As kDropsEdge but with an edge per write, and asking for the descriptor
  // (fd()) signals it again while there is data: an edge-triggered waiter
  // sees the same edge twice.
  kSameEdgeTwice,
  // The notification pipe is kept as for kSameEdgeTwice (without the second
  // signal), but the mutant never closes its write side: at the end of the
  // stream it holds a byte (readable, POLLIN) and never reports POLLHUP.
  kNeverHangup,
};

// The notification descriptor and how the mutant keeps it.
class Notifier {
 public:
  Notifier(Bug bug, int pipe_reader) : bug_(bug), pipe_reader_(pipe_reader) {}

  PosixError Open() {
    int p[2];
    if (pipe2(p, O_NONBLOCK | O_CLOEXEC) != 0) return ErrnoError("pipe2(notification)");
    nr_.reset(p[0]);
    nw_.reset(p[1]);
    if (bug_ == Bug::kReadableWhenEmpty) return Signal(true);
    return PosixError();
  }

  int fd() const {
    if (bug_ == Bug::kSameEdgeTwice && token_ && nw_.valid()) Pulse();
    return nr_.get();
  }

  void AfterWrite(size_t n) {
    if (n == 0) return;
    switch (bug_) {
      case Bug::kReadableWhenEmpty:
        Pulse();
        break;
      case Bug::kDropsEdge:
        Sync();
        break;
      default:  // kSameEdgeTwice, kNeverHangup
        if (token_) {
          Pulse();
        } else {
          Sync();
        }
        break;
    }
  }
  void AfterRead() {
    if (bug_ != Bug::kReadableWhenEmpty) Sync();
  }
  void WriterClosed() {
    if (bug_ == Bug::kNeverHangup) {
      // End of file: readable, but by a byte, not by a hangup.
      if (!token_) Signal(true);
      writer_closed_ = true;
      return;
    }
    nw_.reset();
  }
  void ReaderClosed() {
    nr_.reset();
    nw_.reset();
  }

 private:
  // One byte in, one byte out: a wake-up with the level unchanged.
  void Pulse() const {
    uint8_t b = 'n';
    if (write(nw_.get(), &b, 1) == 1) {
      if (read(nr_.get(), &b, 1) != 1) {
      }
    }
  }
  PosixError Signal(bool on) {
    uint8_t b = 'n';
    if (on && write(nw_.get(), &b, 1) != 1) return ErrnoError("write(notification)");
    if (!on && read(nr_.get(), &b, 1) != 1) return ErrnoError("read(notification)");
    token_ = on;
    return PosixError();
  }
  // The token follows whether the pipe holds data.
  void Sync() {
    int queued = 0;
    if (writer_closed_ || ioctl(pipe_reader_, FIONREAD, &queued) != 0) return;
    if ((queued > 0) != token_ && nw_.valid()) Signal(queued > 0);
  }

  Bug bug_;
  int pipe_reader_;
  FileDescriptor nr_, nw_;
  bool token_ = false, writer_closed_ = false;
};

class NotifiedEnd : public StreamEnd {
 public:
  NotifiedEnd(std::unique_ptr<StreamEnd> inner, std::shared_ptr<Notifier> n, bool reader)
      : inner_(std::move(inner)), n_(std::move(n)), reader_(reader) {}
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t len, Blocking b) override {
    auto r = inner_->Write(d, len, b);
    if (r.ok()) n_->AfterWrite(r.value());
    return r;
  }
  PosixErrorOr<size_t> Read(uint8_t* d, size_t len, Blocking b) override {
    auto r = inner_->Read(d, len, b);
    n_->AfterRead();
    return r;
  }
  PosixError Close() override {
    if (reader_) {
      n_->ReaderClosed();
    } else {
      n_->WriterClosed();
    }
    return inner_->Close();
  }
  bool closed() const override { return inner_->closed(); }
  int fd() const override {
    if (inner_->closed()) return -1;
    return reader_ ? n_->fd() : inner_->fd();
  }

 private:
  std::unique_ptr<StreamEnd> inner_;
  std::shared_ptr<Notifier> n_;
  bool reader_;
};

PosixErrorOr<ByteStream> OpenNotified(Bug bug) {
  IPCSPEC_ASSIGN_OR_RETURN(ByteStream s, OpenPipe(0));
  auto n = std::make_shared<Notifier>(bug, s.reader->fd());
  IPCSPEC_RETURN_IF_ERROR(n->Open());
  s.reader = std::make_unique<NotifiedEnd>(std::move(s.reader), n, true);
  s.writer = std::make_unique<NotifiedEnd>(std::move(s.writer), n, false);
  return s;
}

ByteStreamKind Mutant(std::string name, std::string bug_text, Bug bug) {
  ByteStreamCaps c;
  c.atomic_write = PIPE_BUF;
  c.empty_capacity = DefaultPipeCapacity();
  ByteStreamKind k{name, "pipe", "pipe(2) with a notification descriptor: " + bug_text, c,
                   [bug] { return OpenNotified(bug); }};
  k.mutant = true;
  k.mutant_bug = bug_text;
  k.base = "pipe";  // the real Kind each mutant wraps
  return k;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_readable_when_empty",
                             "its descriptor reports POLLIN when the stream is empty",
                             Bug::kReadableWhenEmpty));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_drops_edge",
                             "a write to a stream that holds data makes no edge",
                             Bug::kDropsEdge));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_same_edge_twice",
                             "asking for its descriptor signals the same edge again",
                             Bug::kSameEdgeTwice));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_never_hangup",
                             "its descriptor never reports POLLHUP (readable at end of file)",
                             Bug::kNeverHangup));

}  // namespace
}  // namespace ipcspec
