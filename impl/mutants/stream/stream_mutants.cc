// Broken ByteStream Kinds, each wrapping a correct pipe. The stream suite
// must reject every one of them (suites/selftest/byte_stream).
#include <limits.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "impl/api/byte_stream.h"
#include "impl/pipe/pipe.h"

namespace ipcspec {
namespace {

// Forwards everything to a real end; mutants override one operation.
class WrappedEnd : public StreamEnd {
 public:
  explicit WrappedEnd(std::unique_ptr<StreamEnd> inner) : inner_(std::move(inner)) {}
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    return inner_->Write(d, n, b);
  }
  PosixErrorOr<size_t> Read(uint8_t* d, size_t n, Blocking b) override {
    return inner_->Read(d, n, b);
  }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }

 protected:
  std::unique_ptr<StreamEnd> inner_;
};

// Bug: a write of at most PIPE_BUF bytes is issued as two write(2) calls, so
// other writers' data can land between the halves, and a non-blocking write
// can be half done.
class SplitSmallWrites : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    if (n < 2 || n > PIPE_BUF) return inner_->Write(d, n, b);
    size_t half = n / 2;
    auto first = inner_->Write(d, half, b);
    if (!first.ok() || first.value() < half) return first;
    auto second = inner_->Write(d + half, n - half, b);
    if (!second.ok()) return half;  // reports the half that went through
    return half + second.value();
  }
};

// Bug: byte number 5000 of what this end writes (counted per process) is
// silently dropped; the write still reports every byte as written.
class DropsOneByte : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    constexpr uint64_t kVictim = 5000;
    if (sent_ <= kVictim && kVictim < sent_ + n) {
      size_t at = static_cast<size_t>(kVictim - sent_);
      std::vector<uint8_t> copy(d, d + n);
      copy.erase(copy.begin() + static_cast<long>(at));
      auto r = inner_->Write(copy.data(), copy.size(), b);
      if (!r.ok()) return r;
      // Pretend the dropped byte went too (if the write got past it).
      size_t claimed = r.value() >= at ? r.value() + 1 : r.value();
      sent_ += claimed;
      return claimed;
    }
    auto r = inner_->Write(d, n, b);
    if (r.ok()) sent_ += r.value();
    return r;
  }

 private:
  uint64_t sent_ = 0;
};

// Bug: end of file is reported as soon as THIS process has closed its write
// end, even though forked children still hold theirs: a non-blocking read of
// the empty stream returns 0 instead of EAGAIN.
struct EofFlag {
  bool writer_closed_here = false;
};
class EarlyEofReader : public WrappedEnd {
 public:
  EarlyEofReader(std::unique_ptr<StreamEnd> inner, std::shared_ptr<EofFlag> flag)
      : WrappedEnd(std::move(inner)), flag_(std::move(flag)) {}
  PosixErrorOr<size_t> Read(uint8_t* d, size_t n, Blocking b) override {
    auto r = inner_->Read(d, n, b);
    if (!r.ok() && r.errno_value() == EAGAIN && flag_->writer_closed_here) return size_t{0};
    return r;
  }

 private:
  std::shared_ptr<EofFlag> flag_;
};
class FlaggingWriter : public WrappedEnd {
 public:
  FlaggingWriter(std::unique_ptr<StreamEnd> inner, std::shared_ptr<EofFlag> flag)
      : WrappedEnd(std::move(inner)), flag_(std::move(flag)) {}
  PosixError Close() override {
    flag_->writer_closed_here = true;
    return inner_->Close();
  }

 private:
  std::shared_ptr<EofFlag> flag_;
};

// Bug: after every 3rd read that returns fewer bytes than asked, the last
// byte returned is served again by the next read (a duplicated byte).
class RepeatsAByte : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixErrorOr<size_t> Read(uint8_t* d, size_t n, Blocking b) override {
    if (pending_ && n > 0) {
      d[0] = *pending_;
      pending_.reset();
      return size_t{1};
    }
    auto r = inner_->Read(d, n, b);
    if (r.ok() && r.value() > 0 && r.value() < n && (++reads_ % 3) == 0) pending_ = d[r.value() - 1];
    return r;
  }

 private:
  std::optional<uint8_t> pending_;
  uint64_t reads_ = 0;
};

// Bug: its send-all loop gives up on EINTR instead of retrying.
class WriteAllGivesUpOnEintr : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixError WriteAll(const uint8_t* d, size_t n) override {
    size_t done = 0;
    while (done < n) {
      auto r = inner_->Write(d + done, n - done, Blocking::kBlock);
      if (!r.ok()) return r.error();  // EINTR included
      done += r.value();
    }
    return NoError();
  }
};

