// Broken Counter Kinds, each wrapping a correct eventfd. The Counter suite
// must reject every one of them (suites/selftest/counter).
#include <sys/eventfd.h>
#include <sys/syscall.h>

#include "impl/api/counter.h"
#include "impl/eventfd/eventfd.h"

namespace ipcspec {
namespace {

class WrappedCounter : public Counter {
 public:
  explicit WrappedCounter(CounterInstance inner) : inner_(std::move(inner)) {}
  PosixError Add(uint64_t v, Blocking b) override { return inner_->Add(v, b); }
  PosixErrorOr<uint64_t> Take(Blocking b) override { return inner_->Take(b); }
  int fd() const override { return inner_->fd(); }
  std::string Describe() const override { return "mutant of " + inner_->Describe(); }

 protected:
  CounterInstance inner_;
};

// Bug: an add that would pass the maximum saturates (the counter is set to
// the maximum and the add reports success) instead of blocking or failing
// EAGAIN.
class Saturates : public WrappedCounter {
 public:
  using WrappedCounter::WrappedCounter;
  PosixError Add(uint64_t v, Blocking b) override {
    if (v > kEventFdMax) return inner_->Add(v, b);
    PosixError e = inner_->Add(v, Blocking::kNonBlock);
    if (e.errno_value() != EAGAIN) return e;
    auto now = EventFdCount(inner_->fd());
    if (!now.ok()) return now.error();
    if (now.value() < kEventFdMax) return inner_->Add(kEventFdMax - now.value(), Blocking::kNonBlock);
    return NoError();
  }
};

// Bug: a Take hands out the value but leaves it in the counter.
class TakeKeepsValue : public WrappedCounter {
 public:
  using WrappedCounter::WrappedCounter;
  PosixErrorOr<uint64_t> Take(Blocking b) override {
    auto r = inner_->Take(b);
    if (r.ok()) (void)inner_->Add(r.value(), Blocking::kNonBlock);
    return r;
  }
};

// Bug: a non-blocking Take at zero returns 0 instead of failing EAGAIN.
class EmptyTakeReturnsZero : public WrappedCounter {
 public:
  using WrappedCounter::WrappedCounter;
  PosixErrorOr<uint64_t> Take(Blocking b) override {
    auto r = inner_->Take(b);
    if (!r.ok() && r.errno_value() == EAGAIN) return uint64_t{0};
    return r;
  }
};

// Bug: an Add of 0xffffffffffffffff is silently ignored and reports success.
class AllOnesIgnored : public WrappedCounter {
 public:
  using WrappedCounter::WrappedCounter;
  PosixError Add(uint64_t v, Blocking b) override {
    if (v == ~uint64_t{0}) return NoError();
    return inner_->Add(v, b);
  }
};

CounterCaps Caps(bool semaphore) {
  CounterCaps c;
  c.max_value = kEventFdMax;
  c.semaphore = semaphore;
  c.take_wait_syscalls = {SYS_read};
  c.add_wait_syscalls = {SYS_write};
  return c;
}

template <typename M>
CounterKind Mutant(std::string name, std::string bug, bool semaphore_caps, int flags) {
  CounterKind k{std::move(name), "eventfd", "mutant of eventfd", Caps(semaphore_caps),
                [flags]() -> PosixErrorOr<CounterInstance> {
                  IPCSPEC_ASSIGN_OR_RETURN(CounterInstance c, OpenEventFd(0, flags));
                  return CounterInstance(std::make_unique<M>(std::move(c)));
                }};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  k.base = std::string("eventfd") + (semaphore_caps ? "_semaphore" : "") +
           ((flags & EFD_NONBLOCK) ? "_nonblock" : "");
  return k;
}

IPCSPEC_REGISTER_KIND(CounterInterface,
                      Mutant<Saturates>("mutant_saturates",
                                        "an add past the maximum saturates at 0xfffffffffffffffe "
                                        "instead of blocking or failing EAGAIN",
                                        false, 0));
// Claims EFD_SEMAPHORE but opens a plain eventfd: a take returns the whole
// counter.
IPCSPEC_REGISTER_KIND(CounterInterface,
                      Mutant<WrappedCounter>("mutant_semaphore_takes_all",
                                             "in semaphore mode a take returns the whole counter "
                                             "and resets it, instead of 1",
                                             true, 0));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      Mutant<TakeKeepsValue>("mutant_take_keeps_value",
                                             "a take returns the value but does not reset the "
                                             "counter",
                                             false, 0));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      Mutant<EmptyTakeReturnsZero>("mutant_empty_take_returns_zero",
                                                   "a non-blocking take at zero returns 0 "
                                                   "instead of failing EAGAIN",
                                                   false, 0));
IPCSPEC_REGISTER_KIND(CounterInterface,
                      Mutant<AllOnesIgnored>("mutant_all_ones_ignored",
                                             "an add of 0xffffffffffffffff is ignored and "
                                             "reports success instead of EINVAL",
                                             false, 0));

}  // namespace
}  // namespace ipcspec
