// Boost.Interprocess shared memory as SharedRegion Kinds.
//
// boost_interprocess_shared_memory_object: Boost.Interprocess documentation,
//   "Sharing memory between processes" > "Shared memory object" and "Mapping
//   Shared Memory Segments": shared_memory_object(create_only, name,
//   read_write) + truncate(size) makes the object (shm_open + ftruncate on
//   POSIX systems), each Attach() is one mapped_region(shm, mode) (mmap
//   MAP_SHARED of the whole object), Remove() is
//   shared_memory_object::remove(name) (shm_unlink). The Instance keeps its
//   shared_memory_object (the descriptor) open, so it can map again after the
//   name is gone.
//
// boost_interprocess_managed_shared_memory: "Managed Memory Segments" >
//   "Managed Shared Memory": managed_shared_memory(create_only, name, size)
//   makes a segment with a segment manager in it; the region is a named
//   array construct<uint8_t>("ipcspec_region")[n](0) in the segment. Each
//   Attach() opens the segment once more (managed_shared_memory(open_only /
//   open_read_only, name), a separate mapping) and find()s the array by
//   name: that is how the documentation has a second process reach the
//   data. The region is the n bytes of the array, not whole pages: the bytes
//   around it belong to the segment manager (granularity 1). After
//   shared_memory_object::remove(name) nobody can open the segment again
//   (attach_after_remove false).
//
// Attach and Detach construct and destroy the library's objects in a fixed
// table (no allocation of ours). mapped_region allocates nothing; opening a
// managed_shared_memory stores its name in a std::string (malloc in a forked
// child: fine in these single-threaded test processes).
#include <sys/mman.h>

#include <memory>
#include <optional>

#include "boost/interprocess/managed_shared_memory.hpp"
#include "boost/interprocess/mapped_region.hpp"
#include "boost/interprocess/shared_memory_object.hpp"
#include "impl/adapters/boost_interprocess/boost_common.h"
#include "impl/api/shared_region.h"

namespace ipcspec {
namespace {

namespace bi = boost::interprocess;

// Both Kinds' Remove(): shared_memory_object::remove of the region's name
// (managed_shared_memory is a shared memory object too).
PosixError RemoveName(const std::string& name) {
  if (name.empty()) return PosixError(EINVAL, "Remove() of nothing");
  if (!bi::shared_memory_object::remove(name.c_str())) {
    return PosixError(ENOENT, "shared_memory_object::remove(" + name + ") returned false");
  }
  return NoError();
}

using boost_ipc::Guard;

bi::mode_t BoostMode(RegionAccess a) {
  return a == RegionAccess::kReadOnly ? bi::read_only : bi::read_write;
}

// ---------------------------------------------------------------------------
// shared_memory_object + mapped_region

class ShmObjectRegion : public SharedRegion {
 public:
  ~ShmObjectRegion() override {
    for (auto& slot : maps_) slot.reset();  // munmap
    if (!name_.empty() && !removed()) bi::shared_memory_object::remove(name_.c_str());
  }

  PosixError Create(size_t size) override {
    if (created()) return PosixError(EEXIST, "Create() twice");
    std::string name = boost_ipc::NewBoostName("shm");
    PosixError e = Guard("shared_memory_object(create_only, " + name + ", read_write)", [&] {
      shm_ = bi::shared_memory_object(bi::create_only, name.c_str(), bi::read_write);
      return NoError();
    });
    if (!e.ok()) return e;
    name_ = name;  // ours to remove from here on
    e = Guard("shared_memory_object::truncate(" + std::to_string(size) + ")", [&] {
      shm_.truncate(static_cast<bi::offset_t>(size));
      return NoError();
    });
    if (!e.ok()) return e;
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }

  PosixError Adopt(const std::string& handle) override {
    if (created()) return PosixError(EEXIST, "Adopt() of a created Instance");
    PosixError e = Guard("shared_memory_object(open_only, " + handle + ", read_write)", [&] {
      shm_ = bi::shared_memory_object(bi::open_only, handle.c_str(), bi::read_write);
      return NoError();
    });
    if (!e.ok()) return e;
    name_ = handle;
    bi::offset_t size = 0;
    if (!shm_.get_size(size)) return PosixError(EIO, "shared_memory_object::get_size(" + handle + ")");
    SetSizes(static_cast<size_t>(size), RoundUpToPage(static_cast<size_t>(size)));
    return NoError();
  }

  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override {
    if (!created()) return PosixError(EINVAL, "Attach() before Create()");
    int slot = FreeSlot();
    if (slot < 0 || TableFull()) return PosixError(EMFILE, "too many attachments");
    PosixError e = Guard("mapped_region(shared_memory_object, mode)", [&] {
      maps_[slot].emplace(shm_, BoostMode(access));
      return NoError();
    });
    if (!e.ok()) return e;
    RegionAttachment a;
    a.data = static_cast<uint8_t*>(maps_[slot]->get_address());
    a.length = mapped_length();
    a.access = access;
    Track(a);
    return a;
  }

