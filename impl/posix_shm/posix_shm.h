// A POSIX shared memory object as a SharedRegion: shm_open(O_CREAT|O_EXCL),
// ftruncate, mmap(MAP_SHARED). Remove is shm_unlink; the Instance keeps its
// descriptor, so it can still attach after the name is gone.
#pragma once

#include <string>

#include "impl/api/shared_region.h"
#include "impl/mmap/fd_region.h"

namespace ipcspec {

// A fresh name for this process: "/ipcspec.PID.N".
std::string NewPosixShmName();

class PosixShmRegion : public FdRegion {
 public:
  PosixShmRegion() : name_(NewPosixShmName()) {}
  ~PosixShmRegion() override { Teardown(); }
  std::string Handle() const override { return name_; }
  const std::string& name() const { return name_; }

 protected:
  PosixErrorOr<FileDescriptor> MakeObject() override;
  PosixError RemoveObject() override;
  PosixErrorOr<FileDescriptor> OpenExisting(const std::string& handle) override;

 private:
  std::string name_;
};

SharedRegionCaps PosixShmCaps();

}  // namespace ipcspec
