// SharedRegions over mmap(2):
// - FileRegion: a regular file under $TEST_TMPDIR (or /tmp) sized with
//   ftruncate and mapped MAP_SHARED; Remove unlinks it (the Instance keeps
//   the descriptor).
// - MemfdRegion: memfd_create(MFD_CLOEXEC|MFD_ALLOW_SEALING); Remove closes
//   the only descriptor, so no new attachment can be made afterwards.
// - AnonSharedRegion: mmap(MAP_SHARED|MAP_ANONYMOUS). It has no name and no
//   descriptor: it reaches other processes only by fork. The Instance holds
//   one "base" mapping as its handle; each Attach is a new mapping of the
//   same pages made with mremap(old_size 0) (man 2 mremap: "If the value of
//   old_size is zero, and old_address refers to a shareable mapping ... then
//   mremap() will create a new mapping of the same pages"); Remove unmaps
//   the base; Size is the mapping's length from /proc/self/maps.
#pragma once

#include <string>

#include "impl/api/shared_region.h"
#include "impl/mmap/fd_region.h"

namespace ipcspec {

class FileRegion : public FdRegion {
 public:
  ~FileRegion() override { Teardown(); }
  std::string Handle() const override { return path_.empty() ? "(no file yet)" : path_; }
  const std::string& path() const { return path_; }

 protected:
  PosixErrorOr<FileDescriptor> MakeObject() override;
  PosixError RemoveObject() override;
  PosixErrorOr<FileDescriptor> OpenExisting(const std::string& handle) override;

 private:
  std::string path_;
};

class MemfdRegion : public FdRegion {
 public:
  ~MemfdRegion() override { Teardown(); }
  std::string Handle() const override;

 protected:
  PosixErrorOr<FileDescriptor> MakeObject() override;
  PosixError RemoveObject() override;
};

class AnonSharedRegion : public SharedRegion {
 public:
  ~AnonSharedRegion() override;
  PosixError Create(size_t size) override;
  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override;
  PosixError Detach(const RegionAttachment& a) override;
  PosixError Remove() override;
  PosixErrorOr<size_t> Size() const override;
  std::string Handle() const override;

 private:
  uint8_t* base_ = nullptr;
};

// The directory for FileRegion files: $TEST_TMPDIR, else /tmp.
std::string RegionFileDir();

SharedRegionCaps FileRegionCaps();
SharedRegionCaps MemfdRegionCaps();
SharedRegionCaps AnonSharedRegionCaps();

// The length of the mapping that starts at `p`, from /proc/self/maps.
PosixErrorOr<size_t> MappingLength(const void* p);

}  // namespace ipcspec
