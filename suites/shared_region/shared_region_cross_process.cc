// CrossProcessSharing: what a child writes through its own attachment the
// parent reads through its own, and the other way. A state machine against
// the byte array of shared_region_common.h; one long-lived child per run
// serves the child's commands over a socket pair.
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/deadline.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/repro/repro.h"
#include "rapidcheck/state.h"
#include "suites/shared_region/shared_region_common.h"

namespace ipcspec {
namespace shared_region {
namespace {

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

constexpr const char* kCrossRule =
    "man 2 mmap MAP_SHARED: \"Share this mapping. Updates to the mapping are visible to other "
    "processes mapping the same region\"; man 7 shm_overview: \"allows processes to "
    "communicate information by sharing a region of memory\"";

struct Sut {
  SharedRegion* region;
  RegionChild* child;
  std::vector<RegionAttachment> atts;  // atts[0]: the run's first attachment
  RegionRecorder* c = nullptr;         // impl/repro
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), s.c->WriteC(0, "att[" + std::to_string(idx) + "]",
                                     "parent write through #" + std::to_string(idx), off, pattern,
                                     false, kCrossRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), s.c->ReadC(0, "att[" + std::to_string(idx) + "]",
                                    "parent read through #" + std::to_string(idx), off, len,
                                    kCrossRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), "att_add(r_attach(0));\n" +
                             s.c->ReadC(0, "att[natt - 1]",
                                        "parent's new attachment #" + std::to_string(s.atts.size()),
                                        0, m.bytes.size(), kCrossRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), "r_detach(att_remove(" + std::to_string(idx) + "));\n");
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->ChildStep(t.str(), s.c->WriteC(1, "child_att", "child write", off, pattern, false,
                                          kCrossRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->ChildStep(t.str(), s.c->ReadC(1, "child_att", "child read", off, len, kCrossRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->ChildStep(t.str(), "if (child_att) r_detach(child_att);\nchild_att = r_attach(0);\n");
    }
    static Request rq;
    rq.op = kFresh;
    Reply rp = CallOrFail(s, rq, 0, "child re-attach");
    if (rp.err != 0) RC_FAIL("child Detach + Attach: " + ErrnoName(rp.err));
  }
  void show(std::ostream& os) const override { os << "child: Detach() + Attach()"; }
};

}  // namespace

PropertyOutcome RunCrossProcessSharing(const SharedRegionKind& kind) {
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

  PropertyOutcome o = RunProperty(CurrentTestId(), repro::Recorded([&] {
    RC_LOG() << kind.name << ": one region of " << size << " bytes (" << handle
             << "), a child forked after the first Attach; each case zeroes it "
             << "through #0 and has the child attach anew\n";
    // The reproducer: its own region (the Kind's setup), #0, the child
    // forked after it, the zeroing, the child's first attachment.
    RegionRecorder c(size);
    if (c.on()) {
    c.Step("parent: Attach() #0, the run's first attachment", "att_add(r_attach(0));\n");
    c.Fork("fork the child (after #0, as the property forks it once per run)");
    c.Step("parent: zero the region through #0",
           "memset(wbuf, 0, REGION_SIZE);\n"
           "{\n  size_t z = safe_copy(att[0], wbuf, REGION_SIZE);\n"
           "  if (z != REGION_SIZE)\n    broken(" + repro::Lit(kCrossRule) +
               ", \"zeroing through #0: byte at offset %zu cannot be written (the access "
               "faults)\", z);\n}\n");
    c.ChildStep("child: Attach()", "child_att = r_attach(0);\n");
    }
    std::vector<uint8_t> zeros(size, 0);
    size_t zeroed = Copier().Copy(p0.data, zeros.data(), size);
    if (zeroed != size) {
      RC_FAIL("zeroing through #0: byte at offset " + std::to_string(zeroed) +
              " cannot be written (the access faults)");
    }
    Sut s{region.get(), child.get(), {p0}, &c};
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
  }));
  auto st = child->Finish();
  if (o.passed && (!st.ok() || !st.value().ExitedWith(0))) {
    o.passed = false;
    o.message = "the child serving requests ended badly: " +
                (st.ok() ? st.value().ToString() : st.error().ToString()) + "\n";
  }
  return o;
}

}  // namespace shared_region
}  // namespace ipcspec
