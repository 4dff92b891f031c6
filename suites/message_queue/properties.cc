#include "suites/message_queue/properties.h"

#include <algorithm>
#include <climits>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "impl/core/blocked.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "impl/core/property.h"
#include "impl/core/watchdog.h"
#include "rapidcheck.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

// ---------------------------------------------------------------------------
// Citations: the sentence each check stands on.

bool SysvStyle(const MessageQueueCaps& c) { return c.type_selection; }

std::string CiteFits(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"If sufficient space is available in the queue, msgsnd() "
                        "succeeds immediately.\""
                      : "man 3 mq_send: \"mq_send() adds the message pointed to by msg_ptr to the "
                        "message queue\" (it blocks only when \"the number of messages on the "
                        "queue equals the queue's mq_maxmsg attribute\")";
}
std::string CiteFull(const MessageQueueCaps& c) {
  return SysvStyle(c)
             ? "man 2 msgop: \"A message queue is considered to be full if ... the total number "
               "of bytes in the queue [would] exceed ... msg_qbytes ... [or] the total number of "
               "messages in the queue [would] exceed ... msg_qbytes\"; \"If IPC_NOWAIT is "
               "specified in msgflg, then the call instead fails with the error EAGAIN.\""
             : "man 3 mq_send: \"If the message queue is already full (i.e., the number of "
               "messages on the queue equals the queue's mq_maxmsg attribute) ... If the "
               "O_NONBLOCK flag is enabled for the message queue description, then the call "
               "instead fails immediately with the error EAGAIN.\"";
}
const char* kCiteSendTimedOut =
    "man 3 mq_send: \"ETIMEDOUT The call timed out before a message could be transferred.\"; "
    "\"If the message queue is full, and the timeout has already expired by the time of the "
    "call, mq_timedsend() returns immediately.\"";
const char* kCiteReceiveTimedOut =
    "man 3 mq_receive: \"ETIMEDOUT The call timed out before a message could be "
    "transferred.\"; \"If no message is available, and the timeout has already expired by the "
    "time of the call, mq_timedreceive() returns immediately.\"";
const char* kCiteInvalidTimeout =
    "man 3 mq_send / mq_receive: \"EINVAL The call would have blocked, and abs_timeout was "
    "invalid, either because tv_sec was less than zero, or because tv_nsec was less than zero "
    "or greater than 1000 million.\"";
std::string CiteOversize(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"EINVAL ... invalid msgsz value (less than 0 or greater "
                        "than the system value MSGMAX)\""
                      : "man 3 mq_send: \"EMSGSIZE msg_len was greater than the mq_msgsize "
                        "attribute of the message queue.\"";
}
std::string CiteBadTag(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"EINVAL Invalid msqid value, or nonpositive mtype value\""
                      : "man 7 mq_overview: \"Message priorities range from 0 (low) to "
                        "sysconf(_SC_MQ_PRIO_MAX) - 1 (high).\" (Linux: EINVAL beyond)";
}
std::string CiteEmpty(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"IPC_NOWAIT Return immediately if no message of the "
                        "requested type is in the queue. The system call fails with errno set "
                        "to ENOMSG.\""
                      : "man 3 mq_receive: \"If the queue is empty ... If the O_NONBLOCK flag "
                        "is enabled for the message queue description, then the call instead "
                        "fails immediately with the error EAGAIN.\"";
}
std::string CiteWhich(const MessageQueueCaps& c) {
  return SysvStyle(c)
             ? "man 2 msgop: \"If msgtyp is 0, then the first message in the queue is read. If "
               "msgtyp is greater than 0, then the first message in the queue of type msgtyp is "
               "read, unless MSG_EXCEPT was specified in msgflg, in which case the first message "
               "in the queue of type not equal to msgtyp will be read. If msgtyp is less than 0, "
               "then the first message in the queue with the lowest type less than or equal to "
               "the absolute value of msgtyp will be read.\""
             : "man 3 mq_receive: \"mq_receive() removes the oldest message with the highest "
               "priority from the message queue\"; man 7 mq_overview: \"messages are always "
               "delivered to the receiving process highest priority first\"";
}
std::string CiteBoundary(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"msgrcv() returns the number of bytes actually copied "
                        "into the mtext array\" (a message is received whole, with its mtype)"
                      : "man 3 mq_receive: \"On success, mq_receive() and mq_timedreceive() "
                        "return the number of bytes in the received message\"";
}
const char* kCiteE2big =
    "man 2 msgop: \"If the message text has length greater than msgsz, then ... if MSG_NOERROR "
    "is not specified, then the message isn't removed from the queue and the system call fails "
    "returning -1 with errno set to E2BIG.\"";
const char* kCiteTruncate =
    "man 2 msgop: \"If MSG_NOERROR is specified, then the message text will be truncated (and "
    "the truncated part will be lost)\"";
const char* kCiteShortBuffer =
    "man 3 mq_receive: \"EMSGSIZE msg_len was less than the mq_msgsize attribute of the message "
    "queue.\"";
std::string CiteCounters(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgctl: \"msg_cbytes Number of bytes in all messages currently on "
                        "the message queue\", \"msg_qnum Number of messages currently on the "
                        "message queue\", \"msg_qbytes Maximum number of bytes of message text "
                        "allowed on the message queue\""
                      : "man 3 mq_getattr: \"The mq_curmsgs field returns the number of messages "
                        "currently held in the queue.\"; \"The mq_maxmsg and mq_msgsize fields "
                        "are set when the message queue is created by mq_open(3).\"";
}
std::string CiteBlocks(const MessageQueueCaps& c, bool send) {
  if (SysvStyle(c)) {
    return send ? "man 2 msgop: \"If insufficient space is available in the queue, then the "
                  "default behavior of msgsnd() is to block until space becomes available.\""
                : "man 2 msgop: \"If no message of the requested type is available and IPC_NOWAIT "
                  "isn't specified in msgflg, the calling process is blocked until ... A message "
                  "of the desired type is placed in the queue.\"";
  }
  return send ? "man 3 mq_send: \"If the message queue is already full ... mq_send() blocks until "
                "sufficient space becomes available to allow the message to be queued\""
              : "man 3 mq_receive: \"If the queue is empty, then, by default, mq_receive() blocks "
                "until a message becomes available\"";
}

// ---------------------------------------------------------------------------
// The model.

struct Setup {
  MessageQueueCaps caps;
  MqStatus limits;  // the instance's limits, read when the case starts
};

struct Stored {
  long tag;
  size_t size;
  uint32_t stamp;  // which send made it; the body is a function of (stamp, size)
};

// The bytes of message `stamp`: distinct for distinct stamps.
std::vector<uint8_t> Body(uint32_t stamp, size_t size) {
  std::vector<uint8_t> b(size);
  uint32_t x = stamp * 2654435761u + 0x9e3779b9u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = static_cast<uint8_t>(x);
  }
  return b;
}

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

