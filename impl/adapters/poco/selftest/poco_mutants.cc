// POCO Kinds with one bug each, which the interface suites must catch
// (poco_selftest.cc holds them to exactly the properties listed there). Each
// breaks the real POCO Kind it names as its base the way a library's bug
// would, so that the properties the adapter's test runs on POCO are shown
// able to fail on POCO's objects:
//
//   poco_named_mutex_no_undo       NamedMutex without SEM_UNDO: a dead
//                                  holder's lock is never given back
//   poco_named_mutex_try_lies      tryLock() reports success on a held mutex
//   poco_named_event_autoreset     NamedEvent as its header describes it: a
//                                  set() while signalled is lost
//   poco_named_event_trywait_lies  a try-wait at zero reports success
//   poco_shared_memory_private     each attachment a private copy
//                                  (MAP_PRIVATE) of the shared memory object
//   poco_shared_memory_unlinked    a server SharedMemory that unlinks the name
//                                  at once (a destroyed copy of the server)
//   poco_pipe_drops_last_byte      readBytes of more than one byte loses the
//                                  last byte it read
//   poco_pipe_splits_writes        writeBytes of n > 1 bytes in two write(2)s
#include <fcntl.h>
#include <limits.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <optional>

#include "Poco/NamedEvent.h"
#include "Poco/NamedMutex.h"
#include "Poco/Pipe.h"
#include "Poco/SharedMemory.h"
#include "impl/adapters/poco/poco_common.h"
#include "impl/adapters/poco/poco_kinds.h"
#include "impl/api/byte_stream.h"
#include "impl/api/lock.h"
#include "impl/api/semaphore.h"
#include "impl/api/shared_region.h"

namespace ipcspec {
namespace {

using poco::Guard;

template <typename I>
Kind<I> Mutant(const char* name, const char* base, std::string desc, typename I::Caps caps,
               std::function<PosixErrorOr<typename I::Instance>()> open, std::string bug) {
  Kind<I> k;
  k.name = name;
  k.mechanism = base;
  k.description = std::move(desc);
  k.caps = std::move(caps);
  k.open = std::move(open);
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  k.base = base;
  k.library = "poco";
  return k;
}

template <typename I>
PosixErrorOr<typename I::Instance> OpenBase(const char* base) {
  const Kind<I>* k = KindRegistry<I>::Get().Find(base);
  if (k == nullptr) return PosixError(ENOENT, std::string("no Kind ") + base + " linked");
  return k->Open();
}

// ---------------------------------------------------------------------------
// Lock

// A NamedMutex of the mutant's own, opened per process like the real Kind's.
class MutantMutexHandle : public LockHandle {
 public:
  MutantMutexHandle(std::string name, bool no_undo, bool try_lies)
      : name_(std::move(name)), no_undo_(no_undo), try_lies_(try_lies) {}
  PosixError Open() {
    return Guard("NamedMutex(" + name_ + ")", [&] {
      m_ = std::make_unique<Poco::NamedMutex>(name_);
      semid_ = poco::PocoSemId(poco::MutexFile(name_));
      return NoError();
    });
  }
  PosixError Acquire(const Deadline&) override {
    PosixError e = Guard("NamedMutex::lock()", [&] {
      m_->lock();
      return NoError();
    });
    if (e.ok() && no_undo_) DropUndo();
    return e;
  }
  PosixError TryAcquire() override {
    PosixError e = Guard("NamedMutex::tryLock()", [&] {
      if (m_->tryLock()) return NoError();
      return PosixError(EBUSY, "NamedMutex::tryLock() returned false");
    });
    if (e.ok() && no_undo_) DropUndo();
    if (!e.ok() && try_lies_ && e.errno_value() == EBUSY) return NoError();  // the bug
    return e;
  }
  PosixError Release() override {
    if (no_undo_) {
      struct sembuf op = {0, 1, 0};  // the bug: no SEM_UNDO
      if (semop(semid_, &op, 1) != 0) return ErrnoError("semop(+1) without SEM_UNDO");
      return NoError();
    }
    return Guard("NamedMutex::unlock()", [&] {
      m_->unlock();
      return NoError();
    });
  }
  std::string Describe() const override { return "mutant NamedMutex " + name_; }

