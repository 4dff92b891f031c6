// Deliberately broken MessageQueue Kinds. Each claims the caps of the real
// mechanism and breaks one documented behaviour; the selftest
// (//suites/selftest/message_queue) passes only if the MessageQueue suite
// catches every one of them.
#include <cerrno>
#include <cstring>

#include "impl/api/message_queue.h"
#include "impl/mutants/message_queue/forwarding.h"
#include "impl/posix_mq/posix_mq.h"
#include "impl/sysv_msg/sysv_msg.h"

namespace ipcspec {
namespace {

using Forwarding = ForwardingQueue;

template <typename Q, typename... Args>
PosixErrorOr<MessageQueueInstance> Wrap(Args&&... args) {
  return MessageQueueInstance{std::make_unique<Q>(std::forward<Args>(args)...)};
}

// --- ignores priority ------------------------------------------------------
// Every message goes in at priority 0 (so delivery is FIFO); the priority
// travels in a 4-byte header so that the receiver still reports it.
constexpr size_t kHeader = sizeof(int32_t);
constexpr PosixMqOptions kFifoInner{4, 32 + kHeader, false};

class IgnoresPriority : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (tag < 0 || tag >= sysconf(_SC_MQ_PRIO_MAX)) return PosixError(EINVAL, "mq_send(prio)");
    if (n > 32) return PosixError(EMSGSIZE, "mq_send(size)");
    std::vector<uint8_t> buf(kHeader + n);
    int32_t t = static_cast<int32_t>(tag);
    std::memcpy(buf.data(), &t, kHeader);
    if (n) std::memcpy(buf.data() + kHeader, data, n);
    return inner_->Send(0, buf.data(), buf.size(), w);
  }
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    MqReceiveOptions inner = o;
    if (o.buffer) inner.buffer = *o.buffer + kHeader;
    IPCSPEC_ASSIGN_OR_RETURN(MqMessage m, inner_->Receive(inner, w));
    int32_t t = 0;
    std::memcpy(&t, m.data.data(), kHeader);
    m.tag = t;
    m.data.erase(m.data.begin(), m.data.begin() + kHeader);
    return m;
  }
  PosixErrorOr<MqStatus> Status() override {
    IPCSPEC_ASSIGN_OR_RETURN(MqStatus s, inner_->Status());
    s.max_message -= kHeader;
    return s;
  }
};

PosixErrorOr<MessageQueueInstance> OpenIgnoresPriority() {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(kFifoInner));
  return Wrap<IgnoresPriority>(std::move(q));
}

// --- loses a message at a rare point ---------------------------------------
// A non-empty message that would exactly fill msg_qbytes is dropped, and the
// send reports success.
class LosesTheFillingMessage : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    auto st = inner_->Status();
    if (st.ok() && n > 0 && tag > 0 && st.value().bytes &&
        *st.value().bytes + n == st.value().max_bytes && st.value().count + 1 <= st.value().max_count) {
      return NoError();
    }
    return inner_->Send(tag, data, n, w);
  }
};

// --- truncates silently ----------------------------------------------------
// Every msgrcv passes MSG_NOERROR: a message longer than the buffer is cut
// instead of failing E2BIG and staying queued.
class TruncatesSilently : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    MqReceiveOptions cut = o;
    cut.truncate = true;
    return inner_->Receive(cut, w);
  }
};

// --- ETIMEDOUT becomes EAGAIN ----------------------------------------------
// Timed calls go to the O_NONBLOCK descriptor: a call that should time out
// fails EAGAIN (and an invalid timeout is never looked at).
class TimedIsNonBlocking : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    return inner_->Send(tag, data, n, w.mode == MqWait::Mode::kTimed ? MqWait::NonBlock() : w);
  }
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    return inner_->Receive(o, w.mode == MqWait::Mode::kTimed ? MqWait::NonBlock() : w);
  }
};

// --- MSG_EXCEPT ignored ----------------------------------------------------
// msgtyp > 0 with MSG_EXCEPT selects type msgtyp instead of any other type.
class IgnoresExcept : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    MqReceiveOptions plain = o;
    plain.except = false;
    return inner_->Receive(plain, w);
  }
};

// --- never blocks a sender ------------------------------------------------
// A blocking send to a full queue fails EAGAIN at once (IPC_NOWAIT is always
// passed), instead of waiting for room.
class SenderNeverWaits : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    return inner_->Send(tag, data, n, w.mode == MqWait::Mode::kBlock ? MqWait::NonBlock() : w);
  }
};

