// Boost.Interprocess semaphores as Semaphore Kinds.
//
// Boost.Interprocess documentation, "Synchronization mechanisms" >
// "Semaphores": "A semaphore is a synchronization mechanism between processes
// based in an internal count that offers two basic operations: Wait: Tests
// the value of the semaphore count, and waits if the value is less than or
// equal than 0. If the value is greater than 0, decrements the count. Post:
// Increments semaphore count. If any process is blocked, one of those
// processes is awoken." Two kinds: interprocess_semaphore ("anonymous", to be
// placed in shared memory) and named_semaphore.
//
// The library offers post(), wait(), try_wait() (false when it would block)
// and timed_wait(abs_time) (false when the time ran out): no way to read the
// count (caps.reports_value false), no multi-op, no undo. On this platform
// (boost/interprocess/detail/workaround.hpp: BOOST_INTERPROCESS_POSIX_NAMED_
// SEMAPHORES, BOOST_INTERPROCESS_POSIX_UNNAMED_SEMAPHORES) they are
// sem_open(3) and sem_init(3, pshared=1) semaphores, so a blocked waiter
// sleeps in futex(2) and a post past SEM_VALUE_MAX throws with EOVERFLOW.
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <climits>
#include <memory>
#include <new>
#include <optional>

#include "boost/interprocess/sync/interprocess_semaphore.hpp"
#include "boost/interprocess/sync/named_semaphore.hpp"
#include "impl/adapters/boost_interprocess/boost_common.h"
#include "impl/api/semaphore.h"

namespace ipcspec {
namespace {

namespace bi = boost::interprocess;
using boost_ipc::Guard;

// The same four calls on either semaphore type.
template <typename Sem>
class BoostSemaphoreBase : public Semaphore {
 public:
  PosixError Post() override {
    return Guard("post()", [&] {
      sem()->post();
      return NoError();
    });
  }
  PosixError Wait() override {
    return Guard("wait()", [&] {
      sem()->wait();
      return NoError();
    });
  }
  PosixError TryWait() override {
    return Guard("try_wait()", [&] {
      if (sem()->try_wait()) return NoError();
      return PosixError(EAGAIN, "try_wait() returned false");
    });
  }
  PosixError TimedWait(std::chrono::nanoseconds timeout) override {
    return Guard("timed_wait()", [&] {
      if (sem()->timed_wait(boost_ipc::PtimeIn(timeout))) return NoError();
      return PosixError(ETIMEDOUT, "timed_wait(now + " + std::to_string(timeout.count()) +
                                       " ns) returned false");
    });
  }
  PosixErrorOr<long> Value() override {
    return PosixError(ENOTSUP, "Boost.Interprocess semaphores have no call to read the count");
  }

 protected:
  virtual Sem* sem() = 0;
};

class NamedBoostSemaphore : public BoostSemaphoreBase<bi::named_semaphore> {
 public:
  static PosixErrorOr<SemaphoreInstance> Create() {
    std::string name = boost_ipc::NewBoostName("sem");
    std::unique_ptr<NamedBoostSemaphore> s(new NamedBoostSemaphore(name));
    PosixError e = Guard("named_semaphore(create_only, " + name + ", 0)", [&] {
      s->sem_.emplace(bi::create_only, name.c_str(), 0);
      return NoError();
    });
    if (!e.ok()) return e;
    return SemaphoreInstance(std::move(s));
  }
  ~NamedBoostSemaphore() override { (void)Remove(); }

  std::string Name() const override { return name_; }
  std::string Describe() const override { return "boost named_semaphore " + name_; }
  PosixError Remove() override {
    if (!sem_) return NoError();
    sem_.reset();  // sem_close
    if (!bi::named_semaphore::remove(name_.c_str())) {
      return PosixError(ENOENT, "named_semaphore::remove(" + name_ + ") returned false");
    }
    return NoError();
  }

 protected:
  bi::named_semaphore* sem() override { return &*sem_; }

 private:
  explicit NamedBoostSemaphore(std::string name) : name_(std::move(name)) {}
  std::string name_;
  std::optional<bi::named_semaphore> sem_;
};

class AnonBoostSemaphore : public BoostSemaphoreBase<bi::interprocess_semaphore> {
 public:
  static PosixErrorOr<SemaphoreInstance> Create() {
    void* p = mmap(nullptr, sizeof(bi::interprocess_semaphore), PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return ErrnoError("mmap(MAP_SHARED|MAP_ANONYMOUS) for a semaphore");
    bi::interprocess_semaphore* s = nullptr;
    PosixError e = Guard("interprocess_semaphore(0)", [&] {
      s = new (p) bi::interprocess_semaphore(0);
      return NoError();
    });
    if (!e.ok()) {
      munmap(p, sizeof(bi::interprocess_semaphore));
      return e;
    }
    return SemaphoreInstance(new AnonBoostSemaphore(s));
  }
  ~AnonBoostSemaphore() override { (void)Remove(); }

  std::string Describe() const override {
    return "boost interprocess_semaphore in a MAP_SHARED anonymous mapping";
  }
  PosixError Remove() override {
    if (s_ == nullptr) return NoError();
    bi::interprocess_semaphore* s = std::exchange(s_, nullptr);
    s->~interprocess_semaphore();  // sem_destroy
    if (munmap(s, sizeof(bi::interprocess_semaphore)) != 0) return ErrnoError("munmap(semaphore)");
    return NoError();
  }

 protected:
  bi::interprocess_semaphore* sem() override { return s_; }

 private:
  explicit AnonBoostSemaphore(bi::interprocess_semaphore* s) : s_(s) {}
  bi::interprocess_semaphore* s_;
};

SemaphoreCaps BoostSemaphoreCaps(bool named) {
  SemaphoreCaps c;
  // sem_post(3) underneath: EOVERFLOW past SEM_VALUE_MAX (the library
  // documents no maximum; it throws what sem_post reports).
  long vmax = sysconf(_SC_SEM_VALUE_MAX);
  c.max_value = vmax > 0 ? vmax : INT_MAX;
  c.overflow_errno = EOVERFLOW;
  c.undo_on_exit = false;
  c.multi_op = false;
  c.counts_waiters = false;
  c.timed_wait = true;             // timed_wait(abs_time)
  c.timeout_errno = ETIMEDOUT;     // the adapter's errno for "returned false"
  c.fork_shared = true;            // a mapping (or a sem_open mapping) the child inherits
  c.by_name = named;
  c.reports_value = false;         // no get_value() in the library
  c.wait_syscalls = {SYS_futex};
  return c;
}

IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC((SemaphoreKind{"boost_interprocess_named_semaphore", "boost_named_semaphore",
                                     "boost::interprocess::named_semaphore(create_only, name, 0); "
                                     "named_semaphore::remove on removal",
                                     BoostSemaphoreCaps(true), NamedBoostSemaphore::Create, false,
                                     "", "", "boost_interprocess"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are Boost.Interprocess's "
                                  "C++ templates, which a standalone C file cannot call";
                              return c;
                            }()));
IPCSPEC_REGISTER_KIND(SemaphoreInterface,
                      WithC((SemaphoreKind{"boost_interprocess_semaphore",
                                     "boost_interprocess_semaphore",
                                     "boost::interprocess::interprocess_semaphore(0) placed in a "
                                     "MAP_SHARED anonymous mapping",
                                     BoostSemaphoreCaps(false), AnonBoostSemaphore::Create, false,
                                     "", "", "boost_interprocess"}),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are Boost.Interprocess's "
                                  "C++ templates, which a standalone C file cannot call";
                              return c;
                            }()));

}  // namespace
}  // namespace ipcspec
