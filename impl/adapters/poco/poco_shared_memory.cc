// POCO's SharedMemory as SharedRegion Kinds.
//
// Poco/SharedMemory.h: SharedMemory(name, size, mode, addrHint, server)
// "Creates or connects to a shared memory object with the given name." "If
// server is set to true, the shared memory region will be unlinked by calling
// shm_unlink() (on POSIX platforms) when the SharedMemory object is
// destroyed." SharedMemory(file, mode) "Maps the entire contents of file into
// a shared memory segment." begin() / end(): the mapped bytes.
//
// On Linux (POCO 1.11.0, Foundation/src/SharedMemory_POSIX.cpp):
//   server: shm_open("/NAME", O_CREAT|O_RDWR (or O_RDONLY), 0600) with no
//     O_EXCL, ftruncate(size), mmap(size, MAP_SHARED);
//   client (server = false): shm_open without O_CREAT, mmap(size);
//   destructor: munmap, close, and shm_unlink for a server.
// There is no remove() apart from destroying the server object, and no call
// that tells an opener the size (a client must know it).
//
// poco_shared_memory: Create(n) makes the server object (the Instance keeps
// it: its mapping is not an attachment); each Attach() is one client
// SharedMemory(name, n, AM_WRITE or AM_READ, 0, false); Detach() destroys it
// (munmap, close); Remove() destroys the server object (shm_unlink), after
// which no client can connect (attach_after_remove false). Adopt(name) takes
// the size from fstat of the object (POCO cannot tell it) and becomes the
// server with SharedMemory(name, size, AM_WRITE, 0, true), which ftruncates to
// the same size.
//
// poco_shared_memory_file: Create(n) makes a file of n zero bytes (the
// adapter's open+ftruncate: POCO only maps existing files); each Attach() is
// SharedMemory(File(path), mode); Remove() unlinks the file (POCO has no call
// for it). The size is the file's (Poco::File::getSize()).
//
// Attach and Detach construct and destroy the library's objects in a fixed
// table; the library allocates (its impl object, a std::string): malloc in a
// forked child, fine in these single-threaded test processes.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>

#include "Poco/File.h"
#include "Poco/SharedMemory.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/adapters/poco/poco_kinds.h"
#include "impl/api/shared_region.h"

namespace ipcspec {
namespace {

using poco::Guard;

Poco::SharedMemory::AccessMode PocoMode(RegionAccess a) {
  return a == RegionAccess::kReadOnly ? Poco::SharedMemory::AM_READ : Poco::SharedMemory::AM_WRITE;
}

// The attachments' table, shared by both Kinds.
class PocoRegionBase : public SharedRegion {
 public:
  ~PocoRegionBase() override {
    for (auto& slot : maps_) slot.reset();
  }

  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override {
    if (!created()) return PosixError(EINVAL, "Attach() before Create()");
    int slot = -1;
    for (int i = 0; i < kMaxAttachments; ++i) {
      if (!maps_[i]) {
        slot = i;
        break;
      }
    }
    if (slot < 0 || TableFull()) return PosixError(EMFILE, "too many attachments");
    PosixError e = Open(access, &maps_[slot]);
    if (!e.ok()) return e;
    RegionAttachment a;
    a.data = reinterpret_cast<uint8_t*>(maps_[slot]->begin());
    a.length = mapped_length();
    a.access = access;
    Track(a);
    return a;
  }

  PosixError Detach(const RegionAttachment& a) override {
    for (auto& slot : maps_) {
      if (slot && reinterpret_cast<uint8_t*>(slot->begin()) == a.data) {
        if (!Untrack(a)) return PosixError(EINVAL, "Detach(): not tracked");
        slot.reset();  // ~SharedMemory: munmap, close
        return NoError();
      }
    }
    return PosixError(EINVAL, "Detach(): not an attachment of this region");
  }

 protected:
  // One SharedMemory object for one attachment.
  virtual PosixError Open(RegionAccess access, std::optional<Poco::SharedMemory>* out) = 0;

 private:
  std::optional<Poco::SharedMemory> maps_[kMaxAttachments];
};

// ---------------------------------------------------------------------------
// SharedMemory(name, size, mode, 0, server)

class PocoShmRegion : public PocoRegionBase {
 public:
  ~PocoShmRegion() override {
    if (getpid() != creator_) return;
    server_.reset();  // shm_unlink
  }

  PosixError Create(size_t size) override {
    if (created()) return PosixError(EEXIST, "Create() twice");
    std::string name = poco::NewPocoName("shm");
    PosixError e = Guard("SharedMemory(" + name + ", " + std::to_string(size) +
                             ", AM_WRITE, 0, server=true)",
                         [&] {
                           server_.emplace(name, size, Poco::SharedMemory::AM_WRITE, nullptr, true);
                           return NoError();
                         });
    if (!e.ok()) return e;
    name_ = name;
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }

  PosixError Adopt(const std::string& handle) override {
    if (created()) return PosixError(EEXIST, "Adopt() of a created Instance");
    // POCO cannot tell an opener the size: fstat the object it names.
    int fd = shm_open(("/" + handle).c_str(), O_RDONLY, 0);
    if (fd < 0) return ErrnoError("shm_open(/" + handle + ") for its size");
    struct stat st;
    int r = fstat(fd, &st);
    close(fd);
    if (r != 0) return ErrnoError("fstat(/" + handle + ")");
    const size_t size = static_cast<size_t>(st.st_size);
    PosixError e = Guard("SharedMemory(" + handle + ", " + std::to_string(size) +
                             ", AM_WRITE, 0, server=true)",
                         [&] {
                           server_.emplace(handle, size, Poco::SharedMemory::AM_WRITE, nullptr,
                                           true);
                           return NoError();
                         });
    if (!e.ok()) return e;
    name_ = handle;
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }

