// AttachByHandle and OutlivesItsCreator: a process with only the handle (id,
// name, path) attaches the same bytes; the region, its size and bytes survive
// the exit of the process that made it. Each case forks a process.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "impl/core/process.h"
#include "impl/repro/repro.h"
#include "suites/shared_region/shared_region_common.h"

namespace ipcspec {
namespace shared_region {
namespace {

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

}  // namespace

// A process that did not make the region reaches it by its handle alone (it
// is forked, but it ignores what it inherited: it makes a new Instance and
// Adopt()s the handle), sees the creator's bytes, and its writes reach the
// creator's attachment.
constexpr const char* kHandleRule =
    "man 3 shm_open: \"A POSIX shared memory object is in effect a handle which can be used by "
    "unrelated processes to mmap(2) the same region of shared memory\"; man 7 sysvipc: shmget(2) "
    "\"obtain the ID of an existing segment\", shmat(2) \"Attach an existing shared memory "
    "object\"";

PropertyOutcome RunAttachByHandle(const SharedRegionKind& kind) {
  UseCopier copier;
  FewCases few(kForkingCases);
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    const size_t n = (*GenRegionSize(4)).bytes;
    RegionPtr region = CreateRegion(kind, n);
    RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadWrite);
    const size_t off1 = GenOffset(n);
    const Pattern p1 = GenPattern(GenLength(n, off1, 512));
    const std::vector<uint8_t> d1 = p1.Bytes();
    const size_t off2 = GenOffset(n);
    const Pattern p2 = GenPattern(GenLength(n, off2, 512));
    const std::vector<uint8_t> d2 = p2.Bytes();
    RegionRecorder rc(n);
    if (rc.on()) {
      rc.Step("Attach() #0", "att_add(r_attach(0));\n");
      rc.Step("Write(#0, offset " + std::to_string(off1) + ", " + std::to_string(p1.length) +
                  " bytes)",
              rc.WriteC(0, "att[0]", "write through #0", off1, p1, false, kHandleRule));
      rc.Fork("fork a process that will use only the handle (it ignores what it inherited)");
      rc.ChildStep("child: Adopt(handle), Attach()", "r_adopt();\nchild_att = r_attach(0);\n");
      rc.ChildStep("child: Read(offset " + std::to_string(off1) + ", " +
                       std::to_string(p1.length) + " bytes)",
                   rc.ReadC(1, "child_att", "what the child read by handle", off1, p1.length,
                            kHandleRule));
      rc.ChildStep("child: Write(offset " + std::to_string(off2) + ", " +
                       std::to_string(p2.length) + " bytes)",
                   rc.WriteC(1, "child_att", "the child's write by handle", off2, p2, false,
                             kHandleRule));
      rc.ChildExit("the child exits");
      rc.Step("read all of #0",
              rc.ReadC(0, "att[0]", "the creator's attachment after the child's write", 0, n,
                       kHandleRule));
    }
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
  }));
}

// The region outlives the process that created it: a child creates it,
// writes, and exits without Detach or Remove; the parent finds it by its
// handle, with its size and bytes, and removes it.
PropertyOutcome RunOutlivesItsCreator(const SharedRegionKind& kind) {
  UseCopier copier;
  FewCases few(kForkingCases);
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    if (auto* rec = repro::Active()) {
      rec->Unprintable("the region is made by a child that exits; the Kind's C makes its region "
                       "in the reproducer's own setup, which outlives nothing");
    }
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
  }));
}

}  // namespace shared_region
}  // namespace ipcspec
