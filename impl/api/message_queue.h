// MessageQueue: a kernel queue of whole messages, each with a tag.
// System V message queues (man 7 sysvipc, man 2 msgop: the tag is the mtype,
// receivers select by type) and POSIX message queues (man 7 mq_overview: the
// tag is the priority, highest priority first), and any library that moves
// discrete messages.
//
// Each call on a queue is ONE operation (one msgsnd(2), one mq_timedsend(2),
// ...): nothing is retried, a failure is returned as the call failed
// (PosixErrorOr), so suites check exactly what the man pages promise for that
// call. MqWait chooses blocking, non-blocking (IPC_NOWAIT / an O_NONBLOCK
// descriptor) or timed (mq_timedsend / mq_timedreceive) for that one call.
//
// A queue is id- or fd-based, so a forked child can use it (man 7
// mq_overview: "After a fork(2), a child inherits copies of its parent's
// message queue descriptors"). Only the parent's copy removes the queue: a
// child _exit()s and runs no destructor.
#pragma once

#include <time.h>

#include <cerrno>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/api/kind.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

// Which message a plain receive (no selection) takes.
enum class MqOrdering {
  // The oldest message of the highest priority (man 3 mq_receive).
  kPriority,
  // The first message in the queue, whatever its type (man 2 msgop, msgtyp 0).
  kArrival,
};
const char* ToString(MqOrdering o);

class MessageQueue;

struct MessageQueueCaps {
  MqOrdering ordering = MqOrdering::kPriority;

  // The tags Send accepts: [min_tag, max_tag]. POSIX: priorities 0 to
  // sysconf(_SC_MQ_PRIO_MAX) - 1; System V: mtype 1 to LONG_MAX. A tag
  // outside fails with bad_tag_errno.
  long min_tag = 0;
  long max_tag = 0;
  int bad_tag_errno = 0;

  // Receive selects by type: msgtyp 0, > 0, < 0 and MSG_EXCEPT (man 2 msgop).
  bool type_selection = false;
  // A receive buffer shorter than the next message: E2BIG and the message
  // stays, or, with MqReceiveOptions::truncate (MSG_NOERROR), the message is
  // taken and cut to the buffer (man 2 msgop).
  bool truncate_option = false;
  // A receive buffer shorter than the queue's maximum message size fails
  // EMSGSIZE whatever the queue holds (man 3 mq_receive).
  bool buffer_must_cover_max_message = false;

  // The limits the Kind sets on each queue it makes; 0: the IPC namespace's
  // default (then only MqStatus knows the number).
  size_t max_message = 0;      // mq_msgsize; MSGMAX for System V (not per queue)
  size_t capacity_count = 0;   // mq_maxmsg; System V: msg_qbytes (see below)
  size_t capacity_bytes = 0;   // msg_qbytes
  // Which limits apply. System V counts both: a queue is full when the bytes
  // OR the number of messages would exceed msg_qbytes (man 2 msgop).
  bool limits_count = true;
  bool limits_bytes = false;
  // errno of a message longer than max_message: EMSGSIZE (man 3 mq_send),
  // EINVAL (man 2 msgop, "greater than the system value MSGMAX").
  int oversize_errno = 0;

  // Timed calls (MqWait::kTimed): mq_timedsend / mq_timedreceive. System V
  // has none.
  bool timed = false;
  // The queue's descriptor is O_NONBLOCK: blocking and timed calls fail EAGAIN
  // instead of waiting (man 3 mq_send, man 3 mq_receive).
  bool nonblocking_by_default = false;
  // errno of a non-blocking send to a full queue (EAGAIN both) and of a
  // non-blocking receive that finds no message: EAGAIN (man 3 mq_receive),
  // ENOMSG (man 2 msgop).
  int full_errno = EAGAIN;
  int empty_errno = EAGAIN;
  // MqStatus::bytes is reported (msg_cbytes).
  bool reports_bytes = false;
  // A forked child can use the queue (fd or id based).
  bool fork_shares = true;