  PosixError Detach(const RegionAttachment& a) override {
    for (auto& slot : maps_) {
      if (slot && slot->get_address() == a.data) {
        if (!Untrack(a)) return PosixError(EINVAL, "Detach(): not tracked");
        slot.reset();  // ~mapped_region: munmap
        return NoError();
      }
    }
    return PosixError(EINVAL, "Detach(): not an attachment of this region");
  }

  PosixError Remove() override {
    if (removed()) return PosixError(ENOENT, "Remove() twice");
    PosixError e = RemoveName(name_);
    if (e.ok()) SetRemoved();
    return e;
  }

  PosixErrorOr<size_t> Size() const override {
    bi::offset_t size = 0;
    if (!shm_.get_size(size)) return PosixError(EIO, "shared_memory_object::get_size(" + name_ + ")");
    return static_cast<size_t>(size);
  }

  std::string Handle() const override { return name_; }

 private:
  int FreeSlot() const {
    for (int i = 0; i < kMaxAttachments; ++i) {
      if (!maps_[i]) return i;
    }
    return -1;
  }

  std::string name_;
  bi::shared_memory_object shm_;
  std::optional<bi::mapped_region> maps_[kMaxAttachments];
};

SharedRegionCaps ShmObjectCaps() {
  SharedRegionCaps c;
  // truncate() is ftruncate(2); get_size() is fstat(2) st_size.
  c.size_rule = RegionSizeRule::kAsked;
  c.granularity = PageSize();
  // "Shared memory object": "a process can open a shared memory object by
  // its name".
  c.reach = RegionReach::kName;
  // "Shared memory object": "kernel or filesystem persistence" on POSIX
  // ("the shared memory object will be alive until the object is removed or
  // the system is rebooted").
  c.persistence = RegionPersistence::kKernel;
  c.attach_after_remove = true;  // the shared_memory_object stays open
  c.zero_filled = true;          // ftruncate(2)
  c.read_only_attach = true;     // mapped_region(shm, read_only): PROT_READ
  return c;
}

// ---------------------------------------------------------------------------
// managed_shared_memory + a named array in it

constexpr const char kArrayName[] = "ipcspec_region";
// Room for the segment manager and the name index besides the array.
constexpr size_t kManagedOverhead = 16 * 1024;

class ManagedRegion : public SharedRegion {
 public:
  ~ManagedRegion() override {
    for (auto& slot : segs_) slot.reset();
    main_.reset();
    if (!name_.empty() && !removed()) bi::shared_memory_object::remove(name_.c_str());
  }

  PosixError Create(size_t size) override {
    if (created()) return PosixError(EEXIST, "Create() twice");
    std::string name = boost_ipc::NewBoostName("managed");
    const size_t seg = size + kManagedOverhead;
    PosixError e = Guard("managed_shared_memory(create_only, " + name + ", " +
                             std::to_string(seg) + ")",
                         [&] {
                           main_.emplace(bi::create_only, name.c_str(), seg);
                           return NoError();
                         });
    if (!e.ok()) return e;
    name_ = name;
    e = Guard(std::string("construct<uint8_t>(\"") + kArrayName + "\")[" + std::to_string(size) +
                  "](0)",
              [&] {
                main_->construct<uint8_t>(kArrayName)[size](0);
                return NoError();
              });
    if (!e.ok()) return e;
    SetSizes(size, size);
    return NoError();
  }

