// The base of the MessageQueue mutants: forwards every call to a real queue;
// a mutant overrides the one it breaks.
#pragma once

#include <memory>
#include <string>

#include "impl/api/message_queue.h"

namespace ipcspec {

class ForwardingQueue : public MessageQueue {
 public:
  explicit ForwardingQueue(std::unique_ptr<MessageQueue> inner) : inner_(std::move(inner)) {}
  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override {
    return inner_->Send(tag, data, n, w);
  }
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override {
    return inner_->Receive(o, w);
  }
  PosixErrorOr<MqStatus> Status() override { return inner_->Status(); }
  PosixError Remove() override { return inner_->Remove(); }
  std::string Describe() const override { return "mutant over " + inner_->Describe(); }

 protected:
  std::unique_ptr<MessageQueue> inner_;
};

}  // namespace ipcspec
