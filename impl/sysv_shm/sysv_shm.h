// A System V shared memory segment as a SharedRegion.
//
// Create: shmget(key, size, IPC_CREAT|IPC_EXCL|0600); Attach: shmat (with
// SHM_RDONLY for read-only); Detach: shmdt; Remove: shmctl(IPC_RMID); Size:
// shm_segsz from shmctl(IPC_STAT). The destructor detaches and, unless
// Remove() ran, removes the segment.
#pragma once

#include <sys/ipc.h>

#include "impl/api/shared_region.h"

namespace ipcspec {

class SysvShmRegion : public SharedRegion {
 public:
  explicit SysvShmRegion(key_t key = IPC_PRIVATE) : key_(key) {}
  ~SysvShmRegion() override;

  PosixError Create(size_t size) override;
  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override;
  PosixError Detach(const RegionAttachment& a) override;
  PosixError Remove() override;
  PosixErrorOr<size_t> Size() const override;
  std::string Handle() const override;
  // "shmid N": shmctl(IPC_STAT) of N.
  PosixError Adopt(const std::string& handle) override;

  int id() const { return id_; }
  key_t key() const { return key_; }

 protected:
  // The size passed to shmget() for Create(n). Mutants override it.
  virtual size_t ShmgetSize(size_t n) const { return n; }
  // Detaches everything and removes the segment if Remove() did not.
  void Teardown();

 private:
  key_t key_;
  int id_ = -1;
};

SharedRegionCaps SysvShmCaps();

}  // namespace ipcspec