  PosixError Remove() override {
    if (removed()) return PosixError(ENOENT, "Remove() twice");
    if (!server_) return PosixError(EINVAL, "Remove() of nothing");
    server_.reset();  // ~SharedMemory of the server: munmap, close, shm_unlink
    SetRemoved();
    return NoError();
  }

  PosixErrorOr<size_t> Size() const override {
    if (!server_) return PosixError(ENOENT, "Size(): the server object is gone (removed)");
    return static_cast<size_t>(server_->end() - server_->begin());
  }

  std::string Handle() const override { return name_; }

 protected:
  PosixError Open(RegionAccess access, std::optional<Poco::SharedMemory>* out) override {
    return Guard("SharedMemory(name, size, mode, 0, server=false)", [&] {
      out->emplace(name_, asked_size(), PocoMode(access), nullptr, false);
      return NoError();
    });
  }

 private:
  pid_t creator_ = getpid();
  std::string name_;
  std::optional<Poco::SharedMemory> server_;
};

// ---------------------------------------------------------------------------
// SharedMemory(File, mode)

class PocoFileRegion : public PocoRegionBase {
 public:
  ~PocoFileRegion() override {
    if (getpid() != creator_) return;
    if (!path_.empty() && !removed()) unlink(path_.c_str());
  }

  PosixError Create(size_t size) override {
    if (created()) return PosixError(EEXIST, "Create() twice");
    const char* dir = std::getenv("TEST_TMPDIR");
    std::string tmpl = std::string(dir && *dir ? dir : "/tmp") + "/ipcspec_poco_file_XXXXXX";
    int fd = mkstemp(tmpl.data());
    if (fd < 0) return ErrnoError("mkstemp(" + tmpl + ")");
    path_ = tmpl;
    int r = ftruncate(fd, static_cast<off_t>(size));
    int err = errno;
    close(fd);
    if (r != 0) return PosixError(err, "ftruncate(" + path_ + ", " + std::to_string(size) + ")");
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }

  PosixError Adopt(const std::string& handle) override {
    if (created()) return PosixError(EEXIST, "Adopt() of a created Instance");
    size_t size = 0;
    PosixError e = Guard("File(" + handle + ").getSize()", [&] {
      size = static_cast<size_t>(Poco::File(handle).getSize());
      return NoError();
    });
    if (!e.ok()) return e;
    path_ = handle;
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }

  PosixError Remove() override {
    if (removed()) return PosixError(ENOENT, "Remove() twice");
    if (unlink(path_.c_str()) != 0) return ErrnoError("unlink(" + path_ + ")");
    SetRemoved();
    return NoError();
  }

  PosixErrorOr<size_t> Size() const override {
    size_t size = 0;
    PosixError e = Guard("File(" + path_ + ").getSize()", [&] {
      size = static_cast<size_t>(Poco::File(path_).getSize());
      return NoError();
    });
    if (!e.ok()) return e;
    return size;
  }

  std::string Handle() const override { return path_; }

 protected:
  PosixError Open(RegionAccess access, std::optional<Poco::SharedMemory>* out) override {
    return Guard("SharedMemory(File, mode)", [&] {
      out->emplace(Poco::File(path_), PocoMode(access), nullptr);
      return NoError();
    });
  }

 private:
  pid_t creator_ = getpid();
  std::string path_;
};

}  // namespace

SharedRegionCaps poco::ShmCaps() {
  SharedRegionCaps c;
  c.size_rule = RegionSizeRule::kAsked;  // end() - begin() is the size given
  c.granularity = 0;                     // a mapping: whole pages
  c.reach = RegionReach::kName;
  // POSIX shm has kernel persistence (man 7 shm_overview); the server object
  // unlinks the name when it is destroyed (Remove()).
  c.persistence = RegionPersistence::kKernel;
  c.attach_after_remove = false;  // a client shm_opens the name, which is gone
  c.zero_filled = true;           // a new object, ftruncate'd (man 3 shm_open)
  c.read_only_attach = true;      // AM_READ: O_RDONLY, PROT_READ
  return c;
}

SharedRegionCaps poco::FileCaps() {
  SharedRegionCaps c = ShmCaps();
  c.persistence = RegionPersistence::kFilesystem;
  return c;
}

namespace {

// No C reproducer (impl/repro): the steps are calls into the Poco library.
CSnippet PocoNoC() {
  CSnippet c;
  c.why_not = "an external library's Kind: its steps are Poco::SharedMemory calls, not libc "
              "calls a standalone C file could make";
  return c;
}

IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{"poco_shared_memory", "poco_shared_memory",
                                        "Poco::SharedMemory(name, size, mode): the server object "
                                        "creates (shm_open + ftruncate) and unlinks; each "
                                        "attachment is a client object",
                                        poco::ShmCaps(), [] {
                                          return PosixErrorOr<std::unique_ptr<SharedRegion>>(
                                              std::make_unique<PocoShmRegion>());
                                        },
                                        false, "", "", "poco"},
                            PocoNoC()));
IPCSPEC_REGISTER_KIND(SharedRegionInterface,
                      WithC(SharedRegionKind{"poco_shared_memory_file", "poco_shared_memory_file",
                                        "Poco::SharedMemory(File, mode): a file mapped "
                                        "MAP_SHARED, one object per attachment",
                                        poco::FileCaps(), [] {
                                          return PosixErrorOr<std::unique_ptr<SharedRegion>>(
                                              std::make_unique<PocoFileRegion>());
                                        },
                                        false, "", "", "poco"},
                            PocoNoC()));

}  // namespace
}  // namespace ipcspec
