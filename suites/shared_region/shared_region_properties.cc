#include "suites/shared_region/shared_region_properties.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <sstream>

#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

using RegionPtr = std::unique_ptr<SharedRegion>;

// ---------------------------------------------------------------- helpers

std::string Bytes(const uint8_t* p, size_t n) {
  std::ostringstream os;
  os << n << (n == 1 ? " byte" : " bytes");
  char buf[4];
  for (size_t i = 0; i < n && i < 12; ++i) {
    std::snprintf(buf, sizeof buf, " %02x", p[i]);
    os << buf;
  }
  if (n > 12) os << " ...";
  return os.str();
}

std::string Bytes(const std::vector<uint8_t>& v) { return Bytes(v.data(), v.size()); }

}  // namespace

// A generated region size, so that a counterexample reads
// "ipcspec::SharedRegionSize: 40959 bytes" rather than "unsigned long: 40959".
struct SharedRegionSize {
  size_t bytes = 0;
};
void showValue(const SharedRegionSize& s, std::ostream& os) { os << s.bytes << " bytes"; }

namespace {

// Region sizes: under a page, around page multiples (k pages - 1, k pages,
// k pages + 1) and anywhere up to max_pages pages. Not scaled down in the
// first cases (rapidcheck's size): a bug may need a large region.
rc::Gen<SharedRegionSize> GenRegionSize(size_t max_pages) {
  const size_t p = PageSize();
  auto bytes = rc::gen::resize(
      100, rc::gen::oneOf(
               rc::gen::inRange<size_t>(1, p), rc::gen::inRange<size_t>(1, max_pages * p + 1),
               rc::gen::map(rc::gen::pair(rc::gen::inRange<size_t>(1, max_pages + 1),
                                          rc::gen::inRange<int>(-1, 2)),
                            [p](const std::pair<size_t, int>& kd) {
                              return static_cast<size_t>(static_cast<long>(kd.first * p) +
                                                         kd.second);
                            })));
  return rc::gen::map(bytes, [](size_t n) { return SharedRegionSize{n}; });
}

// An offset in [0, size): anywhere, or within a few bytes of a page boundary.
// Uniform over the whole region from the first case on (not scaled down by
// rapidcheck's size): what goes wrong at one page must be reachable at once.
size_t GenOffset(size_t size) {
  if (*rc::gen::inRange(0, 3) == 0) {
    const size_t p = PageSize();
    size_t k = *rc::gen::resize(100, rc::gen::inRange<size_t>(0, size / p + 1));
    long off = static_cast<long>(k * p) + *rc::gen::inRange(-3, 4);
    return static_cast<size_t>(std::clamp<long>(off, 0, static_cast<long>(size) - 1));
  }
  return *rc::gen::resize(100, rc::gen::inRange<size_t>(0, size));
}

// The bytes of one write: `length` non-zero bytes (so that every write shows
// against a zeroed region) from a generated seed. Generating each byte with
// rapidcheck would cost more than the system calls under test.
struct Pattern {
  uint32_t seed = 1;
  size_t length = 0;
  std::vector<uint8_t> Bytes() const {
    std::vector<uint8_t> v(length);
    for (size_t i = 0; i < length; ++i) {
      v[i] = static_cast<uint8_t>(1 + (seed * 7 + i * 131 + (i >> 8) * 17) % 255);
    }
    return v;
  }
};

std::ostream& operator<<(std::ostream& os, const Pattern& p) {
  std::vector<uint8_t> v = p.Bytes();
  return os << Bytes(v) << " (pattern " << p.seed << ")";
}

Pattern GenPattern(size_t length) { return Pattern{*rc::gen::inRange<uint32_t>(1, 1000), length}; }

size_t GenLength(size_t size, size_t off, size_t max_len) {
  return *rc::gen::inRange<size_t>(1, std::min(max_len, size - off) + 1);
}

// Fails the case with where `got` first differs from `want`.
void AssertSameBytes(const uint8_t* got, const uint8_t* want, size_t n, size_t base,
                     const std::string& what) {
  for (size_t i = 0; i < n; ++i) {
    if (got[i] != want[i]) {
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s: byte at offset %zu is 0x%02x, the model says 0x%02x",
                    what.c_str(), base + i, got[i], want[i]);
      RC_FAIL(std::string(buf));
    }
  }
}

// The length of an attachment of a region of n bytes: n rounded up to the
// Kind's granularity (caps.granularity; 0 means the page size). The bytes
// past n up to that length belong to the region and read as the page's
// (zeros for a new one); with granularity 1 the attachment is exactly n.
size_t AttachedLength(size_t granularity, size_t n) {
  const size_t g = granularity == 0 ? PageSize() : granularity;
  return (n + g - 1) / g * g;
}

// A Kind whose object cannot be made here at all (ENOSYS: memfd_create on an
// old kernel or a sandbox) is skipped, probed once per Kind.
std::optional<std::string> UnavailableHere(const SharedRegionKind& kind) {
  static std::map<std::string, std::optional<std::string>> cache;
  auto it = cache.find(kind.name);
  if (it != cache.end()) return it->second;
  std::optional<std::string> why;
  auto inst = kind.Open();
  if (!inst.ok()) {
    if (inst.errno_value() == ENOSYS || inst.errno_value() == EOPNOTSUPP) {
      why = "not available here: " + inst.error().ToString();
    }
  } else {
    PosixError e = inst.value()->Create(1);
    if (e.errno_value() == ENOSYS || e.errno_value() == EOPNOTSUPP) {
      why = "not available here: " + e.ToString();
    }
  }
  cache[kind.name] = why;
  return why;
}

