// Broken Datagram Kinds, each wrapping a correct AF_UNIX SOCK_DGRAM socket
// pair. The Datagram suite must reject every one of them
// (suites/selftest/datagram).
#include <sys/socket.h>

#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "impl/api/datagram.h"

namespace ipcspec {
namespace {

// Forwards everything to a real endpoint; mutants override one operation.
class WrappedEndpoint : public DatagramEndpoint {
 public:
  explicit WrappedEndpoint(std::unique_ptr<DatagramEndpoint> inner) : inner_(std::move(inner)) {}
  PosixErrorOr<size_t> Send(const uint8_t* d, size_t n, Blocking b) override {
    return inner_->Send(d, n, b);
  }
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override {
    return inner_->Receive(max, b);
  }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }

 protected:
  // The length of the next queued message without taking it; nullopt if
  // none is queued.
  std::optional<size_t> PeekLength() {
    char c;
    ssize_t r = ::recv(inner_->fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT | MSG_TRUNC);
    if (r < 0) return std::nullopt;
    return static_cast<size_t>(r);
  }
  std::unique_ptr<DatagramEndpoint> inner_;
};

// Bug: a small message (at most 64 bytes) received while another small one
// is queued behind it comes back glued to it, as one message: the boundary
// between them is lost (a stream-like receive loop).
class MergesSmall : public WrappedEndpoint {
 public:
  using WrappedEndpoint::WrappedEndpoint;
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override {
    auto r = inner_->Receive(max, b);
    if (!r.ok() || r.value().truncated || r.value().real_length > 64) return r;
    Received got = std::move(r).ValueOrDie();
    auto next = PeekLength();
    if (!next || *next > 64 || got.data.size() + *next > max) return got;
    auto more = inner_->Receive(max - got.data.size(), Blocking::kNonBlock);
    if (!more.ok()) return got;
    got.data.insert(got.data.end(), more.value().data.begin(), more.value().data.end());
    got.real_length = got.data.size();
    return got;
  }
};

// Bug: every 7th message this endpoint sends goes out twice (a retry that
// does not know the first attempt went through).
class DuplicatesEvery7th : public WrappedEndpoint {
 public:
  using WrappedEndpoint::WrappedEndpoint;
  PosixErrorOr<size_t> Send(const uint8_t* d, size_t n, Blocking b) override {
    auto r = inner_->Send(d, n, b);
    if (r.ok() && ++sent_ % 7 == 0) (void)inner_->Send(d, n, Blocking::kNonBlock);
    return r;
  }

 private:
  uint64_t sent_ = 0;
};

// Bug: when two messages are queued, the second is handed out first and the
// first kept for the next receive (a LIFO buffer).
class SwapsPairs : public WrappedEndpoint {
 public:
  using WrappedEndpoint::WrappedEndpoint;
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override {
    if (held_) {
      Received out = std::move(*held_);
      held_.reset();
      return out;
    }
    auto r = inner_->Receive(max, b);
    if (!r.ok() || !PeekLength()) return r;
    auto second = inner_->Receive(max, Blocking::kNonBlock);
    if (!second.ok()) return r;
    held_ = std::move(r).ValueOrDie();
    return second;
  }

 private:
  std::optional<Received> held_;
};

// Bug: a message longer than the buffer is not truncated: the rest is kept
// and handed out by the next receive, as if it were a message of its own
// (stream semantics), and no MSG_TRUNC is reported.
class KeepsTruncatedTail : public WrappedEndpoint {
 public:
  using WrappedEndpoint::WrappedEndpoint;
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override {
    if (!tail_.empty()) return Take(max);
    auto len = PeekLength();
    if (!len || *len <= max) return inner_->Receive(max, b);
    auto whole = inner_->Receive(*len, b);
    if (!whole.ok()) return whole;
    tail_ = std::move(whole).ValueOrDie().data;
    return Take(max);
  }

 private:
  Received Take(size_t max) {
    Received out;
    size_t n = std::min(max, tail_.size());
    out.data.assign(tail_.begin(), tail_.begin() + static_cast<long>(n));
    tail_.erase(tail_.begin(), tail_.begin() + static_cast<long>(n));
    out.real_length = n;
    out.truncated = false;
    return out;
  }
  std::vector<uint8_t> tail_;
};

template <typename Mutant>
PosixErrorOr<DatagramChannel> OpenMutant() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
    return ErrnoError("socketpair(AF_UNIX, SOCK_DGRAM)");
  }
  DatagramChannel c;
  c.a = std::make_unique<Mutant>(
      std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[0]), "mutant end A"));
  c.b = std::make_unique<Mutant>(
      std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[1]), "mutant end B"));
  return c;
}

DatagramCaps UnixDgramCaps() {
  DatagramCaps c;  // what a correct AF_UNIX SOCK_DGRAM pair claims
  c.ordered = true;
  c.may_drop = false;
  c.reliable_delivery_when_not_full = true;
  c.guaranteed_queue = 8;
  c.max_message = 4096;
  c.reports_real_length = true;
  c.fork_shares = true;
  return c;
}

DatagramKind MakeMutant(std::string name, std::string bug,
                        std::function<PosixErrorOr<DatagramChannel>()> open) {
  DatagramKind k{std::move(name), "mutant", "a broken wrapper over socketpair(AF_UNIX, SOCK_DGRAM)",
                 UnixDgramCaps(), std::move(open)};
  k.mutant = true;
  k.base = "unix_dgram_socketpair";
  k.mutant_bug = std::move(bug);
  return k;
}

IPCSPEC_REGISTER_KIND(DatagramInterface,
                      MakeMutant("mutant_dgram_merges_small",
                                 "two small queued messages come back as one",
                                 OpenMutant<MergesSmall>));
IPCSPEC_REGISTER_KIND(DatagramInterface,
                      MakeMutant("mutant_dgram_duplicates_every_7th",
                                 "every 7th message sent is delivered twice",
                                 OpenMutant<DuplicatesEvery7th>));
IPCSPEC_REGISTER_KIND(DatagramInterface,
                      MakeMutant("mutant_dgram_swaps_pairs",
                                 "of two queued messages, the second is received first",
                                 OpenMutant<SwapsPairs>));
IPCSPEC_REGISTER_KIND(DatagramInterface,
                      MakeMutant("mutant_dgram_keeps_truncated_tail",
                                 "a message longer than the buffer is split: the tail comes back "
                                 "as the next message, and no MSG_TRUNC",
                                 OpenMutant<KeepsTruncatedTail>));

}  // namespace
}  // namespace ipcspec