enum class Timeout { kNone, kPast, kSoon, kInvalid };

MqWait MakeWait(MqWait::Mode mode, Timeout t) {
  switch (mode) {
    case MqWait::Mode::kBlock:
      return MqWait::Block();
    case MqWait::Mode::kNonBlock:
      return MqWait::NonBlock();
    case MqWait::Mode::kTimed:
      break;
  }
  switch (t) {
    case Timeout::kSoon:
      return MqWait::Within(std::chrono::microseconds(200));
    case Timeout::kInvalid:
      return MqWait::Until({0, 1000000000});  // tv_nsec out of range
    case Timeout::kPast:
    case Timeout::kNone:
      break;
  }
  return MqWait::Expired();
}

std::string ShowWait(MqWait::Mode mode, Timeout t) {
  switch (mode) {
    case MqWait::Mode::kBlock:
      return "blocking";
    case MqWait::Mode::kNonBlock:
      return "non-blocking";
    case MqWait::Mode::kTimed:
      break;
  }
  switch (t) {
    case Timeout::kSoon:
      return "timed(now+200us)";
    case Timeout::kInvalid:
      return "timed(tv_nsec=1000000000)";
    default:
      return "timed(already expired)";
  }
}

std::string ErrnoText(int e) { return e == 0 ? "success" : ErrnoName(e); }

// A forked child reports 0, or 1 + the errno of its call, or 100 for a wrong
// message.
std::string ChildOutcome(const PosixErrorOr<WaitStatus>& st) {
  if (!st.ok()) return st.error().ToString();
  const WaitStatus& w = st.value();
  if (w.exited() && w.exit_code() > 0 && w.exit_code() < 100) {
    return w.ToString() + " (its call failed " + ErrnoName(w.exit_code() - 1) + ")";
  }
  if (w.ExitedWith(100)) return w.ToString() + " (it received a different message)";
  return w.ToString();
}

// Checks the queue's counters against the model (before a blocking call,
// so that a queue that lost or gained a message fails here instead of
// hanging).
void CheckCounters(const Model& m, MessageQueue& q, const std::string& when) {
  auto st = q.Status();
  if (!st.ok()) RC_FAIL("Status() " + when + ": " + st.error().ToString());
  const MqStatus& s = st.value();
  if ((m.caps().reports_count && s.count != m.queue.size()) ||
      (m.caps().reports_bytes && s.bytes.has_value() && *s.bytes != m.bytes)) {
    RC_FAIL("Status() " + when + " reports " + s.ToString() + " but the model holds " +
            m.Describe() + "\n" + CiteCounters(m.caps()));
  }
}

// A call the model says completes at once (or after a 200 us timeout) gets
// this long before the Watchdog interrupts it. Generous for a call that does
// not sleep, and short, so that a Kind that does block costs seconds, not
// minutes, while rapidcheck shrinks.
constexpr std::chrono::milliseconds kMustNotBlock{2000};

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
constexpr const char* kForkedCallBlocked = "a forked call blocked in the kernel and woke";
constexpr const char* kSendBlockedFull = "a forked send blocked on a full queue";
constexpr const char* kReceiveBlockedEmpty = "a forked receive blocked on an empty queue";
constexpr const char* kSendMetFull = "a send met a full queue";
constexpr const char* kReceiveMetEmpty = "a receive met an empty queue";

// --- send ------------------------------------------------------------------

class SendCmd : public MqCommand {
 public:
  SendCmd(long tag, size_t size, uint32_t stamp, MqWait::Mode mode, Timeout timeout)
      : tag_(tag), size_(size), stamp_(stamp), mode_(mode), timeout_(timeout) {}

  // The documented result in state m: 0, an errno, or -1 when the call would
  // block (never run).
  int Expected(const Model& m, std::string* why) const {
    const MessageQueueCaps& c = m.caps();
    if (tag_ < c.min_tag || tag_ > c.max_tag) return *why = CiteBadTag(c), c.bad_tag_errno;
    if (c.enforces_max_message && size_ > m.limits().max_message) {
      return *why = CiteOversize(c), c.oversize_errno;
    }
    if (timeout_ == Timeout::kInvalid) return *why = kCiteInvalidTimeout, EINVAL;
    if (m.Fits(size_)) return *why = CiteFits(c), 0;
    if (mode_ == MqWait::Mode::kNonBlock || c.nonblocking_by_default) {
      return *why = CiteFull(c), c.full_errno;
    }
    if (mode_ == MqWait::Mode::kTimed) return *why = kCiteSendTimedOut, c.timeout_errno;
    return -1;
  }

  void checkPreconditions(const Model& m) const override {
    std::string why;
    int e = Expected(m, &why);
    RC_PRE(e != -1);
    if (timeout_ == Timeout::kInvalid) {
      // Only where the call would block (the man page's condition).
      RC_PRE(e == EINVAL && !m.Fits(size_) && !m.caps().nonblocking_by_default &&
             tag_ >= m.caps().min_tag && tag_ <= m.caps().max_tag &&
             size_ <= m.limits().max_message);
    }
  }

  void apply(Model& m) const override {
    std::string why;
    if (Expected(m, &why) == 0) m.Add({tag_, size_, stamp_});
    m.next_stamp = std::max(m.next_stamp, stamp_ + 1);
  }

  void run(const Model& m, MessageQueue& q) const override {
    std::string why;
    int want = Expected(m, &why);
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      CheckCounters(m, q, "before a blocking send");
    }
    std::vector<uint8_t> body = Body(stamp_, size_);
    bool fired = false;
    PosixError e = Guarded(mode_, &fired, [&] {
      return q.Send(tag_, body.data(), body.size(), MakeWait(mode_, timeout_));
    });
    if (fired) {
      RC_FAIL("the send blocked (interrupted by the Watchdog) although the model (" + m.Describe() +
              ") says it " + (want == 0 ? "fits" : "fails at once with " + ErrnoText(want)) +
              "\n" + why);
    }
    Coverage::ReachedIf(!m.Fits(size_) && want != 0 && want != EINVAL &&
                            (want == m.caps().full_errno || want == m.caps().timeout_errno),
                        kSendMetFull);
    if (e.errno_value() != want) {
      RC_FAIL("send(tag " + std::to_string(tag_) + ", " + std::to_string(size_) +
              " bytes) into " + m.Describe() + ": expected " + ErrnoText(want) + ", got " +
              (e.ok() ? std::string("success") : e.ToString()) + "\n" + why);
    }
  }

  void show(std::ostream& os) const override {
    os << "send(tag=" << tag_ << ", " << size_ << " bytes #" << stamp_ << ", "
       << ShowWait(mode_, timeout_) << ")";
  }

 private:
  long tag_;
  size_t size_;
  uint32_t stamp_;
  MqWait::Mode mode_;
  Timeout timeout_;
};

// --- receive ---------------------------------------------------------------

