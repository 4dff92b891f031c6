#include "impl/mmap/fd_region.h"

#include <sys/stat.h>
#include <unistd.h>

namespace ipcspec {

void FdRegion::Teardown() {
  while (attachment_count() > 0) {
    RegionAttachment a = attachment(attachment_count() - 1);
    munmap(a.data, a.length);
    Untrack(a);
  }
  if (created() && !removed()) {
    (void)RemoveObject();
    SetRemoved();
  }
  fd_.reset();
}

PosixError FdRegion::Create(size_t size) {
  if (created()) return PosixError(EEXIST, "Create twice");
  IPCSPEC_ASSIGN_OR_RETURN(fd_, MakeObject());
  SetSizes(size, RoundUpToPage(size));  // from here on, Teardown removes it
  off_t len = TruncateSize(size);
  if (ftruncate(fd_.get(), len) != 0) {
    return ErrnoError("ftruncate(" + Handle() + ", " + std::to_string(len) + ")");
  }
  return NoError();
}

PosixErrorOr<RegionAttachment> FdRegion::Attach(RegionAccess access) {
  if (!created()) return PosixError(EINVAL, "mmap before Create");
  if (!fd_.valid()) return PosixError(EBADF, "mmap(" + Handle() + "): descriptor closed by Remove");
  if (TableFull()) return PosixError(EMFILE, "mmap: too many attachments for one Instance");
  int prot = access == RegionAccess::kReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
  int flags = MapFlags(attaches_);
  void* p = mmap(nullptr, mapped_length(), prot, flags, fd_.get(), 0);
  if (p == MAP_FAILED) {
    return ErrnoError("mmap(" + Handle() + ", " + std::to_string(mapped_length()) + ", " +
                      ToString(access) + ")");
  }
  ++attaches_;
  RegionAttachment a{static_cast<uint8_t*>(p), mapped_length(), access};
  PosixError e = AfterMap(a.data, a.length, access);
  if (!e.ok()) {
    munmap(p, a.length);
    return e;
  }
  Track(a);
  return a;
}

PosixError FdRegion::Detach(const RegionAttachment& a) {
  if (!Untrack(a)) return PosixError(EINVAL, "munmap of an address this Instance did not map");
  if (munmap(a.data, a.length) != 0) return ErrnoError("munmap(" + Handle() + ")");
  return NoError();
}

PosixError FdRegion::Adopt(const std::string& handle) {
  if (created()) return PosixError(EEXIST, "Adopt(" + handle + ") on an Instance that has an object");
  IPCSPEC_ASSIGN_OR_RETURN(FileDescriptor fd, OpenExisting(handle));
  struct stat st;
  if (fstat(fd.get(), &st) != 0) return ErrnoError("fstat(" + handle + ")");
  fd_ = std::move(fd);
  SetSizes(static_cast<size_t>(st.st_size), RoundUpToPage(static_cast<size_t>(st.st_size)));
  return NoError();
}

PosixError FdRegion::Remove() {
  if (!created()) return PosixError(EINVAL, "Remove before Create");
  if (removed()) return PosixError(ENOENT, "Remove twice");
  IPCSPEC_RETURN_IF_ERROR(RemoveObject());
  SetRemoved();
  return NoError();
}

PosixErrorOr<size_t> FdRegion::Size() const {
  if (!fd_.valid()) return PosixError(EBADF, "fstat(" + Handle() + "): descriptor closed");
  struct stat st;
  if (fstat(fd_.get(), &st) != 0) return ErrnoError("fstat(" + Handle() + ")");
  return static_cast<size_t>(st.st_size);
}

}  // namespace ipcspec
