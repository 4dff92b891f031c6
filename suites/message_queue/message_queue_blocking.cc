#include "suites/message_queue/message_queue_blocking.h"

#include "impl/repro/repro.h"

#include <sys/syscall.h>

#include <algorithm>
#include <memory>
#include <sstream>

#include "impl/core/blocked.h"
#include "impl/core/coverage.h"
#include "impl/core/deadline.h"
#include "impl/core/process.h"
#include "rapidcheck.h"
#include "suites/message_queue/message_queue_cites.h"

namespace ipcspec {
namespace message_queue_internal {

namespace {

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

// --- as C (impl/repro) -------------------------------------------------------

// A POSIX queue's Kind prints its commands (q, q_nb, q_msgsize and the
// helpers of MqReproPrelude); another queue's forked blocked call does not
// (yet).
bool PosixMq(const MessageQueueCaps& c) {
  return std::find(c.send_syscalls.begin(), c.send_syscalls.end(), SYS_mq_timedsend) !=
         c.send_syscalls.end();
}

unsigned Prio(long tag) { return static_cast<unsigned>(tag); }

// mq_receive into a fresh buffer; the message must be #stamp (size bytes,
// priority tag). `what` names the call in the failure.
std::string ReceiveC(const char* queue, long tag, size_t size, uint32_t stamp,
                     const std::string& promise, const std::string& what) {
  std::ostringstream c;
  c << "{\n  char *buf = malloc(q_msgsize + 1);\n  unsigned prio = 0;\n  ssize_t n;\n"
    << "  if (buf == NULL) setup_failed(\"malloc\");\n"
    << "  n = mq_receive(" << queue << ", buf, q_msgsize, &prio);\n"
    << "  if (n < 0)\n    broken(" << repro::Lit(promise) << ", \"%s: failed %s\", "
    << repro::Lit(what) << ", errname(errno));\n"
    << "  if ((size_t)n != " << size << "u || prio != " << Prio(tag) << "u || memcmp(buf, body("
    << stamp << "u, " << size << "u), " << size << "u) != 0)\n"
    << "    broken(" << repro::Lit(promise) << ",\n           \"%s: got %zd bytes of priority %u, "
    << "not message #" << stamp << " (" << size << " bytes, priority " << Prio(tag) << ")\", "
    << repro::Lit(what) << ", n, prio);\n"
    << "  free(buf);\n}\n";
  return c.str();
}

std::string SendC(const char* queue, long tag, size_t size, uint32_t stamp,
                  const std::string& promise, const std::string& what) {
  std::ostringstream c;
  c << "if (mq_send(" << queue << ", (const char *)body(" << stamp << "u, " << size << "u), "
    << size << "u, " << Prio(tag) << "u) != 0)\n"
    << "  broken(" << repro::Lit(promise) << ", \"%s: failed %s\", " << repro::Lit(what)
    << ", errname(errno));\n";
  return c.str();
}

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
    if (auto* rec = repro::Active()) {
      if (!PosixMq(m.caps())) {
        rec->Unprintable("a forked blocked call on a queue other than POSIX: " + Shown(*this));
      } else {
        const MessageQueueCaps& cc = m.caps();
        const int b = rec->NextBlocked();
        const Stored& s = m.queue[*m.Select({})];
        const std::string blocks = CiteBlocks(cc, true);
        rec->ForkBlocked(b, "child: blocking send(tag=" + std::to_string(tag_) + ", " +
                                std::to_string(size_) + " bytes #" + std::to_string(stamp_) +
                                ") into the full queue (" + m.Describe() + "): it blocks",
                         SendC("q", tag_, size_, stamp_, blocks, "the blocked mq_send, woken by a receive"),
                         cc.send_syscalls, blocks, "the blocked send completes once a receive makes room: " + blocks);
        rec->Step("receive() to make room: message #" + std::to_string(s.stamp),
                  ReceiveC("q_nb", s.tag, s.size, s.stamp, CiteWhich(cc),
                           "the non-blocking mq_receive with a sender blocked"),
                  "a receive from a non-empty queue returns at once");
        rec->AwaitChild(b, "the blocked send returns",
                        "the blocked send completes once a receive makes room: " + blocks);
        rec->Step("mq_getattr: the queue holds " + std::to_string(m.queue.size()) + " message(s)",
                  "check_count(" + std::to_string(m.queue.size()) + ", " +
                      repro::Lit(CiteCounters(cc)) + ", \"after the blocked send completed\");\n",
                  "mq_getattr returns at once");
      }
    }
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
    if (auto* rec = repro::Active()) {
      if (!PosixMq(m.caps()) || type_selection_) {
        rec->Unprintable("a forked blocked call on a queue other than POSIX: " + Shown(*this));
      } else {
        const MessageQueueCaps& cc = m.caps();
        const int b = rec->NextBlocked();
        const std::string blocks = CiteBlocks(cc, false);
        rec->ForkBlocked(b, "child: blocking receive() from the empty queue: it blocks",
                         ReceiveC("q", tag_, size_, stamp_, blocks,
                                  "the blocked mq_receive, woken by a send"),
                         cc.receive_syscalls, blocks,
                         "the blocked receive returns the message sent: " + blocks);
        rec->Step("send(tag=" + std::to_string(tag_) + ", " + std::to_string(size_) + " bytes #" +
                      std::to_string(stamp_) + ") to wake it",
                  SendC("q_nb", tag_, size_, stamp_, CiteFits(cc), "the waking mq_send"),
                  "a send into a queue with room returns at once");
        rec->AwaitChild(b, "the blocked receive returns",
                        "the blocked receive returns the message sent: " + blocks);
        rec->Step("mq_getattr: the queue is empty again",
                  "check_count(0, " + repro::Lit(CiteCounters(cc)) +
                      ", \"after the blocked receiver took the message\");\n",
                  "mq_getattr returns at once");
      }
    }
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

}  // namespace

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
        auto take = MakeReceive(MqReceiveOptions{}, MqWait::Mode::kNonBlock, Timeout::kNone);
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
        auto send = MakeSend(GenTag(filled, plain, false), size, filled.next_stamp,
                             MqWait::Mode::kNonBlock, Timeout::kNone);
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
      push(MakeReceive(MqReceiveOptions{}, MqWait::Mode::kNonBlock, Timeout::kNone));
    }
    size_t size = Uniform<size_t>(0, std::min<size_t>(max, 8) + 1);
    push(std::make_shared<BlockedReceiveCmd>(GenTag(m, plain, false), size, m.next_stamp,
                                             c.type_selection));
    return out;
  });
}

}  // namespace message_queue_internal
}  // namespace ipcspec
