// AttachmentsAlias: several attachments of one region in one process are the
// same bytes. A state machine (Attach, Detach, Write, Read) against the byte
// array of shared_region_common.h.
#include <sstream>
#include <string>
#include <vector>

#include "impl/repro/repro.h"
#include "rapidcheck/state.h"
#include "suites/shared_region/shared_region_common.h"

namespace ipcspec {
namespace shared_region {
namespace {

struct Model {
  ByteModel bytes;                 // the region's first `size` bytes
  std::vector<RegionAccess> atts;  // live attachments, by index
  bool read_only_ok = true;
  size_t granularity = 0;          // caps.granularity (AttachedLength)
};

struct Sut {
  SharedRegion* region;
  std::vector<RegionAttachment> atts;
  RegionRecorder* c = nullptr;  // impl/repro
};

constexpr const char* kAliasRule =
    "man 2 shmop: \"The same segment may be attached as a read and as a read-write one, and "
    "more than once, in the process's address space.\"; man 2 mmap MAP_SHARED: \"Updates to "
    "the mapping are visible to other processes mapping the same region\"";
constexpr const char* kReadOnlyRule =
    "man 2 shmop SHM_RDONLY: \"Attach the segment for read-only access.\"; man 2 mmap: SIGSEGV "
    "\"Attempted write into a region mapped as read-only.\"";

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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      const std::string what = "new attachment #" + std::to_string(m.atts.size());
      // (The attachment's length is the Kind's bookkeeping here: not checked in C.)
      s.c->Step(t.str(), std::string("att_add(r_attach(") +
                             (access == RegionAccess::kReadOnly ? "1" : "0") + "));\n" +
                             s.c->ReadC(0, "att[natt - 1]", what, 0, m.bytes.size(), kAliasRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), "r_detach(att_remove(" + std::to_string(idx) + "));\n");
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      const bool ro = m.atts[idx] == RegionAccess::kReadOnly;
      s.c->Step(t.str(), s.c->WriteC(0, "att[" + std::to_string(idx) + "]",
                                     (ro ? "write through read-only #" : "write through #") +
                                         std::to_string(idx),
                                     off, pattern, ro, ro ? kReadOnlyRule : kAliasRule));
    }
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
    if (s.c->on()) {
      std::ostringstream t;
      show(t);
      s.c->Step(t.str(), s.c->ReadC(0, "att[" + std::to_string(idx) + "]",
                                    "read through #" + std::to_string(idx), off, len, kAliasRule));
    }
    CheckRead(s.atts[idx], off, len, m.bytes.data(), "read through #" + std::to_string(idx));
  }
  void show(std::ostream& os) const override {
    os << "Read(#" << idx << ", offset " << off << ", " << len << " bytes)";
  }
};

}  // namespace

PropertyOutcome RunAttachmentsAlias(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    size_t size = (*GenRegionSize(12)).bytes;
    RegionPtr region = CreateRegion(kind, size);
    RegionRecorder c(size);
    if (!kind.caps.zero_filled) {
      c.Unprintable("the Kind's new region is not zero-filled: the model starts from bytes read "
                    "at run time");
    }
    std::vector<uint8_t> initial(size, 0);
    if (!kind.caps.zero_filled) {
      RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadOnly);
      RC_ASSERT(Copier().Copy(initial.data(), a.data, size) == size);
      RC_ASSERT(region->Detach(a).ok());
    }
    Model m{ByteModel(std::move(initial)), {}, kind.caps.read_only_attach,
            kind.caps.granularity};
    Sut s{region.get(), {}, &c};
    rc::state::check(m, s,
                     rc::state::gen::execOneOfWithArgs<Attach, Attach, Detach, Write, Write,
                                                       Write, Read, Read>());
  }));
}

}  // namespace shared_region
}  // namespace ipcspec
