// Kinds whose non-blocking calls fail with the documented errno, but only
// after waiting: the bug of issue 14 ("non-blocking means never sleeping").
// One base Kind per interface with a non-blocking form, three ways to wait,
// each wrapped around the correct Kind and claiming its caps:
//
//   <base>_waits_30ms   sleeps 30 ms (poll(2) with no fds) before it fails:
//                       over the time bound, and a voluntary context switch;
//   <base>_spins_30ms   burns the CPU for 30 ms before it fails: no sleep the
//                       kernel counts, caught by the time bound alone;
//   <base>_naps         sleeps 100 us before it fails: well under the time
//                       bound, caught by the voluntary context switch alone.
//
// sysv_msg_high_water_* are the sysv_msg mutants claiming a high-water mark
// and no limit (ZeroMQ's and nng's caps): MessageQueue.HighWaterMark checks
// their send at the mark.
//
// A mutant waits only when the call fails (the fills before the check run
// at full speed). suites/selftest/nonblocking proves that the never-sleeps
// properties (suites/nonblocking) catch every one.
#include <poll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>

#include <climits>
#include <memory>
#include <string>

#include "impl/api/byte_stream.h"
#include "impl/api/counter.h"
#include "impl/api/datagram.h"
#include "impl/api/lock.h"
#include "impl/api/message_queue.h"
#include "impl/api/semaphore.h"
#include "impl/api/signal_queue.h"
#include "impl/eventfd/eventfd.h"
#include "impl/file_lock/file_lock.h"
#include "impl/pipe/pipe.h"
#include "impl/signal/signal_queues.h"
#include "impl/sysv_msg/sysv_msg.h"
#include "impl/sysv_sem/sysv_sem.h"

