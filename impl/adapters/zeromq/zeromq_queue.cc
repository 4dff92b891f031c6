#include "impl/adapters/zeromq/zeromq_queue.h"

#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include <atomic>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace ipcspec {
namespace {

PosixError ZmqError(const std::string& call) { return PosixError(zmq_errno(), call); }

// The milliseconds from now to an absolute CLOCK_REALTIME timeout, rounded
// up; 0 when it has passed. ZeroMQ's timeouts (ZMQ_SNDTIMEO, ZMQ_RCVTIMEO)
// are relative milliseconds: an absolute timespec that is not a time (tv_nsec
// outside [0, 1e9), tv_sec < 0) cannot be converted, and the adapter refuses
// it with EINVAL, as mq_timedsend(3) does.
PosixErrorOr<int> TimeoutMs(const struct timespec& abs) {
  return RelativeTimeoutMs(abs, "ZeroMQ");
}

class ZmqQueue : public MessageQueue {
 public:
  ~ZmqQueue() override { Close(); }

  static PosixErrorOr<std::unique_ptr<MessageQueue>> Open(const ZmqQueueOptions& o) {
    std::unique_ptr<ZmqQueue> q(new ZmqQueue());
    q->opts_ = o;
    q->ctx_ = zmq_ctx_new();
    if (q->ctx_ == nullptr) return ZmqError("zmq_ctx_new");
    q->rx_ = zmq_socket(q->ctx_, o.receiver_type);
    if (q->rx_ == nullptr) return ZmqError("zmq_socket(receiver)");
    if (o.own_sender) {
      q->tx_ = zmq_socket(q->ctx_, o.sender_type);
      if (q->tx_ == nullptr) return ZmqError("zmq_socket(sender)");
    }
    int linger = 0;  // close at once: nothing waits for undelivered messages
    for (void* s : {q->rx_, q->tx_}) {
      if (s != nullptr && zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        return ZmqError("zmq_setsockopt(ZMQ_LINGER)");
      }
    }
    if (o.hwm >= 0) {
      if (q->tx_ != nullptr && zmq_setsockopt(q->tx_, ZMQ_SNDHWM, &o.hwm, sizeof o.hwm) != 0) {
        return ZmqError("zmq_setsockopt(ZMQ_SNDHWM)");
      }
      if (zmq_setsockopt(q->rx_, ZMQ_RCVHWM, &o.hwm, sizeof o.hwm) != 0) {
        return ZmqError("zmq_setsockopt(ZMQ_RCVHWM)");
      }
    }
    std::string bind_to;
    if (o.tcp) {
      bind_to = "tcp://127.0.0.1:*";  // man zmq_tcp: "*" binds an ephemeral port
    } else {
      q->path_ = ZmqIpcPath();
      bind_to = "ipc://" + q->path_;
    }
    if (zmq_bind(q->rx_, bind_to.c_str()) != 0) return ZmqError("zmq_bind(" + bind_to + ")");
    char ep[256];
    size_t eplen = sizeof ep;
    if (zmq_getsockopt(q->rx_, ZMQ_LAST_ENDPOINT, ep, &eplen) != 0) {
      return ZmqError("zmq_getsockopt(ZMQ_LAST_ENDPOINT)");
    }
    q->endpoint_ = ep;
    if (q->tx_ != nullptr && zmq_connect(q->tx_, q->endpoint_.c_str()) != 0) {
      return ZmqError("zmq_connect(" + q->endpoint_ + ")");
    }
    return std::unique_ptr<MessageQueue>(std::move(q));
  }

