// SizeAndRounding and RemoveKeepsAttachments: the reported size and the
// mapped length follow the documented rounding and a new region reads as
// zeros; removing the handle leaves existing attachments working and shared.
#include <algorithm>
#include <string>
#include <vector>

#include "impl/repro/repro.h"
#include "suites/shared_region/shared_region_common.h"

namespace ipcspec {
namespace shared_region {

constexpr const char* kSizeRule =
    "man 2 shmget: \"A new shared memory segment, with size equal to the value of size rounded up "
    "to a multiple of PAGE_SIZE\", \"shm_segsz is set to the value of size\", \"its contents are "
    "initialized to zero values\"; man 2 mmap NOTES: \"A file is mapped in multiples of the page "
    "size. For a file that is not a multiple of the page size, the remaining bytes in the partial "
    "page at the end of the mapping are zeroed when mapped\"; man 7 shm_overview: ftruncate(2) "
    "\"Set the size of the shared memory object\", fstat(2) reports it (st_size)";

PropertyOutcome RunSizeAndRounding(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    const size_t n = (*GenRegionSize(6)).bytes;
    const size_t rounded = AttachedLength(kind.caps.granularity, n);
    RegionPtr region = CreateRegion(kind, n);
    RegionRecorder rc(n);
    if (rc.on()) {
      // The C maps whole pages (r_len); a Kind of another granularity
      // would need its own.
      if (kind.caps.granularity > 1 && kind.caps.granularity != PageSize()) {
        rc.Unprintable("the Kind's granularity is not the page size");
      }
      const bool asked = kind.caps.size_rule == RegionSizeRule::kAsked;
      rc.Step(std::string("Size(): ") + (asked ? "the size asked" : "rounded up to the page size"),
              std::string("{\n  size_t got = r_reported_size(), want = ") +
                  (asked ? "REGION_SIZE" : "r_round(REGION_SIZE)") + ";\n" +
                  "  if (got != want)\n    broken(" + repro::Lit(kSizeRule) +
                  ", \"a region of %u bytes: the size reported is %zu, not %zu\", REGION_SIZE, "
                  "got, want);\n}\n");
      rc.Step("Attach(read-write): every byte up to the end of the last page is there" +
                  std::string(kind.caps.zero_filled ? ", and zero" : ""),
              "att_add(r_attach(0));\n" +
                  (kind.caps.zero_filled
                       ? rc.ReadC(0, "att[0]", "a new region", 0, rounded, kSizeRule)
                       : "{\n  size_t k = safe_copy(cbuf, att[0], r_len);\n  if (k != r_len)\n"
                         "    broken(" + repro::Lit(kSizeRule) + ", \"byte at offset %zu of the "
                         "%zu-byte mapping cannot be read (SIGBUS/SIGSEGV)\", k, r_len);\n}\n"));
      if (kind.caps.read_only_attach) {
        rc.Step("Attach(read-only): all of it readable",
                "att_add(r_attach(1));\n{\n  size_t k = safe_copy(cbuf, att[1], r_len);\n"
                "  if (k != r_len)\n    broken(" + repro::Lit(kSizeRule) +
                    ", \"read-only attachment: byte at offset %zu of %zu cannot be read\", k, "
                    "r_len);\n}\n");
      }
    }
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
  }));
}

// ============================================== RemoveKeepsAttachments

constexpr const char* kRemoveRule =
    "man 2 shmctl IPC_RMID: \"The segment will actually be destroyed only after the last process "
    "detaches it\"; man 3 shm_open: shm_unlink \"removes a shared memory object name, and, once "
    "all processes have unmapped the object, deallocates\"; man 2 mmap: \"closing the file "
    "descriptor does not unmap the region\"";

PropertyOutcome RunRemoveKeepsAttachments(const SharedRegionKind& kind) {
  UseCopier copier;
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    const size_t n = (*GenRegionSize(4)).bytes;
    RegionPtr region = CreateRegion(kind, n);
    RegionRecorder rc(n);
    rc.Step("Attach() #0", "att_add(r_attach(0));\n");
    rc.Step("Attach() #1", "att_add(r_attach(0));\n");
    RegionAttachment a = AttachOrFail(*region, RegionAccess::kReadWrite);
    RegionAttachment b = AttachOrFail(*region, RegionAccess::kReadWrite);
    std::vector<uint8_t> model(n, 0);

    const size_t off1 = GenOffset(n);
    const Pattern p1 = GenPattern(GenLength(n, off1, 512));
    const std::vector<uint8_t> d1 = p1.Bytes();
    if (rc.on()) {
      rc.Step("Write(#0, offset " + std::to_string(off1) + ", " + std::to_string(p1.length) +
                 " bytes)",
             rc.WriteC(0, "att[0]", "write through #0", off1, p1, false, kRemoveRule));
    }
    RC_LOG() << "Write(#0, offset " << off1 << ", " << Bytes(d1) << ")\n";
    RC_ASSERT(Copier().Copy(a.data + off1, d1.data(), d1.size()) == d1.size());
    std::copy(d1.begin(), d1.end(), model.begin() + static_cast<long>(off1));

    rc.Step("Remove()", "r_remove(att[0]);\n");
    if (rc.on()) {
      rc.Step("after Remove(), read all of #1",
             rc.ReadC(0, "att[1]", "after Remove(), attachment #1", 0, n, kRemoveRule));
    }
    PosixError e = region->Remove();
    if (!e.ok()) RC_FAIL("Remove(): " + e.ToString());
    RC_LOG() << "Remove()\n";
    CheckRead(b, 0, n, model.data(), "after Remove(), attachment #1");

    const size_t off2 = GenOffset(n);
    const Pattern p2 = GenPattern(GenLength(n, off2, 512));
    const std::vector<uint8_t> d2 = p2.Bytes();
    if (rc.on()) {
      rc.Step("after Remove(), Write(#1, offset " + std::to_string(off2) + ", " +
                 std::to_string(p2.length) + " bytes)",
             rc.WriteC(0, "att[1]", "after Remove(), write through #1", off2, p2, false,
                      kRemoveRule));
      rc.Step("after Remove(), read all of #0",
             rc.ReadC(0, "att[0]", "after Remove(), attachment #0", 0, n, kRemoveRule));
      if (kind.caps.attach_after_remove) {
        rc.Step("Attach() after Remove()",
               "att_add(r_attach(0));\n" + rc.ReadC(0, "att[2]", "attachment made after Remove()",
                                                   0, n, kRemoveRule));
      }
    }
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
  }));
}

}  // namespace shared_region
}  // namespace ipcspec
