// D-Bus signals through sd-bus as a MessageQueue (impl/api/message_queue.h).
//
// One instance owns a private bus (dbus_bus.h) and two connections to it: a
// sender that emits the signal org.ipcspec.Queue.Message (`ay`) on
// /org/ipcspec/Queue, and a receiver with a match rule for that signal
// (AddMatch, sd_bus_match_signal). Send is one sd_bus_send of a new signal
// (then, for a blocking or timed send, its write to the bus with the
// deadline); Receive takes the next matched signal, reading and dispatching
// the receiver's connection (sd_bus_process), waiting in sd_bus_wait when
// it may. Another process sends by connecting to the bus (Address(): the
// bus's address) and emitting the same signal (open_sender); an sd_bus
// object is bound to the process that made it (ECHILD in a forked child).
//
// A signal has no tag, and the bus promises order per sender only (D-Bus
// specification, "Message Bus Specification": messages from one connection
// arrive in the order sent). The bus limits what it queues for a connection
// that does not read (dbus-daemon(1), max_outgoing_bytes); signals beyond it
// are dropped for that connection, with no error to either side
// (DbusScenarios.SignalsBeyondTheReceiversQueueLimitAreDropped): at its
// high-water mark this queue drops (Overflow::kDrops).
// The bus keeps dbus-daemon's default limit (127 MiB), far above what the
// properties send: KilledRemoteSenderLeavesWholeMessages requires that no
// message be discarded, and its messages reach 256 KiB.
#include <poll.h>
#include <sys/syscall.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>

#include "impl/adapters/dbus/dbus_bus.h"
#include "impl/api/message_queue.h"

namespace ipcspec {
namespace {

constexpr const char* kPath = "/org/ipcspec/Queue";
constexpr const char* kIface = "org.ipcspec.Queue";
constexpr const char* kMember = "Message";
constexpr size_t kMaxMessage = 1024;
// The HighWaterMark property's volume of message bodies.
constexpr size_t kHighWaterVolume = 8 * 1024;

class DbusSignalQueue : public MessageQueue {
 public:
  ~DbusSignalQueue() override {
    sd_bus_slot_unref(slot_);
    slot_ = nullptr;
  }