  // For libraries that are not kernel queues (impl/adapters/). The defaults
  // are what the kernel queues do.
  //
  // MqStatus::count is the number of messages queued. false: the library
  // keeps no such count (ZeroMQ, nng): no property compares it.
  bool reports_count = true;
  // Send refuses a message longer than max_message (oversize_errno). false:
  // the library sets no maximum; MqStatus::max_message is then only the
  // largest message the properties send.
  bool enforces_max_message = true;
  // errno of a timed call that times out: ETIMEDOUT (man 3 mq_send); EAGAIN
  // for ZeroMQ (man zmq_msg_recv: "the timeout set via the socket-option
  // ZMQ_RCVTIMEO ... has been reached").
  int timeout_errno = ETIMEDOUT;
  // A receive buffer shorter than the message takes the message and cuts it
  // to the buffer, unasked (man zmq_recv: "Any bytes exceeding the length
  // specified by the len argument shall be truncated"); neither E2BIG nor
  // EMSGSIZE.
  bool always_truncates = false;
  // A message sent reaches the receiving side later, carried by the
  // library's I/O thread: a non-blocking receive right after a send may find
  // nothing yet. The properties then take a message the model holds with a
  // blocking receive (under a Watchdog), and expect "empty" only when no
  // message is in flight.
  bool asynchronous_delivery = false;
  // A timed call with an invalid abs_timeout that would block fails EINVAL
  // (man 3 mq_send). false: the library's time type cannot be invalid
  // (Boost.Interprocess takes a boost::posix_time::ptime).
  bool invalid_timeout_checked = true;
  // Every Send enters one of send_syscalls, a kill point for the ptrace
  // injector. false: an uncontended send is plain shared-memory work
  // (Boost.Interprocess), with no system call to stop at.
  bool send_is_syscall = true;
  // Neither limits_count nor limits_bytes: the queue has no capacity the
  // model can predict (a high-water mark per peer, plus what is in flight in
  // kernel socket buffers), so the model properties never fill it. What
  // happens at that mark is the library's promise, checked by the
  // HighWaterMark property:
  //   kBlocks: a send waits and a non-blocking send fails full_errno; no
  //     message is ever discarded (ZeroMQ PAIR and PUSH, man zmq_socket
  //     "Action in mute state: Block"; nng pair, nng_pair(7)).
  //   kDrops: sends go on succeeding and messages are discarded (ZMQ_PUB,
  //     "Action in mute state: Drop"); the property then only checks that
  //     what arrives is whole and in order.
  enum class Overflow { kBlocks, kDrops };
  Overflow at_high_water = Overflow::kBlocks;
  // The most bytes of messages the queue may take before a kBlocks queue
  // refuses (marks plus socket buffers, with room to spare): the property
  // fails a queue that takes more, as unbounded. 0: kDefaultHighWaterBound.
  size_t high_water_bound_bytes = 0;
  static constexpr size_t kDefaultHighWaterBound = size_t{256} << 20;
  // Blocking calls wait in one of these system calls (for WaitUntilBlocked).
  std::vector<long> send_syscalls;
  std::vector<long> receive_syscalls;

  // A sender in another process, for a library whose queue a forked child
  // cannot use (fork_shares == false) but another process reaches by an
  // address (MessageQueue::Address(): a socket library's endpoint). Empty for
  // the kernel queues, which a forked child uses directly.
  //
  // open_sender(address) makes a queue whose Send() sends to the queue at
  // `address`; its Receive() fails. Call it only in a process that has never
  // used the library, e.g. a child forked from a process that never opened
  // a queue of this Kind: ZeroMQ's context and nng's threads do not survive
  // fork(2) (libnng 1.5.2 aborts in such a child: "nng is not fork-reentrant
  // safe").
  std::function<PosixErrorOr<std::unique_ptr<MessageQueue>>(const std::string& address)>
      open_sender;
  // A queue whose receiving end takes messages from open_sender's senders,
  // for protocols where the receiving end accepts one peer at a time
  // (ZMQ_PAIR, nng pair1): it has no sending end of its own, which would
  // hold that one place (Send() fails EBADF). Empty: the Kind's Open()
  // serves, its own sending end being one more peer (ZMQ_PUSH to ZMQ_PULL).
  std::function<PosixErrorOr<std::unique_ptr<MessageQueue>>()> open_receiver;
};

// How one call waits.
struct MqWait {
  enum class Mode { kBlock, kNonBlock, kTimed };
  Mode mode = Mode::kBlock;
  // kTimed: the absolute CLOCK_REALTIME timeout handed to the call as is
  // (man 3 mq_send: "an absolute timeout in seconds and nanoseconds since the
  // Epoch"); it may be deliberately invalid.
  struct timespec abs_timeout = {0, 0};