class ReceiveCmd : public MqCommand {
 public:
  ReceiveCmd(MqReceiveOptions o, MqWait::Mode mode, Timeout timeout)
      : o_(o), mode_(mode), timeout_(timeout) {}

  struct Expect {
    int err = 0;                  // 0, an errno, or -1: would block
    std::optional<size_t> index;  // the message selected
    size_t copied = 0;            // bytes copied out
    bool removes = false;
    std::string why;
  };

  Expect Expected(const Model& m) const {
    const MessageQueueCaps& c = m.caps();
    Expect x;
    size_t max = m.limits().max_message;
    if (timeout_ == Timeout::kInvalid) return x.err = EINVAL, x.why = kCiteInvalidTimeout, x;
    if (c.buffer_must_cover_max_message && o_.buffer && *o_.buffer < max) {
      return x.err = EMSGSIZE, x.why = kCiteShortBuffer, x;
    }
    x.index = m.Select(o_);
    if (!x.index) {
      if (mode_ == MqWait::Mode::kNonBlock || c.nonblocking_by_default) {
        x.err = c.empty_errno;
        x.why = CiteEmpty(c);
      } else if (mode_ == MqWait::Mode::kTimed) {
        x.err = c.timeout_errno;
        x.why = kCiteReceiveTimedOut;
      } else {
        x.err = -1;
      }
      return x;
    }
    const Stored& s = m.queue[*x.index];
    size_t buffer = o_.buffer ? *o_.buffer : max;
    if (s.size > buffer) {
      if ((c.truncate_option && o_.truncate) || c.always_truncates) {
        x.copied = buffer;
        x.removes = true;
        x.why = kCiteTruncate;
      } else {
        x.err = E2BIG;
        x.why = kCiteE2big;
      }
      return x;
    }
    x.copied = s.size;
    x.removes = true;
    x.why = CiteWhich(c) + "; " + CiteBoundary(c);
    return x;
  }

  void checkPreconditions(const Model& m) const override {
    Expect x = Expected(m);
    RC_PRE(x.err != -1);
    if (timeout_ == Timeout::kInvalid) {
      RC_PRE(!m.Select(o_).has_value() && !m.caps().nonblocking_by_default && !o_.buffer);
    }
  }

  void apply(Model& m) const override {
    Expect x = Expected(m);
    if (x.err == 0 && x.removes) m.Remove(*x.index);
  }

  void run(const Model& m, MessageQueue& q) const override {
    Expect x = Expected(m);
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      CheckCounters(m, q, "before a blocking receive");
    }
    bool fired = false;
    PosixErrorOr<MqMessage> r =
        Guarded(mode_, &fired, [&] { return q.Receive(o_, MakeWait(mode_, timeout_)); });
    std::string what = "receive(" + ToString(o_) + ") from " + m.Describe();
    if (fired) {
      RC_FAIL(what + ": blocked (interrupted by the Watchdog) although the model says it " +
              (x.err == 0 ? "takes a message" : "fails at once with " + ErrnoText(x.err)) +
              "\n" + x.why);
    }
    Coverage::ReachedIf(m.queue.empty() && x.err != 0 && x.err != EINVAL && x.err != EMSGSIZE,
                        kReceiveMetEmpty);
    if (r.errno_value() != x.err) {
      std::string got = r.ok() ? "a message (tag " + std::to_string(r.value().tag) + ", " +
                                     std::to_string(r.value().data.size()) + " bytes)"
                               : r.error().ToString();
      std::string want = x.err == 0 ? "message #" + std::to_string(m.queue[*x.index].stamp)
                                    : ErrnoText(x.err);
      RC_FAIL(what + ": expected " + want + ", got " + got + "\n" + x.why);
    }
    if (x.err != 0) return;
    const Stored& s = m.queue[*x.index];
    const MqMessage& got = r.value();
    std::vector<uint8_t> want = Body(s.stamp, s.size);
    want.resize(x.copied);
    if (got.tag != s.tag || got.data != want) {
      // Name the message that came instead, if the model has it.
      std::string instead = "an unknown message";
      for (const Stored& o : m.queue) {
        std::vector<uint8_t> b = Body(o.stamp, o.size);
        if (b.size() >= got.data.size() && std::equal(got.data.begin(), got.data.end(), b.begin()) &&
            o.tag == got.tag) {
          instead = "message #" + std::to_string(o.stamp);
          break;
        }
      }
      RC_FAIL(what + ": expected message #" + std::to_string(s.stamp) + " (tag " +
              std::to_string(s.tag) + ", " + std::to_string(x.copied) + " of " +
              std::to_string(s.size) + " bytes), got " + instead + " (tag " +
              std::to_string(got.tag) + ", " + std::to_string(got.data.size()) + " bytes)\n" +
              x.why);
    }
  }

  void show(std::ostream& os) const override {
    os << "receive(" << ToString(o_) << ", " << ShowWait(mode_, timeout_) << ")";
  }

 private:
  MqReceiveOptions o_;
  MqWait::Mode mode_;
  Timeout timeout_;
};

// --- status ----------------------------------------------------------------

class StatusCmd : public MqCommand {
 public:
  void run(const Model& m, MessageQueue& q) const override {
    auto st = q.Status();
    if (!st.ok()) RC_FAIL("Status(): " + st.error().ToString());
    const MqStatus& s = st.value();
    const MqStatus& l = m.limits();
    bool ok = (!m.caps().reports_count || s.count == m.queue.size()) && s.max_count == l.max_count &&
              s.max_bytes == l.max_bytes && s.max_message == l.max_message &&
              s.nonblocking == m.caps().nonblocking_by_default;
    if (m.caps().reports_bytes) ok = ok && s.bytes.has_value() && *s.bytes == m.bytes;
    if (!ok) {
      RC_FAIL("Status() reports " + s.ToString() + "; the model holds " + m.Describe() +
              " with limits " + l.ToString() + "\n" + CiteCounters(m.caps()));
    }
  }
  void show(std::ostream& os) const override { os << "status()"; }
};

// --- a child blocked at the limit ------------------------------------------

// The queue is full: a forked child's blocking send waits (seen asleep in the
// send system call) until this process receives one message; then the
// child's message is in the queue.
class BlockedSendCmd : public MqCommand {
 public:
  BlockedSendCmd(long tag, size_t size, uint32_t stamp) : tag_(tag), size_(size), stamp_(stamp) {}

  void checkPreconditions(const Model& m) const override {
    const MessageQueueCaps& c = m.caps();
    RC_PRE(c.fork_shares && !c.nonblocking_by_default && m.forks_left > 0);
    RC_PRE(tag_ >= c.min_tag && tag_ <= c.max_tag && size_ <= m.limits().max_message);
    RC_PRE(!m.Fits(size_));
    auto next = m.Select({});
    RC_PRE(next.has_value());
    // After the one receive the child's message must fit.
    RC_PRE(m.FitsAfter(m.queue.size() - 1, m.bytes - m.queue[*next].size, size_));
  }