 private:
  // Takes back the adjustment lock() recorded: +1 with SEM_UNDO and -1
  // without, in one semop, leaves the value and cancels the undo.
  void DropUndo() {
    struct sembuf ops[2] = {{0, 1, SEM_UNDO}, {0, -1, 0}};
    semop(semid_, ops, 2);
  }
  std::string name_;
  bool no_undo_, try_lies_;
  std::unique_ptr<Poco::NamedMutex> m_;
  int semid_ = -1;
};

class MutantMutexLock : public Lock {
 public:
  MutantMutexLock(bool no_undo, bool try_lies)
      : name_(poco::NewPocoName("mutant_mutex")), no_undo_(no_undo), try_lies_(try_lies) {}
  ~MutantMutexLock() override {
    if (getpid() == creator_) poco::RemovePocoObject(poco::MutexFile(name_));
  }
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    auto h = std::make_unique<MutantMutexHandle>(name_, no_undo_, try_lies_);
    PosixError e = h->Open();
    if (!e.ok()) return e;
    return std::unique_ptr<LockHandle>(std::move(h));
  }
  std::string Describe() const override { return "mutant NamedMutex " + name_; }

 private:
  std::string name_;
  bool no_undo_, try_lies_;
  pid_t creator_ = getpid();
};

IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant<LockInterface>(
        "poco_named_mutex_no_undo", "poco_named_mutex",
        "Poco::NamedMutex whose lock and unlock carry no SEM_UNDO",
        poco::NamedMutexCaps(),
        [] { return PosixErrorOr<LockInstance>(std::make_unique<MutantMutexLock>(true, false)); },
        "lock() and unlock() without SEM_UNDO: a holder's death leaves the mutex held"));
IPCSPEC_REGISTER_KIND(
    LockInterface,
    Mutant<LockInterface>(
        "poco_named_mutex_try_lies", "poco_named_mutex",
        "Poco::NamedMutex whose tryLock() reports success when the mutex is held",
        poco::NamedMutexCaps(),
        [] { return PosixErrorOr<LockInstance>(std::make_unique<MutantMutexLock>(false, true)); },
        "tryLock() of a mutex another process holds reports success without holding it"));

// ---------------------------------------------------------------------------
// Semaphore: the real NamedEvent Kind, with a set() that is lost while the
// event is signalled (what "autoresetting" would mean).

class AutoresetEvent : public Semaphore {
 public:
  AutoresetEvent(SemaphoreInstance inner, bool autoreset)
      : inner_(std::move(inner)), autoreset_(autoreset) {}
  PosixError Post() override {
    auto v = inner_->Value();
    if (autoreset_ && v.ok() && v.value() >= 1) return NoError();  // the bug: already signalled
    return inner_->Post();
  }
  PosixError Wait() override { return inner_->Wait(); }
  PosixError TryWait() override {
    PosixError e = inner_->TryWait();
    if (!autoreset_ && !e.ok() && e.errno_value() == EAGAIN) return NoError();  // the bug
    return e;
  }
  PosixError TimedWait(std::chrono::nanoseconds t) override { return inner_->TimedWait(t); }
  PosixErrorOr<long> Value() override { return inner_->Value(); }
  std::string Name() const override { return inner_->Name(); }
  std::string Describe() const override { return "auto-reset " + inner_->Describe(); }
  PosixError Remove() override { return inner_->Remove(); }

 private:
  SemaphoreInstance inner_;
  bool autoreset_;
};

PosixErrorOr<SemaphoreInstance> OpenEventMutant(bool autoreset) {
  auto inner = OpenBase<SemaphoreInterface>("poco_named_event");
  if (!inner.ok()) return inner.error();
  return SemaphoreInstance(std::make_unique<AutoresetEvent>(std::move(inner).value(), autoreset));
}

IPCSPEC_REGISTER_KIND(
    SemaphoreInterface,
    Mutant<SemaphoreInterface>(
        "poco_named_event_autoreset", "poco_named_event",
        "Poco::NamedEvent whose set() is lost while the event is signalled",
        poco::NamedEventCaps(),
        [] { return OpenEventMutant(true); },
        "set() of an event that is already signalled does nothing (a binary event), so posts "
        "are lost"));