// Opens an Instance of `kind` and creates `size` bytes, or fails the case.
RegionPtr CreateRegion(const SharedRegionKind& kind, size_t size) {
  auto inst = kind.Open();
  if (!inst.ok()) RC_FAIL(kind.name + ": Open(): " + inst.error().ToString());
  RegionPtr r = std::move(inst).ValueOrDie();
  PosixError e = r->Create(size);
  if (!e.ok()) RC_FAIL(kind.name + ": Create(" + std::to_string(size) + "): " + e.ToString());
  RC_LOG() << kind.name << ": Create(" << size << ") -> " << r->Handle() << "\n";
  return r;
}

RegionAttachment AttachOrFail(SharedRegion& r, RegionAccess access) {
  auto a = r.Attach(access);
  if (!a.ok()) RC_FAIL(std::string("Attach(") + ToString(access) + "): " + a.error().ToString());
  return a.value();
}

// The copier of the property run in progress. Each run makes its own pipe
// and closes it at the end (the leak audit counts fds per test).
FaultSafeCopier* g_copier = nullptr;

class UseCopier {
 public:
  UseCopier() : copier_(FaultSafeCopier::Create().ValueOrDie()), previous_(g_copier) {
    g_copier = &copier_;
  }
  ~UseCopier() { g_copier = previous_; }
  UseCopier(const UseCopier&) = delete;
  UseCopier& operator=(const UseCopier&) = delete;

 private:
  FaultSafeCopier copier_;
  FaultSafeCopier* previous_;
};

FaultSafeCopier& Copier() { return *g_copier; }

// Reads [off, off+n) of an attachment and compares it with the model.
void CheckRead(const RegionAttachment& a, size_t off, size_t n, const uint8_t* model,
               const std::string& what) {
  std::vector<uint8_t> got(n);
  size_t copied = Copier().Copy(got.data(), a.data + off, n);
  if (copied != n) {
    RC_FAIL(what + ": byte at offset " + std::to_string(off + copied) +
            " cannot be read (the access faults: SIGBUS or SIGSEGV)");
  }
  AssertSameBytes(got.data(), model + off, n, off, what);
}

// The model of a region's bytes: a byte array, shared copy-on-write so that
// copying the model (rapidcheck copies it for every command it generates) is
// cheap.
class ByteModel {
 public:
  explicit ByteModel(std::vector<uint8_t> v)
      : bytes_(std::make_shared<const std::vector<uint8_t>>(std::move(v))) {}
  size_t size() const { return bytes_->size(); }
  const uint8_t* data() const { return bytes_->data(); }
  void Write(size_t off, const std::vector<uint8_t>& d) {
    auto next = std::make_shared<std::vector<uint8_t>>(*bytes_);
    std::copy(d.begin(), d.end(), next->begin() + static_cast<long>(off));
    bytes_ = std::move(next);
  }

 private:
  std::shared_ptr<const std::vector<uint8_t>> bytes_;
};

// =================================================== AttachmentsAlias

