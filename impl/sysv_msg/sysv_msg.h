// Reference System V message queues (man 7 sysvipc, man 2 msgop,
// man 2 msgctl) as MessageQueue Kinds, and an owner for a raw msqid.
#pragma once

#include <sys/ipc.h>
#include <sys/msg.h>

#include <memory>

#include "impl/api/message_queue.h"

namespace ipcspec {

// Owns one System V message queue id: IPC_RMID when it goes out of scope.
class SysvMsgId {
 public:
  SysvMsgId() = default;
  explicit SysvMsgId(int id) : id_(id) {}
  SysvMsgId(SysvMsgId&& o) noexcept : id_(o.release()) {}
  SysvMsgId& operator=(SysvMsgId&& o) noexcept;
  SysvMsgId(const SysvMsgId&) = delete;
  SysvMsgId& operator=(const SysvMsgId&) = delete;
  ~SysvMsgId() { (void)reset(); }

  int get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  // Gives up ownership (the queue stays).
  int release();
  // IPC_RMID now (if owned), then owns `id`.
  PosixError reset(int id = -1);

 private:
  int id_ = -1;
};

// msgget(key, IPC_CREAT | IPC_EXCL | mode); if qbytes > 0, then IPC_SET of
// msg_qbytes (lowering needs no privilege; raising above MSGMNB needs
// CAP_SYS_RESOURCE).
PosixErrorOr<SysvMsgId> CreateSysvMsgId(size_t qbytes = 0, key_t key = IPC_PRIVATE,
                                        int mode = 0600);

// IPC_STAT.
PosixErrorOr<struct msqid_ds> SysvMsgStat(int id);

// The namespace's msginfo (IPC_INFO): msgmax, msgmnb, msgmni.
PosixErrorOr<struct msginfo> SysvMsgInfo();

class SysvMsgQueue : public MessageQueue {
 public:
  // A new private queue; qbytes as for CreateSysvMsgId.
  static PosixErrorOr<std::unique_ptr<SysvMsgQueue>> Create(size_t qbytes);

  PosixError Send(long tag, const uint8_t* data, size_t n, const MqWait& w) override;
  PosixErrorOr<MqMessage> Receive(const MqReceiveOptions& o, const MqWait& w) override;
  PosixErrorOr<MqStatus> Status() override;
  PosixError Remove() override;
  std::string Describe() const override;

  // The msqid (kept after Remove(), so that later calls fail in the kernel).
  int id() const { return id_; }

 private:
  SysvMsgQueue(SysvMsgId owner, size_t msgmax)
      : id_(owner.get()), owner_(std::move(owner)), msgmax_(msgmax) {}
  int id_;
  SysvMsgId owner_;
  size_t msgmax_;
};

// The caps of a System V queue whose msg_qbytes is `qbytes` (0: MSGMNB).
MessageQueueCaps SysvMsgCaps(size_t qbytes);

}  // namespace ipcspec
