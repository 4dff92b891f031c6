// The SharedRegion properties: each one's name, the sentences it checks, when
// it applies, and its body (shared_region_common.h names the file of each).
#include "suites/shared_region/shared_region_properties.h"

#include <optional>
#include <string>

#include "suites/shared_region/shared_region_common.h"

namespace ipcspec {
namespace {

// The properties' bodies, one file each (shared_region_common.h).
using shared_region::RunAttachByHandle;
using shared_region::RunAttachmentsAlias;
using shared_region::RunCrossProcessSharing;
using shared_region::RunOutlivesItsCreator;
using shared_region::RunRemoveKeepsAttachments;
using shared_region::RunSizeAndRounding;
using shared_region::UnavailableHere;

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
                NoSkip, RunAttachmentsAlias});
  ps.push_back({"CrossProcessSharing",
                "man 2 mmap MAP_SHARED: \"Share this mapping. Updates to the mapping are visible "
                "to other processes mapping the same region\"; man 7 sysvipc: \"System V shared "
                "memory allows processes to share a region a memory\"; man 7 shm_overview: "
                "\"allows processes to communicate information by sharing a region of memory\"",
                NoSkip, RunCrossProcessSharing});
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