namespace alias {

struct Model {
  ByteModel bytes;                 // the region's first `size` bytes
  std::vector<RegionAccess> atts;  // live attachments, by index
  bool read_only_ok = true;
  size_t granularity = 0;          // caps.granularity (AttachedLength)
};

struct Sut {
  SharedRegion* region;
  std::vector<RegionAttachment> atts;
};

using Cmd = rc::state::Command<Model, Sut>;

struct Attach : Cmd {
  RegionAccess access = RegionAccess::kReadWrite;
  explicit Attach(const Model& m) {
    if (m.read_only_ok && *rc::gen::inRange(0, 4) == 0) access = RegionAccess::kReadOnly;
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(m.atts.size() < 6u);
    RC_PRE(access == RegionAccess::kReadWrite || m.read_only_ok);
  }
  void apply(Model& m) const override { m.atts.push_back(access); }
  void run(const Model& m, Sut& s) const override {
    RegionAttachment a = AttachOrFail(*s.region, access);
    s.atts.push_back(a);
    const size_t want = AttachedLength(m.granularity, m.bytes.size());
    if (a.length != want) {
      RC_FAIL("attachment length " + std::to_string(a.length) + ", expected " +
              std::to_string(want));
    }
    // A new attachment shows everything written so far.
    CheckRead(a, 0, m.bytes.size(), m.bytes.data(), "new attachment #" + std::to_string(m.atts.size()));
  }
  void show(std::ostream& os) const override { os << "Attach(" << ToString(access) << ")"; }
};

struct Detach : Cmd {
  size_t idx;
  explicit Detach(const Model& m) {
    RC_PRE(!m.atts.empty());
    idx = *rc::gen::inRange<size_t>(0, m.atts.size());
  }
  void checkPreconditions(const Model& m) const override { RC_PRE(idx < m.atts.size()); }
  void apply(Model& m) const override { m.atts.erase(m.atts.begin() + static_cast<long>(idx)); }
  void run(const Model& m, Sut& s) const override {
    PosixError e = s.region->Detach(s.atts[idx]);
    if (!e.ok()) RC_FAIL("Detach(#" + std::to_string(idx) + "): " + e.ToString());
    s.atts.erase(s.atts.begin() + static_cast<long>(idx));
  }
  void show(std::ostream& os) const override { os << "Detach(#" << idx << ")"; }
};

struct Write : Cmd {
  size_t idx, off;
  Pattern pattern;
  explicit Write(const Model& m) {
    RC_PRE(!m.atts.empty());
    idx = *rc::gen::inRange<size_t>(0, m.atts.size());
    off = GenOffset(m.bytes.size());
    pattern = GenPattern(GenLength(m.bytes.size(), off, 2 * PageSize()));
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(idx < m.atts.size());
    RC_PRE(off + pattern.length <= m.bytes.size());
  }
  void apply(Model& m) const override {
    if (m.atts[idx] == RegionAccess::kReadWrite) {
      std::vector<uint8_t> data = pattern.Bytes();
      m.bytes.Write(off, data);
    }
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<uint8_t> data = pattern.Bytes();
    size_t copied = Copier().Copy(s.atts[idx].data + off, data.data(), data.size());
    if (m.atts[idx] == RegionAccess::kReadWrite) {
      if (copied != data.size()) {
        RC_FAIL("write through #" + std::to_string(idx) + ": byte at offset " +
                std::to_string(off + copied) + " cannot be written (the access faults)");
      }
    } else if (copied != 0) {
      // man 2 shmop SHM_RDONLY "Attach the segment for read-only access";
      // man 2 mmap: SIGSEGV "Attempted write into a region mapped as
      // read-only" (here the kernel's copy reports it as EFAULT).
      RC_FAIL("write through read-only #" + std::to_string(idx) + " went through (" +
              std::to_string(copied) + " bytes)");
    }
  }
  void show(std::ostream& os) const override {
    os << "Write(#" << idx << ", offset " << off << ", " << pattern << ")";
  }
};

struct Read : Cmd {
  size_t idx, off, len;
  explicit Read(const Model& m) {
    RC_PRE(!m.atts.empty());
    idx = *rc::gen::inRange<size_t>(0, m.atts.size());
    off = GenOffset(m.bytes.size());
    len = GenLength(m.bytes.size(), off, 2 * PageSize());
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(idx < m.atts.size());
    RC_PRE(off + len <= m.bytes.size());
  }
  void run(const Model& m, Sut& s) const override {
    CheckRead(s.atts[idx], off, len, m.bytes.data(), "read through #" + std::to_string(idx));
  }
  void show(std::ostream& os) const override {
    os << "Read(#" << idx << ", offset " << off << ", " << len << " bytes)";
  }
};

PropertyOutcome Run(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), [&kind] {
    size_t size = (*GenRegionSize(12)).bytes;
    RegionPtr region = CreateRegion(kind, size);
    std::vector<uint8_t> initial(size, 0);
    if (!kind.caps.zero_filled) {
      RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadOnly);
      RC_ASSERT(Copier().Copy(initial.data(), a.data, size) == size);
      RC_ASSERT(region->Detach(a).ok());
    }
    Model m{ByteModel(std::move(initial)), {}, kind.caps.read_only_attach,
            kind.caps.granularity};
    Sut s{region.get(), {}};
    rc::state::check(m, s,
                     rc::state::gen::execOneOfWithArgs<Attach, Attach, Detach, Write, Write,
                                                       Write, Read, Read>());
  });
}

}  // namespace alias

// ================================================ CrossProcessSharing

namespace xproc {

// The region every case of one run uses: 10 pages and a partial one.
size_t RunSize() { return 10 * PageSize() + 123; }

enum Op : uint32_t { kFresh = 1, kWrite = 2, kRead = 3 };
constexpr size_t kMaxChunk = 1024;

struct Request {
  uint32_t op = 0;
  uint32_t offset = 0;
  uint32_t length = 0;
  uint8_t data[kMaxChunk];
};

struct Reply {
  int32_t err = 0;       // errno of a failed Attach; 0 otherwise
  uint32_t length = 0;   // bytes copied (less than asked: the access faulted)
  uint8_t data[kMaxChunk];
};

// The child: serves requests on `sock` until the parent closes it. System
// calls and the Kind's Attach/Detach only (async-signal-safe).
int Serve(SharedRegion* region, int sock) {
  auto made = FaultSafeCopier::Create();
  if (!made.ok()) return 3;
  FaultSafeCopier copier = std::move(made).ValueOrDie();
  RegionAttachment mine{};
  static Request rq;
  static Reply rp;
  for (;;) {
    ssize_t n = recv(sock, &rq, sizeof rq, 0);
    if (n == 0) return 0;  // the parent is done
    if (n < 0) {
      if (errno == EINTR) continue;
      return 4;
    }
    rp.err = 0;
    rp.length = 0;
    size_t reply_len = offsetof(Reply, data);
    switch (rq.op) {
      case kFresh: {
        if (mine) (void)region->Detach(mine);
        mine = RegionAttachment{};
        auto a = region->Attach(RegionAccess::kReadWrite);
        if (a.ok()) {
          mine = a.value();
        } else {
          rp.err = a.errno_value() != 0 ? a.errno_value() : EIO;
        }
        break;
      }
      case kWrite:
        if (!mine) {
          rp.err = ENXIO;
          break;
        }
        rp.length = static_cast<uint32_t>(copier.Copy(mine.data + rq.offset, rq.data, rq.length));
        break;
      case kRead:
        if (!mine) {
          rp.err = ENXIO;
          break;
        }
        rp.length = static_cast<uint32_t>(copier.Copy(rp.data, mine.data + rq.offset, rq.length));
        reply_len += rp.length;
        break;
      default:
        return 5;
    }
    if (send(sock, &rp, reply_len, MSG_NOSIGNAL) < 0) return 6;
  }
}

// The parent's side of the long-lived child.
class RegionChild {
 public:
  static PosixErrorOr<std::unique_ptr<RegionChild>> Start(SharedRegion* region) {
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
      return ErrnoError("socketpair(SOCK_SEQPACKET)");
    }
    FileDescriptor mine(sv[0]), theirs(sv[1]);
    int child_end = sv[1], parent_end = sv[0];
    IPCSPEC_ASSIGN_OR_RETURN(Child c, Child::Fork([region, child_end, parent_end] {
                               close(parent_end);
                               return Serve(region, child_end);
                             }));
    theirs.reset();
    auto rc = std::unique_ptr<RegionChild>(new RegionChild());
    rc->sock_ = std::move(mine);
    rc->child_ = std::move(c);
    return rc;
  }