  // Only a sending socket, in a new context, connected to another process's
  // queue.
  static PosixErrorOr<std::unique_ptr<MessageQueue>> OpenSender(int sender_type,
                                                                const std::string& address) {
    std::unique_ptr<ZmqQueue> q(new ZmqQueue());
    q->opts_.sender_type = sender_type;
    q->ctx_ = zmq_ctx_new();
    if (q->ctx_ == nullptr) return ZmqError("zmq_ctx_new");
    q->tx_ = zmq_socket(q->ctx_, sender_type);
    if (q->tx_ == nullptr) return ZmqError("zmq_socket(sender)");
    int linger = 0;
    if (zmq_setsockopt(q->tx_, ZMQ_LINGER, &linger, sizeof linger) != 0) {
      return ZmqError("zmq_setsockopt(ZMQ_LINGER)");
    }
    q->endpoint_ = address;
    if (zmq_connect(q->tx_, address.c_str()) != 0) {
      return ZmqError("zmq_connect(" + address + ")");
    }
    return std::unique_ptr<MessageQueue>(std::move(q));
  }

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (tx_ == nullptr) {
      return PosixError(EBADF, ctx_ == nullptr ? "zmq_msg_send: queue removed"
                                               : "zmq_msg_send: no sending socket (receiver only)");
    }
    // ZeroMQ messages carry no tag: the adapter refuses one.
    if (tag != 0) return PosixError(EINVAL, "zmq_msg_send: ZeroMQ messages have no tag");
    int flags = 0;
    PosixError e = PrepareWait(tx_, ZMQ_SNDTIMEO, w, &flags);
    if (!e.ok()) return e;
    zmq_msg_t m;
    if (zmq_msg_init_size(&m, n) != 0) return ZmqError("zmq_msg_init_size");
    if (n) std::memcpy(zmq_msg_data(&m), data, n);
    if (zmq_msg_send(&m, tx_, flags) < 0) {
      PosixError err = ZmqError("zmq_msg_send(" + endpoint_ + ")");
      zmq_msg_close(&m);
      return err;
    }
    return NoError();
  }

  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    if (rx_ == nullptr) return PosixError(EBADF, "zmq_msg_recv: queue removed");
    int flags = 0;
    PosixError e = PrepareWait(rx_, ZMQ_RCVTIMEO, w, &flags);
    if (!e.ok()) return e;
    MqMessage out;
    if (o.buffer) {
      // man zmq_recv: "Any bytes exceeding the length specified by the len
      // argument shall be truncated"; it returns the message's full size.
      out.data.resize(*o.buffer);
      int r = zmq_recv(rx_, out.data.data(), out.data.size(), flags);
      if (r < 0) return ZmqError("zmq_recv(" + endpoint_ + ")");
      if (static_cast<size_t>(r) < out.data.size()) out.data.resize(static_cast<size_t>(r));
      return out;
    }
    zmq_msg_t m;
    zmq_msg_init(&m);
    if (zmq_msg_recv(&m, rx_, flags) < 0) {
      PosixError err = ZmqError("zmq_msg_recv(" + endpoint_ + ")");
      zmq_msg_close(&m);
      return err;
    }
    const uint8_t* p = static_cast<const uint8_t*>(zmq_msg_data(&m));
    out.data.assign(p, p + zmq_msg_size(&m));
    zmq_msg_close(&m);
    return out;
  }

  PosixErrorOr<MqStatus> Status() override {
    if (rx_ == nullptr) return PosixError(EBADF, "status: queue removed");
    MqStatus s;  // no count: ZeroMQ keeps none
    s.max_message = kZmqMaxMessage;
    return s;
  }

  PosixError Remove() override {
    if (ctx_ == nullptr) return PosixError(EBADF, "zmq: queue already removed");
    return Close();
  }

  std::string Describe() const override {
    if (rx_ == nullptr && tx_ != nullptr) {
      return std::string("ZeroMQ ") + TypeName(opts_.sender_type) + " connected to " + endpoint_;
    }
    return std::string("ZeroMQ ") + (tx_ != nullptr ? TypeName(opts_.sender_type) : "remote") +
           " -> " + TypeName(opts_.receiver_type) + " " + endpoint_;
  }

  // The receiving socket's endpoint (ZMQ_LAST_ENDPOINT of its zmq_bind);
  // none for a sender.
  std::string Address() const override { return rx_ != nullptr ? endpoint_ : ""; }

 private:
  ZmqQueue() = default;

  static const char* TypeName(int t) {
    switch (t) {
      case ZMQ_PAIR: return "PAIR";
      case ZMQ_PUSH: return "PUSH";
      case ZMQ_PULL: return "PULL";
      default: return "?";
    }
  }

  // Sets the socket's timeout option for this one call (-1: block; the
  // milliseconds to the deadline: timed), or ZMQ_DONTWAIT.
  static PosixError PrepareWait(void* s, int option, const MqWait& w, int* flags) {
    int ms = -1;
    switch (w.mode) {
      case MqWait::Mode::kNonBlock:
        *flags = ZMQ_DONTWAIT;
        return NoError();
      case MqWait::Mode::kBlock:
        break;
      case MqWait::Mode::kTimed: {
        auto t = TimeoutMs(w.abs_timeout);
        if (!t.ok()) return t.error();
        ms = t.value();
        break;
      }
    }
    if (zmq_setsockopt(s, option, &ms, sizeof ms) != 0) {
      return ZmqError(option == ZMQ_SNDTIMEO ? "zmq_setsockopt(ZMQ_SNDTIMEO)"
                                             : "zmq_setsockopt(ZMQ_RCVTIMEO)");
    }
    return NoError();
  }

  PosixError Close() {
    PosixError first;
    for (void** s : {&tx_, &rx_}) {
      if (*s != nullptr && zmq_close(*s) != 0 && first.ok()) first = ZmqError("zmq_close");
      *s = nullptr;
    }
    if (ctx_ != nullptr) {
      int r;
      do {
        r = zmq_ctx_term(ctx_);  // man zmq_ctx_term: EINTR: "may be re-attempted"
      } while (r != 0 && zmq_errno() == EINTR);
      if (r != 0 && first.ok()) first = ZmqError("zmq_ctx_term");
      ctx_ = nullptr;
    }
    // The bound socket's file: libzmq removes it when the socket closes; a
    // crashed process leaves it (FINDINGS.md). Remove what is left.
    if (!path_.empty()) {
      (void)unlink(path_.c_str());
      path_.clear();
    }
    return first;
  }

  ZmqQueueOptions opts_;
  void* ctx_ = nullptr;
  void* rx_ = nullptr;
  void* tx_ = nullptr;
  std::string endpoint_;
  std::string path_;
};

