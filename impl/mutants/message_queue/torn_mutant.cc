// A queue that can expose a torn message: a message above 16 bytes is sent as
// two messages (its halves) and put back together on receive. Nothing shows
// until the sender dies between the two halves: then a receiver gets half a
// message. The fault scenario KilledSenderLeavesWholeMessages must catch it.
#include <unistd.h>

#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

constexpr PosixMqOptions kInner{8, 32, false};

class ChunkingQueue : public MessageQueue {
 public:
  explicit ChunkingQueue(std::unique_ptr<PosixMq> inner) : inner_(std::move(inner)) {}

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    if (n <= 16) return SendPart(tag, 0, data, n, w);
    size_t half = n / 2;
    IPCSPEC_RETURN_IF_ERROR(SendPart(tag, 1, data, half, w));
    return SendPart(tag, 0, data + half, n - half, w);
  }

  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    IPCSPEC_ASSIGN_OR_RETURN(MqMessage m, inner_->Receive(MqReceiveOptions{}, w));
    bool more = !m.data.empty() && m.data[0] == 1;
    if (!m.data.empty()) m.data.erase(m.data.begin());
    if (more) {
      auto rest = inner_->Receive(MqReceiveOptions{}, MqWait::NonBlock());
      if (rest.ok() && !rest.value().data.empty()) {
        m.data.insert(m.data.end(), rest.value().data.begin() + 1, rest.value().data.end());
      }
      // else: the second half never came; the first half is returned as is.
    }
    return m;
  }

  PosixErrorOr<MqStatus> Status() override { return inner_->Status(); }
  PosixError Remove() override { return inner_->Remove(); }
  std::string Describe() const override { return "chunking " + inner_->Describe(); }

 private:
  PosixError SendPart(long tag, uint8_t marker, const uint8_t* d, size_t n, const MqWait& w) {
    std::vector<uint8_t> buf(n + 1);
    buf[0] = marker;
    std::copy(d, d + n, buf.begin() + 1);
    return inner_->Send(tag, buf.data(), buf.size(), w);
  }
  std::unique_ptr<PosixMq> inner_;
};

MessageQueueKind TornMutant() {
  MessageQueueCaps caps = PosixMqCaps(kInner);
  caps.max_message = 31;  // one byte of each inner message is the marker
  MessageQueueKind k{"mutant_posix_mq_torn", "posix_mq",
                     "POSIX mq that sends a message above 16 bytes as two halves", caps,
                     []() -> PosixErrorOr<MessageQueueInstance> {
                       IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(kInner));
                       return MessageQueueInstance{std::make_unique<ChunkingQueue>(std::move(q))};
                     }};
  k.mutant = true;
  k.base = "posix_mq";
  k.mutant_bug = "a message above 16 bytes is sent as two messages, so a sender killed between "
                 "them leaves a torn message";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, TornMutant());

}  // namespace
}  // namespace ipcspec