  // One request, one reply. On failure (the child died, or hung past the
  // deadline) says what became of the child.
  PosixErrorOr<Reply> Call(const Request& rq, size_t payload) {
    if (!sock_.valid()) return PosixError(EPIPE, "the child is gone: " + gone_);
    size_t len = offsetof(Request, data) + payload;
    if (send(sock_.get(), &rq, len, MSG_NOSIGNAL) < 0) return Gone(ErrnoError("send(request)"));
    Deadline d = Deadline::Default();
    struct pollfd p = {sock_.get(), POLLIN, 0};
    int n;
    do {
      n = poll(&p, 1, d.RemainingMs());
    } while (n < 0 && errno == EINTR);
    if (n == 0) return Gone(PosixError(ETIMEDOUT, "no reply from the child by the deadline"));
    if (n < 0) return Gone(ErrnoError("poll(child socket)"));
    Reply rp;
    ssize_t got = recv(sock_.get(), &rp, sizeof rp, 0);
    if (got <= 0) return Gone(got == 0 ? PosixError(EPIPE, "the child closed its end")
                                       : ErrnoError("recv(reply)"));
    return rp;
  }

  // Ends the child: closes the socket and waits for it.
  PosixErrorOr<WaitStatus> Finish() {
    sock_.reset();
    if (!child_.running()) return PosixError(ECHILD, gone_);
    return child_.Wait(Deadline::Default());
  }

 private:
  RegionChild() = default;
  PosixError Gone(const PosixError& e) {
    sock_.reset();
    auto st = child_.running() ? child_.Wait(Deadline::In(std::chrono::seconds(5)))
                               : PosixErrorOr<WaitStatus>(PosixError(ECHILD, "reaped"));
    gone_ = e.ToString() + "; child " + (st.ok() ? st.value().ToString() : st.error().ToString());
    return PosixError(e.errno_value(), gone_);
  }
  FileDescriptor sock_;
  Child child_;
  std::string gone_;
};

struct Model {
  ByteModel bytes;
  size_t parent_atts = 1;  // #0 is the run's first attachment, kept
};

struct Sut {
  SharedRegion* region;
  RegionChild* child;
  std::vector<RegionAttachment> atts;  // atts[0]: the run's first attachment
  ~Sut() {
    for (size_t i = 1; i < atts.size(); ++i) (void)region->Detach(atts[i]);
  }
};

using Cmd = rc::state::Command<Model, Sut>;

Reply CallOrFail(Sut& s, const Request& rq, size_t payload, const std::string& what) {
  auto r = s.child->Call(rq, payload);
  if (!r.ok()) RC_FAIL(what + ": " + r.error().ToString());
  return r.value();
}

struct ParentWrite : Cmd {
  size_t idx, off;
  Pattern pattern;
  explicit ParentWrite(const Model& m) {
    idx = *rc::gen::inRange<size_t>(0, m.parent_atts);
    off = GenOffset(m.bytes.size());
    pattern = GenPattern(GenLength(m.bytes.size(), off, 2 * PageSize()));
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(idx < m.parent_atts);
    RC_PRE(off + pattern.length <= m.bytes.size());
  }
  void apply(Model& m) const override {
    std::vector<uint8_t> data = pattern.Bytes();
    m.bytes.Write(off, data);
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<uint8_t> data = pattern.Bytes();
    size_t copied = Copier().Copy(s.atts[idx].data + off, data.data(), data.size());
    if (copied != data.size()) {
      RC_FAIL("parent write through #" + std::to_string(idx) + ": byte at offset " +
              std::to_string(off + copied) + " cannot be written (the access faults)");
    }
  }
  void show(std::ostream& os) const override {
    os << "parent: Write(#" << idx << ", offset " << off << ", " << pattern << ")";
  }
};

struct ParentRead : Cmd {
  size_t idx, off, len;
  explicit ParentRead(const Model& m) {
    idx = *rc::gen::inRange<size_t>(0, m.parent_atts);
    off = GenOffset(m.bytes.size());
    len = GenLength(m.bytes.size(), off, 2 * PageSize());
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(idx < m.parent_atts);
    RC_PRE(off + len <= m.bytes.size());
  }
  void run(const Model& m, Sut& s) const override {
    CheckRead(s.atts[idx], off, len, m.bytes.data(), "parent read through #" + std::to_string(idx));
  }
  void show(std::ostream& os) const override {
    os << "parent: Read(#" << idx << ", offset " << off << ", " << len << " bytes)";
  }
};

struct ParentAttach : Cmd {
  void checkPreconditions(const Model& m) const override { RC_PRE(m.parent_atts < 5u); }
  void apply(Model& m) const override { ++m.parent_atts; }
  void run(const Model& m, Sut& s) const override {
    RegionAttachment a = AttachOrFail(*s.region, RegionAccess::kReadWrite);
    s.atts.push_back(a);
    CheckRead(a, 0, m.bytes.size(), m.bytes.data(),
              "parent's new attachment #" + std::to_string(s.atts.size() - 1));
  }
  void show(std::ostream& os) const override { os << "parent: Attach()"; }
};