IPCSPEC_REGISTER_KIND(
    SemaphoreInterface,
    Mutant<SemaphoreInterface>(
        "poco_named_event_trywait_lies", "poco_named_event",
        "Poco::NamedEvent whose try-wait at zero reports success",
        poco::NamedEventCaps(), [] { return OpenEventMutant(false); },
        "a try-wait that finds the event unsignalled reports success without taking anything"));

// ---------------------------------------------------------------------------
// SharedRegion: POCO's server object makes the region; each attachment is a
// MAP_PRIVATE mapping of it.

class PrivateShm : public SharedRegion {
 public:
  explicit PrivateShm(bool unlink_early) : unlink_early_(unlink_early) {}
  ~PrivateShm() override {
    if (!unlink_early_) {
      for (int i = attachment_count() - 1; i >= 0; --i) {
        RegionAttachment a = attachment(i);
        munmap(a.data, a.length);
      }
    }
    for (auto& c : clients_) c.reset();
    if (getpid() == creator_) server_.reset();
  }
  PosixError Create(size_t size) override {
    name_ = poco::NewPocoName("mutant_shm");
    PosixError e = Guard("SharedMemory(server)", [&] {
      server_.emplace(name_, size, Poco::SharedMemory::AM_WRITE, nullptr, true);
      return NoError();
    });
    if (!e.ok()) return e;
    if (unlink_early_) {
      // the bug: a copy of the server object, destroyed at once, unlinks the name
      Guard("SharedMemory(server) copy", [&] {
        Poco::SharedMemory copy(name_, size, Poco::SharedMemory::AM_WRITE, nullptr, true);
        return NoError();
      });
    }
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }
  // As the real Kind: the size from fstat, then the server object.
  PosixError Adopt(const std::string& handle) override {
    int fd = shm_open(("/" + handle).c_str(), O_RDONLY, 0);
    if (fd < 0) return ErrnoError("shm_open(/" + handle + ")");
    struct stat st;
    int r = fstat(fd, &st);
    close(fd);
    if (r != 0) return ErrnoError("fstat");
    const size_t size = static_cast<size_t>(st.st_size);
    PosixError e = Guard("SharedMemory(server)", [&] {
      server_.emplace(handle, size, Poco::SharedMemory::AM_WRITE, nullptr, true);
      return NoError();
    });
    if (!e.ok()) return e;
    name_ = handle;
    SetSizes(size, RoundUpToPage(size));
    return NoError();
  }
  PosixErrorOr<RegionAttachment> Attach(RegionAccess access) override {
    if (TableFull()) return PosixError(EMFILE, "too many attachments");
    if (unlink_early_) return AttachShared(access);
    int fd = shm_open(("/" + name_).c_str(), O_RDONLY, 0);
    if (fd < 0) return ErrnoError("shm_open");
    const int prot = access == RegionAccess::kReadOnly ? PROT_READ : PROT_READ | PROT_WRITE;
    void* p = mmap(nullptr, mapped_length(), prot, MAP_PRIVATE, fd, 0);  // the bug
    close(fd);
    if (p == MAP_FAILED) return ErrnoError("mmap(MAP_PRIVATE)");
    RegionAttachment a{static_cast<uint8_t*>(p), mapped_length(), access};
    Track(a);
    return a;
  }
  PosixError Detach(const RegionAttachment& a) override {
    if (!Untrack(a)) return PosixError(EINVAL, "not an attachment");
    for (auto& c : clients_) {
      if (c && reinterpret_cast<uint8_t*>(c->begin()) == a.data) {
        c.reset();
        return NoError();
      }
    }
    munmap(a.data, a.length);
    return NoError();
  }
  PosixError Remove() override {
    server_.reset();
    SetRemoved();
    return NoError();
  }
  PosixErrorOr<size_t> Size() const override {
    if (!server_) return PosixError(ENOENT, "removed");
    return static_cast<size_t>(server_->end() - server_->begin());
  }
  std::string Handle() const override { return name_; }