MessageQueueKind ZmqKind(const char* name, const char* desc, int rx, int tx, bool tcp) {
  MessageQueueCaps c;
  c.ordering = MqOrdering::kArrival;  // FIFO per pipe; one pipe here
  c.min_tag = 0;
  c.max_tag = 0;
  c.bad_tag_errno = EINVAL;  // the adapter's refusal: ZeroMQ has no tags
  c.max_message = kZmqMaxMessage;
  c.enforces_max_message = false;  // ZMQ_MAXMSGSIZE disconnects the peer; send never fails
  // The high-water mark (ZMQ_SNDHWM + ZMQ_RCVHWM, default 1000 each, plus
  // what the kernel socket buffers hold) is no exact capacity: no limit the
  // model can predict. At the mark a PAIR or PUSH socket blocks (man
  // zmq_socket: "Action in mute state: Block").
  c.limits_count = false;
  c.limits_bytes = false;
  c.at_high_water = MessageQueueCaps::Overflow::kBlocks;  // PAIR, PUSH: "Block"
  c.oversize_errno = 0;
  c.timed = true;
  c.full_errno = EAGAIN;
  c.empty_errno = EAGAIN;  // man zmq_msg_recv: ZMQ_DONTWAIT, no message: EAGAIN
  c.timeout_errno = EAGAIN;  // man zmq_msg_recv / zmq_setsockopt ZMQ_RCVTIMEO
  c.reports_bytes = false;
  c.reports_count = false;
  c.fork_shares = false;  // a context is not to be used across fork(2)
  c.always_truncates = true;
  c.asynchronous_delivery = true;  // an I/O thread carries messages
  ZmqQueueOptions o;
  o.receiver_type = rx;
  o.sender_type = tx;
  o.tcp = tcp;
  // Another process sends by connecting a socket of its own, in a context of
  // its own, to the receiving socket's endpoint.
  c.open_sender = [tx](const std::string& address) { return OpenZmqSender(tx, address); };
  if (rx == ZMQ_PAIR) {
    // man zmq_socket, ZMQ_PAIR: "can only be connected to a single peer at
    // any one time", and "new incoming connections will be terminated while
    // any previous connections ... exist": the remote sender must be the
    // only peer, so the receiver has no sending socket of its own. A PULL
    // socket fair-queues from any number of PUSH peers: Open() serves.
    c.open_receiver = [o]() {
      ZmqQueueOptions r = o;
      r.own_sender = false;
      return OpenZmqQueue(r);
    };
  }
  MessageQueueKind k{name, "zeromq", desc, c, [o]() -> PosixErrorOr<MessageQueueInstance> {
                       auto q = OpenZmqQueue(o);
                       if (!q.ok()) return q.error();
                       return MessageQueueInstance{std::move(q).ValueOrDie()};
                     }};
  k.library = "zeromq";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      ZmqKind("zeromq_pair_ipc", "ZeroMQ ZMQ_PAIR to ZMQ_PAIR over ipc://",
                              ZMQ_PAIR, ZMQ_PAIR, false));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      ZmqKind("zeromq_pair_tcp",
                              "ZeroMQ ZMQ_PAIR to ZMQ_PAIR over tcp://127.0.0.1",
                              ZMQ_PAIR, ZMQ_PAIR, true));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      ZmqKind("zeromq_push_pull_ipc", "ZeroMQ ZMQ_PUSH to ZMQ_PULL over ipc://",
                              ZMQ_PULL, ZMQ_PUSH, false));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      ZmqKind("zeromq_push_pull_tcp",
                              "ZeroMQ ZMQ_PUSH to ZMQ_PULL over tcp://127.0.0.1",
                              ZMQ_PULL, ZMQ_PUSH, true));

}  // namespace

std::string ZmqIpcPath() {
  static std::atomic<unsigned> counter{0};
  std::string name = "/z" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const char* tmp = std::getenv("TEST_TMPDIR");
  // sun_path holds 107 characters; a long $TEST_TMPDIR falls back to /tmp.
  if (tmp != nullptr && std::strlen(tmp) + name.size() < 100) return tmp + name;
  return "/tmp" + name;
}

PosixErrorOr<std::unique_ptr<MessageQueue>> OpenZmqQueue(const ZmqQueueOptions& o) {
  return ZmqQueue::Open(o);
}

PosixErrorOr<std::unique_ptr<MessageQueue>> OpenZmqSender(int sender_type,
                                                          const std::string& address) {
  return ZmqQueue::OpenSender(sender_type, address);
}

}  // namespace ipcspec
