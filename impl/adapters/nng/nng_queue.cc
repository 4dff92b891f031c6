// nng pair1 sockets as a MessageQueue (impl/api/message_queue.h).
//
// One instance owns both ends: a pair1 socket listening on a unique
// ipc:// path (the receiver) and a pair1 socket dialed to it (the sender).
// Send is one nng_sendmsg, Receive one nng_recvmsg (nng_recv when the caller
// gives a buffer size). nng has no tags, no message count and no per-queue
// maximum message size; its sockets live in a process with nng's own threads
// and are not usable from a forked child; another process sends to the
// queue by dialing a pair1 socket of its own to Address() (open_sender), to
// a listener without a sending socket (open_receiver: pair1 takes one
// peer). The req/rep protocol is not a
// queue (a requester has one request outstanding at a time, nng_req(7)):
// it is the Rpc Kind in nng_rpc.cc.
#include <nng/nng.h>
#include <nng/protocol/pair1/pair.h>
#include <time.h>
#include <unistd.h>

#include <climits>
#include <cstring>
#include <memory>

#include "impl/adapters/nng/nng_util.h"
#include "impl/api/message_queue.h"

namespace ipcspec {
namespace {

constexpr size_t kNngMaxMessage = 1024;
// NNG_OPT_SENDBUF / NNG_OPT_RECVBUF: messages nng buffers on each side
// (nng_options(5): 0 to 8192). The largest, so that the properties, which
// never fill a queue without a predictable capacity, do not reach it.
constexpr int kNngBuffer = 8192;

// nng's timeouts are relative milliseconds (NNG_OPT_SENDTIMEO,
// NNG_OPT_RECVTIMEO): the adapter converts the absolute CLOCK_REALTIME
// timeout, and refuses one that is no time (EINVAL, as mq_timedsend(3)).
PosixErrorOr<int> TimeoutMs(const struct timespec& abs) {
  return RelativeTimeoutMs(abs, "nng");
}

class NngPairQueue : public MessageQueue {
 public:
  ~NngPairQueue() override { Close(); }

  // own_sender false: the listener only (MessageQueueCaps::open_receiver),
  // for a sender in another process (OpenSender).
  static PosixErrorOr<std::unique_ptr<MessageQueue>> Open(bool own_sender) {
    std::unique_ptr<NngPairQueue> q(new NngPairQueue());
    int rv;
    if ((rv = nng_pair1_open(&q->rx_)) != 0) return NngError(rv, "nng_pair1_open(receiver)");
    q->rx_open_ = true;
    if (own_sender) {
      if ((rv = nng_pair1_open(&q->tx_)) != 0) return NngError(rv, "nng_pair1_open(sender)");
      q->tx_open_ = true;
    }
    if ((rv = nng_socket_set_int(q->rx_, NNG_OPT_RECVBUF, kNngBuffer)) != 0 ||
        (own_sender && (rv = nng_socket_set_int(q->tx_, NNG_OPT_SENDBUF, kNngBuffer)) != 0)) {
      return NngError(rv, "nng_socket_set_int(NNG_OPT_RECVBUF/SENDBUF)");
    }
    q->path_ = NngIpcPath("n");
    q->url_ = "ipc://" + q->path_;
    if ((rv = nng_listen(q->rx_, q->url_.c_str(), nullptr, 0)) != 0) {
      return NngError(rv, "nng_listen(" + q->url_ + ")");
    }
    if (own_sender && (rv = nng_dial(q->tx_, q->url_.c_str(), nullptr, 0)) != 0) {
      return NngError(rv, "nng_dial(" + q->url_ + ")");
    }
    return std::unique_ptr<MessageQueue>(std::move(q));
  }

