// SharedRegion: memory that several attachments (mappings) see as the same
// bytes, in one process or in several. SysV shared memory segments, POSIX
// shared memory objects, files mapped MAP_SHARED, anonymous MAP_SHARED
// mappings inherited across fork, memfd files, and any library that hands out
// shared memory.
//
// An Instance starts empty: Create(size) makes the kernel object. Attach()
// maps it once more into the calling process (it may be called many times,
// and in a forked child, which then owns that attachment in its own address
// space); Detach() unmaps one attachment; Remove() takes away the handle by
// which new attachments are found (IPC_RMID, shm_unlink, unlink, close of the
// last fd) while existing attachments keep working. The Instance's destructor
// detaches what is left and removes the object.
//
// Attach, Detach and the accessors are thin system-call wrappers with no
// allocation on success, so a forked child may call them (children run
// async-signal-safe code only). Size() and Handle() may allocate: parent only.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "impl/api/kind.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/posix_error.h"
#include "impl/core/shared_memory.h"  // PageSize

namespace ipcspec {

enum class RegionAccess { kReadWrite, kReadOnly };
const char* ToString(RegionAccess a);

// What Size() reports for a region created with Create(n).
enum class RegionSizeRule {
  // Exactly n: SysV shm_segsz ("shm_segsz is set to the value of size",
  // man 2 shmget), fstat st_size after ftruncate(n) (man 7 shm_overview).
  kAsked,
  // n rounded up to a multiple of the page size: a mapping's length, which
  // is all an anonymous mapping has (man 2 mmap).
  kPageRounded,
};
const char* ToString(RegionSizeRule r);

// Who can reach the region to attach it.
enum class RegionReach {
  // Only the creator and the processes it forks after Create (anonymous
  // MAP_SHARED: "Memory mapped by mmap() is preserved across fork(2)").
  kInheritOnly,
  // Whoever holds a descriptor: forked children, fd passing over a UNIX
  // socket, /proc/PID/fd/N while the holder lives (memfd_create(2)).
  kDescriptor,
  // Any process that knows the id, name or path (SysV id, POSIX shm name,
  // file path), related or not.
  kName,
};
const char* ToString(RegionReach r);

// How long the object lives.
enum class RegionPersistence {
  // Until the last descriptor and the last mapping are gone.
  kProcess,
  // Until removed or reboot, with nobody attached (SysV segments: man 2
  // shmctl IPC_RMID; POSIX shm: man 7 shm_overview "kernel persistence").
  kKernel,
  // A file: until unlinked and closed and unmapped.
  kFilesystem,
};
const char* ToString(RegionPersistence p);

struct SharedRegionCaps {
  RegionSizeRule size_rule = RegionSizeRule::kAsked;
  // Every attachment is the size rounded up to a multiple of this (the page
  // size): man 2 shmget "size equal to the value of size rounded up to a
  // multiple of PAGE_SIZE"; man 2 mmap "A file is mapped in multiples of the
  // page size". The bytes past the size in the last page are accessible.
  // 0 means the page size. 1: an attachment is exactly the size asked, and
  // the bytes around it are not the region's (a block inside a library's
  // managed segment, e.g. Boost.Interprocess managed_shared_memory).
  size_t granularity = 0;
  RegionReach reach = RegionReach::kName;
  RegionPersistence persistence = RegionPersistence::kKernel;
  // Attach() still works after Remove() (Linux SysV: man 2 shmctl NOTES
  // "Linux permits a process to attach ... a shared memory segment that has
  // already been marked for deletion"; an fd kept open after shm_unlink or
  // unlink; a duplicate of a live mapping).
  bool attach_after_remove = true;
  // A new region reads as zeros (man 2 shmget "its contents are initialized
  // to zero values"; man 3 shm_open; MAP_ANONYMOUS; ftruncate(2)).
  bool zero_filled = true;
  // Attach(kReadOnly) is supported and writes through it fault.
  bool read_only_attach = true;
};

struct RegionAttachment {
  uint8_t* data = nullptr;  // first byte
  size_t length = 0;        // bytes mapped: the size rounded up to the granularity
  RegionAccess access = RegionAccess::kReadWrite;
  explicit operator bool() const { return data != nullptr; }
};

class SharedRegion {
 public:
  static constexpr int kMaxAttachments = 16;

