#include "suites/message_queue/message_queue_high_water_mark.h"

#include <chrono>
#include <string>
#include <vector>

#include "rapidcheck.h"
#include "suites/message_queue/message_queue_cites.h"
#include "suites/message_queue/message_queue_model.h"
#include "suites/nonblocking/never_sleeps.h"

namespace ipcspec {
namespace message_queue_internal {

namespace {

constexpr size_t kHighWaterMaxMessages = 4000000;

}  // namespace

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
        // At the mark, a non-blocking send fails at once, never sleeping
        // (issue 14; the never-sleeps property of suites/nonblocking leaves
        // this queue to the fill above, which it would only repeat). One
        // that succeeds (asynchronous delivery gave credit back) is one more
        // message to drain.
        if (refused != 0) {
          NeverSleepsResult ns = CheckNeverSleeps(
              "Send(NonBlock) at the high-water mark", {c.full_errno}, [&]() -> PosixError {
                while (static_cast<size_t>(sent) * size < bound && sent < kHighWaterMaxMessages) {
                  std::vector<uint8_t> b = Body(sent + 1, size);
                  PosixError e = q.Send(tag, b.data(), b.size(), MqWait::NonBlock());
                  if (!e.ok()) return e;
                  ++sent;
                }
                return NoError();
              });
          if (!ns.passed) RC_FAIL(ns.message + " (" + CiteFull(c) + ")");
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

}  // namespace message_queue_internal
}  // namespace ipcspec
