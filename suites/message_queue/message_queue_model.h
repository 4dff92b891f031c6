// The MessageQueue model and its plain commands.
//
// The model is a list of messages in arrival order; a receive takes the
// oldest message of the highest priority (POSIX, man 3 mq_receive) or the
// message msgtyp selects (System V, man 2 msgop), and the queue is full when
// the count (mq_maxmsg, msg_qbytes) or the bytes (msg_qbytes) would be
// exceeded. The commands here are the calls the test process makes itself
// (send, receive, status); the forked blocked calls are in
// message_queue_blocking.h, the generators in message_queue_generators.h.
// Every command prints itself, so a counterexample reads as a short script.
//
// Namespace message_queue_internal: what the suite's files share, not an
// interface for other suites (the list is message_queue_properties.h).
#pragma once

#include <cerrno>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "impl/api/message_queue.h"
#include "impl/core/deadline.h"
#include "impl/core/watchdog.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace message_queue_internal {

// ---------------------------------------------------------------------------
// The model.

struct Setup {
  MessageQueueCaps caps;
  MqStatus limits;  // the instance's limits, read when the case starts
  // The Kind is a System V queue (mechanism sysv_msg): the commands record
  // their msgsnd / msgrcv / msgctl form (impl/repro) instead of the POSIX one.
  bool sysv = false;
};

struct Stored {
  long tag;
  size_t size;
  uint32_t stamp;  // which send made it; the body is a function of (stamp, size)
};

// The bytes of message `stamp`: distinct for distinct stamps.
std::vector<uint8_t> Body(uint32_t stamp, size_t size);

struct Model {
  std::shared_ptr<const Setup> setup;
  std::vector<Stored> queue;  // arrival order
  size_t bytes = 0;
  uint32_t next_stamp = 1;
  // Forked blocked calls left in this case (they cost a fork each).
  int forks_left = 0;

  const MessageQueueCaps& caps() const { return setup->caps; }
  const MqStatus& limits() const { return setup->limits; }

  bool FitsAfter(size_t count, size_t used, size_t n) const {
    const MessageQueueCaps& c = caps();
    if (c.limits_count && count + 1 > limits().max_count) return false;
    if (c.limits_bytes && used + n > limits().max_bytes) return false;
    return true;
  }
  bool Fits(size_t n) const { return FitsAfter(queue.size(), bytes, n); }

  // The index of the message a receive with `o` takes, if any.
  std::optional<size_t> Select(const MqReceiveOptions& o) const {
    const MessageQueueCaps& c = caps();
    if (queue.empty()) return std::nullopt;
    if (!c.type_selection || o.type == 0) {
      if (c.ordering == MqOrdering::kArrival) return 0;
      size_t best = 0;
      for (size_t i = 1; i < queue.size(); ++i) {
        if (queue[i].tag > queue[best].tag) best = i;  // strictly: the oldest wins ties
      }
      return best;
    }
    if (o.type > 0) {
      for (size_t i = 0; i < queue.size(); ++i) {
        if ((queue[i].tag == o.type) != o.except) return i;
      }
      return std::nullopt;
    }
    long limit = o.type == LONG_MIN ? LONG_MAX : -o.type;
    std::optional<size_t> best;
    for (size_t i = 0; i < queue.size(); ++i) {
      if (queue[i].tag <= limit && (!best || queue[i].tag < queue[*best].tag)) best = i;
    }
    return best;
  }

  void Remove(size_t i) {
    bytes -= queue[i].size;
    queue.erase(queue.begin() + static_cast<long>(i));
  }
  void Add(const Stored& s) {
    queue.push_back(s);
    bytes += s.size;
  }

  std::string Describe() const {
    std::ostringstream os;
    os << queue.size() << " message(s), " << bytes << " bytes: [";
    for (size_t i = 0; i < queue.size(); ++i) {
      os << (i ? " " : "") << "#" << queue[i].stamp << "(tag " << queue[i].tag << ", "
         << queue[i].size << "B)";
    }
    os << "]";
    return os.str();
  }
};

using MqCommand = rc::state::Command<Model, MessageQueue>;
using MqCommands = std::vector<std::shared_ptr<const MqCommand>>;

// How a command shows itself ("send(tag=3, 5 bytes #4, non-blocking)").
inline std::string Shown(const MqCommand& c) {
  std::ostringstream os;
  c.show(os);
  return os.str();
}

enum class Timeout { kNone, kPast, kSoon, kInvalid };

MqWait MakeWait(MqWait::Mode mode, Timeout t);
std::string ShowWait(MqWait::Mode mode, Timeout t);

// "success" for 0, else the errno's name.
std::string ErrnoText(int e);

// Checks the queue's counters against the model (before a blocking call,
// so that a queue that lost or gained a message fails here instead of
// hanging).
void CheckCounters(const Model& m, MessageQueue& q, const std::string& when);

// A call the model says completes at once (or after a 200 us timeout) gets
// this long before the Watchdog interrupts it. Generous for a call that does
// not sleep, and short, so that a Kind that does block costs seconds, not
// minutes, while rapidcheck shrinks.
inline constexpr std::chrono::milliseconds kMustNotBlock{2000};

// Runs `call` under a Watchdog when it may block (a blocking or timed call).
// *blocked is set when the Watchdog had to interrupt it (the call failed
// EINTR after the deadline): a call that merely ran late under load is not
// "blocked".
template <typename F>
auto Guarded(MqWait::Mode mode, bool* blocked, F call) {
  *blocked = false;
  if (mode == MqWait::Mode::kNonBlock) return call();
  Watchdog w(Deadline::In(kMustNotBlock));
  auto r = call();
  *blocked = w.fired() && r.errno_value() == EINTR;
  return r;
}

// The states the classification names (see Coverage).
inline constexpr const char* kForkedCallBlocked = "a forked call blocked in the kernel and woke";
inline constexpr const char* kSendBlockedFull = "a forked send blocked on a full queue";
inline constexpr const char* kReceiveBlockedEmpty = "a forked receive blocked on an empty queue";
inline constexpr const char* kSendMetFull = "a send met a full queue";
inline constexpr const char* kReceiveMetEmpty = "a receive met an empty queue";

// The commands the test process runs itself (message_queue_model.cc).
std::shared_ptr<const MqCommand> MakeSend(long tag, size_t size, uint32_t stamp, MqWait::Mode mode,
                                          Timeout timeout);
std::shared_ptr<const MqCommand> MakeReceive(MqReceiveOptions o, MqWait::Mode mode,
                                             Timeout timeout);
std::shared_ptr<const MqCommand> MakeStatus();

// The helpers every MessageQueue reproducer shares (impl/repro): called at
// the start of each recorded case.
void MqReproPrelude();
// The same for the System V Kinds (msgsnd / msgrcv / msgctl).
void SysvMsgReproPrelude();

}  // namespace message_queue_internal
}  // namespace ipcspec
