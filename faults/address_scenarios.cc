#include "faults/address_scenarios.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

constexpr const char* kCite =
    "a message is delivered whole or not at all, and a connection delivers in order "
    "without discarding (man zmq_msg_send: \"0MQ ensures atomic delivery of messages: peers "
    "shall receive either all message parts of a message or none at all\"; man zmq_socket, "
    "ZMQ_PAIR and ZMQ_PUSH: \"messages are not discarded\"; nng manual nng_pair(7): \"this "
    "pattern will block when attempting to send a message if no peer is able to receive the "
    "message\", nng_msg(5): \"An nng_msg represents a single message\"), so a sender killed "
    "mid-send leaves the receiver a prefix 0, 1, 2, ... of its messages, each whole";

// The largest message where the Kind sets no maximum (ZeroMQ, nng): big
// enough that one message takes several writes to the socket, so that the
// kill lands in the middle of one.
constexpr size_t kLargeMessage = 256 * 1024;
constexpr size_t kHeader = 8;  // index and length, 4 bytes each
constexpr size_t kMaxMessages = 24;
constexpr size_t kMaxRecorded = 64;
// After the kill, once the sender is dead (its sockets closed, so every byte
// it wrote is in this process's socket buffers), a receive that finds
// nothing for this long: the queue is quiet. See Receiver for why this one
// window remains and why it is sound. Its length only bounds how late a
// duplicate can come and still be seen (a late message is never misjudged):
// 50 ms is tens of times what the libraries' I/O threads take to hand on
// what is already in the socket buffers, and keeps the per-commit budget.
constexpr std::chrono::milliseconds kQuiet{50};

// Message i of a case: its index and its length (little-endian, 4 bytes
// each), then a pattern derived from the index, so that a received message
// says which one it claims to be and can be checked whole.
std::vector<uint8_t> Message(uint32_t i, size_t n) {
  std::vector<uint8_t> m(n);
  for (size_t k = 0; k < 4 && k < n; ++k) m[k] = static_cast<uint8_t>(i >> (8 * k));
  for (size_t k = 4; k < 8 && k < n; ++k) m[k] = static_cast<uint8_t>(n >> (8 * (k - 4)));
  for (size_t k = kHeader; k < n; ++k) m[k] = static_cast<uint8_t>(i * 131 + k * 7 + 3);
  return m;
}

// What the receiving process saw, for the test process to judge.
struct Received {
  uint32_t claimed;  // the index in the header (UINT32_MAX: too short for one)
  uint32_t length;   // bytes received
  bool whole;        // the bytes are exactly the message `claimed`
};

struct Shared {
  char address[512] = {};
  std::atomic<pid_t> sender_pid{0};
  // The receiver's report.
  char problem[512] = {};
  uint32_t before_kill = 0;  // messages received before the SIGKILL
  uint32_t count = 0;        // messages received in all (recorded: at most kMaxRecorded)
  Received got[kMaxRecorded] = {};
};

// Checkpoint stages.
constexpr uint32_t kAddressPublished = 1;
constexpr uint32_t kSenderMayExit = 2;

// Sets the receiver's problem; returns its exit code.
int Report(Shared* sh, const std::string& what) {
  std::snprintf(sh->problem, sizeof sh->problem, "%s", what.c_str());
  return 1;
}

void Record(Shared* sh, const MqMessage& m, const std::vector<size_t>& sizes) {
  Received r{UINT32_MAX, static_cast<uint32_t>(m.data.size()), false};
  if (m.data.size() >= kHeader) {
    uint32_t i = 0;
    for (size_t k = 0; k < 4; ++k) i |= static_cast<uint32_t>(m.data[k]) << (8 * k);
    r.claimed = i;
    r.whole = i < sizes.size() && m.data == Message(i, sizes[i]);
  }
  if (sh->count < kMaxRecorded) sh->got[sh->count] = r;
  ++sh->count;
}