// Bug: its send-all loop answers a short write by sending the whole buffer
// again from the start (the prefix arrives twice).
class WriteAllRestartsOnShortWrite : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixError WriteAll(const uint8_t* d, size_t n) override {
    for (int attempt = 0; attempt < 100; ++attempt) {
      auto r = inner_->Write(d, n, Blocking::kBlock);
      if (!r.ok() && r.errno_value() != EINTR) return r.error();
      if (r.ok() && r.value() == n) return NoError();
    }
    return PosixError(EIO, "gave up");
  }
};

// Bug: its send-all loop answers EINTR by starting again from the first
// byte, so whatever went before the interruption is sent twice.
class WriteAllDuplicatesAfterEintr : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixError WriteAll(const uint8_t* d, size_t n) override {
    size_t done = 0;
    for (int round = 0; done < n && round < 1000; ++round) {
      auto r = inner_->Write(d + done, n - done, Blocking::kBlock);
      if (!r.ok()) {
        if (r.errno_value() != EINTR) return r.error();
        done = 0;  // "start over"
        continue;
      }
      done += r.value();
    }
    return NoError();
  }
};

// Bug: small writes are kept in a user-space buffer and written out only
// when 4096 bytes have gathered or the end is closed: a writer killed in
// between loses what it had "written".
class BuffersSmallWrites : public WrappedEnd {
 public:
  using WrappedEnd::WrappedEnd;
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    if (n >= 4096) {
      IPCSPEC_RETURN_IF_ERROR(Flush(b));
      return inner_->Write(d, n, b);
    }
    if (buf_.size() + n >= 4096) IPCSPEC_RETURN_IF_ERROR(Flush(b));
    buf_.insert(buf_.end(), d, d + n);
    return n;
  }
  PosixError Close() override {
    (void)Flush(Blocking::kNonBlock);
    return inner_->Close();
  }

 private:
  // Writes the buffer out in the caller's mode (EAGAIN keeps the rest).
  PosixError Flush(Blocking b) {
    while (!buf_.empty() && !inner_->closed()) {
      auto r = inner_->Write(buf_.data(), buf_.size(), b);
      if (!r.ok()) return r.error();
      buf_.erase(buf_.begin(), buf_.begin() + static_cast<long>(r.value()));
    }
    return NoError();
  }
  std::vector<uint8_t> buf_;
};

ByteStreamCaps PipeLikeCaps() {
  ByteStreamCaps c;
  c.atomic_write = PIPE_BUF;
  c.empty_capacity = DefaultPipeCapacity();
  return c;
}

template <typename W, typename R>
PosixErrorOr<ByteStream> Wrap() {
  IPCSPEC_ASSIGN_OR_RETURN(ByteStream s, OpenPipe(0));
  s.writer = std::make_unique<W>(std::move(s.writer));
  s.reader = std::make_unique<R>(std::move(s.reader));
  return s;
}

ByteStreamKind Mutant(std::string name, std::string bug,
                      std::function<PosixErrorOr<ByteStream>()> open) {
  ByteStreamKind k{std::move(name), "pipe", "mutant of pipe", PipeLikeCaps(), std::move(open)};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  k.base = "pipe";
  return k;
}

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_split_small_writes",
                             "writes of <= PIPE_BUF bytes are issued as two write(2) calls",
                             Wrap<SplitSmallWrites, WrappedEnd>));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_drops_one_byte",
                             "byte 5000 written by each process is silently dropped",
                             Wrap<DropsOneByte, WrappedEnd>));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_early_eof",
                             "reports EOF once this process closed its write end, although "
                             "forked writers still hold theirs",
                             [] () -> PosixErrorOr<ByteStream> {
                               IPCSPEC_ASSIGN_OR_RETURN(ByteStream s, OpenPipe(0));
                               auto flag = std::make_shared<EofFlag>();
                               s.writer = std::make_unique<FlaggingWriter>(std::move(s.writer), flag);
                               s.reader = std::make_unique<EarlyEofReader>(std::move(s.reader), flag);
                               return s;
                             }));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_repeats_a_byte",
                             "every 3rd short read's last byte is served again by the next read",
                             Wrap<WrappedEnd, RepeatsAByte>));

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_writeall_gives_up_on_eintr",
                             "its send-all loop returns EINTR instead of retrying",
                             Wrap<WriteAllGivesUpOnEintr, WrappedEnd>));
IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_writeall_restarts_on_short_write",
                             "its send-all loop resends the whole buffer after a short write",
                             Wrap<WriteAllRestartsOnShortWrite, WrappedEnd>));

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_writeall_duplicates_after_eintr",
                             "its send-all loop starts again from the first byte after EINTR",
                             Wrap<WriteAllDuplicatesAfterEintr, WrappedEnd>));

IPCSPEC_REGISTER_KIND(ByteStreamInterface,
                      Mutant("mutant_buffers_small_writes",
                             "small writes wait in a user-space buffer, lost if the writer is "
                             "killed",
                             Wrap<BuffersSmallWrites, WrappedEnd>));

}  // namespace
}  // namespace ipcspec
