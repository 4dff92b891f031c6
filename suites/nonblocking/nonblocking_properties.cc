#include "suites/nonblocking/nonblocking_properties.h"

#include <algorithm>
#include <climits>
#include <chrono>
#include <string>

#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "suites/nonblocking/never_sleeps.h"

namespace ipcspec {
namespace {

// How many non-blocking calls a fill may take before the object counts as
// never full (a stream of 64 KiB writes: 256 MiB).
constexpr int kMaxFillCalls = 4096;

PropertyOutcome Judged(const NeverSleepsResult& r, const std::string& describe) {
  PropertyOutcome o;
  o.passed = r.passed;
  o.cases = 1;
  if (!r.passed) o.message = r.message + "\n  on " + describe;
  return o;
}

// The property could not reach the state it checks (the selftest counts that
// as broken, not as a catch).
PropertyOutcome SetupFailed(const std::string& step, const PosixError& e) {
  PropertyOutcome o;
  o.passed = false;
  o.broken = true;
  o.message = "setup: " + step + ": " + e.ToString();
  return o;
}

template <typename Interface>
SuiteProperty<Interface> Prop(std::string name, std::string cites,
                              std::function<PropertyOutcome(const Kind<Interface>&)> run,
                              std::function<std::optional<std::string>(const Kind<Interface>&)>
                                  skip = nullptr) {
  return SuiteProperty<Interface>{std::move(name), std::move(cites), std::move(skip),
                                  std::move(run)};
}

// Fills an object with `one` (one non-blocking call that succeeds while
// there is room) until a call fails, then checks that the calls up to the
// next failure never sleep. The fill's last call found the object full, so
// the check's first call normally fails at once; an object that makes room
// by itself (TCP moves data on after EAGAIN: not full_stays_full) may take a
// few more first, and each of those non-blocking calls must return at once
// too. At most `max_calls` calls each way.
PropertyOutcome FillThenCheck(const std::string& what, const std::vector<int>& errnos,
                              int max_calls, const std::function<PosixError()>& one,
                              const std::string& describe) {
  int calls = 0;
  auto until_refused = [&]() -> PosixError {
    for (int i = 0; i < max_calls; ++i) {
      PosixError e = one();
      if (!e.ok()) return e;
      ++calls;
    }
    return NoError();
  };
  if (until_refused().ok()) {
    return SetupFailed("fill", PosixError(ENOSPC, std::to_string(calls) +
                                                      " non-blocking calls all succeeded"));
  }
  const int filled = calls;
  auto r = CheckNeverSleeps(what, errnos, until_refused);
  return Judged(r, describe + ", full after " + std::to_string(filled) + " calls");
}

// ---------------------------------------------------------------- ByteStream

const char kReadCites[] =
    "man 2 read, EAGAIN: \"The file descriptor fd refers to a file other than a socket and has "
    "been marked nonblocking (O_NONBLOCK), and the read would block\" (for a socket: \"EAGAIN "
    "or EWOULDBLOCK\"; man 2 recv, MSG_DONTWAIT: \"if the operation would block, the call fails "
    "with the error EAGAIN or EWOULDBLOCK\")";
const char kWriteCites[] =
    "man 7 pipe, \"O_NONBLOCK enabled, n > PIPE_BUF\": \"If the pipe is full, then write(2) "
    "fails, with errno set to EAGAIN\"; man 2 send, MSG_DONTWAIT: \"if the operation would "
    "block, EAGAIN or EWOULDBLOCK is returned\"";

PropertyOutcome StreamReadEmpty(const ByteStreamKind& kind) {
  auto s = kind.Open();
  if (!s.ok()) return SetupFailed("Open()", s.error());
  ByteStream& st = s.value();
  uint8_t buf[64];
  auto r = CheckNeverSleeps("Read(64 bytes, kNonBlock) of an empty stream", {EAGAIN}, [&] {
    auto n = st.reader->Read(buf, sizeof buf, Blocking::kNonBlock);
    return n.ok() ? NoError() : n.error();
  });
  return Judged(r, "a fresh " + kind.name + " (" + kind.description + ")");
}

PropertyOutcome StreamWriteFull(const ByteStreamKind& kind) {
  auto s = kind.Open();
  if (!s.ok()) return SetupFailed("Open()", s.error());
  ByteStream& st = s.value();
  std::vector<uint8_t> chunk(65536, 0x5a);
  return FillThenCheck(
      "Write(64 KiB, kNonBlock) to a full stream", {EAGAIN}, kMaxFillCalls,
      [&] {
        auto n = st.writer->Write(chunk.data(), chunk.size(), Blocking::kNonBlock);
        return n.ok() ? NoError() : n.error();
      },
      kind.name + " (" + kind.description + ")");
}

// ------------------------------------------------------------------- Counter

const char kTakeCites[] =
    "man 2 eventfd, read(2): \"If the eventfd counter is zero at the time of the call to "
    "read(2), then the call either blocks until the counter becomes nonzero ... or fails with "
    "the error EAGAIN if the file descriptor has been made nonblocking.\"";
const char kAddCites[] =
    "man 2 eventfd, write(2): \"If the addition would cause the counter's value to exceed the "
    "maximum, then the write(2) either blocks until a read(2) is performed on the file "
    "descriptor, or fails with the error EAGAIN if the file descriptor has been made "
    "nonblocking.\"";

// Takes until the counter is zero (at most 64 takes: the Kinds start at 5).
PosixError DrainCounter(Counter& c) {
  for (int i = 0; i < 64; ++i) {
    auto t = c.Take(Blocking::kNonBlock);
    if (!t.ok()) return t.errno_value() == EAGAIN ? NoError() : t.error();
  }
  return PosixError(ENOSPC, "the counter was not zero after 64 non-blocking takes");
}

PropertyOutcome CounterTakeZero(const CounterKind& kind) {
  auto c = kind.Open();
  if (!c.ok()) return SetupFailed("Open()", c.error());
  Counter& ctr = *c.value();
  if (auto e = DrainCounter(ctr); !e.ok()) return SetupFailed("drain", e);
  auto r = CheckNeverSleeps("Take(kNonBlock) of a counter at zero", {EAGAIN}, [&] {
    auto t = ctr.Take(Blocking::kNonBlock);
    return t.ok() ? NoError() : t.error();
  });
  return Judged(r, ctr.Describe());
}

PropertyOutcome CounterAddFull(const CounterKind& kind) {
  auto c = kind.Open();
  if (!c.ok()) return SetupFailed("Open()", c.error());
  Counter& ctr = *c.value();
  if (auto e = DrainCounter(ctr); !e.ok()) return SetupFailed("drain", e);
  if (auto e = ctr.Add(kind.caps.max_value, Blocking::kNonBlock); !e.ok()) {
    return SetupFailed("Add(max_value) to zero", e);
  }
  auto r = CheckNeverSleeps("Add(1, kNonBlock) to a counter at its maximum", {EAGAIN},
                            [&] { return ctr.Add(1, Blocking::kNonBlock); });
  return Judged(r, ctr.Describe());
}

// ------------------------------------------------------------------ Datagram

const char kDgramReceiveCites[] =
    "man 2 recv, MSG_DONTWAIT: \"Enables nonblocking operation; if the operation would block, "
    "the call fails with the error EAGAIN or EWOULDBLOCK.\"";
const char kDgramSendCites[] =
    "man 2 send, MSG_DONTWAIT: \"Enables nonblocking operation; if the operation would block, "
    "EAGAIN or EWOULDBLOCK is returned.\"";

PropertyOutcome DatagramReceiveEmpty(const DatagramKind& kind) {
  auto c = kind.Open();
  if (!c.ok()) return SetupFailed("Open()", c.error());
  DatagramChannel& ch = c.value();
  auto r = CheckNeverSleeps("Receive(kNonBlock) with no message queued", {EAGAIN}, [&] {
    auto m = ch.b->Receive(kind.caps.max_message, Blocking::kNonBlock);
    return m.ok() ? NoError() : m.error();
  });
  return Judged(r, "a fresh " + kind.name + " (" + kind.description + ")");
}

PropertyOutcome DatagramSendFull(const DatagramKind& kind) {
  auto c = kind.Open();
  if (!c.ok()) return SetupFailed("Open()", c.error());
  DatagramChannel& ch = c.value();
  std::vector<uint8_t> msg(kind.caps.max_message, 0x33);
  return FillThenCheck(
      "Send(kNonBlock) to a full direction", {EAGAIN}, kMaxFillCalls,
      [&] {
        auto n = ch.a->Send(msg.data(), msg.size(), Blocking::kNonBlock);
        return n.ok() ? NoError() : n.error();
      },
      kind.name + ", messages of " + std::to_string(msg.size()) + " bytes");
}

// -------------------------------------------------------------- MessageQueue

const char kMqReceiveCites[] =
    "man 3 mq_receive: \"If the O_NONBLOCK flag is enabled for the message queue description, "
    "then the call instead fails immediately with the error EAGAIN.\"; man 2 msgop, "
    "IPC_NOWAIT: \"Return immediately if no message of the requested type is in the queue. The "
    "system call fails with errno set to ENOMSG.\"; for a library's queue, its own "
    "non-blocking receive: man zmq_msg_recv, ZMQ_DONTWAIT: \"If there are no messages "
    "available on the specified socket, the zmq_msg_recv() function shall fail with errno set "
    "to EAGAIN.\"; nng_recvmsg(3), NNG_FLAG_NONBLOCK: \"The function returns immediately, even "
    "if no message is available.\"; Boost.Interprocess message_queue::try_receive: \"If the "
    "message queue is empty the receiver is not blocked and returns false\"";
const char kMqSendCites[] =
    "man 3 mq_send: \"If the O_NONBLOCK flag is enabled for the message queue description, "
    "then the call instead fails immediately with the error EAGAIN.\"; man 2 msgop, msgsnd(): "
    "\"If IPC_NOWAIT is specified in msgflg, then the call instead fails with the error "
    "EAGAIN.\"; for a library's queue, its own non-blocking send: man zmq_send, ZMQ_DONTWAIT: "
    "\"If the message cannot be queued on the socket, the zmq_send() function shall fail with "
    "errno set to EAGAIN.\"; nng_sendmsg(3), NNG_FLAG_NONBLOCK: \"The function returns "
    "immediately, regardless of whether the socket is able to accept the data or not.\"; "
    "Boost.Interprocess message_queue::try_send: \"If the message queue is full the sender is "
    "not blocked and returns false\"";

// A Kind whose calls fail ENOSYS here (POSIX message queues under gVisor)
// lacks a feature: an unmet need ("feature:posix-mq", as nonblocking_calls_test
// names it), not a finding.
std::string FeatureName(const MessageQueueKind& kind) {
  std::string m = kind.mechanism;
  std::replace(m.begin(), m.end(), '_', '-');
  return "feature:" + m;
}

std::optional<std::string> MqUnsupported(const MessageQueueKind& kind) {
  // A library's Kind is opened only in its isolated child: opened here, in
  // the test process, it could leave the library's threads and global state
  // behind, which every later child would inherit without the threads (nng's
  // threads do not survive fork(2)). No library queue is a kernel
  // feature that may be missing.
  if (!kind.library.empty()) return std::nullopt;
  auto q = kind.Open();
  if (!q.ok()) {
    if (q.errno_value() == ENOSYS) {
      return UnmetNeedMessage(FeatureName(kind), q.error().ToString());
    }
    return std::nullopt;
  }
  auto m = q.value()->Receive(MqReceiveOptions{}, MqWait::NonBlock());
  if (!m.ok() && m.errno_value() == ENOSYS) {
    return UnmetNeedMessage(FeatureName(kind), m.error().ToString());
  }
  return std::nullopt;
}

PropertyOutcome MqReceiveEmpty(const MessageQueueKind& kind) {
  auto q = kind.Open();
  if (!q.ok()) return SetupFailed("Open()", q.error());
  MessageQueue& mq = *q.value();
  auto r = CheckNeverSleeps("Receive(NonBlock) of an empty queue", {kind.caps.empty_errno}, [&] {
    auto m = mq.Receive(MqReceiveOptions{}, MqWait::NonBlock());
    return m.ok() ? NoError() : m.error();
  });
  return Judged(r, mq.Describe());
}

PropertyOutcome MqSendFull(const MessageQueueKind& kind) {
  auto q = kind.Open();
  if (!q.ok()) return SetupFailed("Open()", q.error());
  MessageQueue& mq = *q.value();
  auto st = mq.Status();
  if (!st.ok()) return SetupFailed("Status()", st.error());
  const MessageQueueCaps& c = kind.caps;
  // Messages small enough that a byte-limited queue fills in a few steps.
  // A queue with a high-water mark and no limit the model knows (ZeroMQ,
  // nng) takes the largest messages up to 4 KiB, and at most its
  // high_water_bound_bytes of them.
  const bool high_water = !c.limits_count && !c.limits_bytes;
  size_t size = high_water ? 4096 : 64;
  if (st.value().max_message > 0) size = std::min(size, st.value().max_message);
  if (c.limits_bytes && st.value().max_bytes > 0) {
    size = std::min(size, std::max<size_t>(1, st.value().max_bytes / 4));
  }
  int max_calls = kMaxFillCalls * 16;
  if (high_water) {
    const size_t bound = c.high_water_bound_bytes != 0 ? c.high_water_bound_bytes
                                                       : MessageQueueCaps::kDefaultHighWaterBound;
    max_calls = static_cast<int>(std::min<size_t>(bound / size + 1, INT_MAX));
  }
  std::vector<uint8_t> msg(size, 0x42);
  const long tag = std::clamp<long>(1, c.min_tag, std::max(c.min_tag, c.max_tag));
  return FillThenCheck(
      "Send(NonBlock) to a full queue", {c.full_errno}, max_calls,
      [&] { return mq.Send(tag, msg.data(), msg.size(), MqWait::NonBlock()); },
      mq.Describe() + ", messages of " + std::to_string(size) + " bytes");
}

// ----------------------------------------------------------------- Semaphore

const char kTryWaitCites[] =
    "man 3 sem_wait: \"sem_trywait() is the same as sem_wait(), except that if the decrement "
    "cannot be immediately performed, then call returns an error (errno set to EAGAIN) instead "
    "of blocking.\"; man 2 semop: \"if IPC_NOWAIT is specified in sem_flg, semop() fails, with "
    "errno set to EAGAIN (and none of the operations in sops is performed)\"";
const char kWaitZeroCites[] =
    "man 2 semop, sem_op zero: \"Otherwise, if IPC_NOWAIT is specified in sem_flg, semop() "
    "fails with errno set to EAGAIN (and none of the operations in sops is performed).\"";

PosixError DrainSemaphore(Semaphore& s) {
  for (int i = 0; i < 64; ++i) {
    PosixError e = s.TryWait();
    if (!e.ok()) return e.errno_value() == EAGAIN ? NoError() : e;
  }
  return PosixError(ENOSPC, "the semaphore was not zero after 64 TryWait()s");
}

PropertyOutcome SemTryWaitZero(const SemaphoreKind& kind) {
  auto s = kind.Open();
  if (!s.ok()) return SetupFailed("Open()", s.error());
  Semaphore& sem = *s.value();
  if (auto e = DrainSemaphore(sem); !e.ok()) return SetupFailed("drain", e);
  auto r = CheckNeverSleeps("TryWait() at zero", {EAGAIN}, [&] { return sem.TryWait(); });
  return Judged(r, sem.Describe());
}

PropertyOutcome SemWaitForZeroNowait(const SemaphoreKind& kind) {
  auto s = kind.Open();
  if (!s.ok()) return SetupFailed("Open()", s.error());
  Semaphore& sem = *s.value();
  if (auto e = DrainSemaphore(sem); !e.ok()) return SetupFailed("drain", e);
  if (auto e = sem.Post(); !e.ok()) return SetupFailed("Post()", e);
  const int wait_for_zero[] = {0};
  const int take_two[] = {-2};
  auto r = CheckNeverSleeps("Apply({0}, kNonBlock) at 1 (wait-for-zero, IPC_NOWAIT)", {EAGAIN},
                            [&] { return sem.Apply(wait_for_zero, Blocking::kNonBlock); });
  if (!r.passed) return Judged(r, sem.Describe());
  r = CheckNeverSleeps("Apply({-2}, kNonBlock) at 1 (IPC_NOWAIT)", {EAGAIN},
                       [&] { return sem.Apply(take_two, Blocking::kNonBlock); });
  return Judged(r, sem.Describe());
}

// ---------------------------------------------------------------------- Lock

const char kTryAcquireCites[] =
    "man 2 fcntl, F_SETLK: \"If a conflicting lock is held by another process, this call "
    "returns -1 and sets errno to EACCES or EAGAIN.\" (F_OFD_SETLK: EAGAIN); man 2 flock: "
    "\"EWOULDBLOCK The file is locked and the LOCK_NB flag was selected.\"; POSIX "
    "pthread_mutex_trylock: \"if the mutex object referenced by mutex is currently locked (by "
    "any thread, including the current thread), the call shall return immediately\" (EBUSY)";

PropertyOutcome LockTryAcquireHeld(const LockKind& kind) {
  auto l = kind.Open();
  if (!l.ok()) return SetupFailed("Open()", l.error());
  Lock& lock = *l.value();
  auto cp = Checkpoint::Create();
  if (!cp.ok()) return SetupFailed("Checkpoint::Create()", cp.error());
  Checkpoint& stage = cp.value();
  // Stage 1: the child holds the lock. Stage 2: the parent is done, the child
  // lets go and exits.
  auto child = Child::Fork([&]() -> int {
    auto h = lock.NewHandle();
    if (!h.ok()) return 2;
    if (!h.value()->Acquire(Deadline::Default()).ok()) return 3;
    stage.Signal(1);
    if (!stage.WaitFor(2, Deadline::Default()).ok()) return 4;
    return h.value()->Release().ok() ? 0 : 5;
  });
  if (!child.ok()) return SetupFailed("fork", child.error());
  if (auto e = stage.WaitFor(1, Deadline::Default()); !e.ok()) {
    return SetupFailed("waiting for the child to hold the lock", e);
  }
  auto h = lock.NewHandle();
  if (!h.ok()) {
    stage.Signal(2);
    return SetupFailed("NewHandle()", h.error());
  }
  auto r = CheckNeverSleeps("TryAcquire() of a lock another process holds",
                            kind.caps.busy_errnos, [&] { return h.value()->TryAcquire(); });
  stage.Signal(2);
  auto st = child.value().Wait();
  if (!st.ok()) return SetupFailed("waiting for the holder", st.error());
  if (!st.value().ExitedWith(0)) {
    return SetupFailed("the holder", PosixError(ECHILD, "ended " + st.value().ToString()));
  }
  return Judged(r, lock.Describe());
}

// --------------------------------------------------------------- SignalQueue

const char kSigReceiveCites[] =
    "man 2 sigtimedwait: \"If both fields of this structure are specified as 0, a poll is "
    "performed: sigtimedwait() returns immediately, either with information about a signal that "
    "was pending for the caller, or with an error if none of the signals in set was pending.\"; "
    "man 2 signalfd: read(2) \"fails with the error EAGAIN if the file descriptor has been made "
    "nonblocking\"";

PropertyOutcome SignalReceiveNone(const SignalQueueKind& kind) {
  auto q = kind.Open();
  if (!q.ok()) return SetupFailed("Open()", q.error());
  SignalQueue& sq = *q.value();
  auto r = CheckNeverSleeps("Receive(0 ns) with no signal pending", {EAGAIN}, [&] {
    auto i = sq.Receive(std::chrono::nanoseconds(0));
    return i.ok() ? NoError() : i.error();
  });
  return Judged(r, sq.Describe());
}

}  // namespace

const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<ByteStreamInterface>>{
      Prop<ByteStreamInterface>("ReadOfEmptyStreamNeverSleeps", kReadCites, StreamReadEmpty),
      Prop<ByteStreamInterface>("WriteToFullStreamNeverSleeps", kWriteCites, StreamWriteFull),
  };
  return *ps;
}

