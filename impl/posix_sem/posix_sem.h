// Reference POSIX semaphores (man 7 sem_overview): named (sem_open(3),
// sem_close(3), sem_unlink(3)) and unnamed process-shared (sem_init(3) with
// pshared = 1 in a MAP_SHARED anonymous mapping, sem_destroy(3)), as owners
// and as Semaphore Kinds.
#pragma once

#include <semaphore.h>

#include <string>

#include "impl/api/semaphore.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// A name no other test or process uses: "/ipcspec_<tag>_<pid>_<n>".
std::string UniqueSemName(const std::string& tag);

// SEM_VALUE_MAX as sysconf(_SC_SEM_VALUE_MAX) reports it.
long SemValueMax();

// The operations every POSIX semaphore has, over a sem_t*.
class PosixSemaphoreBase : public Semaphore {
 public:
  PosixError Post() override;
  PosixError Wait() override;
  PosixError TryWait() override;
  // sem_timedwait(3) with CLOCK_REALTIME now + timeout.
  PosixError TimedWait(std::chrono::nanoseconds timeout) override;
  PosixErrorOr<long> Value() override;

  sem_t* get() const { return sem_; }

 protected:
  sem_t* sem_ = nullptr;
};

// Owns a named semaphore: sem_close and, if it still owns the name,
// sem_unlink on destruction.
class NamedPosixSemaphore : public PosixSemaphoreBase {
 public:
  // sem_open(name, oflag, 0600, value). With O_CREAT | O_EXCL this handle made
  // the name and owns it (Remove unlinks it); otherwise Remove only closes.
  static PosixErrorOr<std::unique_ptr<NamedPosixSemaphore>> Open(const std::string& name,
                                                                 int oflag, unsigned value);
  ~NamedPosixSemaphore() override;

  // sem_close (this process's handle).
  PosixError Close();
  // sem_unlink (the name); the open handle keeps working (man 3 sem_unlink).
  PosixError Unlink();
  // Close, then Unlink if the name is still owned.
  PosixError Remove() override;

  std::string Name() const override { return name_; }
  std::string Describe() const override;
  bool owns_name() const { return owns_name_; }

 private:
  NamedPosixSemaphore(sem_t* s, std::string name, bool owns_name)
      : name_(std::move(name)), owns_name_(owns_name) {
    sem_ = s;
  }
  std::string name_;
  bool owns_name_;
};

// Owns an unnamed semaphore in its own MAP_SHARED anonymous mapping:
// sem_destroy and munmap on destruction.
class UnnamedPosixSemaphore : public PosixSemaphoreBase {
 public:
  static PosixErrorOr<std::unique_ptr<UnnamedPosixSemaphore>> Create(unsigned value,
                                                                     bool pshared);
  ~UnnamedPosixSemaphore() override;
  PosixError Remove() override;
  std::string Describe() const override;

 private:
  UnnamedPosixSemaphore(sem_t* s, bool pshared) : pshared_(pshared) { sem_ = s; }
  bool pshared_;
};

SemaphoreCaps PosixSemaphoreCaps(bool named);

}  // namespace ipcspec
