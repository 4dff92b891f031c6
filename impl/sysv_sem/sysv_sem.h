// Reference System V semaphores (man 7 sysvipc, man 2 semget, man 2 semop,
// man 2 semctl): an owned semaphore set, the limits of the IPC namespace, and
// the Semaphore Kinds over one semaphore of a private set.
#pragma once

#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/types.h>

#include <string>

#include "impl/api/semaphore.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// man 2 semctl: "The calling program must define this union as follows".
union SemUn {
  int val;
  struct semid_ds* buf;
  unsigned short* array;
  struct seminfo* info;
};

// /proc/sys/kernel/sem: SEMMSL SEMMNS SEMOPM SEMMNI (man 5 proc). They belong
// to the IPC namespace (man 7 ipc_namespaces).
struct SemLimits {
  long semmsl = 0;
  long semmns = 0;
  long semopm = 0;
  long semmni = 0;
  std::string ToString() const;
};
PosixErrorOr<SemLimits> ReadSemLimits();
PosixError WriteSemLimits(const SemLimits& l);

// SEMVMX as the kernel reports it (semctl IPC_INFO semvmx), 32767 if it
// cannot be read (man 2 semop: "implementation dependent (32767)").
long Semvmx();

// Owns a semaphore set: removes it (IPC_RMID) on destruction.
class SysvSemSet {
 public:
  // semget(key, nsems, IPC_CREAT | IPC_EXCL | mode); with IPC_PRIVATE the
  // set is always new.
  static PosixErrorOr<SysvSemSet> Create(key_t key, int nsems, int mode = 0600);
  // Takes ownership of an existing set.
  static SysvSemSet Adopt(int semid) { return SysvSemSet(semid); }

  SysvSemSet() = default;
  SysvSemSet(SysvSemSet&& o) noexcept;
  SysvSemSet& operator=(SysvSemSet&& o) noexcept;
  SysvSemSet(const SysvSemSet&) = delete;
  SysvSemSet& operator=(const SysvSemSet&) = delete;
  ~SysvSemSet();

  int id() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // IPC_RMID now.
  PosixError Remove();
  // Gives up ownership: the set is left in the kernel.
  int Release();

  // semctl(id, semnum, GETVAL / GETNCNT / GETZCNT / GETPID).
  PosixErrorOr<int> Get(int semnum, int cmd) const;
  // semctl(id, semnum, SETVAL, val).
  PosixError SetVal(int semnum, int val) const;

 private:
  explicit SysvSemSet(int id) : id_(id) {}
  int id_ = -1;
};

// One semaphore of a set, as a Semaphore; every operation carries SEM_UNDO
// when `undo`.
class SysvSemaphore : public Semaphore {
 public:
  SysvSemaphore(SysvSemSet set, int semnum, bool undo)
      : set_(std::move(set)), semnum_(semnum), undo_(undo) {}

  PosixError Post() override;
  PosixError Wait() override;
  PosixError TryWait() override;
  PosixError TimedWait(std::chrono::nanoseconds timeout) override;
  PosixErrorOr<long> Value() override;
  PosixError Apply(std::span<const int> deltas, Blocking b) override;
  PosixErrorOr<long> Waiters(WaiterSort s) override;
  std::string Describe() const override;
  PosixError Remove() override;

  int semid() const { return set_.id(); }
  int semnum() const { return semnum_; }
  short flags() const { return undo_ ? SEM_UNDO : 0; }

 private:
  PosixError Op(short delta, short extra_flags, const char* what);
  SysvSemSet set_;
  int semnum_;
  bool undo_;
};

// A private set of one semaphore at value 0.
PosixErrorOr<SemaphoreInstance> OpenSysvSemaphore(bool undo);
SemaphoreCaps SysvSemaphoreCaps(bool undo);

}  // namespace ipcspec
