// A MessageQueue that loses a message after an interrupted receive: once a
// receive has failed EINTR, the next message that arrives is thrown away.
// SignalIntoBlockedReceiveLosesNothing
// (suites/message_queue/message_queue_fault_properties.cc) must catch it
// (//suites/selftest/message_queue).
#include <atomic>
#include <cerrno>

#include "impl/api/message_queue.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

constexpr PosixMqOptions kQueue{4, 32, false};

class LosesAfterEintr : public MessageQueue {
 public:
  explicit LosesAfterEintr(std::unique_ptr<MessageQueue> inner) : inner_(std::move(inner)) {}
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    return inner_->Send(tag, data, n, w);
  }
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    PosixErrorOr<MqMessage> m = inner_->Receive(o, w);
    if (!m.ok() && m.error().errno_value() == EINTR) {
      interrupted_ = true;
      return m;
    }
    if (m.ok() && interrupted_.exchange(false)) return inner_->Receive(o, w);  // drops m
    return m;
  }
  PosixErrorOr<MqStatus> Status() override { return inner_->Status(); }
  PosixError Remove() override { return inner_->Remove(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 private:
  std::unique_ptr<MessageQueue> inner_;
  std::atomic<bool> interrupted_{false};
};

PosixErrorOr<MessageQueueInstance> Open() {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(kQueue));
  return MessageQueueInstance{std::make_unique<LosesAfterEintr>(std::move(q))};
}

MessageQueueKind Make() {
  MessageQueueKind k{"mutant_posix_mq_loses_after_eintr", "posix_mq",
                     "POSIX mq that drops the next message after a receive failed EINTR",
                     PosixMqCaps(kQueue), Open};
  k.mutant = true;
  k.base = "posix_mq";
  k.mutant_bug = "after an interrupted receive, the next message is lost";
  return k;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface, Make());

}  // namespace
}  // namespace ipcspec