  static MqWait Block() { return {Mode::kBlock, {0, 0}}; }
  static MqWait NonBlock() { return {Mode::kNonBlock, {0, 0}}; }
  static MqWait Until(struct timespec abs) { return {Mode::kTimed, abs}; }
  // A timeout `d` from now on CLOCK_REALTIME.
  static MqWait Within(std::chrono::nanoseconds d);
  // A timeout long past (the Epoch): "the timeout has already expired by the
  // time of the call" (man 3 mq_send).
  static MqWait Expired() { return {Mode::kTimed, {0, 0}}; }
};
std::string ToString(const MqWait& w);

// For libraries whose timeouts are relative milliseconds (ZeroMQ, nng): a
// kTimed MqWait's absolute CLOCK_REALTIME timeout as milliseconds from now,
// rounded up, 0 when already past, at most INT_MAX. A timespec that is no
// time (tv_sec < 0, tv_nsec outside [0, 1e9)) fails EINVAL, as
// mq_timedsend(3) does; `who` names the library in the error.
PosixErrorOr<int> RelativeTimeoutMs(const struct timespec& abs, const std::string& who);

struct MqReceiveOptions {
  // The receive buffer's size; none: the queue's maximum message size.
  std::optional<size_t> buffer;
  // System V msgtyp: 0 the first message, > 0 the first of that type (or,
  // with except, of another type), < 0 the first of the lowest type <= |type|.
  long type = 0;
  bool except = false;    // MSG_EXCEPT
  bool truncate = false;  // MSG_NOERROR
};
std::string ToString(const MqReceiveOptions& o);

struct MqMessage {
  long tag = 0;                // priority or mtype
  std::vector<uint8_t> data;   // the bytes copied out (msgrcv: possibly cut)
};

struct MqStatus {
  size_t count = 0;               // mq_curmsgs, msg_qnum
  std::optional<size_t> bytes;    // msg_cbytes where reported
  size_t max_count = 0;           // mq_maxmsg; msg_qbytes; 0: none
  size_t max_bytes = 0;           // msg_qbytes; 0: none
  size_t max_message = 0;         // mq_msgsize; MSGMAX (read when the queue was made)
  bool nonblocking = false;       // mq_flags & O_NONBLOCK
  std::string ToString() const;
};

class MessageQueue {
 public:
  // Removes the queue (IPC_RMID; mq_close and mq_unlink) unless Remove() did.
  virtual ~MessageQueue() = default;

  // One send of n bytes with tag `tag`.
  virtual PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) = 0;
  // One receive.
  virtual PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) = 0;
  // One status call (IPC_STAT, mq_getattr).
  virtual PosixErrorOr<MqStatus> Status() = 0;
  // Removes the queue now (IPC_RMID; mq_unlink). Blocked callers of a System V
  // queue fail EIDRM (man 2 msgctl). Further calls here fail.
  virtual PosixError Remove() = 0;
  // "System V msqid 32768", "POSIX mq /ipcspec.12.3 (fd 5)".
  virtual std::string Describe() const = 0;
  // The endpoint another process's sender connects to (see
  // MessageQueueCaps::open_sender): "ipc:///tmp/z12_0",
  // "tcp://127.0.0.1:41234". Empty: none (a kernel queue is shared by fork).
  virtual std::string Address() const { return ""; }
  // The descriptor to poll(2)/select(2)/epoll(7) for readiness: readable
  // while a receive would take a message at once, writable while a send
  // would queue one (man 7 mq_overview: "On Linux, a message queue descriptor
  // is actually a file descriptor"). -1: none (System V queues, libraries);
  // suites/readiness then does not apply.
  virtual int fd() const { return -1; }
};

struct MessageQueueInstance {
  std::unique_ptr<MessageQueue> queue;
  MessageQueue* operator->() const { return queue.get(); }
  MessageQueue& operator*() const { return *queue; }
};

struct MessageQueueInterface {
  using Caps = MessageQueueCaps;
  using Instance = MessageQueueInstance;
  static constexpr const char* kName = "MessageQueue";
};

using MessageQueueKind = Kind<MessageQueueInterface>;

}  // namespace ipcspec
