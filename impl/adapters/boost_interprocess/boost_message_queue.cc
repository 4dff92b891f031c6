// boost::interprocess::message_queue as a MessageQueue Kind.
//
// Boost.Interprocess documentation, "Message Queue" (doc/html/interprocess/
// synchronization_mechanisms.html#interprocess.synchronization_mechanisms.
// message_queue): "A message queue is similar to a list of messages. Threads
// can put messages in the queue and they can also remove messages from the
// queue. Each message can have also a priority so that higher priority
// messages are read before lower priority messages." The queue lives in a
// shared memory object (shm_open under /dev/shm) made with
// message_queue(create_only, name, max_num_msg, max_msg_size); it is guarded
// by an interprocess_mutex and two interprocess_conditions in that memory.
//
// How the interface maps onto the library:
//   Send(kBlock)      send()          Receive(kBlock)     receive()
//   Send(kNonBlock)   try_send()      Receive(kNonBlock)  try_receive()
//   Send(kTimed)      timed_send()    Receive(kTimed)     timed_receive()
// try_/timed_ calls return false when the queue is full/empty or the time
// ran out: the adapter reports EAGAIN (non-blocking) and ETIMEDOUT (timed),
// the errnos of mq_send(3)/mq_receive(3) for the same situations. Priorities
// are `unsigned int`: a tag outside [0, UINT_MAX] cannot be handed to the
// library at all, and the adapter refuses it with EINVAL (the type's
// boundary, not the library's). Errors the library throws
// (interprocess_exception, e.g. size_error for a message longer than
// max_msg_size or a receive buffer shorter than it) become the errno of
// BoostErrno (size_error: EMSGSIZE).
#include <sys/syscall.h>

#include <climits>
#include <memory>
#include <vector>

#include "boost/interprocess/ipc/message_queue.hpp"
#include "impl/adapters/boost_interprocess/boost_common.h"
#include "impl/api/message_queue.h"

namespace ipcspec {
namespace {

namespace bi = boost::interprocess;
using boost_ipc::Guard;

constexpr size_t kMaxMessages = 10;
constexpr size_t kMaxMessageSize = 128;

class BoostMessageQueue : public MessageQueue {
 public:
  static PosixErrorOr<std::unique_ptr<MessageQueue>> Create() {
    std::string name = boost_ipc::NewBoostName("mq");
    std::unique_ptr<bi::message_queue> q;
    PosixError e = Guard("message_queue(create_only, " + name + ")", [&] {
      q = std::make_unique<bi::message_queue>(bi::create_only, name.c_str(), kMaxMessages,
                                              kMaxMessageSize);
      return NoError();
    });
    if (!e.ok()) return e;
    return std::unique_ptr<MessageQueue>(new BoostMessageQueue(std::move(name), std::move(q)));
  }

  ~BoostMessageQueue() override { (void)Remove(); }

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (!q_) return PosixError(EBADF, "send on a removed boost message_queue " + name_);
    if (tag < 0 || static_cast<unsigned long>(tag) > UINT_MAX) {
      return PosixError(EINVAL, "send with priority " + std::to_string(tag) +
                                    ": not an unsigned int (the adapter refuses it)");
    }
    const unsigned prio = static_cast<unsigned>(tag);
    switch (w.mode) {
      case MqWait::Mode::kBlock:
        return Guard("message_queue::send(" + name_ + ")", [&] {
          q_->send(data, n, prio);
          return NoError();
        });
      case MqWait::Mode::kNonBlock:
        return Guard("message_queue::try_send(" + name_ + ")", [&] {
          if (q_->try_send(data, n, prio)) return NoError();
          return PosixError(EAGAIN, "message_queue::try_send(" + name_ + ") returned false (full)");
        });
      case MqWait::Mode::kTimed:
        return Guard("message_queue::timed_send(" + name_ + ")", [&] {
          if (q_->timed_send(data, n, prio, boost_ipc::ToPtime(w.abs_timeout))) return NoError();
          return PosixError(ETIMEDOUT, "message_queue::timed_send(" + name_ +
                                           ") returned false (full until the timeout)");
        });
    }
    return PosixError(EINVAL, "bad MqWait");
  }

  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    if (!q_) return PosixError(EBADF, "receive on a removed boost message_queue " + name_);
    if (o.type != 0 || o.except || o.truncate) {
      return PosixError(EINVAL, "boost message_queue has no type selection or truncation");
    }
    const size_t size = o.buffer.value_or(max_size_);
    std::vector<uint8_t> buf(size == 0 ? 1 : size);
    bi::message_queue::size_type got = 0;
    unsigned prio = 0;
    PosixError e;
    switch (w.mode) {
      case MqWait::Mode::kBlock:
        e = Guard("message_queue::receive(" + name_ + ")", [&] {
          q_->receive(buf.data(), size, got, prio);
          return NoError();
        });
        break;
      case MqWait::Mode::kNonBlock:
        e = Guard("message_queue::try_receive(" + name_ + ")", [&] {
          if (q_->try_receive(buf.data(), size, got, prio)) return NoError();
          return PosixError(EAGAIN,
                            "message_queue::try_receive(" + name_ + ") returned false (empty)");
        });
        break;
      case MqWait::Mode::kTimed:
        e = Guard("message_queue::timed_receive(" + name_ + ")", [&] {
          if (q_->timed_receive(buf.data(), size, got, prio, boost_ipc::ToPtime(w.abs_timeout))) {
            return NoError();
          }
          return PosixError(ETIMEDOUT, "message_queue::timed_receive(" + name_ +
                                           ") returned false (empty until the timeout)");
        });
        break;
    }
    if (!e.ok()) return e;
    MqMessage m;
    m.tag = static_cast<long>(prio);
    m.data.assign(buf.begin(), buf.begin() + static_cast<long>(got));
    return m;
  }