struct ParentDetach : Cmd {
  size_t idx;
  explicit ParentDetach(const Model& m) {
    RC_PRE(m.parent_atts > 1u);
    idx = *rc::gen::inRange<size_t>(1, m.parent_atts);
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(idx >= 1u && idx < m.parent_atts);
  }
  void apply(Model& m) const override { --m.parent_atts; }
  void run(const Model& m, Sut& s) const override {
    PosixError e = s.region->Detach(s.atts[idx]);
    s.atts.erase(s.atts.begin() + static_cast<long>(idx));
    if (!e.ok()) RC_FAIL("parent Detach(#" + std::to_string(idx) + "): " + e.ToString());
  }
  void show(std::ostream& os) const override { os << "parent: Detach(#" << idx << ")"; }
};

struct ChildWrite : Cmd {
  size_t off;
  Pattern pattern;
  explicit ChildWrite(const Model& m) {
    off = GenOffset(m.bytes.size());
    pattern = GenPattern(GenLength(m.bytes.size(), off, kMaxChunk));
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(off + pattern.length <= m.bytes.size());
  }
  void apply(Model& m) const override {
    std::vector<uint8_t> data = pattern.Bytes();
    m.bytes.Write(off, data);
  }
  void run(const Model& m, Sut& s) const override {
    std::vector<uint8_t> data = pattern.Bytes();
    static Request rq;
    rq.op = kWrite;
    rq.offset = static_cast<uint32_t>(off);
    rq.length = static_cast<uint32_t>(data.size());
    std::memcpy(rq.data, data.data(), data.size());
    Reply rp = CallOrFail(s, rq, data.size(), "child write");
    if (rp.err != 0) RC_FAIL("child write: " + ErrnoName(rp.err));
    if (rp.length != data.size()) {
      RC_FAIL("child write: byte at offset " + std::to_string(off + rp.length) +
              " cannot be written in the child (the access faults)");
    }
  }
  void show(std::ostream& os) const override {
    os << "child: Write(offset " << off << ", " << pattern << ")";
  }
};

struct ChildRead : Cmd {
  size_t off, len;
  explicit ChildRead(const Model& m) {
    off = GenOffset(m.bytes.size());
    len = GenLength(m.bytes.size(), off, kMaxChunk);
  }
  void checkPreconditions(const Model& m) const override {
    RC_PRE(off + len <= m.bytes.size());
  }
  void run(const Model& m, Sut& s) const override {
    static Request rq;
    rq.op = kRead;
    rq.offset = static_cast<uint32_t>(off);
    rq.length = static_cast<uint32_t>(len);
    Reply rp = CallOrFail(s, rq, 0, "child read");
    if (rp.err != 0) RC_FAIL("child read: " + ErrnoName(rp.err));
    if (rp.length != len) {
      RC_FAIL("child read: byte at offset " + std::to_string(off + rp.length) +
              " cannot be read in the child (the access faults)");
    }
    AssertSameBytes(rp.data, m.bytes.data() + off, len, off, "child read");
  }
  void show(std::ostream& os) const override {
    os << "child: Read(offset " << off << ", " << len << " bytes)";
  }
};

// The child drops its attachment and makes a new one.
struct ChildReattach : Cmd {
  void run(const Model& m, Sut& s) const override {
    static Request rq;
    rq.op = kFresh;
    Reply rp = CallOrFail(s, rq, 0, "child re-attach");
    if (rp.err != 0) RC_FAIL("child Detach + Attach: " + ErrnoName(rp.err));
  }
  void show(std::ostream& os) const override { os << "child: Detach() + Attach()"; }
};

PropertyOutcome Run(const SharedRegionKind& kind) {
  UseCopier copier;
  auto fail = [&](const std::string& why) {
    PropertyOutcome o;
    o.message = why + "\n";
    return o;
  };
  auto inst = kind.Open();
  if (!inst.ok()) return fail("Open(): " + inst.error().ToString());
  RegionPtr region = std::move(inst).ValueOrDie();
  const size_t size = RunSize();
  PosixError e = region->Create(size);
  if (!e.ok()) return fail("Create(" + std::to_string(size) + "): " + e.ToString());
  auto first = region->Attach(RegionAccess::kReadWrite);
  if (!first.ok()) return fail("Attach(): " + first.error().ToString());
  auto started = RegionChild::Start(region.get());
  if (!started.ok()) return fail("starting the child: " + started.error().ToString());
  std::unique_ptr<RegionChild> child = std::move(started).ValueOrDie();
  const RegionAttachment p0 = first.value();
  const std::string handle = region->Handle();

  PropertyOutcome o = RunProperty(CurrentTestId(), [&] {
    RC_LOG() << kind.name << ": one region of " << size << " bytes (" << handle
             << "), a child forked after the first Attach; each case zeroes it "
             << "through #0 and has the child attach anew\n";
    std::vector<uint8_t> zeros(size, 0);
    size_t zeroed = Copier().Copy(p0.data, zeros.data(), size);
    if (zeroed != size) {
      RC_FAIL("zeroing through #0: byte at offset " + std::to_string(zeroed) +
              " cannot be written (the access faults)");
    }
    Sut s{region.get(), child.get(), {p0}};
    static Request fresh;
    fresh.op = kFresh;
    Reply rp = CallOrFail(s, fresh, 0, "child Attach");
    if (rp.err != 0) RC_FAIL("child Attach: " + ErrnoName(rp.err));
    Model m{ByteModel(zeros), 1};
    rc::state::check(
        m, s,
        rc::state::gen::execOneOfWithArgs<ParentWrite, ParentWrite, ParentRead, ParentRead,
                                          ChildWrite, ChildWrite, ChildRead, ChildRead,
                                          ParentAttach, ParentDetach, ChildReattach>());
  });
  auto st = child->Finish();
  if (o.passed && (!st.ok() || !st.value().ExitedWith(0))) {
    o.passed = false;
    o.message = "the child serving requests ended badly: " +
                (st.ok() ? st.value().ToString() : st.error().ToString()) + "\n";
  }
  return o;
}

}  // namespace xproc