constexpr size_t kSmallQbytes = 12;
constexpr PosixMqOptions kSmallPosix{4, 32, false};

// --- drops at its mark -----------------------------------------------------
// Stated as a library queue that blocks at its high-water mark (no exact
// capacity, like ZeroMQ's PAIR), but a send to the full queue, blocking or
// not, reports success and discards the message, as ZMQ_PUB may and ZMQ_PAIR
// must not.
class DropsWhenFull : public Forwarding {
 public:
  using Forwarding::Forwarding;
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait&) override {
    PosixError e = inner_->Send(tag, data, n, MqWait::NonBlock());
    if (e.errno_value() == EAGAIN) return NoError();
    return e;
  }
};

MessageQueueCaps DropsWhenFullCaps() {
  MessageQueueCaps c = PosixMqCaps(kSmallPosix);
  c.limits_count = false;
  c.capacity_count = 0;
  c.at_high_water = MessageQueueCaps::Overflow::kBlocks;
  c.high_water_bound_bytes = 64 << 10;
  return c;
}

template <typename Q>
PosixErrorOr<MessageQueueInstance> OpenOverSysv(size_t qbytes) {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<SysvMsgQueue> q, SysvMsgQueue::Create(qbytes));
  return Wrap<Q>(std::move(q));
}

template <typename Q>
PosixErrorOr<MessageQueueInstance> OpenOverPosix(PosixMqOptions o) {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(o));
  return Wrap<Q>(std::move(q));
}

MessageQueueKind Mutant(std::string name, std::string mechanism, std::string description,
                        MessageQueueCaps caps,
                        std::function<PosixErrorOr<MessageQueueInstance>()> open,
                        std::string bug) {
  MessageQueueKind k{std::move(name), std::move(mechanism), std::move(description),
                     std::move(caps), std::move(open)};
  k.mutant = true;
  k.mutant_bug = std::move(bug);
  // The real Kinds with the same limits: posix_mq and sysv_msg_small.
  k.base = k.mechanism == "sysv_msg" ? "sysv_msg_small" : "posix_mq";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_posix_mq_fifo", "posix_mq",
                             "POSIX mq that queues every message at priority 0",
                             PosixMqCaps(kSmallPosix), OpenIgnoresPriority,
                             "ignores priority: delivers in arrival order"));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_posix_mq_drops_at_mark", "posix_mq",
                             "POSIX mq stated as blocking at a high-water mark, whose "
                             "non-blocking send to a full queue discards the message",
                             DropsWhenFullCaps(),
                             [] { return OpenOverPosix<DropsWhenFull>(kSmallPosix); },
                             "at its high-water mark a send reports success and drops the "
                             "message instead of blocking (or failing EAGAIN)"));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_sysv_msg_lossy", "sysv_msg",
                             "System V queue (msg_qbytes 12) that drops the filling message",
                             SysvMsgCaps(kSmallQbytes),
                             [] { return OpenOverSysv<LosesTheFillingMessage>(kSmallQbytes); },
                             "loses a message that exactly fills msg_qbytes, reporting success"));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_sysv_msg_truncating", "sysv_msg",
                             "System V queue whose msgrcv always passes MSG_NOERROR",
                             SysvMsgCaps(0), [] { return OpenOverSysv<TruncatesSilently>(0); },
                             "truncates silently instead of failing E2BIG"));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_posix_mq_timeout_eagain", "posix_mq",
                             "POSIX mq whose timed calls use the O_NONBLOCK descriptor",
                             PosixMqCaps(kSmallPosix),
                             [] { return OpenOverPosix<TimedIsNonBlocking>(kSmallPosix); },
                             "a timed call that times out fails EAGAIN, not ETIMEDOUT"));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_sysv_msg_except_ignored", "sysv_msg",
                             "System V queue (msg_qbytes 12) whose msgrcv drops MSG_EXCEPT",
                             SysvMsgCaps(kSmallQbytes),
                             [] { return OpenOverSysv<IgnoresExcept>(kSmallQbytes); },
                             "ignores MSG_EXCEPT: msgtyp > 0 selects that type, not the others"));

IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      Mutant("mutant_sysv_msg_sender_never_waits", "sysv_msg",
                             "System V queue (msg_qbytes 12) whose msgsnd always has IPC_NOWAIT",
                             SysvMsgCaps(kSmallQbytes),
                             [] { return OpenOverSysv<SenderNeverWaits>(kSmallQbytes); },
                             "a blocking send to a full queue fails EAGAIN instead of waiting"));

}  // namespace
}  // namespace ipcspec