  PosixErrorOr<MqStatus> Status() override {
    if (!q_) return PosixError(EBADF, "status of a removed boost message_queue " + name_);
    MqStatus s;
    PosixError e = Guard("message_queue::get_num_msg(" + name_ + ")", [&] {
      s.count = q_->get_num_msg();
      s.max_count = q_->get_max_msg();
      s.max_message = q_->get_max_msg_size();
      return NoError();
    });
    if (!e.ok()) return e;
    return s;
  }

  PosixError Remove() override {
    if (!q_) return NoError();
    q_.reset();  // unmaps this process's view
    if (!bi::message_queue::remove(name_.c_str())) {
      return PosixError(ENOENT, "message_queue::remove(" + name_ + ") returned false");
    }
    return NoError();
  }

  std::string Describe() const override {
    return "boost message_queue " + name_ + " (max_num_msg " + std::to_string(kMaxMessages) +
           ", max_msg_size " + std::to_string(kMaxMessageSize) + ")";
  }

 private:
  BoostMessageQueue(std::string name, std::unique_ptr<bi::message_queue> q)
      : name_(std::move(name)), q_(std::move(q)), max_size_(q_->get_max_msg_size()) {}

  std::string name_;
  std::unique_ptr<bi::message_queue> q_;
  size_t max_size_;
};

MessageQueueCaps BoostQueueCaps() {
  MessageQueueCaps c;
  // "higher priority messages are read before lower priority messages".
  c.ordering = MqOrdering::kPriority;
  c.min_tag = 0;
  c.max_tag = static_cast<long>(UINT_MAX);  // send(..., unsigned int priority)
  c.bad_tag_errno = EINVAL;                 // the adapter's refusal (see above)
  c.type_selection = false;
  c.truncate_option = false;
  // do_receive: "if (buffer_size < p_hdr->m_max_msg_size) throw
  // interprocess_exception(size_error)".
  c.buffer_must_cover_max_message = true;
  c.max_message = kMaxMessageSize;
  c.capacity_count = kMaxMessages;
  c.capacity_bytes = 0;
  c.limits_count = true;
  c.limits_bytes = false;
  c.oversize_errno = EMSGSIZE;  // size_error
  c.timed = true;               // timed_send / timed_receive
  c.nonblocking_by_default = false;
  c.full_errno = EAGAIN;   // try_send returned false
  c.empty_errno = EAGAIN;  // try_receive returned false
  c.reports_bytes = false;
  // The queue is a MAP_SHARED mapping the child inherits.
  c.fork_shares = true;
  // Blocked senders and receivers sleep on a process-shared pthread
  // condition variable: futex(2).
  c.send_syscalls = {SYS_futex};
  c.receive_syscalls = {SYS_futex};
  // timed_send/timed_receive take a boost::posix_time::ptime, which the
  // adapter converts from the timespec: there is no invalid timeout to refuse.
  c.invalid_timeout_checked = false;
  // An uncontended send is a mutex and a memcpy in shared memory: no system
  // call to kill the sender at (the crash test in boost_crash_test.cc kills
  // it inside send instead).
  c.send_is_syscall = false;
  return c;
}

MessageQueueKind MakeKind() {
  MessageQueueKind k;
  k.name = "boost_interprocess_message_queue";
  k.mechanism = "boost_message_queue";
  k.description = "boost::interprocess::message_queue(create_only, name, " +
                  std::to_string(kMaxMessages) + ", " + std::to_string(kMaxMessageSize) +
                  ") in /dev/shm, removed with message_queue::remove";
  k.caps = BoostQueueCaps();
  k.open = []() -> PosixErrorOr<MessageQueueInstance> {
    auto q = BoostMessageQueue::Create();
    if (!q.ok()) return q.error();
    return MessageQueueInstance{std::move(q).ValueOrDie()};
  };
  k.library = "boost_interprocess";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, MakeKind());

}  // namespace
}  // namespace ipcspec
