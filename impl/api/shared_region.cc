#include "impl/api/shared_region.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

namespace ipcspec {

const char* ToString(RegionAccess a) {
  return a == RegionAccess::kReadWrite ? "read-write" : "read-only";
}

const char* ToString(RegionSizeRule r) {
  return r == RegionSizeRule::kAsked ? "the size asked for" : "the size rounded up to pages";
}

const char* ToString(RegionReach r) {
  switch (r) {
    case RegionReach::kInheritOnly: return "inherited across fork only";
    case RegionReach::kDescriptor: return "by descriptor";
    case RegionReach::kName: return "by id/name from any process";
  }
  return "?";
}

const char* ToString(RegionPersistence p) {
  switch (p) {
    case RegionPersistence::kProcess: return "process";
    case RegionPersistence::kKernel: return "kernel";
    case RegionPersistence::kFilesystem: return "filesystem";
  }
  return "?";
}

bool SharedRegion::Untrack(const RegionAttachment& a) {
  int i = Find(a.data);
  if (i < 0) return false;
  table_[i] = table_[count_ - 1];
  table_[count_ - 1] = RegionAttachment{};
  --count_;
  return true;
}

int SharedRegion::Find(const void* p) const {
  for (int i = 0; i < count_; ++i) {
    if (table_[i].data == p) return i;
  }
  return -1;
}

size_t RoundUpToPage(size_t n) {
  size_t p = PageSize();
  return (n + p - 1) / p * p;
}

PosixErrorOr<FaultSafeCopier> FaultSafeCopier::Create() {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) != 0) return ErrnoError("pipe2(O_NONBLOCK)");
  return FaultSafeCopier(FileDescriptor(fds[0]), FileDescriptor(fds[1]));
}

size_t FaultSafeCopier::Copy(uint8_t* dst, const uint8_t* src, size_t n) {
  // Chunks of at most one page: the pipe (64 KiB by default, at least one
  // page) always has room, and is drained before the next chunk.
  const size_t chunk = 4096;
  size_t done = 0;
  while (done < n) {
    size_t want = std::min(chunk, n - done);
    ssize_t w = write(w_.get(), src + done, want);
    if (w <= 0) return done;  // EFAULT: src not readable here
    ssize_t r = read(r_.get(), dst + done, static_cast<size_t>(w));
    size_t got = r > 0 ? static_cast<size_t>(r) : 0;
    if (got < static_cast<size_t>(w)) {
      // dst not writable from `done + got`: drain what is left in the pipe.
      uint8_t scratch[4096];
      size_t left = static_cast<size_t>(w) - got;
      while (left > 0) {
        ssize_t d = read(r_.get(), scratch, left);
        if (d <= 0) break;
        left -= static_cast<size_t>(d);
      }
      return done + got;
    }
    done += got;
    if (static_cast<size_t>(w) < want) return done;  // src faulted part-way
  }
  return done;
}

bool FaultSafeCopier::Readable(const uint8_t* p, size_t n) {
  uint8_t scratch[4096];
  size_t done = 0;
  while (done < n) {
    size_t want = std::min(sizeof scratch, n - done);
    if (Copy(scratch, p + done, want) != want) return false;
    done += want;
  }
  return true;
}

}  // namespace ipcspec
