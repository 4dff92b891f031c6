// What the SharedRegion properties share (internal to this package): the
// generators of sizes, offsets and written bytes, the byte-array model, the
// fault-safe reads that compare an attachment with it, and each property's
// body, one file each:
//
//   shared_region_alias.cc         AttachmentsAlias (state machine)
//   shared_region_cross_process.cc CrossProcessSharing (state machine, one
//                                  long-lived child)
//   shared_region_lifetime.cc      SizeAndRounding, RemoveKeepsAttachments
//   shared_region_by_handle.cc     AttachByHandle, OutlivesItsCreator (a
//                                  process per case)
//
// shared_region_properties.cc lists them with the sentences they check.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "impl/api/shared_region.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "rapidcheck.h"

namespace ipcspec {

// A generated region size, so that a counterexample reads
// "ipcspec::SharedRegionSize: 40959 bytes" rather than "unsigned long: 40959".
struct SharedRegionSize {
  size_t bytes = 0;
};
inline void showValue(const SharedRegionSize& s, std::ostream& os) { os << s.bytes << " bytes"; }

namespace shared_region {

using RegionPtr = std::unique_ptr<SharedRegion>;

// "n bytes" and the first dozen in hex.
std::string Bytes(const uint8_t* p, size_t n);
std::string Bytes(const std::vector<uint8_t>& v);

// Region sizes: under a page, around page multiples (k pages - 1, k pages,
// k pages + 1) and anywhere up to max_pages pages. Not scaled down in the
// first cases (rapidcheck's size): a bug may need a large region.
rc::Gen<SharedRegionSize> GenRegionSize(size_t max_pages);

// An offset in [0, size): anywhere, or within a few bytes of a page boundary.
// Uniform over the whole region from the first case on (not scaled down by
// rapidcheck's size): what goes wrong at one page must be reachable at once.
size_t GenOffset(size_t size);

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

std::ostream& operator<<(std::ostream& os, const Pattern& p);

Pattern GenPattern(size_t length);

// A length of at most max_len that fits in [off, size).
size_t GenLength(size_t size, size_t off, size_t max_len);

// Fails the case with where `got` first differs from `want`.
void AssertSameBytes(const uint8_t* got, const uint8_t* want, size_t n, size_t base,
                     const std::string& what);

// The length of an attachment of a region of n bytes: n rounded up to the
// Kind's granularity (caps.granularity; 0 means the page size). The bytes
// past n up to that length belong to the region and read as the page's
// (zeros for a new one); with granularity 1 the attachment is exactly n.
size_t AttachedLength(size_t granularity, size_t n);

// A Kind whose object cannot be made here at all (ENOSYS: memfd_create on an
// old kernel or a sandbox) is skipped, probed once per Kind.
std::optional<std::string> UnavailableHere(const SharedRegionKind& kind);

// Opens an Instance of `kind` and creates `size` bytes, or fails the case.
RegionPtr CreateRegion(const SharedRegionKind& kind, size_t size);

// Attach(access), or fails the case.
RegionAttachment AttachOrFail(SharedRegion& r, RegionAccess access);

// Makes the copier of the property run in progress (Copier()) for its scope.
// Each run makes its own pipe and closes it at the end (the leak audit counts
// fds per test).
class UseCopier {
 public:
  UseCopier();
  ~UseCopier();
  UseCopier(const UseCopier&) = delete;
  UseCopier& operator=(const UseCopier&) = delete;

 private:
  FaultSafeCopier copier_;
  FaultSafeCopier* previous_;
};

FaultSafeCopier& Copier();

// Reads [off, off+n) of an attachment and compares it with the model.
void CheckRead(const RegionAttachment& a, size_t off, size_t n, const uint8_t* model,
               const std::string& what);

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

// The commands as C (impl/repro): one case's reproducer. The Kind's C
// (impl/mmap, impl/posix_shm, impl/sysv_shm) gives r_create (its setup, of
// REGION_SIZE bytes), r_attach and r_detach; this adds the model (a byte
// array in each process, brought up to date before each of its checks by
// the writes it has not seen), a fault-safe copy through a pipe, and the
// attachments by index. Does nothing when no case is recorded.
class RegionRecorder {
 public:
  // `size`: the region's size, REGION_SIZE in the C file.
  explicit RegionRecorder(size_t size);
  bool on() const { return rec_ != nullptr; }
  // Process 0 (the parent) or 1 (the child) writes `pattern` at `off`
  // through the attachment `att` (a C expression); `read_only`: it must
  // fault instead.
  std::string WriteC(int proc, const std::string& att, const std::string& what, size_t off,
                     const Pattern& pattern, bool read_only, const char* rule);
  // Process `proc` reads [off, off+n) through `att` and compares it with
  // the model.
  std::string ReadC(int proc, const std::string& att, const std::string& what, size_t off,
                    size_t n, const char* rule);
  void Step(const std::string& title, const std::string& code, const std::string& hang = "");
  void ChildStep(const std::string& title, const std::string& code);
  void Fork(const std::string& title);
  void ChildExit(const std::string& title);
  void Unprintable(const std::string& why);

 private:
  std::string CatchUp(int proc);
  // The C name of a rule's text, declared once per case (cheaper than
  // printing the text into every step).
  std::string Rule(const char* rule);
  struct Written {
    size_t off;
    Pattern pattern;
  };
  void* rec_;  // repro::Recording
  std::vector<Written> writes_;
  size_t applied_[2] = {0, 0};
  std::vector<const char*> rules_;
};

// The properties' bodies.
PropertyOutcome RunAttachmentsAlias(const SharedRegionKind& kind);
PropertyOutcome RunCrossProcessSharing(const SharedRegionKind& kind);
PropertyOutcome RunSizeAndRounding(const SharedRegionKind& kind);
PropertyOutcome RunRemoveKeepsAttachments(const SharedRegionKind& kind);
PropertyOutcome RunAttachByHandle(const SharedRegionKind& kind);
PropertyOutcome RunOutlivesItsCreator(const SharedRegionKind& kind);

}  // namespace shared_region
}  // namespace ipcspec
