// Reference POSIX message queues (man 7 mq_overview, man 3 mq_open,
// man 3 mq_send, man 3 mq_receive) as MessageQueue Kinds, and owners for a
// queue's name and descriptor.
#pragma once

#include <mqueue.h>

#include <memory>
#include <string>

#include "impl/api/message_queue.h"
#include "impl/core/file_descriptor.h"

namespace ipcspec {

// A name no other queue of this process uses: "/<stem>.<pid>.<n>".
std::string UniqueMqName(const std::string& stem = "ipcspec");

// Owns a POSIX message queue NAME: mq_unlink when it goes out of scope.
class PosixMqName {
 public:
  PosixMqName() = default;
  explicit PosixMqName(std::string name) : name_(std::move(name)) {}
  PosixMqName(PosixMqName&& o) noexcept : name_(o.release()) {}
  PosixMqName& operator=(PosixMqName&& o) noexcept;
  PosixMqName(const PosixMqName&) = delete;
  PosixMqName& operator=(const PosixMqName&) = delete;
  ~PosixMqName() { (void)reset(); }

  const std::string& get() const { return name_; }
  const char* c_str() const { return name_.c_str(); }
  bool valid() const { return !name_.empty(); }
  // Gives up ownership (the name stays).
  std::string release();
  // mq_unlink now (if owned), then owns `name`.
  PosixError reset(std::string name = "");

 private:
  std::string name_;
};

// On Linux a message queue descriptor is a file descriptor and mq_close is
// close(2) (man 7 mq_overview, "Linux implementation of message queue
// descriptors"), so FileDescriptor owns one.
using MqDescriptor = FileDescriptor;

// mq_open(name, oflag, 0600, attr): attr is used when maxmsg and msgsize are
// both > 0, NULL otherwise (the namespace's defaults).
PosixErrorOr<MqDescriptor> OpenMq(const std::string& name, int oflag, long maxmsg = 0,
                                  long msgsize = 0);
// mq_getattr.
PosixErrorOr<struct mq_attr> GetMqAttr(int mqd);

struct PosixMqOptions {
  long maxmsg = 0;   // 0 and 0: mq_open with attr NULL (the namespace's defaults)
  long msgsize = 0;
  bool nonblocking = false;  // the queue's descriptor is O_NONBLOCK
};

class PosixMq : public MessageQueue {
 public:
  static PosixErrorOr<std::unique_ptr<PosixMq>> Create(const PosixMqOptions& o);

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override;
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override;
  PosixErrorOr<MqStatus> Status() override;
  PosixError Remove() override;
  std::string Describe() const override;

  const std::string& name() const { return name_text_; }
  int fd() const override { return mqd_.get(); }

 private:
  PosixMq() = default;
  // The descriptor non-blocking calls use: the queue's own when it is
  // O_NONBLOCK, else a second one opened O_NONBLOCK on the same queue.
  int NonBlockingFd() const { return nb_mqd_.valid() ? nb_mqd_.get() : mqd_.get(); }

  std::string name_text_;
  PosixMqName name_;
  MqDescriptor mqd_;
  MqDescriptor nb_mqd_;
  size_t msgsize_ = 0;
};

// The caps of a queue made with these options (0 limits: the defaults).
MessageQueueCaps PosixMqCaps(const PosixMqOptions& o);

}  // namespace ipcspec