  // Only a pair1 socket dialed to another process's listener (`url`: its
  // Address()). For a process that has never used nng.
  static PosixErrorOr<std::unique_ptr<MessageQueue>> OpenSender(const std::string& url) {
    std::unique_ptr<NngPairQueue> q(new NngPairQueue());
    int rv;
    if ((rv = nng_pair1_open(&q->tx_)) != 0) return NngError(rv, "nng_pair1_open(sender)");
    q->tx_open_ = true;
    if ((rv = nng_socket_set_int(q->tx_, NNG_OPT_SENDBUF, kNngBuffer)) != 0) {
      return NngError(rv, "nng_socket_set_int(NNG_OPT_SENDBUF)");
    }
    q->url_ = url;
    // Synchronous: the listener is there (the caller has its address), and
    // a failure is reported now rather than retried in the background.
    if ((rv = nng_dial(q->tx_, url.c_str(), nullptr, 0)) != 0) {
      return NngError(rv, "nng_dial(" + url + ")");
    }
    return std::unique_ptr<MessageQueue>(std::move(q));
  }

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (!tx_open_) {
      return PosixError(EBADF, rx_open_ ? "nng_sendmsg: no sending socket (receiver only)"
                                        : "nng_sendmsg: queue removed");
    }
    if (tag != 0) return PosixError(EINVAL, "nng_sendmsg: nng messages have no tag");
    int flags = 0;
    PosixError e = PrepareWait(tx_, NNG_OPT_SENDTIMEO, w, &flags);
    if (!e.ok()) return e;
    nng_msg* m;
    int rv = nng_msg_alloc(&m, n);
    if (rv != 0) return NngError(rv, "nng_msg_alloc");
    if (n) std::memcpy(nng_msg_body(m), data, n);
    rv = nng_sendmsg(tx_, m, flags);
    if (rv != 0) {
      nng_msg_free(m);  // nng_sendmsg(3): on failure the caller still owns it
      return NngError(rv, "nng_sendmsg(" + url_ + ")");
    }
    ++undelivered_;
    return NoError();
  }

  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    if (!rx_open_) return PosixError(EBADF, "nng_recvmsg: queue removed");
    int flags = 0;
    PosixError e = PrepareWait(rx_, NNG_OPT_RECVTIMEO, w, &flags);
    if (!e.ok()) return e;
    MqMessage out;
    if (o.buffer) {
      // nng_recv(3) into the caller's buffer: the size is updated to what
      // was copied.
      out.data.resize(*o.buffer);
      size_t sz = out.data.size();
      int rv = nng_recv(rx_, out.data.data(), &sz, flags);
      if (rv != 0) return NngError(rv, "nng_recv(" + url_ + ")");
      if (undelivered_ > 0) --undelivered_;
      if (sz < out.data.size()) out.data.resize(sz);
      return out;
    }
    nng_msg* m;
    int rv = nng_recvmsg(rx_, &m, flags);
    if (rv != 0) return NngError(rv, "nng_recvmsg(" + url_ + ")");
    if (undelivered_ > 0) --undelivered_;
    const uint8_t* p = static_cast<const uint8_t*>(nng_msg_body(m));
    out.data.assign(p, p + nng_msg_len(m));
    nng_msg_free(m);
    return out;
  }

  PosixErrorOr<MqStatus> Status() override {
    if (!rx_open_) return PosixError(EBADF, "status: queue removed");
    MqStatus s;  // nng keeps no count of queued messages
    s.max_message = kNngMaxMessage;
    return s;
  }

  PosixError Remove() override {
    if (!rx_open_ && !tx_open_) return PosixError(EBADF, "nng: queue already removed");
    return Close();
  }

  std::string Describe() const override {
    if (!rx_open_ && tx_open_) return "nng pair1 dialed to " + url_;
    return std::string("nng ") + (tx_open_ ? "pair1" : "remote pair1") + " -> pair1 " + url_;
  }

  // The listener's URL; none for a sender.
  std::string Address() const override { return rx_open_ ? url_ : ""; }

 private:
  NngPairQueue() = default;