namespace ipcspec {
namespace {

enum class Stall { kWaits, kSpins, kNaps };

const char* Suffix(Stall s) {
  switch (s) {
    case Stall::kWaits:
      return "_waits_30ms";
    case Stall::kSpins:
      return "_spins_30ms";
    case Stall::kNaps:
      return "_naps";
  }
  return "";
}

const char* Bug(Stall s) {
  switch (s) {
    case Stall::kWaits:
      return "sleeps 30 ms before its non-blocking call fails";
    case Stall::kSpins:
      return "spins 30 ms on the CPU before its non-blocking call fails";
    case Stall::kNaps:
      return "sleeps 100 us before its non-blocking call fails";
  }
  return "";
}

long NowNs() {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000L + t.tv_nsec;
}

// The mutant's bug. Keeps errno as it was (the failure it goes on to report).
void DoStall(Stall s) {
  int saved = errno;
  switch (s) {
    case Stall::kWaits:
      (void)poll(nullptr, 0, 30);
      break;
    case Stall::kSpins: {
      const long until = NowNs() + 30'000'000L;
      while (NowNs() < until) {
      }
      break;
    }
    case Stall::kNaps: {
      struct timespec nap = {0, 100'000};
      (void)nanosleep(&nap, nullptr);
      break;
    }
  }
  errno = saved;
}

// A failed non-blocking call's error, after the stall.
PosixError Stalled(Stall s, PosixError e) {
  if (!e.ok()) DoStall(s);
  return e;
}
template <typename T>
PosixErrorOr<T> Stalled(Stall s, PosixErrorOr<T> r) {
  if (!r.ok()) DoStall(s);
  return r;
}

template <typename Interface>
Kind<Interface> MutantOf(const std::string& base, const std::string& mechanism, Stall s,
                         typename Interface::Caps caps,
                         std::function<PosixErrorOr<typename Interface::Instance>()> open) {
  Kind<Interface> k{base + Suffix(s), mechanism, "mutant of " + base + ": " + Bug(s),
                    std::move(caps), std::move(open)};
  k.mutant = true;
  k.mutant_bug = Bug(s);
  k.base = base;
  return k;
}

// ---------------------------------------------------------------- ByteStream

class StallingEnd : public StreamEnd {
 public:
  StallingEnd(std::unique_ptr<StreamEnd> inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixErrorOr<size_t> Write(const uint8_t* data, size_t n, Blocking b) override {
    auto r = inner_->Write(data, n, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<size_t> Read(uint8_t* data, size_t n, Blocking b) override {
    auto r = inner_->Read(data, n, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }
  PosixError WriteAll(const uint8_t* data, size_t n) override { return inner_->WriteAll(data, n); }

 private:
  std::unique_ptr<StreamEnd> inner_;
  Stall s_;
};

ByteStreamKind PipeMutant(Stall s) {
  ByteStreamCaps c;  // as the "pipe" Kind's (impl/pipe/pipe.cc)
  c.atomic_write = PIPE_BUF;
  c.empty_capacity = DefaultPipeCapacity();
  c.sigpipe_on_broken = true;
  c.fork_shares_ends = true;
  c.nonblocking_by_default = false;
  return MutantOf<ByteStreamInterface>("pipe", "pipe", s, c, [s]() -> PosixErrorOr<ByteStream> {
    IPCSPEC_ASSIGN_OR_RETURN(ByteStream p, OpenPipe(0));
    p.reader = std::make_unique<StallingEnd>(std::move(p.reader), s);
    p.writer = std::make_unique<StallingEnd>(std::move(p.writer), s);
    return p;
  });
}

// ------------------------------------------------------------------- Counter

class StallingCounter : public Counter {
 public:
  StallingCounter(CounterInstance inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixError Add(uint64_t v, Blocking b) override {
    auto r = inner_->Add(v, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<uint64_t> Take(Blocking b) override {
    auto r = inner_->Take(b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  int fd() const override { return inner_->fd(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 private:
  CounterInstance inner_;
  Stall s_;
};

CounterKind EventFdMutant(Stall s) {
  CounterCaps c;  // as the "eventfd" Kind's (impl/eventfd/eventfd.cc)
  c.max_value = kEventFdMax;
  c.initial_value = 0;
  c.semaphore = false;
  c.nonblocking_by_default = false;
  c.pollable = true;
  c.fork_shared = true;
  c.take_wait_syscalls = {SYS_read};
  c.add_wait_syscalls = {SYS_write};
  return MutantOf<CounterInterface>("eventfd", "eventfd", s, c,
                                    [s]() -> PosixErrorOr<CounterInstance> {
                                      IPCSPEC_ASSIGN_OR_RETURN(auto e, OpenEventFd(0, 0));
                                      return CounterInstance(
                                          std::make_unique<StallingCounter>(std::move(e), s));
                                    });
}

// ------------------------------------------------------------------ Datagram

class StallingEndpoint : public DatagramEndpoint {
 public:
  StallingEndpoint(std::unique_ptr<DatagramEndpoint> inner, Stall s)
      : inner_(std::move(inner)), s_(s) {}
  PosixErrorOr<size_t> Send(const uint8_t* data, size_t n, Blocking b) override {
    auto r = inner_->Send(data, n, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<Received> Receive(size_t max, Blocking b) override {
    auto r = inner_->Receive(max, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixError Close() override { return inner_->Close(); }
  bool closed() const override { return inner_->closed(); }
  int fd() const override { return inner_->fd(); }

 private:
  std::unique_ptr<DatagramEndpoint> inner_;
  Stall s_;
};

DatagramKind UnixDgramMutant(Stall s) {
  DatagramCaps c;  // as the "unix_dgram_socketpair" Kind's (impl/unix_socket)
  c.ordered = true;
  c.may_drop = false;
  c.reliable_delivery_when_not_full = true;
  c.guaranteed_queue = 8;
  c.max_message = 4096;
  c.reports_real_length = true;
  c.fork_shares = true;
  return MutantOf<DatagramInterface>(
      "unix_dgram_socketpair", "unix_socket", s, c, [s]() -> PosixErrorOr<DatagramChannel> {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) {
          return ErrnoError("socketpair(AF_UNIX, SOCK_DGRAM)");
        }
        DatagramChannel ch;
        ch.a = std::make_unique<StallingEndpoint>(
            std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[0]), "SOCK_DGRAM end A"), s);
        ch.b = std::make_unique<StallingEndpoint>(
            std::make_unique<FdDatagramEndpoint>(FileDescriptor(sv[1]), "SOCK_DGRAM end B"), s);
        return ch;
      });
}

// -------------------------------------------------------------- MessageQueue

class StallingQueue : public MessageQueue {
 public:
  StallingQueue(std::unique_ptr<MessageQueue> inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    auto r = inner_->Send(tag, data, n, w);
    return w.mode == MqWait::Mode::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    auto r = inner_->Receive(o, w);
    return w.mode == MqWait::Mode::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<MqStatus> Status() override { return inner_->Status(); }
  PosixError Remove() override { return inner_->Remove(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }
  std::string Address() const override { return inner_->Address(); }
  int fd() const override { return inner_->fd(); }

 private:
  std::unique_ptr<MessageQueue> inner_;
  Stall s_;
};

MessageQueueKind SysvMsgMutant(Stall s) {
  return MutantOf<MessageQueueInterface>(
      "sysv_msg", "sysv_msg", s, SysvMsgCaps(0),
      [s]() -> PosixErrorOr<MessageQueueInstance> {
        IPCSPEC_ASSIGN_OR_RETURN(auto q, SysvMsgQueue::Create(0));
        return MessageQueueInstance{std::make_unique<StallingQueue>(std::move(q), s)};
      });
}

// A queue with a high-water mark and no capacity the model knows, as ZeroMQ's
// and nng's are (MessageQueueCaps::at_high_water): System V underneath,
// claiming no limit. Its non-blocking send at the mark is checked by
// MessageQueue.HighWaterMark, which fills it (suites/selftest/nonblocking
// runs that property against these mutants too).
MessageQueueKind SysvMsgHighWaterMutant(Stall s) {
  MessageQueueCaps c = SysvMsgCaps(0);
  c.limits_count = false;
  c.limits_bytes = false;
  c.at_high_water = MessageQueueCaps::Overflow::kBlocks;
  c.high_water_bound_bytes = size_t{1} << 20;  // far over the queue's msg_qbytes
  MessageQueueKind k = SysvMsgMutant(s);
  k.name = std::string("sysv_msg_high_water") + Suffix(s);
  k.description = "mutant of sysv_msg claiming a high-water mark and no limit: " +
                  std::string(Bug(s));
  k.caps = c;
  return k;
}

// ----------------------------------------------------------------- Semaphore

class StallingSemaphore : public Semaphore {
 public:
  StallingSemaphore(SemaphoreInstance inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixError Post() override { return inner_->Post(); }
  PosixError Wait() override { return inner_->Wait(); }
  PosixError TryWait() override { return Stalled(s_, inner_->TryWait()); }
  PosixError TimedWait(std::chrono::nanoseconds t) override { return inner_->TimedWait(t); }
  PosixErrorOr<long> Value() override { return inner_->Value(); }
  PosixError Apply(std::span<const int> deltas, Blocking b) override {
    auto r = inner_->Apply(deltas, b);
    return b == Blocking::kNonBlock ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<long> Waiters(WaiterSort w) override { return inner_->Waiters(w); }
  std::string Name() const override { return inner_->Name(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }
  PosixError Remove() override { return inner_->Remove(); }

 private:
  SemaphoreInstance inner_;
  Stall s_;
};

SemaphoreKind SysvSemMutant(Stall s) {
  return MutantOf<SemaphoreInterface>("sysv_sem", "sysv_sem", s, SysvSemaphoreCaps(false),
                                      [s]() -> PosixErrorOr<SemaphoreInstance> {
                                        IPCSPEC_ASSIGN_OR_RETURN(auto m,
                                                                 OpenSysvSemaphore(false));
                                        return SemaphoreInstance(
                                            std::make_unique<StallingSemaphore>(std::move(m), s));
                                      });
}

// ---------------------------------------------------------------------- Lock

class StallingHandle : public LockHandle {
 public:
  StallingHandle(std::unique_ptr<LockHandle> inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixError Acquire(const Deadline& d) override { return inner_->Acquire(d); }
  PosixError TryAcquire() override { return Stalled(s_, inner_->TryAcquire()); }
  PosixError Release() override { return inner_->Release(); }
  PosixError MakeConsistent() override { return inner_->MakeConsistent(); }
  int fd() const override { return inner_->fd(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 private:
  std::unique_ptr<LockHandle> inner_;
  Stall s_;
};

class StallingLock : public Lock {
 public:
  StallingLock(LockInstance inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    IPCSPEC_ASSIGN_OR_RETURN(auto h, inner_->NewHandle());
    return std::unique_ptr<LockHandle>(std::make_unique<StallingHandle>(std::move(h), s_));
  }
  std::string Path() const override { return inner_->Path(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 private:
  LockInstance inner_;
  Stall s_;
};

LockKind FlockMutant(Stall s) {
  LockCaps c;  // as the "flock_ex" Kind's (impl/file_lock/file_lock.cc)
  c.owner = LockOwner::kOpenFileDescription;
  c.busy_errnos = {EWOULDBLOCK};
  c.released_on_holder_death = true;
  c.foreign_release_defined = true;
  c.foreign_release_errno = 0;
  c.wait_syscalls = {SYS_flock};
  c.file_based = true;
  return MutantOf<LockInterface>("flock_ex", "flock", s, c, [s]() -> PosixErrorOr<LockInstance> {
    IPCSPEC_ASSIGN_OR_RETURN(auto l, OpenFileLock(FileLockSort::kFlock));
    return LockInstance(std::make_unique<StallingLock>(std::move(l), s));
  });
}

// --------------------------------------------------------------- SignalQueue

class StallingSignalQueue : public SignalQueue {
 public:
  StallingSignalQueue(SignalQueueInstance inner, Stall s) : inner_(std::move(inner)), s_(s) {}
  PosixError Send(pid_t pid, int signo, std::optional<int> value) override {
    return inner_->Send(pid, signo, value);
  }
  PosixError Hold(int signo) override { return inner_->Hold(signo); }
  PosixError Release(int signo) override { return inner_->Release(signo); }
  PosixErrorOr<SignalInfo> Receive(std::chrono::nanoseconds timeout) override {
    auto r = inner_->Receive(timeout);
    return timeout.count() == 0 ? Stalled(s_, std::move(r)) : r;
  }
  PosixErrorOr<std::vector<int>> Pending() override { return inner_->Pending(); }
  PosixError Close() override { return inner_->Close(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }
  int fd() const override { return inner_->fd(); }

 private:
  SignalQueueInstance inner_;
  Stall s_;
};

SignalQueueKind SigtimedwaitMutant(Stall s) {
  return MutantOf<SignalQueueInterface>(
      "sigtimedwait", "signal", s, SigtimedwaitCaps(), [s]() -> PosixErrorOr<SignalQueueInstance> {
        IPCSPEC_ASSIGN_OR_RETURN(auto q, OpenSigtimedwaitQueue());
        return SignalQueueInstance(std::make_unique<StallingSignalQueue>(std::move(q), s));
      });
}

// The three mutants of one base Kind.
template <typename Interface>
bool RegisterStalling(Kind<Interface> (*factory)(Stall)) {
  for (Stall s : {Stall::kWaits, Stall::kSpins, Stall::kNaps}) {
    KindRegistry<Interface>::Get().Add(factory(s));
  }
  return true;
}

[[maybe_unused]] const bool kPipeMutants = RegisterStalling<ByteStreamInterface>(PipeMutant);
[[maybe_unused]] const bool kEventFdMutants = RegisterStalling<CounterInterface>(EventFdMutant);
[[maybe_unused]] const bool kDgramMutants = RegisterStalling<DatagramInterface>(UnixDgramMutant);
[[maybe_unused]] const bool kMsgMutants = RegisterStalling<MessageQueueInterface>(SysvMsgMutant);
[[maybe_unused]] const bool kMsgHighWaterMutants =
    RegisterStalling<MessageQueueInterface>(SysvMsgHighWaterMutant);
[[maybe_unused]] const bool kSemMutants = RegisterStalling<SemaphoreInterface>(SysvSemMutant);
[[maybe_unused]] const bool kLockMutants = RegisterStalling<LockInterface>(FlockMutant);
[[maybe_unused]] const bool kSignalMutants =
    RegisterStalling<SignalQueueInterface>(SigtimedwaitMutant);

}  // namespace
}  // namespace ipcspec