  void apply(Model& m) const override {
    m.Remove(*m.Select({}));
    m.Add({tag_, size_, stamp_});
    m.next_stamp = std::max(m.next_stamp, stamp_ + 1);
    m.forks_left--;
  }

  void run(const Model& m, MessageQueue& q) const override {
    const MessageQueueCaps& c = m.caps();
    CheckCounters(m, q, "before forking a blocked sender");
    std::vector<uint8_t> body = Body(stamp_, size_);
    auto child = Child::Fork([&] {
      PosixError e = q.Send(tag_, body.data(), body.size(), MqWait::Block());
      return e.ok() ? 0 : std::min(e.errno_value(), 98) + 1;
    });
    if (!child.ok()) RC_FAIL(child.error().ToString());
    PosixError blocked = WaitUntilBlocked(child.value().pid(), c.send_syscalls);
    if (!blocked.ok()) {
      auto st = child.value().Wait(Deadline::In(std::chrono::seconds(1)));
      RC_FAIL("a blocking send into a full queue (" + m.Describe() + ") did not block: " +
              blocked.ToString() + "; the child " + ChildOutcome(st) + "\n" +
              CiteBlocks(c, true));
    }
    Coverage::Reached(kSendBlockedFull);
    auto r = q.Receive({}, MqWait::NonBlock());
    if (!r.ok()) RC_FAIL("receive to unblock the sender: " + r.error().ToString());
    auto st = child.value().Wait();
    if (!st.ok() || !st.value().ExitedWith(0)) {
      RC_FAIL("the blocked sender did not complete after a receive made room: " +
              ChildOutcome(st) + "\n" + CiteBlocks(c, true));
    }
    Coverage::Reached(kForkedCallBlocked);
    const Stored& s = m.queue[*m.Select({})];
    if (r.value().tag != s.tag || r.value().data != Body(s.stamp, s.size)) {
      RC_FAIL("the receive that made room returned the wrong message (expected #" +
              std::to_string(s.stamp) + ")\n" + CiteWhich(c));
    }
  }

  void show(std::ostream& os) const override {
    os << "child: blocking send(tag=" << tag_ << ", " << size_ << " bytes #" << stamp_
       << ") into the full queue; then receive() to make room";
  }

 private:
  long tag_;
  size_t size_;
  uint32_t stamp_;
};

// The queue is empty: a forked child's blocking receive waits (seen asleep in
// the receive system call) until this process sends; the child gets exactly
// that message and the queue stays empty.
class BlockedReceiveCmd : public MqCommand {
 public:
  BlockedReceiveCmd(long tag, size_t size, uint32_t stamp, bool by_type)
      : tag_(tag), size_(size), stamp_(stamp), type_selection_(by_type) {}

  void checkPreconditions(const Model& m) const override {
    const MessageQueueCaps& c = m.caps();
    RC_PRE(c.fork_shares && !c.nonblocking_by_default && m.forks_left > 0);
    RC_PRE(m.queue.empty());
    RC_PRE(tag_ >= c.min_tag && tag_ <= c.max_tag && size_ <= m.limits().max_message);
    RC_PRE(m.Fits(size_));
  }

  void apply(Model& m) const override {
    m.next_stamp = std::max(m.next_stamp, stamp_ + 1);
    m.forks_left--;
  }

  void run(const Model& m, MessageQueue& q) const override {
    const MessageQueueCaps& c = m.caps();
    CheckCounters(m, q, "before forking a blocked receiver");
    std::vector<uint8_t> body = Body(stamp_, size_);
    MqReceiveOptions o;
    if (type_selection_) o.type = tag_;  // man 2 msgop: "A message of the desired type"
    auto child = Child::Fork([&] {
      auto r = q.Receive(o, MqWait::Block());
      if (!r.ok()) return std::min(r.errno_value(), 98) + 1;
      return r.value().tag == tag_ && r.value().data == body ? 0 : 100;
    });
    if (!child.ok()) RC_FAIL(child.error().ToString());
    PosixError blocked = WaitUntilBlocked(child.value().pid(), c.receive_syscalls);
    if (!blocked.ok()) {
      auto st = child.value().Wait(Deadline::In(std::chrono::seconds(1)));
      RC_FAIL("a blocking receive from an empty queue did not block: " + blocked.ToString() +
              "; the child " + ChildOutcome(st) + "\n" + CiteBlocks(c, false));
    }
    Coverage::Reached(kReceiveBlockedEmpty);
    PosixError e = q.Send(tag_, body.data(), body.size(), MqWait::NonBlock());
    if (!e.ok()) RC_FAIL("send to wake the receiver: " + e.ToString());
    auto st = child.value().Wait();
    if (!st.ok() || !st.value().ExitedWith(0)) {
      RC_FAIL("the blocked receiver did not get the message sent: " + ChildOutcome(st) + "\n" +
              CiteBlocks(c, false));
    }
    Coverage::Reached(kForkedCallBlocked);
    CheckCounters(m, q, "after the blocked receiver took the message");
  }

  void show(std::ostream& os) const override {
    os << "child: blocking receive(" << (type_selection_ ? "type=" + std::to_string(tag_) : "")
       << ") from the empty queue; then send(tag=" << tag_ << ", "
       << size_ << " bytes #" << stamp_ << ") to wake it";
  }

 private:
  long tag_;
  size_t size_;
  uint32_t stamp_;
  bool type_selection_;
};

// ---------------------------------------------------------------------------
// Generation.

struct Mix {
  int send = 4;
  int receive = 3;
  int status = 1;
  int blocked = 0;            // forked blocked send / receive at the limits
  bool waits = true;          // blocking and timed calls, not only non-blocking ones
  bool buffers = true;        // short, exact and larger receive buffers; MSG_NOERROR
  bool types = true;          // msgtyp selection (System V Kinds)
  bool bad_inputs = true;     // oversized messages, tags out of range
  bool fill = false;          // sizes that fill the queue exactly, many zero-length messages
  bool few_tags = false;      // tags from a small set (ties)
};

// A uniform draw from [lo, hi): rapidcheck's inRange scales the range with
// the case's size, which would starve the choices below in early cases.
template <typename T>
T Uniform(T lo, T hi) {
  return *rc::gen::resize(100, rc::gen::inRange<T>(lo, hi));
}

long GenTag(const Model& m, const Mix& mix, bool allow_bad) {
  const MessageQueueCaps& c = m.caps();
  int k = Uniform(0, 100);
  if (allow_bad && mix.bad_inputs && k >= 95) {
    if (c.max_tag < LONG_MAX && k >= 98) return c.max_tag + 1;
    return c.min_tag - 1 - Uniform<long>(0, 2);
  }
  long small_top = std::min(c.max_tag, c.min_tag + 4);
  if (mix.few_tags || k < 70) return Uniform(c.min_tag, small_top + 1);
  if (k < 88) return Uniform(c.min_tag, std::min(c.max_tag, c.min_tag + 40000) + 1);
  return c.max_tag;
}

