// The suites' blocked-detection accepts the libuv Kinds' epoll_wait as the
// sleep of a blocked call (ByteStreamCaps::also_blocked_in, declared by
// libuv_kinds.cc, passed to WaitUntilBlocked by the suite).
// That must not make the blocking property vacuous for them: a libuv Kind
// whose blocking read does not block (it returns EAGAIN on an empty stream,
// as its non-blocking read does) is still caught by ReadBlocksUntilDataOrEof,
// and so is one woken in the loop by end of file that reports an error; the
// real libuv_pipe passes the same cases.
//   bazel test //impl/adapters/libuv:libuv_blocking_selftest --config=full
//
// Only ReadBlocksUntilDataOrEof runs: the mutant's read is wrong only on an
// empty stream with a writer left, which ModelSequences never asks for and
// which FullStreamBlocksUntilDrained's drain meets or not depending on how
// the blocked writer's bytes race the drain (a catch on some runs only).
#include <sys/syscall.h>

#include "impl/adapters/libuv/libuv_stream.h"
#include "suites/byte_stream/byte_stream_fault_properties.h"
#include "suites/common/selftest.h"

namespace ipcspec {
namespace {

// The reader of a libuv_pipe with one bug in its blocking read.
class BuggyRead : public StreamEnd {
 public:
  BuggyRead(std::unique_ptr<StreamEnd> inner, bool eof_is_error)
      : inner_(std::move(inner)), eof_is_error_(eof_is_error) {}
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    return inner_->Write(d, n, b);
  }
  PosixErrorOr<size_t> Read(uint8_t* d, size_t n, Blocking b) override {
    if (!eof_is_error_) return inner_->Read(d, n, Blocking::kNonBlock);  // never blocks
    auto r = inner_->Read(d, n, b);
    if (b == Blocking::kBlock && r.ok() && r.value() == 0) {
      return PosixError(EPIPE, "mutant: end of file reported as an error");
    }
    return r;
  }
  PosixError WriteAll(const uint8_t* d, size_t n) override { return inner_->WriteAll(d, n); }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }

 private:
  std::unique_ptr<StreamEnd> inner_;
  bool eof_is_error_;
};

ByteStreamKind Mutant(bool eof_is_error) {
  ByteStreamKind k;
  k.name = eof_is_error ? "libuv_mutant_eof_is_error" : "libuv_mutant_read_never_blocks";
  k.mechanism = "pipe";
  k.description = eof_is_error
                      ? "libuv_pipe whose blocking read reports end of file as EPIPE"
                      : "libuv_pipe whose blocking read is uv_run(UV_RUN_NOWAIT): EAGAIN when empty";
  k.caps.empty_capacity = 65536;
  k.caps.fork_shares_ends = true;
  k.caps.also_blocked_in = {SYS_epoll_wait, SYS_epoll_pwait};  // as libuv_pipe
  k.open = [eof_is_error]() -> PosixErrorOr<ByteStream> {
    auto s = OpenUvPipe();
    if (!s.ok()) return s.error();
    ByteStream out = std::move(s).ValueOrDie();
    out.reader = std::make_unique<BuggyRead>(std::move(out.reader), eof_is_error);
    return out;
  };
  k.mutant = true;
  k.mutant_bug = eof_is_error
                     ? "a blocking read woken by end of file fails EPIPE instead of returning 0"
                     : "a blocking read of an empty stream returns EAGAIN instead of blocking";
  k.base = "libuv_pipe";
  k.library = "libuv";
  return k;
}
IPCSPEC_REGISTER_KIND(ByteStreamInterface, Mutant(false));
IPCSPEC_REGISTER_KIND(ByteStreamInterface, Mutant(true));

std::vector<SuiteProperty<ByteStreamInterface>> ReadBlocksOnly() {
  std::vector<SuiteProperty<ByteStreamInterface>> out;
  for (const auto& p : ByteStreamFaultProperties()) {
    if (std::string(p.name) == "ReadBlocksUntilDataOrEof") out.push_back(p);
  }
  return out;
}

const SelftestSpec<ByteStreamInterface>& Spec() {
  static const auto* s = new SelftestSpec<ByteStreamInterface>{
      ReadBlocksOnly(),
      {{"libuv_mutant_read_never_blocks", {"ReadBlocksUntilDataOrEof"}},
       {"libuv_mutant_eof_is_error", {"ReadBlocksUntilDataOrEof"}}},
      /*max_success=*/20};
  return *s;
}

IPCSPEC_SELFTEST(LibuvBlocking, ByteStreamInterface, Spec());

}  // namespace
}  // namespace ipcspec