  static PosixError PrepareWait(nng_socket s, const char* opt, const MqWait& w, int* flags) {
    nng_duration ms = NNG_DURATION_INFINITE;
    switch (w.mode) {
      case MqWait::Mode::kNonBlock:
        *flags = NNG_FLAG_NONBLOCK;
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
    int rv = nng_socket_set_ms(s, opt, ms);
    if (rv != 0) return NngError(rv, std::string("nng_socket_set_ms(") + opt + ")");
    return NoError();
  }

  PosixError Close() {
    PosixError first;
    // Workaround for a hang in nng 1.5.2 (FINDINGS.md): nng_close of a pair1
    // socket whose peer still has an unreceived message sometimes never
    // returns (repro: repro_close_hang.c; nanomsg/nng#1543, "Deadlock in
    // nng_close(socket)", fixed after 1.5.2). Take every message this queue
    // sent and nobody received first, each with a bounded wait.
    if (rx_open_) {
      (void)nng_socket_set_ms(rx_, NNG_OPT_RECVTIMEO, 1000);
      while (undelivered_ > 0) {
        nng_msg* m;
        if (nng_recvmsg(rx_, &m, 0) != 0) break;
        nng_msg_free(m);
        --undelivered_;
      }
    }
    if (tx_open_) {
      int rv = nng_close(tx_);
      if (rv != 0) first = NngError(rv, "nng_close(sender)");
      tx_open_ = false;
    }
    if (rx_open_) {
      int rv = nng_close(rx_);
      if (rv != 0 && first.ok()) first = NngError(rv, "nng_close(receiver)");
      rx_open_ = false;
    }
    if (!path_.empty()) {
      (void)unlink(path_.c_str());  // nng removes it on close; a crash leaves it
      path_.clear();
    }
    return first;
  }

  nng_socket rx_ = NNG_SOCKET_INITIALIZER;
  nng_socket tx_ = NNG_SOCKET_INITIALIZER;
  bool rx_open_ = false;
  bool tx_open_ = false;
  size_t undelivered_ = 0;  // sent and not yet received (for Close)
  std::string path_;
  std::string url_;
};

MessageQueueKind NngPairKind() {
  MessageQueueCaps c;
  c.ordering = MqOrdering::kArrival;
  c.min_tag = 0;
  c.max_tag = 0;
  c.bad_tag_errno = EINVAL;  // the adapter's refusal: nng messages have no tag
  c.max_message = kNngMaxMessage;
  // NNG_OPT_RECVMAXSZ makes the receiver drop a larger message and the
  // connection; the send itself never fails for its size.
  c.enforces_max_message = false;
  // Buffers on each side (NNG_OPT_SENDBUF, NNG_OPT_RECVBUF) plus what the
  // pipes and kernel buffers hold: no capacity the model can predict. When
  // no peer can take a message, a send blocks (nng_pair(7): "this pattern
  // will block when attempting to send a message if no peer is able to
  // receive the message").
  c.limits_count = false;
  c.limits_bytes = false;
  c.at_high_water = MessageQueueCaps::Overflow::kBlocks;  // checked by HighWaterMark
  c.timed = true;
  c.full_errno = EAGAIN;
  c.empty_errno = EAGAIN;        // nng_recvmsg(3): NNG_EAGAIN with NNG_FLAG_NONBLOCK
  c.timeout_errno = ETIMEDOUT;   // nng_recvmsg(3): NNG_ETIMEDOUT
  c.reports_bytes = false;
  c.reports_count = false;
  c.fork_shares = false;  // nng's threads do not survive fork(2)
  c.always_truncates = true;
  c.asynchronous_delivery = true;
  // Another process dials a pair1 socket of its own to the listener's URL.
  // nng manual nng_pair(7) (v1.5.2): "a given peer will reject new
  // connections if it already has an active connection to another peer"
  // (monogamous, the default): the receiver for a remote sender has no
  // sending socket of its own.
  c.open_sender = [](const std::string& url) { return NngPairQueue::OpenSender(url); };
  c.open_receiver = []() { return NngPairQueue::Open(/*own_sender=*/false); };
  MessageQueueKind k{"nng_pair_ipc", "nng", "nng pair1 to pair1 over ipc://", c,
                     []() -> PosixErrorOr<MessageQueueInstance> {
                       auto q = NngPairQueue::Open(/*own_sender=*/true);
                       if (!q.ok()) return q.error();
                       return MessageQueueInstance{std::move(q).ValueOrDie()};
                     }};
  k.library = "nng";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, NngPairKind());

}  // namespace
}  // namespace ipcspec
