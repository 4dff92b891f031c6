// Broken SharedRegions. Each is a reference Kind with one plausible bug, the
// kind an IPC library could ship:
//
// mutant_private_second_attach  POSIX shm whose second and later attachments
//                               are MAP_PRIVATE: copy-on-write copies, not the
//                               shared object.
// mutant_lost_page              memfd whose attachments map page 9 (bytes
//                               36864..40959 with 4 KiB pages) MAP_PRIVATE:
//                               writes there stay in the writer's attachment.
// mutant_sysv_size_rounded      SysV segment created with the size already
//                               rounded up to a page: shm_segsz no longer
//                               reports the size asked for.
// mutant_file_size_rounded_down file sized to the size rounded DOWN to a
//                               page: the last partial page is past end of
//                               file (SIGBUS) and st_size is wrong.
// mutant_posix_shm_unlinked_early
//                               POSIX shm that unlinks its name right after
//                               shm_open (to never leak a name), yet claims
//                               POSIX shm's reach by name and kernel
//                               persistence.
#include <fcntl.h>
#include <sys/mman.h>

#include "impl/api/shared_region.h"
#include "impl/mmap/mmap_regions.h"
#include "impl/posix_shm/posix_shm.h"
#include "impl/sysv_shm/sysv_shm.h"

namespace ipcspec {
namespace {

using RegionPtr = std::unique_ptr<SharedRegion>;

class PrivateSecondAttach : public PosixShmRegion {
 protected:
  int MapFlags(int nth) const override { return nth == 0 ? MAP_SHARED : MAP_PRIVATE; }
};

constexpr size_t kLostPage = 9;

class LostPage : public MemfdRegion {
 protected:
  PosixError AfterMap(uint8_t* p, size_t length, RegionAccess access) override {
    size_t off = kLostPage * PageSize();
    if (length < off + PageSize()) return NoError();
    int prot = access == RegionAccess::kReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
    void* q = mmap(p + off, PageSize(), prot, MAP_PRIVATE | MAP_FIXED, fd(),
                   static_cast<off_t>(off));
    if (q == MAP_FAILED) return ErrnoError("mmap(MAP_PRIVATE|MAP_FIXED) over page 9");
    return NoError();
  }
};

class SysvSizeRounded : public SysvShmRegion {
 protected:
  size_t ShmgetSize(size_t n) const override { return RoundUpToPage(n); }
};

class FileSizeRoundedDown : public FileRegion {
 protected:
  off_t TruncateSize(size_t n) const override {
    return static_cast<off_t>(n / PageSize() * PageSize());
  }
};

class UnlinkedEarly : public PosixShmRegion {
 protected:
  PosixErrorOr<FileDescriptor> MakeObject() override {
    IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor fd, PosixShmRegion::MakeObject());
    shm_unlink(name().c_str());
    return fd;
  }
};

SharedRegionKind Mutant(std::string name, std::string bug, SharedRegionCaps caps,
                        std::function<PosixErrorOr<RegionPtr>()> open) {
  SharedRegionKind k{name, "mutant", bug, caps, std::move(open)};
  k.mutant = true;
  k.mutant_bug = bug;
  return k;
}

IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant("mutant_private_second_attach",
           "POSIX shm whose second and later attachments are MAP_PRIVATE copies",
           PosixShmCaps(), []() -> PosixErrorOr<RegionPtr> {
             return RegionPtr(new PrivateSecondAttach());
           }));
IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant("mutant_lost_page",
           "memfd whose attachments map page 9 MAP_PRIVATE: writes to that page are lost "
           "to every other attachment",
           MemfdRegionCaps(), []() -> PosixErrorOr<RegionPtr> {
             return RegionPtr(new LostPage());
           }));
IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant("mutant_sysv_size_rounded",
           "SysV segment created with the size rounded up to a page, so shm_segsz is not "
           "the size asked for",
           SysvShmCaps(), []() -> PosixErrorOr<RegionPtr> {
             return RegionPtr(new SysvSizeRounded());
           }));
IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant("mutant_file_size_rounded_down",
           "file sized to the size rounded down to a page: the last partial page is past "
           "end of file",
           FileRegionCaps(), []() -> PosixErrorOr<RegionPtr> {
             return RegionPtr(new FileSizeRoundedDown());
           }));

IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant("mutant_posix_shm_unlinked_early",
           "POSIX shm that shm_unlinks its name right after shm_open, yet claims reach by "
           "name and kernel persistence",
           PosixShmCaps(), []() -> PosixErrorOr<RegionPtr> {
             return RegionPtr(new UnlinkedEarly());
           }));

}  // namespace
}  // namespace ipcspec