// ===================================================== SizeAndRounding

PropertyOutcome RunSizeAndRounding(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), [&kind] {
    const size_t n = (*GenRegionSize(6)).bytes;
    const size_t rounded = AttachedLength(kind.caps.granularity, n);
    RegionPtr region = CreateRegion(kind, n);
    auto size = region->Size();
    if (!size.ok()) RC_FAIL("Size(): " + size.error().ToString());
    const size_t want = kind.caps.size_rule == RegionSizeRule::kAsked ? n : RoundUpToPage(n);
    if (size.value() != want) {
      RC_FAIL("Create(" + std::to_string(n) + "): Size() reports " +
              std::to_string(size.value()) + ", but this Kind reports " +
              ToString(kind.caps.size_rule) + ": " + std::to_string(want));
    }
    RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadWrite);
    if (a.length != rounded) {
      RC_FAIL("attachment length " + std::to_string(a.length) + ", expected " +
              std::to_string(n) + " rounded up to the granularity (" +
              std::to_string(kind.caps.granularity ? kind.caps.granularity : PageSize()) +
              "): " + std::to_string(rounded));
    }
    // Every byte of the mapping, up to the end of the last page, is there.
    std::vector<uint8_t> all(rounded);
    size_t readable = Copier().Copy(all.data(), a.data, rounded);
    if (readable != rounded) {
      RC_FAIL("Create(" + std::to_string(n) + "): byte at offset " + std::to_string(readable) +
              " of the " + std::to_string(rounded) +
              "-byte mapping cannot be read (SIGBUS/SIGSEGV)");
    }
    if (kind.caps.zero_filled) {
      std::vector<uint8_t> zeros(rounded, 0);
      AssertSameBytes(all.data(), zeros.data(), rounded, 0, "a new region");
    }
    if (kind.caps.read_only_attach) {
      RegionAttachment r = AttachOrFail(*region, RegionAccess::kReadOnly);
      if (r.length != rounded) RC_FAIL("read-only attachment length " + std::to_string(r.length));
      if (!Copier().Readable(r.data, rounded)) RC_FAIL("read-only attachment: not all readable");
    }
  });
}

// ============================================== RemoveKeepsAttachments

PropertyOutcome RunRemoveKeepsAttachments(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), [&kind] {
    const size_t n = (*GenRegionSize(4)).bytes;
    RegionPtr region = CreateRegion(kind, n);
    RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadWrite);
    RegionAttachment b = AttachOrFail(*region, RegionAccess::kReadWrite);
    std::vector<uint8_t> model(n, 0);

    const size_t off1 = GenOffset(n);
    const std::vector<uint8_t> d1 = GenPattern(GenLength(n, off1, 512)).Bytes();
    RC_LOG() << "Write(#0, offset " << off1 << ", " << Bytes(d1) << ")\n";
    RC_ASSERT(Copier().Copy(a.data + off1, d1.data(), d1.size()) == d1.size());
    std::copy(d1.begin(), d1.end(), model.begin() + static_cast<long>(off1));

    PosixError e = region->Remove();
    if (!e.ok()) RC_FAIL("Remove(): " + e.ToString());
    RC_LOG() << "Remove()\n";
    CheckRead(b, 0, n, model.data(), "after Remove(), attachment #1");

    const size_t off2 = GenOffset(n);
    const std::vector<uint8_t> d2 = GenPattern(GenLength(n, off2, 512)).Bytes();
    RC_LOG() << "Write(#1, offset " << off2 << ", " << Bytes(d2) << ")\n";
    size_t w = Copier().Copy(b.data + off2, d2.data(), d2.size());
    if (w != d2.size()) RC_FAIL("after Remove(), writing through #1 faults at " + std::to_string(off2 + w));
    std::copy(d2.begin(), d2.end(), model.begin() + static_cast<long>(off2));
    CheckRead(a, 0, n, model.data(), "after Remove(), attachment #0");

    auto c = region->Attach(RegionAccess::kReadWrite);
    if (kind.caps.attach_after_remove) {
      if (!c.ok()) RC_FAIL("Attach() after Remove(): " + c.error().ToString() +
                           " (the Kind claims attach_after_remove)");
      CheckRead(c.value(), 0, n, model.data(), "attachment made after Remove()");
    } else if (c.ok()) {
      RC_FAIL("Attach() after Remove() succeeded, but the Kind claims it cannot");
    }
  });
}

// ====================================== AttachByHandle, OutlivesItsCreator

// Runs `n` cases per property instead of the configured number, with the seed
// in force: for properties that fork a process per case.
class FewCases {
 public:
  explicit FewCases(int n) : params_(SeedInForce(), n) {}

 private:
  static uint64_t SeedInForce() {
    if (const auto* o = ScopedPropertyParams::Current()) return o->seed();
    return rc::detail::configuration().testParams.seed;
  }
  ScopedPropertyParams params_;
};

constexpr int kForkingCases = 20;

// What a child reports through shared memory.
struct ChildReport {
  char handle[256];
  uint8_t got[512];
};