  // own_sender false: the receiving end only (open_receiver). bus null: a
  // sender in another process, on the bus at `address`.
  static PosixErrorOr<std::unique_ptr<MessageQueue>> Open(bool own_sender, bool own_receiver,
                                                          const std::string& address) {
    std::unique_ptr<DbusSignalQueue> q(new DbusSignalQueue());
    q->address_ = address;
    if (address.empty()) {
      auto bus = PrivateBus::Start();
      if (!bus.ok()) return bus.error();
      q->bus_ = std::move(bus).ValueOrDie();
      q->address_ = q->bus_->address();
    }
    if (own_receiver) {
      auto rx = ConnectBus(q->address_, Deadline::Default());
      if (!rx.ok()) return rx.error();
      q->rx_ = std::move(rx).ValueOrDie();
      int r = sd_bus_match_signal(q->rx_.get(), &q->slot_, nullptr, kPath, kIface, kMember,
                                  &DbusSignalQueue::OnSignal, q.get());
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_match_signal(org.ipcspec.Queue.Message)");
    }
    if (own_sender) {
      auto tx = ConnectBus(q->address_, Deadline::Default());
      if (!tx.ok()) return tx.error();
      q->tx_ = std::move(tx).ValueOrDie();
    }
    return std::unique_ptr<MessageQueue>(std::move(q));
  }

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (!tx_) {
      return PosixError(EBADF, removed_ ? "sd_bus_send: queue removed"
                                        : "sd_bus_send: no sending connection (receiver only)");
    }
    if (tag != 0) return PosixError(EINVAL, "sd_bus_send: a D-Bus signal has no tag");
    Deadline d = Deadline::Default();
    if (w.mode == MqWait::Mode::kTimed) {
      auto ms = RelativeTimeoutMs(w.abs_timeout, "sd-bus");
      if (!ms.ok()) return ms.error();
      d = Deadline::In(std::chrono::milliseconds(ms.value()));
    }
    // What earlier sends left queued goes first, without blocking. A
    // non-blocking send that still finds the connection's socket full
    // fails EAGAIN (the adapter's rule, as O_NONBLOCK: sd-bus itself would
    // queue it, up to its write queue's limit, then fail ENOBUFS).
    PosixError pumped = DispatchWrites(tx_.get());
    if (!pumped.ok()) return pumped;
    uint64_t pending = 0;
    if (w.mode == MqWait::Mode::kNonBlock && sd_bus_get_n_queued_write(tx_.get(), &pending) >= 0 &&
        pending > 0) {
      return PosixError(EAGAIN, "sd_bus_send: the connection's socket is full (the bus is not "
                                "reading); " + std::to_string(pending) + " message(s) queued");
    }
    sd_bus_message* m = nullptr;
    int r = sd_bus_message_new_signal(tx_.get(), &m, kPath, kIface, kMember);
    if (r < 0) return SdBusError(r, nullptr, "sd_bus_message_new_signal");
    static const uint8_t kEmpty = 0;
    r = sd_bus_message_append_array(m, 'y', n ? data : &kEmpty, n);
    if (r >= 0) r = sd_bus_send(tx_.get(), m, nullptr);
    sd_bus_message_unref(m);
    if (r < 0) return SdBusError(r, nullptr, "sd_bus_send(signal)");
    if (w.mode == MqWait::Mode::kNonBlock) return NoError();
    // Blocking and timed: until the signal is written to the bus.
    for (;;) {
      uint64_t queued = 0;
      r = sd_bus_get_n_queued_write(tx_.get(), &queued);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_get_n_queued_write");
      if (queued == 0) return NoError();
      if (w.mode == MqWait::Mode::kTimed && d.Expired()) {
        return PosixError(ETIMEDOUT, "sd_bus_send: not written to the bus by the timeout");
      }
      r = sd_bus_process(tx_.get(), nullptr);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_process(sender)");
      if (r > 0) continue;
      r = sd_bus_wait(tx_.get(), w.mode == MqWait::Mode::kTimed ? UsecLeft(d) : UINT64_MAX);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_wait(sender)");
    }
  }

  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    if (!rx_) return PosixError(EBADF, removed_ ? "receive: queue removed" : "receive: sender only");
    Deadline d = Deadline::Default();
    if (w.mode == MqWait::Mode::kTimed) {
      auto ms = RelativeTimeoutMs(w.abs_timeout, "sd-bus");
      if (!ms.ok()) return ms.error();
      d = Deadline::In(std::chrono::milliseconds(ms.value()));
    }
    for (;;) {
      // This queue's own sender's queued writes go out as it waits.
      if (tx_) {
        PosixError pumped = DispatchWrites(tx_.get());
        if (!pumped.ok()) return pumped;
      }
      // What has arrived, read without blocking and dispatched.
      int r = 0;
      while (inbox_.empty() && (r = sd_bus_process(rx_.get(), nullptr)) > 0) {
      }
      if (inbox_.empty() && r < 0) return SdBusError(r, nullptr, "sd_bus_process(receiver)");
      if (!inbox_.empty()) {
        MqMessage m;
        m.data = std::move(inbox_.front());
        inbox_.pop_front();
        if (o.buffer && m.data.size() > *o.buffer) m.data.resize(*o.buffer);
        return m;
      }
      switch (w.mode) {
        case MqWait::Mode::kNonBlock:
          return PosixError(EAGAIN, "receive: no signal has arrived");
        case MqWait::Mode::kTimed:
          if (d.Expired()) return PosixError(ETIMEDOUT, "receive: no signal by the timeout");
          break;
        case MqWait::Mode::kBlock:
          break;
      }
      // Wait for the receiver's input, and for room for the sender's queued
      // writes (sd_bus_get_fd(3), sd_bus_get_events(3)).
      struct pollfd p[2];
      nfds_t n = 0;
      p[n++] = {sd_bus_get_fd(rx_.get()), static_cast<short>(sd_bus_get_events(rx_.get())), 0};
      if (tx_) {
        int ev = sd_bus_get_events(tx_.get());
        if (ev > 0 && (ev & POLLOUT)) p[n++] = {sd_bus_get_fd(tx_.get()), POLLOUT, 0};
      }
      int rv = poll(p, n, w.mode == MqWait::Mode::kTimed ? std::max(1, d.RemainingMs()) : -1);
      if (rv < 0) return ErrnoError("poll(the receiver's connection)");  // EINTR too: one call
    }
  }

