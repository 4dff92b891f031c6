// Cleanup: runs a callable when it goes out of scope, unless released.
#pragma once

#include <functional>
#include <utility>

namespace ipcspec {

class Cleanup {
 public:
  Cleanup() = default;
  explicit Cleanup(std::function<void()> f) : f_(std::move(f)) {}
  Cleanup(Cleanup&& o) noexcept : f_(std::exchange(o.f_, nullptr)) {}
  Cleanup& operator=(Cleanup&& o) noexcept {
    if (this != &o) {
      Run();
      f_ = std::exchange(o.f_, nullptr);
    }
    return *this;
  }
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() { Run(); }

  // Runs the callable now (once).
  void Run() {
    if (f_) std::exchange(f_, nullptr)();
  }
  // Leaves the object behind on purpose: the callable never runs.
  void Release() { f_ = nullptr; }
  bool armed() const { return static_cast<bool>(f_); }

 private:
  std::function<void()> f_;
};

}  // namespace ipcspec
