// SharedObject<T>: a T in a MAP_SHARED anonymous mapping, made before fork so
// that parent and children see the same object. Children report through it.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <new>
#include <utility>

#include "impl/core/posix_error.h"

namespace ipcspec {

// sysconf(_SC_PAGESIZE), read once.
inline size_t PageSize() {
  static const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return page;
}

template <typename T>
class SharedObject {
 public:
  template <typename... Args>
  static PosixErrorOr<SharedObject> Create(Args&&... args) {
    void* p = mmap(nullptr, sizeof(T), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ErrnoError("mmap(MAP_SHARED|MAP_ANONYMOUS)");
    return SharedObject(new (p) T(std::forward<Args>(args)...));
  }
  SharedObject(SharedObject&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
  SharedObject& operator=(SharedObject&& o) noexcept {
    if (this != &o) {
      Reset();
      p_ = std::exchange(o.p_, nullptr);
    }
    return *this;
  }
  ~SharedObject() { Reset(); }

  T* get() const { return p_; }
  T* operator->() const { return p_; }
  T& operator*() const { return *p_; }

 private:
  explicit SharedObject(T* p) : p_(p) {}
  void Reset() {
    if (p_) {
      p_->~T();
      munmap(p_, sizeof(T));
      p_ = nullptr;
    }
  }
  T* p_ = nullptr;
};

}  // namespace ipcspec