  PosixError Adopt(const std::string& handle) override {
    if (created()) return PosixError(EEXIST, "Adopt() of a created Instance");
    PosixError e = Guard("managed_shared_memory(open_only, " + handle + ")", [&] {
      main_.emplace(bi::open_only, handle.c_str());
      return NoError();
    });
    if (!e.ok()) return e;
    name_ = handle;
    auto found = main_->find<uint8_t>(kArrayName);
    if (found.first == nullptr) {
      return PosixError(ENOENT, "find<uint8_t>(\"" + std::string(kArrayName) + "\") in " + handle);
    }
    SetSizes(found.second, found.second);
    return NoError();
  }

  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override {
    if (!created()) return PosixError(EINVAL, "Attach() before Create()");
    int slot = FreeSlot();
    if (slot < 0 || TableFull()) return PosixError(EMFILE, "too many attachments");
    PosixError e = Guard("managed_shared_memory(open_only/open_read_only)", [&] {
      if (access == RegionAccess::kReadOnly) {
        segs_[slot].emplace(bi::open_read_only, name_.c_str());
      } else {
        segs_[slot].emplace(bi::open_only, name_.c_str());
      }
      return NoError();
    });
    if (!e.ok()) return e;
    std::pair<uint8_t*, size_t> found{nullptr, 0};
    e = Guard("managed_shared_memory::find", [&] {
      auto f = segs_[slot]->find<uint8_t>(kArrayName);
      found = {f.first, f.second};
      return NoError();
    });
    if (!e.ok() || found.first == nullptr) {
      segs_[slot].reset();
      return e.ok() ? PosixError(ENOENT, "managed_shared_memory::find: no array") : e;
    }
    RegionAttachment a;
    a.data = found.first;
    a.length = found.second;
    a.access = access;
    Track(a);
    return a;
  }

  PosixError Detach(const RegionAttachment& a) override {
    for (auto& slot : segs_) {
      if (!slot) continue;
      const auto* base = static_cast<const uint8_t*>(slot->get_address());
      if (a.data >= base && a.data < base + slot->get_size()) {
        if (!Untrack(a)) return PosixError(EINVAL, "Detach(): not tracked");
        slot.reset();  // unmaps this view of the segment
        return NoError();
      }
    }
    return PosixError(EINVAL, "Detach(): not an attachment of this region");
  }

  PosixError Remove() override {
    if (removed()) return PosixError(ENOENT, "Remove() twice");
    PosixError e = RemoveName(name_);
    if (e.ok()) SetRemoved();
    return e;
  }

  PosixErrorOr<size_t> Size() const override {
    if (!main_) return PosixError(EINVAL, "Size() before Create()");
    // The named array's length, as the segment manager records it.
    auto found = const_cast<bi::managed_shared_memory&>(*main_).find<uint8_t>(kArrayName);
    if (found.first == nullptr) return PosixError(ENOENT, "find<uint8_t>(ipcspec_region)");
    return static_cast<size_t>(found.second);
  }

  std::string Handle() const override { return name_; }

 private:
  int FreeSlot() const {
    for (int i = 0; i < kMaxAttachments; ++i) {
      if (!segs_[i]) return i;
    }
    return -1;
  }

  std::string name_;
  std::optional<bi::managed_shared_memory> main_;
  std::optional<bi::managed_shared_memory> segs_[kMaxAttachments];
};

SharedRegionCaps ManagedCaps() {
  SharedRegionCaps c;
  // The array's length, as constructed.
  c.size_rule = RegionSizeRule::kAsked;
  // The region is exactly the array: the bytes around it are the segment
  // manager's.
  c.granularity = 1;
  c.reach = RegionReach::kName;  // open_only by name, find() by name
  c.persistence = RegionPersistence::kKernel;
  // Each attachment opens the segment by name: none after remove().
  c.attach_after_remove = false;
  // construct<uint8_t>(name)[n](0): every element initialised to 0.
  c.zero_filled = true;
  // managed_shared_memory(open_read_only, name): "Connects to a created
  // shared memory and its segment manager in read-only mode."
  c.read_only_attach = true;
  return c;
}

IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    (SharedRegionKind{"boost_interprocess_shared_memory_object", "boost_shared_memory",
                      "boost::interprocess::shared_memory_object(create_only) + truncate, one "
                      "mapped_region per attachment, shared_memory_object::remove",
                      ShmObjectCaps(),
                      []() -> PosixErrorOr<std::unique_ptr<SharedRegion>> {
                        return std::unique_ptr<SharedRegion>(new ShmObjectRegion());
                      },
                      false, "", "", "boost_interprocess"}));

IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    (SharedRegionKind{"boost_interprocess_managed_shared_memory", "boost_managed_shared_memory",
                      "boost::interprocess::managed_shared_memory(create_only); the region is "
                      "construct<uint8_t>(\"ipcspec_region\")[n](0); each attachment opens the "
                      "segment (open_only / open_read_only) and find()s the array",
                      ManagedCaps(),
                      []() -> PosixErrorOr<std::unique_ptr<SharedRegion>> {
                        return std::unique_ptr<SharedRegion>(new ManagedRegion());
                      },
                      false, "", "", "boost_interprocess"}));

}  // namespace
}  // namespace ipcspec