std::string ChildCodeMeaning(int code) {
  switch (code) {
    case 2: return "Open() failed";
    case 3: return "Adopt(handle) / Create() failed";
    case 4: return "Attach() failed";
    case 5: return "no pipe for the copier";
    case 6: return "a read through its attachment faulted";
    case 7: return "a write through its attachment faulted";
    default: return "exit code " + std::to_string(code);
  }
}

// A process that did not make the region reaches it by its handle alone (it
// is forked, but it ignores what it inherited: it makes a new Instance and
// Adopt()s the handle), sees the creator's bytes, and its writes reach the
// creator's attachment.
PropertyOutcome RunAttachByHandle(const SharedRegionKind& kind) {
  UseCopier copier;
  FewCases few(kForkingCases);
  return RunProperty(CurrentTestId(), [&kind] {
    const size_t n = (*GenRegionSize(4)).bytes;
    RegionPtr region = CreateRegion(kind, n);
    RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadWrite);
    const size_t off1 = GenOffset(n);
    const std::vector<uint8_t> d1 = GenPattern(GenLength(n, off1, 512)).Bytes();
    const size_t off2 = GenOffset(n);
    const std::vector<uint8_t> d2 = GenPattern(GenLength(n, off2, 512)).Bytes();
    RC_ASSERT(Copier().Copy(a.data + off1, d1.data(), d1.size()) == d1.size());
    const std::string handle = region->Handle();
    RC_LOG() << "Write(#0, offset " << off1 << ", " << Bytes(d1) << ")\n"
             << "child: Adopt(\"" << handle << "\"), Attach(), Read(offset " << off1 << ", "
             << d1.size() << " bytes), Write(offset " << off2 << ", " << Bytes(d2) << ")\n";
    auto shared = SharedObject<ChildReport>::Create();
    if (!shared.ok()) RC_FAIL(shared.error().ToString());
    ChildReport* rep = shared.value().get();
    // The child releases its Instance on purpose: it must neither detach nor
    // remove what the parent owns (the kernel detaches at exit).
    auto st = ForkAndWait([&]() -> int {
      auto inst = kind.Open();
      if (!inst.ok()) return 2;
      SharedRegion* mine = std::move(inst).ValueOrDie().release();
      if (!mine->Adopt(handle).ok()) return 3;
      auto b = mine->Attach(RegionAccess::kReadWrite);
      if (!b.ok()) return 4;
      auto c = FaultSafeCopier::Create();
      if (!c.ok()) return 5;
      if (c.value().Copy(rep->got, b.value().data + off1, d1.size()) != d1.size()) return 6;
      if (c.value().Copy(b.value().data + off2, d2.data(), d2.size()) != d2.size()) return 7;
      return 0;
    });
    if (!st.ok()) RC_FAIL("child: " + st.error().ToString());
    if (!st.value().ExitedWith(0)) {
      RC_FAIL("a process with only the handle \"" + handle + "\": " +
              (st.value().exited() ? ChildCodeMeaning(st.value().exit_code())
                                   : st.value().ToString()) +
              " (the Kind claims reach " + ToString(kind.caps.reach) + ")");
    }
    AssertSameBytes(rep->got, d1.data(), d1.size(), off1, "what the child read by handle");
    std::vector<uint8_t> model(n, 0);
    std::copy(d1.begin(), d1.end(), model.begin() + static_cast<long>(off1));
    std::copy(d2.begin(), d2.end(), model.begin() + static_cast<long>(off2));
    CheckRead(a, 0, n, model.data(), "the creator's attachment after the child's write");
  });
}

// The region outlives the process that created it: a child creates it,
// writes, and exits without Detach or Remove; the parent finds it by its
// handle, with its size and bytes, and removes it.
PropertyOutcome RunOutlivesItsCreator(const SharedRegionKind& kind) {
  UseCopier copier;
  FewCases few(kForkingCases);
  return RunProperty(CurrentTestId(), [&kind] {
    const size_t n = (*GenRegionSize(4)).bytes;
    const size_t off = GenOffset(n);
    const std::vector<uint8_t> d = GenPattern(GenLength(n, off, 512)).Bytes();
    auto shared = SharedObject<ChildReport>::Create();
    if (!shared.ok()) RC_FAIL(shared.error().ToString());
    ChildReport* rep = shared.value().get();
    rep->handle[0] = '\0';
    auto st = ForkAndWait([&]() -> int {
      auto inst = kind.Open();
      if (!inst.ok()) return 2;
      // Released on purpose: the creator leaves the region behind (the
      // parent adopts it below, and removes it).
      SharedRegion* r = std::move(inst).ValueOrDie().release();
      if (!r->Create(n).ok()) return 3;
      std::snprintf(rep->handle, sizeof rep->handle, "%s", r->Handle().c_str());
      auto a = r->Attach(RegionAccess::kReadWrite);
      if (!a.ok()) return 4;
      auto c = FaultSafeCopier::Create();
      if (!c.ok()) return 5;
      if (c.value().Copy(a.value().data + off, d.data(), d.size()) != d.size()) return 7;
      return 0;  // exits without Detach or Remove
    });
    const std::string handle = rep->handle;
    RC_LOG() << "child: Create(" << n << ") -> \"" << handle << "\", Attach(), Write(offset "
             << off << ", " << Bytes(d) << "), exit\n"
             << "parent: Adopt(\"" << handle << "\")\n";
    // First take ownership of whatever the child left, so that it is removed
    // however the checks below end.
    auto inst = kind.Open();
    if (!inst.ok()) RC_FAIL("Open(): " + inst.error().ToString());
    RegionPtr adopted = std::move(inst).ValueOrDie();
    PosixError e = handle.empty() ? PosixError(ENOENT, "the creator reported no handle")
                                  : adopted->Adopt(handle);
    if (!st.ok()) RC_FAIL("creator: " + st.error().ToString());
    if (!st.value().ExitedWith(0)) {
      RC_FAIL("the creator: " + (st.value().exited() ? ChildCodeMeaning(st.value().exit_code())
                                                     : st.value().ToString()));
    }
    if (!e.ok()) {
      RC_FAIL("after its creator exited, " + e.ToString() + ": the region is gone, but the Kind "
              "claims " + ToString(kind.caps.persistence) + " persistence");
    }
    auto size = adopted->Size();
    if (!size.ok()) RC_FAIL("Size(): " + size.error().ToString());
    const size_t want = kind.caps.size_rule == RegionSizeRule::kAsked ? n : RoundUpToPage(n);
    if (size.value() != want) {
      RC_FAIL("after its creator exited, Size() is " + std::to_string(size.value()) +
              ", it was created with " + std::to_string(n));
    }
    RegionAttachment a = AttachOrFail(*adopted, RegionAccess::kReadOnly);
    std::vector<uint8_t> model(n, 0);
    std::copy(d.begin(), d.end(), model.begin() + static_cast<long>(off));
    CheckRead(a, 0, n, model.data(), "the region after its creator exited");
  });
}