size_t GenSize(const Model& m, const Mix& mix) {
  const MessageQueueCaps& c = m.caps();
  size_t max = m.limits().max_message;
  size_t fit = max;
  if (c.limits_bytes) fit = std::min(fit, m.limits().max_bytes);
  size_t free = c.limits_bytes ? m.limits().max_bytes - std::min(m.bytes, m.limits().max_bytes)
                               : fit;
  free = std::min(free, fit);
  int k = Uniform(0, 100);
  if (mix.fill) {
    if (k < 30) return 0;
    if (k < 55) return free;
  }
  if (k < 15) return 0;
  if (k < 55) return Uniform<size_t>(1, std::min<size_t>(fit, 8) + 1);
  if (k < 75) return Uniform<size_t>(0, fit + 1);
  if (k < 83) return fit;
  if (k < 92) return free;
  if (mix.bad_inputs && c.enforces_max_message && k >= 96) return max + 1;
  return Uniform<size_t>(0, std::min<size_t>(fit, 4) + 1);
}

MqWait::Mode GenMode(const Model& m, const Mix& mix, bool would_block, bool may_block = true) {
  if (!mix.waits) return MqWait::Mode::kNonBlock;
  int k = Uniform(0, 100);
  bool timed = m.caps().timed;
  if (k < 40) return MqWait::Mode::kNonBlock;
  if (k < 70 || !timed) {
    // A blocking call only where the model says it will not block (or where
    // the descriptor is O_NONBLOCK and it fails at once).
    if ((would_block || !may_block) && !m.caps().nonblocking_by_default) {
      return timed ? MqWait::Mode::kTimed : MqWait::Mode::kNonBlock;
    }
    return MqWait::Mode::kBlock;
  }
  return MqWait::Mode::kTimed;
}

Timeout GenTimeout(const Model& m, MqWait::Mode mode, bool would_block, bool invalid_ok) {
  if (mode != MqWait::Mode::kTimed) return Timeout::kNone;
  int k = Uniform(0, 100);
  if (k < 15 && would_block && invalid_ok && !m.caps().nonblocking_by_default &&
      m.caps().invalid_timeout_checked) {
    return Timeout::kInvalid;
  }
  return k < 80 ? Timeout::kPast : Timeout::kSoon;
}

std::shared_ptr<const MqCommand> GenSend(const Model& m, const Mix& mix) {
  long tag = GenTag(m, mix, true);
  size_t size = GenSize(m, mix);
  bool valid = tag >= m.caps().min_tag && tag <= m.caps().max_tag && size <= m.limits().max_message;
  bool would_block = valid && !m.Fits(size);
  MqWait::Mode mode = GenMode(m, mix, would_block);
  Timeout t = GenTimeout(m, mode, would_block, valid);
  return std::make_shared<SendCmd>(tag, size, m.next_stamp, mode, t);
}

std::shared_ptr<const MqCommand> GenReceive(const Model& m, const Mix& mix) {
  const MessageQueueCaps& c = m.caps();
  MqReceiveOptions o;
  if (c.type_selection && mix.types) {
    int k = Uniform(0, 100);
    // Often a type the queue holds, so that selections find something.
    long t = m.queue.empty() || k % 2 ? Uniform<long>(1, 6)
                                      : m.queue[Uniform<size_t>(0, m.queue.size())].tag;
    if (t <= 0 || t == LONG_MIN) t = 1;
    if (k < 30) {
      o.type = 0;
    } else if (k < 60) {
      o.type = t;
    } else if (k < 80) {
      o.type = -t;
    } else {
      o.type = t;
      o.except = true;
    }
  }
  std::optional<size_t> next = m.Select(o);
  size_t max = m.limits().max_message;
  if (mix.buffers) {
    int k = Uniform(0, 100);
    if (c.buffer_must_cover_max_message) {
      if (k >= 60 && k < 75) o.buffer = max - std::min<size_t>(max, 1 + (k % 3));
      if (k >= 75 && k < 85) o.buffer = max;
      if (k >= 85) o.buffer = max + static_cast<size_t>(k % 5) * 8;
    } else if (k >= 40) {
      size_t n = next ? m.queue[*next].size : 0;
      if (k < 55) o.buffer = n;
      else if (k < 75) o.buffer = n > 0 ? n - 1 : 0;
      else if (k < 85) o.buffer = 0;
      else o.buffer = Uniform<size_t>(0, std::min<size_t>(max, 16) + 1);
    }
    if (c.truncate_option && Uniform(0, 100) < 40) o.truncate = true;
  }
  bool would_block =
      !next.has_value() && !(c.buffer_must_cover_max_message && o.buffer && *o.buffer < max);
  // A blocking receive only without type selection: the counters checked
  // before it then prove that it will not block, even on a Kind whose
  // selection is wrong (which would otherwise hang until the Watchdog on
  // every shrinking step). A blocking receive by type is checked by the
  // forked BlockedCallsWake command (the child waits for its type).
  MqWait::Mode mode = GenMode(m, mix, would_block, o.type == 0);
  Timeout t = GenTimeout(m, mode, would_block, !o.buffer);
  if (c.asynchronous_delivery && next.has_value()) {
    // The message may still be in flight: wait for it (the model says it
    // comes; the Watchdog fails a receive that waits too long).
    mode = MqWait::Mode::kBlock;
    t = Timeout::kNone;
  }
  return std::make_shared<ReceiveCmd>(o, mode, t);
}

// A forked blocked call, where the model is at a limit; nullptr when no such
// call can be made in this state.
std::shared_ptr<const MqCommand> GenBlocked(const Model& m, const Mix& mix) {
  const MessageQueueCaps& c = m.caps();
  Mix plain = mix;
  plain.bad_inputs = false;
  size_t max = m.limits().max_message;
  if (m.queue.empty()) {
    // Mostly keep the fork for a full queue later.
    if (Uniform(0, 3) != 0) return nullptr;
    size_t size = Uniform<size_t>(0, std::min<size_t>(max, 8) + 1);
    if (!m.Fits(size)) return nullptr;
    return std::make_shared<BlockedReceiveCmd>(GenTag(m, plain, false), size, m.next_stamp,
                                               c.type_selection);
  }
  // A send that does not fit now and fits once the next message is taken.
  size_t next_size = m.queue[*m.Select({})].size;
  bool count_full = c.limits_count && m.queue.size() + 1 > m.limits().max_count;
  size_t lo = 0;
  if (!count_full) {
    if (!c.limits_bytes || m.bytes > m.limits().max_bytes) return nullptr;
    lo = m.limits().max_bytes - m.bytes + 1;
  }
  size_t hi = max;
  if (c.limits_bytes) hi = std::min(hi, m.limits().max_bytes - (m.bytes - next_size));
  if (lo > hi) return nullptr;
  size_t size = Uniform<size_t>(lo, std::min(hi, lo + 8) + 1);
  return std::make_shared<BlockedSendCmd>(GenTag(m, plain, false), size, m.next_stamp);
}