  PosixErrorOr<MqStatus> Status() override {
    if (removed_) return PosixError(EBADF, "status: queue removed");
    MqStatus s;  // the bus reports no count of queued signals
    s.max_message = kMaxMessage;
    return s;
  }

  PosixError Remove() override {
    if (removed_) return PosixError(EBADF, "sd-bus: queue already removed");
    removed_ = true;
    sd_bus_slot_unref(slot_);
    slot_ = nullptr;
    rx_.reset();
    tx_.reset();
    bus_.reset();
    inbox_.clear();
    return NoError();
  }

  std::string Describe() const override {
    std::string who = tx_ && rx_ ? "signals" : tx_ ? "signal sender" : "signal receiver";
    return "D-Bus " + who + " org.ipcspec.Queue.Message on " + address_;
  }

  std::string Address() const override { return rx_ ? address_ : ""; }

 private:
  DbusSignalQueue() = default;

  // Writes what the connection has queued, as far as its socket takes it,
  // without blocking.
  static PosixError DispatchWrites(sd_bus* b) {
    for (;;) {
      uint64_t queued = 0;
      int r = sd_bus_get_n_queued_write(b, &queued);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_get_n_queued_write");
      if (queued == 0) return NoError();
      r = sd_bus_process(b, nullptr);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_process(sender)");
      uint64_t after = 0;
      if (sd_bus_get_n_queued_write(b, &after) < 0 || after >= queued) {
        if (r == 0) return NoError();
      }
    }
  }

  static int OnSignal(sd_bus_message* m, void* self, sd_bus_error*) {
    const void* p = nullptr;
    size_t n = 0;
    if (sd_bus_message_read_array(m, 'y', &p, &n) < 0) return 0;
    const uint8_t* b = static_cast<const uint8_t*>(p);
    static_cast<DbusSignalQueue*>(self)->inbox_.emplace_back(b, b + n);
    return 0;
  }

  std::unique_ptr<PrivateBus> bus_;
  std::string address_;
  BusPtr tx_, rx_;
  sd_bus_slot* slot_ = nullptr;
  std::deque<std::vector<uint8_t>> inbox_;
  bool removed_ = false;
};

MessageQueueKind DbusSignalKind() {
  MessageQueueCaps c;
  c.ordering = MqOrdering::kArrival;
  c.min_tag = 0;
  c.max_tag = 0;
  c.bad_tag_errno = EINVAL;  // the adapter's refusal: a signal has no tag
  c.max_message = kMaxMessage;
  // The bus's limit (max_message_size, far above) disconnects the sender
  // rather than failing the send (dbus_scenarios_test.cc): no send fails
  // for its size at the properties' sizes.
  c.enforces_max_message = false;
  c.limits_count = false;
  c.limits_bytes = false;
  c.at_high_water = MessageQueueCaps::Overflow::kDrops;
  // The HighWaterMark property sends this much (every send costs a trip
  // through sd-bus, about 12 us for a 1-byte signal here): below the bus's
  // mark, so the property checks order and wholeness, not the drop itself.
  c.high_water_bound_bytes = kHighWaterVolume;
  c.timed = true;
  c.full_errno = EAGAIN;
  c.empty_errno = EAGAIN;
  c.timeout_errno = ETIMEDOUT;
  c.reports_bytes = false;
  c.reports_count = false;
  c.fork_shares = false;  // sd-bus: ECHILD for a connection made by the parent
  c.always_truncates = true;
  c.asynchronous_delivery = true;  // through the bus daemon
  c.send_syscalls = {SYS_sendmsg};
  c.receive_syscalls = {SYS_poll, SYS_ppoll};
  c.open_sender = [](const std::string& address) {
    return DbusSignalQueue::Open(/*own_sender=*/true, /*own_receiver=*/false, address);
  };
  MessageQueueKind k{"dbus_sdbus_signal", "dbus",
                     "D-Bus signals (ay) from an sd-bus connection to a matching one, on a "
                     "private dbus-daemon",
                     c, []() -> PosixErrorOr<MessageQueueInstance> {
                       auto q = DbusSignalQueue::Open(true, true, "");
                       if (!q.ok()) return q.error();
                       return MessageQueueInstance{std::move(q).ValueOrDie()};
                     }};
  k.library = "dbus";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, DbusSignalKind());

}  // namespace
}  // namespace ipcspec