std::optional<std::string> NeedsName(const SharedRegionKind& k) {
  if (k.caps.reach != RegionReach::kName) {
    return std::string("reach is ") + ToString(k.caps.reach) + ": it has no name to be found by";
  }
  return UnavailableHere(k);
}

std::optional<std::string> NeedsPersistence(const SharedRegionKind& k) {
  if (k.caps.persistence == RegionPersistence::kProcess) {
    return std::string("process persistence: the object goes with its last holder");
  }
  if (k.caps.reach != RegionReach::kName) {
    return std::string("reach is ") + ToString(k.caps.reach) + ": nothing to find it by afterwards";
  }
  return UnavailableHere(k);
}

std::optional<std::string> NoSkip(const SharedRegionKind& k) { return UnavailableHere(k); }

std::vector<SuiteProperty<SharedRegionInterface>> MakeProperties() {
  std::vector<SuiteProperty<SharedRegionInterface>> ps;
  ps.push_back({"AttachmentsAlias",
                "man 2 shmop: \"The same segment may be attached as a read and as a read-write "
                "one, and more than once, in the process's address space.\"; man 2 mmap "
                "MAP_SHARED: \"Updates to the mapping are visible to other processes mapping "
                "the same region\"; SHM_RDONLY / PROT_READ: no write through a read-only "
                "attachment (man 2 mmap SIGSEGV: \"Attempted write into a region mapped as "
                "read-only.\")",
                NoSkip, alias::Run});
  ps.push_back({"CrossProcessSharing",
                "man 2 mmap MAP_SHARED: \"Share this mapping. Updates to the mapping are visible "
                "to other processes mapping the same region\"; man 7 sysvipc: \"System V shared "
                "memory allows processes to share a region a memory\"; man 7 shm_overview: "
                "\"allows processes to communicate information by sharing a region of memory\"",
                NoSkip, xproc::Run});
  ps.push_back({"SizeAndRounding",
                "man 2 shmget: \"A new shared memory segment, with size equal to the value of "
                "size rounded up to a multiple of PAGE_SIZE\", \"shm_segsz is set to the value "
                "of size\", \"its contents are initialized to zero values\"; man 2 mmap NOTES: "
                "\"A file is mapped in multiples of the page size. For a file that is not a "
                "multiple of the page size, the remaining bytes in the partial page at the end "
                "of the mapping are zeroed when mapped\"; man 7 shm_overview: ftruncate(2) "
                "\"Set the size of the shared memory object\", fstat(2) reports it (st_size)",
                NoSkip, RunSizeAndRounding});
  ps.push_back({"RemoveKeepsAttachments",
                "man 2 shmctl IPC_RMID: \"The segment will actually be destroyed only after the "
                "last process detaches it\"; man 3 shm_open: shm_unlink \"removes a shared "
                "memory object name, and, once all processes have unmapped the object, "
                "deallocates\"; man 2 mmap: \"closing the file descriptor does not unmap the "
                "region\"",
                NoSkip, RunRemoveKeepsAttachments});
  ps.push_back({"AttachByHandle",
                "man 3 shm_open: \"A POSIX shared memory object is in effect a handle which can "
                "be used by unrelated processes to mmap(2) the same region of shared memory\"; "
                "man 7 sysvipc: shmget(2) \"obtain the ID of an existing segment\", shmat(2) "
                "\"Attach an existing shared memory object\"",
                NeedsName, RunAttachByHandle});
  ps.push_back({"OutlivesItsCreator",
                "man 7 shm_overview: \"POSIX shared memory objects have kernel persistence: a "
                "shared memory object will exist until the system is shut down, or until all "
                "processes have unmapped the object and it has been deleted with "
                "shm_unlink(3)\"; man 2 shmop NOTES: \"Upon _exit(2), all attached shared memory "
                "segments are detached\" (detached, not destroyed: man 2 shmctl IPC_RMID)",
                NeedsPersistence, RunOutlivesItsCreator});
  return ps;
}

}  // namespace

const std::vector<SuiteProperty<SharedRegionInterface>>& SharedRegionProperties() {
  static const auto* ps = new std::vector<SuiteProperty<SharedRegionInterface>>(MakeProperties());
  return *ps;
}

}  // namespace ipcspec