rc::Gen<std::shared_ptr<const MqCommand>> GenCommand(const Model& m, const Mix& mix) {
  return rc::gen::exec([m, mix]() -> std::shared_ptr<const MqCommand> {
    const MessageQueueCaps& c = m.caps();
    bool blocked_ok = mix.blocked > 0 && m.forks_left > 0 && c.fork_shares &&
                      !c.nonblocking_by_default;
    int blocked = blocked_ok ? mix.blocked : 0;
    int k = Uniform(0, mix.send + mix.receive + mix.status + blocked);
    if (k < mix.send) return GenSend(m, mix);
    k -= mix.send;
    if (k < mix.receive) return GenReceive(m, mix);
    k -= mix.receive;
    if (k < mix.status) return std::make_shared<StatusCmd>();
    if (auto b = GenBlocked(m, mix)) return b;
    return GenSend(m, mix);
  });
}

// ---------------------------------------------------------------------------
// Running.

using MqCommands = std::vector<std::shared_ptr<const MqCommand>>;

// The end of a BlockedCallsWake case: from the state the random prefix left,
// drive the queue to a limit and fork one blocked call there. Either a
// blocked receive (the queue is drained with non-blocking receives, then
// empty) or a blocked send (the queue is filled with non-blocking sends, then
// full); half the cases each where both are possible. The model must have a
// fork left.
rc::Gen<MqCommands> GenBlockedEnding(const Model& start, const Mix& mix) {
  return rc::gen::exec([start, mix]() -> MqCommands {
    const MessageQueueCaps& c = start.caps();
    Mix plain = mix;
    plain.bad_inputs = false;
    Model m = start;
    MqCommands out;
    auto push = [&](std::shared_ptr<const MqCommand> cmd) {
      cmd->checkPreconditions(m);
      cmd->apply(m);
      out.push_back(std::move(cmd));
    };
    const size_t max = m.limits().max_message;
    const bool can_fill = c.limits_count || c.limits_bytes;
    if (can_fill && Uniform(0, 2) == 0) {
      // A zero-length message next in line would leave no room for a
      // blocked send to wake into (bytes are full): take such ones first.
      Model filled = m;
      MqCommands fill;
      while (c.limits_bytes && !filled.queue.empty() &&
             filled.queue[*filled.Select({})].size == 0) {
        auto take = std::make_shared<ReceiveCmd>(MqReceiveOptions{}, MqWait::Mode::kNonBlock,
                                                 Timeout::kNone);
        take->checkPreconditions(filled);
        take->apply(filled);
        fill.push_back(take);
      }
      // Fill until a 1-byte message no longer fits: whole free bytes where
      // the bytes are limited, small messages where only the count is.
      while (filled.Fits(1) && fill.size() < 4096) {
        size_t free = c.limits_bytes ? filled.limits().max_bytes - filled.bytes : max;
        size_t size = c.limits_bytes ? std::min(free, max)
                                     : Uniform<size_t>(0, std::min<size_t>(max, 8) + 1);
        auto send = std::make_shared<SendCmd>(GenTag(filled, plain, false), size,
                                              filled.next_stamp, MqWait::Mode::kNonBlock,
                                              Timeout::kNone);
        send->checkPreconditions(filled);
        send->apply(filled);
        fill.push_back(send);
      }
      if (!filled.Fits(1)) {
        if (auto b = GenBlocked(filled, mix); b && !filled.queue.empty()) {
          for (auto& f : fill) push(f);
          push(b);
          return out;
        }
      }
      // No send can block and then fit (the next message is empty, say):
      // a blocked receive instead.
    }
    while (!m.queue.empty()) {
      push(std::make_shared<ReceiveCmd>(MqReceiveOptions{}, MqWait::Mode::kNonBlock,
                                        Timeout::kNone));
    }
    size_t size = Uniform<size_t>(0, std::min<size_t>(max, 8) + 1);
    push(std::make_shared<BlockedReceiveCmd>(GenTag(m, plain, false), size, m.next_stamp,
                                             c.type_selection));
    return out;
  });
}

PropertyOutcome RunModel(const MessageQueueKind& kind, const Mix& mix,
                         Coverage* coverage = nullptr, int max_cases = 1 << 30) {
  PropertyOutcome o = RunProperty(CurrentTestId(), [&kind, mix, coverage] {
    std::optional<Coverage::Case> counted;
    if (coverage) counted.emplace(*coverage);
    auto inst = kind.Open();
    if (!inst.ok()) RC_FAIL("open a " + kind.name + " queue: " + inst.error().ToString());
    MessageQueue& q = *inst.value();
    auto st = q.Status();
    if (!st.ok()) RC_FAIL("Status() of a new queue: " + st.error().ToString());
    auto setup = std::make_shared<Setup>();
    setup->caps = kind.caps;
    setup->limits = st.value();
    RC_LOG() << kind.name << ": " << q.Describe() << ", " << st.value().ToString() << "\n";
    Model m0;
    m0.setup = setup;
    auto gen = [mix](const Model& m) { return GenCommand(m, mix); };
    if (mix.blocked == 0) {
      rc::state::check(m0, q, gen);
      return;
    }
    // A random prefix with no fork, then one forked blocked call at a limit
    // (GenBlockedEnding): every case forks once and blocks.
    const MqCommands prefix = *rc::state::gen::commands(m0, gen);
    rc::state::runAll(prefix, m0, q);
    Model m = m0;
    rc::state::applyAll(prefix, m);
    m.forks_left = 1;
    const MqCommands ending = *GenBlockedEnding(m, mix);
    rc::state::runAll(ending, m, q);
  },
  // BlockedCallsWake forks in every case, so each shrinking step would fork
  // again: its counterexample is reported unshrunk (as RunForkingProperty
  // does), which keeps the selftest's mutants cheap.
  max_cases, /*shrink=*/mix.blocked == 0);
  return coverage ? coverage->Judge(o) : o;
}

const char* kCapacityLimitsCites =
    "man 2 msgop: full when bytes or count would exceed msg_qbytes, EAGAIN with IPC_NOWAIT; "
    "man 3 mq_send: full at mq_maxmsg, EAGAIN with O_NONBLOCK, ETIMEDOUT for mq_timedsend, "
    "EINVAL for an invalid timeout when the call would block; the receive side likewise "
    "(ENOMSG / EAGAIN / ETIMEDOUT)";
const char* kBlockedCallsWakeCites =
    "man 2 msgop: \"the default behavior of msgsnd() is to block until space becomes "
    "available\", msgrcv blocks until \"A message of the desired type is placed in the "
    "queue\"; man 3 mq_send / mq_receive: block until space / a message is available (a "
    "forked child is seen asleep in the call, and wakes when the parent makes it possible)";

std::optional<std::string> NoSkip(const MessageQueueKind&) { return std::nullopt; }

