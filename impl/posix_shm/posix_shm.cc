#include "impl/posix_shm/posix_shm.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <atomic>

namespace ipcspec {

std::string NewPosixShmName() {
  static std::atomic<unsigned> counter{0};
  return "/ipcspec." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

PosixErrorOr<FileDescriptor> PosixShmRegion::MakeObject() {
  // man 3 shm_open: "The FD_CLOEXEC flag (see fcntl(2)) is set for the file
  // descriptor."
  FileDescriptor fd(shm_open(name_.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
  if (!fd.valid()) return ErrnoError("shm_open(" + name_ + ", O_RDWR|O_CREAT|O_EXCL)");
  return fd;
}

PosixErrorOr<FileDescriptor> PosixShmRegion::OpenExisting(const std::string& handle) {
  FileDescriptor fd(shm_open(handle.c_str(), O_RDWR, 0));
  if (!fd.valid()) return ErrnoError("shm_open(" + handle + ", O_RDWR)");
  name_ = handle;
  return fd;
}

PosixError PosixShmRegion::RemoveObject() {
  if (shm_unlink(name_.c_str()) != 0) return ErrnoError("shm_unlink(" + name_ + ")");
  return NoError();
}

SharedRegionCaps PosixShmCaps() {
  SharedRegionCaps c;
  // man 7 shm_overview: ftruncate sets the size, fstat reports st_size.
  c.size_rule = RegionSizeRule::kAsked;
  c.granularity = PageSize();
  // man 3 shm_open: "a handle which can be used by unrelated processes".
  c.reach = RegionReach::kName;
  // man 7 shm_overview "Persistence": kernel persistence.
  c.persistence = RegionPersistence::kKernel;
  // The Instance keeps its descriptor after shm_unlink.
  c.attach_after_remove = true;
  c.zero_filled = true;
  c.read_only_attach = true;
  return c;
}

namespace {

IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      (SharedRegionKind{
                          "posix_shm", "posix_shm",
                          "shm_open(O_CREAT|O_EXCL) + ftruncate + mmap(MAP_SHARED), shm_unlink",
                          PosixShmCaps(), []() -> PosixErrorOr<std::unique_ptr<SharedRegion>> {
                            return std::unique_ptr<SharedRegion>(new PosixShmRegion());
                          }}));

}  // namespace
}  // namespace ipcspec
