// A SharedRegion made of a file descriptor sized with ftruncate(2) and mapped
// with mmap(2): the common part of POSIX shm (shm_open), a regular file, and
// memfd_create. Subclasses make the descriptor and say how to remove it.
#pragma once

#include <sys/mman.h>
#include <sys/types.h>

#include "impl/api/shared_region.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {

class FdRegion : public SharedRegion {
 public:
  PosixError Create(size_t size) override;
  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override;
  PosixError Detach(const RegionAttachment& a) override;
  PosixError Remove() override;
  // fstat(2) st_size.
  PosixErrorOr<size_t> Size() const override;
  // Opens the object by name (OpenExisting) and takes its size from fstat.
  PosixError Adopt(const std::string& handle) override;

  int fd() const { return fd_.get(); }

 protected:
  // Makes the object and returns its descriptor (O_RDWR, close-on-exec).
  virtual PosixErrorOr<FileDescriptor> MakeObject() = 0;
  // Removes the name (shm_unlink, unlink), or for a nameless object drops the
  // descriptor. Called by Remove() and by Teardown().
  virtual PosixError RemoveObject() = 0;
  // Opens an existing object by its Handle(), O_RDWR. Nameless: ENOTSUP.
  virtual PosixErrorOr<FileDescriptor> OpenExisting(const std::string& handle) {
    return PosixError(ENOTSUP, "Adopt(" + handle + "): this Kind cannot be found by name");
  }

  // Hooks for mutants. The length given to ftruncate for Create(n):
  virtual off_t TruncateSize(size_t n) const { return static_cast<off_t>(n); }
  // mmap flags for the nth Attach of this Instance (0-based, per process):
  virtual int MapFlags(int nth) const { return MAP_SHARED; }
  // Runs after each successful mmap.
  virtual PosixError AfterMap(uint8_t* p, size_t length, RegionAccess access) {
    return NoError();
  }

  // Unmaps everything, removes the object unless Remove() ran, closes the
  // descriptor. Each concrete class's destructor calls it (virtual calls do
  // not reach subclasses from ~FdRegion).
  void Teardown();

  FileDescriptor fd_;
  int attaches_ = 0;
};

}  // namespace ipcspec