// --- the high-water mark ----------------------------------------------------

constexpr size_t kHighWaterMaxMessages = 4000000;

// A queue with no exact capacity is filled with non-blocking sends of
// numbered messages until it refuses, then drained. kBlocks: it must refuse
// (full_errno) before high_water_bound_bytes, and give back every message,
// whole and in order; afterwards it is empty and takes a send again.
// kDrops: what arrives is whole and in order, with gaps allowed.
PropertyOutcome RunHighWaterMark(const MessageQueueKind& kind) {
  return RunProperty(
      CurrentTestId(),
      [&kind] {
        const MessageQueueCaps& c = kind.caps;
        auto inst = kind.Open();
        if (!inst.ok()) RC_FAIL("open a " + kind.name + " queue: " + inst.error().ToString());
        MessageQueue& q = *inst.value();
        auto st = q.Status();
        if (!st.ok()) RC_FAIL("Status() of a new queue: " + st.error().ToString());
        const size_t max = st.value().max_message;
        std::vector<size_t> sizes;
        for (size_t z : {size_t{1}, size_t{100}, size_t{4000}}) {
          if (z <= max) sizes.push_back(z);
        }
        if (sizes.empty()) sizes.push_back(max);
        const size_t size = *rc::gen::elementOf(sizes);
        const long tag = c.min_tag;
        const size_t bound = c.high_water_bound_bytes != 0
                                 ? c.high_water_bound_bytes
                                 : MessageQueueCaps::kDefaultHighWaterBound;
        const bool blocks = c.at_high_water == MessageQueueCaps::Overflow::kBlocks;
        RC_LOG() << kind.name << ": " << q.Describe() << "; messages of " << size << " B, "
                 << (blocks ? "must refuse" : "may drop") << " within " << bound << " B\n";

        // Fill. A message's body is Body(stamp, size): stamps 1, 2, ...
        uint32_t sent = 0;
        int refused = 0;
        while (static_cast<size_t>(sent) * size < bound && sent < kHighWaterMaxMessages) {
          std::vector<uint8_t> b = Body(sent + 1, size);
          PosixError e = q.Send(tag, b.data(), b.size(), MqWait::NonBlock());
          if (!e.ok()) {
            refused = e.errno_value();
            if (refused != c.full_errno) {
              RC_FAIL("non-blocking send of message " + std::to_string(sent + 1) + " (" +
                      std::to_string(size) + " B) at the high-water mark: " + e.ToString() +
                      ", expected " + ErrnoText(c.full_errno) + " (" + CiteFull(c) + ")");
            }
            break;
          }
          ++sent;
        }
        RC_LOG() << sent << " messages taken before " << (refused ? "a refusal" : "the bound")
                 << "\n";
        if (blocks && refused == 0) {
          RC_FAIL("the queue never refused a non-blocking send: " + std::to_string(sent) +
                  " messages of " + std::to_string(size) + " B (" +
                  std::to_string(static_cast<size_t>(sent) * size) +
                  " B) were taken, and the Kind says that at its high-water mark sends block "
                  "and a non-blocking send fails " + ErrnoText(c.full_errno) +
                  " (an unbounded buffer, or messages discarded)");
        }

        // Drain: every message back, whole and in order (kBlocks); in order
        // with gaps (kDrops). A receive that finds nothing within the
        // deadline ends a kDrops drain and fails a kBlocks one.
        uint32_t got = 0, last = 0;
        const auto wait_for = std::chrono::milliseconds(kMustNotBlock);
        while (blocks ? got < sent : last < sent) {
          PosixErrorOr<MqMessage> r = PosixError(EINVAL, "no receive");
          bool fired = false;
          if (c.timed) {
            r = q.Receive(MqReceiveOptions{},
                          MqWait::Within(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              wait_for * TimeoutScale())));
          } else {
            r = Guarded(MqWait::Mode::kBlock, &fired,
                        [&] { return q.Receive(MqReceiveOptions{}, MqWait::Block()); });
          }
          if (!r.ok()) {
            const bool nothing = fired || r.errno_value() == c.timeout_errno;
            if (!blocks && nothing) break;
            RC_FAIL("receive after " + std::to_string(got) + " of " + std::to_string(sent) +
                    " messages sent at the high-water mark: " + r.error().ToString() +
                    (nothing ? " (nothing arrived: messages were lost, which a queue that "
                               "blocks at its mark must not do)"
                             : ""));
          }
          const MqMessage& m = r.value();
          ++got;
          uint32_t stamp = blocks ? got : 0;
          if (!blocks) {
            // Which message is it? The next ones in order, with gaps.
            for (uint32_t k = last + 1; k <= sent; ++k) {
              if (m.data == Body(k, size)) {
                stamp = k;
                break;
              }
            }
            if (stamp == 0) {
              RC_FAIL("message " + std::to_string(got) + " received is none of messages " +
                      std::to_string(last + 1) + ".." + std::to_string(sent) +
                      ": torn, duplicated or out of order");
            }
          } else if (m.data != Body(stamp, size)) {
            RC_FAIL("message " + std::to_string(got) + " received (" +
                    std::to_string(m.data.size()) + " B) is not message " +
                    std::to_string(got) + " sent (" + std::to_string(size) +
                    " B): lost, torn or reordered at the high-water mark");
          }
          RC_ASSERT(m.tag == tag);
          last = stamp;
        }
        if (!blocks) return;
        // Drained: nothing more (nothing is in flight), and room again.
        auto extra = q.Receive(MqReceiveOptions{}, MqWait::NonBlock());
        if (extra.ok()) {
          RC_FAIL("a message more than the " + std::to_string(sent) +
                  " sent came after the drain: duplicated");
        }
        RC_ASSERT(extra.errno_value() == c.empty_errno);
        // With asynchronous delivery the sender learns of the room later
        // (ZeroMQ: the reader's credit travels back as a command): a timed
        // send, which may wait for it.
        std::vector<uint8_t> b = Body(sent + 1, size);
        const MqWait again =
            c.asynchronous_delivery && c.timed
                ? MqWait::Within(std::chrono::duration_cast<std::chrono::nanoseconds>(
                      wait_for * TimeoutScale()))
                : MqWait::NonBlock();
        PosixError e = q.Send(tag, b.data(), b.size(), again);
        if (!e.ok()) {
          RC_FAIL("a send after the drain still fails (" + ToString(again) + "): " +
                  e.ToString() + "; the queue is empty, so it is below its mark");
        }
      },
      /*max_cases=*/6);
}

}  // namespace