  virtual ~SharedRegion() = default;

  // Makes the object, `size` bytes. Once per Instance.
  virtual PosixError Create(size_t size) = 0;
  // Maps the region into the calling process.
  virtual PosixErrorOr<RegionAttachment> Attach(RegionAccess access) = 0;
  // Unmaps one attachment made by Attach (in this process).
  virtual PosixError Detach(const RegionAttachment& a) = 0;
  // Removes the handle (id / name / path / last fd); attachments stay.
  virtual PosixError Remove() = 0;
  // The size the kernel reports (see RegionSizeRule). May fail after Remove.
  virtual PosixErrorOr<size_t> Size() const = 0;
  // "shmid 32768", "/ipcspec.123.4", "memfd fd 7": for messages, and for
  // Adopt in another process when the Kind's reach is kName.
  virtual std::string Handle() const = 0;
  // Makes this empty Instance (no Create) the owner of an existing object,
  // named by the Handle() of the Instance that created it, possibly in
  // another process: shmget/IPC_STAT of the id, shm_open or open of the
  // name. The Instance then attaches it and removes it like its own. Only for
  // Kinds whose reach is kName; the others fail ENOTSUP.
  virtual PosixError Adopt(const std::string& handle) {
    return PosixError(ENOTSUP, "Adopt(" + handle + "): this Kind cannot be found by name");
  }

  // The size given to Create, and the length of each attachment.
  size_t asked_size() const { return asked_; }
  size_t mapped_length() const { return mapped_; }
  bool created() const { return created_; }
  bool removed() const { return removed_; }
  // Attachments this process holds through this Instance.
  int attachment_count() const { return count_; }
  const RegionAttachment& attachment(int i) const { return table_[i]; }

 protected:
  // For implementations: record sizes, and track attachments in a fixed
  // table (no allocation, so that children may attach and detach).
  void SetSizes(size_t asked, size_t mapped) {
    asked_ = asked;
    mapped_ = mapped;
    created_ = true;
  }
  void SetRemoved() { removed_ = true; }
  bool TableFull() const { return count_ >= kMaxAttachments; }
  void Track(const RegionAttachment& a) { table_[count_++] = a; }
  // False if `a` is not one of ours.
  bool Untrack(const RegionAttachment& a);
  // Index of the attachment starting at `p`, or -1.
  int Find(const void* p) const;

 private:
  RegionAttachment table_[kMaxAttachments];
  int count_ = 0;
  size_t asked_ = 0;
  size_t mapped_ = 0;
  bool created_ = false;
  bool removed_ = false;
};

struct SharedRegionInterface {
  using Caps = SharedRegionCaps;
  using Instance = std::unique_ptr<SharedRegion>;
  static constexpr const char* kName = "SharedRegion";
};

using SharedRegionKind = Kind<SharedRegionInterface>;

size_t RoundUpToPage(size_t n);

// Copies bytes through a pipe, so that a page that cannot be read or written
// (SIGBUS past the end of a mapped file, SIGSEGV on a read-only or unmapped
// page) shows up as a short count instead of killing the process: the kernel
// copies in and out of user memory and reports EFAULT (man 2 write, man 2
// read: "EFAULT buf is outside your accessible address space"). Used to look
// at attachments of Kinds under test, which may be broken. Async-signal-safe
// (pipe I/O only), so children use it too.
class FaultSafeCopier {
 public:
  static PosixErrorOr<FaultSafeCopier> Create();
  FaultSafeCopier() = default;

  // Copies up to n bytes from src to dst; returns how many were copied
  // before either side faulted (n when nothing did).
  size_t Copy(uint8_t* dst, const uint8_t* src, size_t n);
  // True if all n bytes at p can be read.
  bool Readable(const uint8_t* p, size_t n);

 private:
  explicit FaultSafeCopier(FileDescriptor r, FileDescriptor w)
      : r_(std::move(r)), w_(std::move(w)) {}
  FileDescriptor r_, w_;
};

}  // namespace ipcspec