// The receiving process: opens the queue, publishes its address, takes
// `first` messages, SIGKILLs the sender, drains. Returns 0, or 1 with
// sh->problem set.
int Receiver(const MessageQueueKind& kind, Shared* sh, Checkpoint* cp, size_t first,
             const std::vector<size_t>& sizes) {
  const auto& c = kind.caps;
  std::unique_ptr<MessageQueue> q;
  if (c.open_receiver) {
    auto r = c.open_receiver();
    if (!r.ok()) return Report(sh, "open_receiver: " + r.error().ToString());
    q = std::move(r).ValueOrDie();
  } else {
    auto r = kind.Open();
    if (!r.ok()) return Report(sh, "Open: " + r.error().ToString());
    q = std::move(std::move(r).ValueOrDie().queue);
  }
  std::string address = q->Address();
  if (address.empty() || address.size() >= sizeof sh->address) {
    return Report(sh, "the queue " + q->Describe() + " gives no usable Address()");
  }
  std::memcpy(sh->address, address.c_str(), address.size() + 1);
  cp->Signal(kAddressPublished);
  auto kill_sender = [&] {
    pid_t s = sh->sender_pid.load();
    if (s > 0) kill(s, SIGKILL);
  };
  for (size_t n = 0; n < first; ++n) {
    auto r = q->Receive(MqReceiveOptions{}, MqWait::Within(Deadline::Default().Budget()));
    if (!r.ok()) {
      kill_sender();
      return Report(sh, "receiving message " + std::to_string(n) + " of the first " +
                            std::to_string(first) + " (before the kill): " + r.error().ToString()),
             1;
    }
    Record(sh, r.value(), sizes);
  }
  // At once: the sender is in the middle of its sends, or its library's I/O
  // thread in the middle of writing them. Its pid is set: a message of it
  // has arrived.
  kill_sender();
  sh->before_kill = sh->count;
  Deadline drain = Deadline::Default();
  // The sender is dead once it is a zombie (the test process reaps it only
  // after this receiver exits): the kernel has closed its sockets, and
  // every byte it wrote is in this process's socket buffers. Receive what
  // arrives meanwhile.
  const pid_t sender = sh->sender_pid.load();
  for (;;) {
    auto t = SnapshotTask(sender);
    if (!t.ok() || t.value().state == 'Z' || t.value().state == 'X') break;
    if (drain.Expired()) return Report(sh, "the sender never died after SIGKILL");
    auto r = q->Receive(MqReceiveOptions{}, MqWait::Within(std::chrono::milliseconds(5)));
    if (r.ok()) {
      Record(sh, r.value(), sizes);
      if (sh->count > 2 * kMaxMessages) break;  // duplicates: enough to judge
    } else if (r.errno_value() != c.timeout_errno && r.errno_value() != EAGAIN) {
      return Report(sh, "receiving after the kill: " + r.error().ToString());
    }
  }
  // What is left is in flight inside this process: in the socket buffers,
  // and in the library's I/O thread on its way to the queue's user-space
  // pipe. No counter shows it through the MessageQueue interface (ZeroMQ and
  // nng keep their queues in user space and report no count; the socket's
  // FIONREAD is behind the library), so one quiet window after the sender's
  // death ends the drain. It is sound: a message that comes after the
  // window is never judged, and what was received is judged as a prefix
  // 0, 1, 2, ... of whole messages, which a late message cannot make wrong;
  // only a duplicate arriving later than the window could go unseen.
  for (;;) {
    if (drain.Expired()) return Report(sh, "the queue never went quiet after the kill");
    if (sh->count > 2 * kMaxMessages) break;
    auto r = q->Receive(MqReceiveOptions{}, MqWait::Within(kQuiet));
    if (r.ok()) {
      Record(sh, r.value(), sizes);
      continue;
    }
    if (r.errno_value() != c.timeout_errno && r.errno_value() != EAGAIN) {
      return Report(sh, "receiving after the kill: " + r.error().ToString());
    }
    break;
  }
  q.reset();  // closes the sockets and removes the endpoint
  return 0;
}

// The sending process: opens a sender to the published address and sends
// every message, each send bounded; then waits (bounded) to be killed.
int Sender(const MessageQueueKind& kind, Shared* sh, const Checkpoint* cp,
           const std::vector<size_t>& sizes) {
  sh->sender_pid.store(getpid());
  auto s = kind.caps.open_sender(std::string(sh->address));
  if (!s.ok()) return 2;
  std::unique_ptr<MessageQueue> q = std::move(s).ValueOrDie();
  for (uint32_t i = 0; i < sizes.size(); ++i) {
    auto m = Message(i, sizes[i]);
    if (!q->Send(kind.caps.min_tag, m.data(), m.size(),
                 MqWait::Within(Deadline::Default().Budget()))
             .ok()) {
      return 3;
    }
  }
  // Everything is handed to the library; its I/O thread may still be
  // writing. Stay until killed (the receiver kills; the bound is a bug).
  (void)cp->WaitFor(kSenderMayExit, Deadline::Default());
  return 4;
}

std::optional<std::string> NeedsRemoteSender(const MessageQueueKind& k) {
  if (!k.caps.open_sender) {
    return k.caps.fork_shares
               ? "a forked child uses the queue itself: KilledSenderLeavesWholeMessages covers it"
               : "the Kind offers no sender in another process (caps.open_sender)";
  }
  if (k.caps.enforces_max_message && k.caps.max_message < kHeader) {
    return "its messages are too short for an index and a length";
  }
  return std::nullopt;
}