std::vector<SuiteProperty<MessageQueueInterface>> MessageQueueProperties() {
  std::vector<SuiteProperty<MessageQueueInterface>> ps;

  ps.push_back(
      {"FreshQueueAttributes",
       "man 3 mq_getattr: \"The mq_maxmsg and mq_msgsize fields are set when the message queue "
       "is created by mq_open(3)\"; man 2 msgctl: msg_qnum, msg_cbytes, msg_qbytes (a new queue "
       "is empty and has the limits the Kind says it set)",
       NoSkip, [](const MessageQueueKind& kind) {
         return RunProperty(CurrentTestId(), [&kind] {
           auto inst = kind.Open();
           if (!inst.ok()) RC_FAIL("open: " + inst.error().ToString());
           auto st = inst.value()->Status();
           if (!st.ok()) RC_FAIL("Status(): " + st.error().ToString());
           const MqStatus& s = st.value();
           const MessageQueueCaps& c = kind.caps;
           RC_LOG() << inst.value()->Describe() << ": " << s.ToString() << "\n";
           if (c.reports_count) RC_ASSERT(s.count == 0u);
           if (c.reports_bytes) RC_ASSERT(s.bytes.value_or(1) == 0u);
           if (c.max_message) RC_ASSERT(s.max_message == c.max_message);
           if (c.capacity_count) RC_ASSERT(s.max_count == c.capacity_count);
           if (c.capacity_bytes) RC_ASSERT(s.max_bytes == c.capacity_bytes);
           if (c.limits_count) RC_ASSERT(s.max_count > 0u);
           if (c.limits_bytes) RC_ASSERT(s.max_bytes > 0u);
           RC_ASSERT(s.max_message > 0u);
           RC_ASSERT(s.nonblocking == c.nonblocking_by_default);
         });
       }});

  ps.push_back({"MessageBoundaries",
                "man 3 mq_receive / man 2 msgop: a receive returns one whole message, its "
                "length and tag, as sent (zero-length and maximum-size messages included); "
                "msgrcv E2BIG without MSG_NOERROR, truncation with it; mq_receive EMSGSIZE for "
                "a buffer shorter than mq_msgsize; EMSGSIZE/EINVAL for a message above the "
                "maximum",
                NoSkip, [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 4;
                  mix.receive = 4;
                  mix.status = 1;
                  mix.waits = false;
                  mix.types = false;
                  return RunModel(kind, mix);
                }});

  ps.push_back({"PriorityOrder",
                "man 3 mq_receive: \"mq_receive() removes the oldest message with the highest "
                "priority\"; man 3 mq_send: \"newer messages of the same priority being placed "
                "after older messages with the same priority\"",
                [](const MessageQueueKind& k) -> std::optional<std::string> {
                  if (k.caps.ordering != MqOrdering::kPriority) {
                    return std::string("delivers in arrival order, not by priority");
                  }
                  return std::nullopt;
                },
                [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 5;
                  mix.receive = 3;
                  mix.status = 0;
                  mix.waits = false;
                  mix.buffers = false;
                  mix.bad_inputs = false;
                  mix.few_tags = true;
                  return RunModel(kind, mix);
                }});

  ps.push_back({"TypeSelection",
                "man 2 msgop: msgtyp 0 reads the first message, > 0 the first of that type "
                "(MSG_EXCEPT: of another type), < 0 the first of the lowest type <= |msgtyp|; "
                "ENOMSG with IPC_NOWAIT when none matches",
                [](const MessageQueueKind& k) -> std::optional<std::string> {
                  if (!k.caps.type_selection) return std::string("no msgtyp selection");
                  return std::nullopt;
                },
                [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 4;
                  mix.receive = 4;
                  mix.status = 0;
                  mix.waits = false;
                  mix.buffers = false;
                  mix.bad_inputs = false;
                  mix.few_tags = true;
                  return RunModel(kind, mix);
                }});

  ps.push_back(
      {"CapacityLimits", kCapacityLimitsCites,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (!k.caps.limits_count && !k.caps.limits_bytes) {
           return std::string("no capacity the model can predict (limits_count and "
                              "limits_bytes are both false)");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) {
         Mix mix;
         mix.send = 6;
         mix.receive = 3;
         mix.status = 1;
         mix.buffers = false;
         mix.bad_inputs = false;
         mix.fill = true;
         // Most cases fill the queue; some drain it back to empty.
         Coverage cov("CapacityLimits", kCapacityLimitsCites,
                      {{kSendMetFull, 10}, {kReceiveMetEmpty, 15}});
         return RunModel(kind, mix, &cov);
       }});

  ps.push_back(
      {"HighWaterMark",
       "man zmq_socket: ZMQ_PAIR and ZMQ_PUSH \"Action in mute state: Block\", ZMQ_PUB "
       "\"Drop\"; man zmq_setsockopt ZMQ_SNDHWM: a non-blocking send at the mark fails EAGAIN; "
       "nng_pair(7): \"this pattern will block when attempting to send a message if no peer is "
       "able to receive the message\" (a queue with no exact capacity fills, refuses with "
       "EAGAIN, and gives back every message whole and in order)",
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (k.caps.limits_count || k.caps.limits_bytes) {
           return std::string("exact capacity: CapacityLimits checks where it fills");
         }
         if (k.caps.nonblocking_by_default) {
           return std::string("the descriptor is O_NONBLOCK: calls never block");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) { return RunHighWaterMark(kind); }});

  ps.push_back(
      {"BlockedCallsWake", kBlockedCallsWakeCites,
       [](const MessageQueueKind& k) -> std::optional<std::string> {
         if (!k.caps.fork_shares) return std::string("not usable from a forked child");
         if (k.caps.nonblocking_by_default) {
           return std::string("the descriptor is O_NONBLOCK: calls never block");
         }
         return std::nullopt;
       },
       [](const MessageQueueKind& kind) {
         Mix mix;
         mix.send = 3;
         mix.receive = 2;
         mix.status = 0;
         mix.blocked = 3;
         mix.buffers = false;
         mix.bad_inputs = false;
         mix.fill = true;
         // Every case ends with one forked blocked call (GenBlockedEnding):
         // a send on a full queue or a receive on an empty one, about half
         // each. A fork per case: 30 cases (before, about one case in three
         // of 100 might fork, and fewer did), judged from 30, with minimums
         // safe at that count (a share near 45% falls under 10% of 30 cases
         // about once in 10^5 runs).
         constexpr int kCases = 30;
         Coverage cov("BlockedCallsWake", kBlockedCallsWakeCites,
                      {{kForkedCallBlocked, 100},
                       {kSendBlockedFull, 10},
                       {kReceiveBlockedEmpty, 10}},
                      kCases);
         return RunModel(kind, mix, &cov, kCases);
       }});

  ps.push_back({"ModelSequences",
                "man 7 mq_overview, man 3 mq_send, man 3 mq_receive, man 2 msgop, man 2 msgctl: "
                "random sequences of every operation against the model (per-priority FIFO "
                "queues / a typed list with msgtyp selection, byte and count limits)",
                NoSkip, [](const MessageQueueKind& kind) {
                  Mix mix;
                  mix.send = 5;
                  mix.receive = 4;
                  mix.status = 1;
                  return RunModel(kind, mix);
                }});
  return ps;
}

}  // namespace ipcspec