 private:
  // What the real Kind does: a client SharedMemory per attachment, kept in a
  // fixed table.
  PosixErrorOr<RegionAttachment> AttachShared(RegionAccess access) {
    int slot = 0;
    while (slot < kMaxAttachments && clients_[slot]) ++slot;
    if (slot == kMaxAttachments) return PosixError(EMFILE, "too many attachments");
    PosixError e = Guard("SharedMemory(client)", [&] {
      clients_[slot].emplace(name_, asked_size(),
                             access == RegionAccess::kReadOnly ? Poco::SharedMemory::AM_READ
                                                               : Poco::SharedMemory::AM_WRITE,
                             nullptr, false);
      return NoError();
    });
    if (!e.ok()) return e;
    RegionAttachment a{reinterpret_cast<uint8_t*>(clients_[slot]->begin()), mapped_length(),
                       access};
    Track(a);
    return a;
  }
  bool unlink_early_;
  pid_t creator_ = getpid();
  std::string name_;
  std::optional<Poco::SharedMemory> server_;
  std::optional<Poco::SharedMemory> clients_[kMaxAttachments];
};

IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant<SharedRegionInterface>(
        "poco_shared_memory_private", "poco_shared_memory",
        "Poco::SharedMemory whose attachments are MAP_PRIVATE copies",
        poco::ShmCaps(),
        [] {
          return PosixErrorOr<std::unique_ptr<SharedRegion>>(std::make_unique<PrivateShm>(false));
        },
        "each attachment is a private copy-on-write mapping: writes are not shared"));
IPCSPEC_REGISTER_KIND(
    SharedRegionInterface,
    Mutant<SharedRegionInterface>(
        "poco_shared_memory_unlinked", "poco_shared_memory",
        "Poco::SharedMemory whose name a destroyed copy of the server object unlinked",
        poco::ShmCaps(),
        [] {
          return PosixErrorOr<std::unique_ptr<SharedRegion>>(std::make_unique<PrivateShm>(true));
        },
        "a second server object for the name, destroyed at once, shm_unlinks it: nobody can "
        "attach by name any more"));

// ---------------------------------------------------------------------------
// ByteStream: the real Pipe Kind, whose reader loses the last byte of a read
// of more than one byte.

class DropsLastByte : public StreamEnd {
 public:
  DropsLastByte(std::unique_ptr<StreamEnd> inner, bool split)
      : inner_(std::move(inner)), split_(split) {}
  PosixErrorOr<size_t> Write(const uint8_t* d, size_t n, Blocking b) override {
    if (!split_ || n < 2) return inner_->Write(d, n, b);
    auto first = inner_->Write(d, n / 2, b);  // the bug: two write(2)s
    if (!first.ok() || first.value() < n / 2) return first;
    auto second = inner_->Write(d + n / 2, n - n / 2, b);
    if (!second.ok()) return first.value();
    return first.value() + second.value();
  }
  PosixErrorOr<size_t> Read(uint8_t* d, size_t n, Blocking b) override {
    auto r = inner_->Read(d, n, b);
    if (!split_ && r.ok() && r.value() > 1) return r.value() - 1;  // the bug
    return r;
  }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }

 private:
  std::unique_ptr<StreamEnd> inner_;
  bool split_;
};

PosixErrorOr<ByteStream> OpenPipeMutant(bool split) {
  auto s = OpenBase<ByteStreamInterface>("poco_pipe");
  if (!s.ok()) return s.error();
  ByteStream st = std::move(s).value();
  if (split) {
    st.writer = std::make_unique<DropsLastByte>(std::move(st.writer), true);
  } else {
    st.reader = std::make_unique<DropsLastByte>(std::move(st.reader), false);
  }
  return st;
}

IPCSPEC_REGISTER_KIND(
    ByteStreamInterface,
    Mutant<ByteStreamInterface>(
        "poco_pipe_drops_last_byte", "poco_pipe",
        "Poco::Pipe whose reads of more than one byte lose the last byte",
        poco::PipeCaps(),
        [] { return OpenPipeMutant(false); },
        "readBytes returning n > 1 bytes reports n - 1: the last byte read is lost"));
IPCSPEC_REGISTER_KIND(
    ByteStreamInterface,
    Mutant<ByteStreamInterface>(
        "poco_pipe_splits_writes", "poco_pipe",
        "Poco::Pipe whose writeBytes of more than one byte is two write(2)s",
        poco::PipeCaps(), [] { return OpenPipeMutant(true); },
        "a write of n > 1 bytes is made as two writes, so concurrent writers interleave "
        "inside a write of at most PIPE_BUF bytes"));

}  // namespace
}  // namespace ipcspec
