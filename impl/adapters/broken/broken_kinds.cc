// Deliberately broken adapter Kinds: one crashes, one hangs, one throws. The
// adapter harness must report each as failed, with the reason, within the
// deadline, and go on with the rest of the binary (the jobserver Kind linked
// beside them passes). Checked by //impl/adapters:broken_adapter_test; the
// test binary itself is tagged manual, since it is meant to fail.
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>
#include <stdexcept>
#include <string>

#include "impl/api/semaphore.h"

namespace ipcspec {
namespace {

enum class Breakage { kCrash, kHang, kThrow };

class BrokenSemaphore : public Semaphore {
 public:
  explicit BrokenSemaphore(Breakage b) : b_(b) {}
  PosixError Post() override {
    Break();
    return PosixError();
  }
  PosixError Wait() override {
    Break();
    return PosixError();
  }
  PosixError TryWait() override {
    Break();
    return PosixError(EAGAIN, "TryWait");
  }
  PosixError TimedWait(std::chrono::nanoseconds) override {
    Break();
    return PosixError(ETIMEDOUT, "TimedWait");
  }
  PosixErrorOr<long> Value() override {
    Break();
    return 0L;
  }
  std::string Describe() const override { return "a broken semaphore"; }
  PosixError Remove() override { return PosixError(); }

 private:
  void Break() {
    switch (b_) {
      case Breakage::kCrash:
        raise(SIGSEGV);
        break;
      case Breakage::kHang:
        for (;;) pause();
      case Breakage::kThrow:
        throw std::runtime_error("the library threw from inside a call");
    }
  }
  Breakage b_;
};

SemaphoreKind Broken(const std::string& name, Breakage b) {
  SemaphoreKind k;
  k.name = name;
  k.mechanism = "none";
  k.description = "deliberately broken: " + name;
  k.caps.max_value = 100;
  k.caps.overflow_errno = EAGAIN;
  k.caps.timed_wait = true;
  k.caps.timeout_errno = ETIMEDOUT;
  k.caps.fork_shared = true;
  k.caps.wait_syscalls = {SYS_pause};
  k.open = [b]() -> PosixErrorOr<SemaphoreInstance> {
    return SemaphoreInstance(std::make_unique<BrokenSemaphore>(b));
  };
  k.library = "broken";
  return k;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface, Broken("broken_crashes", Breakage::kCrash));
IPCSPEC_REGISTER_KIND(SemaphoreInterface, Broken("broken_hangs", Breakage::kHang));
IPCSPEC_REGISTER_KIND(SemaphoreInterface, Broken("broken_throws", Breakage::kThrow));

}  // namespace
}  // namespace ipcspec