PropertyOutcome KilledRemoteSenderLeavesWholeMessages(const MessageQueueKind& kind) {
  // Each case forks a receiver and a sender from this process, which never
  // uses the library itself: both start with no library state (ZeroMQ's
  // contexts and nng's threads do not survive fork(2)), and both are forked
  // from a single-threaded process.
  return RunForkingProperty(10, [&kind] {
    const auto& c = kind.caps;
    size_t largest = c.enforces_max_message ? c.max_message : kLargeMessage;
    size_t first = *rc::gen::inRange<size_t>(1, 6);
    size_t count = *rc::gen::inRange<size_t>(first + 1, kMaxMessages + 1);
    std::vector<size_t> sizes = *rc::gen::container<std::vector<size_t>>(
        count, rc::gen::oneOf(rc::gen::inRange<size_t>(kHeader, 65),
                              rc::gen::inRange<size_t>(std::min<size_t>(largest, 64 * 1024),
                                                       largest + 1)));
    std::ostringstream ctx;
    ctx << "the sender sends " << count << " messages (sizes";
    for (size_t s : sizes) ctx << " " << s;
    ctx << "); the receiver takes " << first << " and SIGKILLs it: ";

    auto shm = SharedObject<Shared>::Create();
    if (!shm.ok()) RC_FAIL("mmap: " + shm.error().ToString());
    Shared* sh = shm.value().get();
    auto cpo = Checkpoint::Create();
    if (!cpo.ok()) RC_FAIL("checkpoint: " + cpo.error().ToString());
    Checkpoint& cp = cpo.value();

    auto rx = Child::Fork([&] { return Receiver(kind, sh, &cp, first, sizes); });
    if (!rx.ok()) RC_FAIL("fork (receiver): " + rx.error().ToString());
    Child receiver = std::move(rx).ValueOrDie();
    if (!cp.WaitFor(kAddressPublished, Deadline::Default()).ok()) {
      auto st = receiver.Wait(Deadline::Default());
      RC_FAIL(ctx.str() + "the receiver never published its address: " +
              (st.ok() ? st.value().ToString() : st.error().ToString()) + " " + sh->problem);
    }
    auto tx = Child::Fork([&] { return Sender(kind, sh, &cp, sizes); });
    if (!tx.ok()) RC_FAIL("fork (sender): " + tx.error().ToString());
    Child sender = std::move(tx).ValueOrDie();

    auto rs = receiver.Wait(Deadline::In(std::chrono::seconds(30)));
    cp.Signal(kSenderMayExit);
    auto ss = sender.Wait(Deadline::Default());
    if (!rs.ok()) RC_FAIL(ctx.str() + "waiting for the receiver: " + rs.error().ToString());
    if (!rs.value().ExitedWith(0)) {
      RC_FAIL(ctx.str() + "the receiver " + rs.value().ToString() + ": " + sh->problem);
    }
    if (!ss.ok()) RC_FAIL(ctx.str() + "waiting for the sender: " + ss.error().ToString());
    if (!ss.value().KilledBy(SIGKILL)) {
      RC_FAIL(ctx.str() + "the sender was to be killed by the receiver but " +
              ss.value().ToString() +
              " (2: open_sender failed, 3: a send failed, 4: never killed)");
    }

    std::ostringstream seen;
    seen << "received (index/length)";
    for (uint32_t j = 0; j < std::min<uint32_t>(sh->count, kMaxRecorded); ++j) {
      seen << " " << (sh->got[j].claimed == UINT32_MAX ? -1 : static_cast<long>(sh->got[j].claimed))
           << "/" << sh->got[j].length << (sh->got[j].whole ? "" : "(torn)")
           << (j + 1 == sh->before_kill ? " | kill |" : "");
    }
    std::string where = ctx.str() + seen.str() + ". ";
    if (sh->before_kill != first) RC_FAIL(where + "fewer messages than asked before the kill");
    if (sh->count > count) {
      RC_FAIL(where + "more messages than were sent: a message delivered twice. " + kCite);
    }
    for (uint32_t j = 0; j < sh->count; ++j) {
      const Received& r = sh->got[j];
      if (!r.whole) {
        RC_FAIL(where + "message #" + std::to_string(j) + " received (" +
                std::to_string(r.length) + " bytes) is not a whole message sent: torn. " + kCite);
      }
      if (j > 0 && r.claimed <= sh->got[j - 1].claimed) {
        RC_FAIL(where + "indices not strictly increasing: duplicated or reordered. " + kCite);
      }
      if (r.claimed != j) {
        RC_FAIL(where + "message " + std::to_string(j) + " is missing (got " +
                std::to_string(r.claimed) + " in its place): a message discarded. " + kCite);
      }
    }
    RC_TAG(sh->count < count ? "the kill cut the transfer" : "all arrived before the kill");
  });
}

}  // namespace

const std::vector<SuiteProperty<MessageQueueInterface>>& QueueAddressScenarios() {
  static const auto* props = new std::vector<SuiteProperty<MessageQueueInterface>>{
      {"KilledRemoteSenderLeavesWholeMessages", kCite, NeedsRemoteSender,
       KilledRemoteSenderLeavesWholeMessages},
  };
  return *props;
}

}  // namespace ipcspec