const std::vector<SuiteProperty<CounterInterface>>& CounterNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<CounterInterface>>{
      Prop<CounterInterface>("TakeAtZeroNeverSleeps", kTakeCites, CounterTakeZero),
      Prop<CounterInterface>("AddPastTheMaximumNeverSleeps", kAddCites, CounterAddFull),
  };
  return *ps;
}

const std::vector<SuiteProperty<DatagramInterface>>& DatagramNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<DatagramInterface>>{
      Prop<DatagramInterface>("ReceiveWithNothingQueuedNeverSleeps", kDgramReceiveCites,
                              DatagramReceiveEmpty),
      Prop<DatagramInterface>(
          "SendToAFullDirectionNeverSleeps", kDgramSendCites, DatagramSendFull,
          [](const DatagramKind& k) -> std::optional<std::string> {
            if (k.caps.may_drop) return "it may drop messages (never full: a send never waits)";
            return std::nullopt;
          }),
  };
  return *ps;
}

const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<MessageQueueInterface>>{
      Prop<MessageQueueInterface>("ReceiveFromEmptyQueueNeverSleeps", kMqReceiveCites,
                                  MqReceiveEmpty, MqUnsupported),
      Prop<MessageQueueInterface>(
          "SendToFullQueueNeverSleeps", kMqSendCites, MqSendFull,
          [](const MessageQueueKind& k) -> std::optional<std::string> {
            if (!k.caps.limits_count && !k.caps.limits_bytes) {
              if (k.caps.at_high_water == MessageQueueCaps::Overflow::kDrops) {
                return "it drops messages at its high-water mark (never full: a send never "
                       "waits)";
              }
              // MessageQueueSuite.HighWaterMark applies (suites/message_queue).
              if (!k.caps.nonblocking_by_default) {
                return "MessageQueue.HighWaterMark fills it to its high-water mark and checks "
                       "there that a non-blocking send never sleeps (a second fill here would "
                       "double the cost: nng buffers over 16,000 messages)";
              }
            }
            return MqUnsupported(k);
          }),
  };
  return *ps;
}

const std::vector<SuiteProperty<SemaphoreInterface>>& SemaphoreNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<SemaphoreInterface>>{
      Prop<SemaphoreInterface>("TryWaitAtZeroNeverSleeps", kTryWaitCites, SemTryWaitZero),
      Prop<SemaphoreInterface>(
          "NowaitOperationsThatCannotProceedNeverSleep", kWaitZeroCites, SemWaitForZeroNowait,
          [](const SemaphoreKind& k) -> std::optional<std::string> {
            if (!k.caps.multi_op) return "no semop(2)-style operations (Apply)";
            return std::nullopt;
          }),
  };
  return *ps;
}

const std::vector<SuiteProperty<LockInterface>>& LockNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<LockInterface>>{
      Prop<LockInterface>("TryAcquireOfAHeldLockNeverSleeps", kTryAcquireCites,
                          LockTryAcquireHeld),
  };
  return *ps;
}

const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueNonBlockingProperties() {
  static const auto* ps = new std::vector<SuiteProperty<SignalQueueInterface>>{
      Prop<SignalQueueInterface>("ReceiveWithZeroTimeoutNeverSleeps", kSigReceiveCites,
                                 SignalReceiveNone),
  };
  return *ps;
}

}  // namespace ipcspec
