#include "impl/sysv_msg/sysv_msg.h"

#include <sys/syscall.h>

#include <climits>
#include <algorithm>
#include <cstring>
#include <iterator>

namespace ipcspec {

SysvMsgId& SysvMsgId::operator=(SysvMsgId&& o) noexcept {
  if (this != &o) (void)reset(o.release());
  return *this;
}

int SysvMsgId::release() {
  int id = id_;
  id_ = -1;
  return id;
}

PosixError SysvMsgId::reset(int id) {
  int old = id_;
  id_ = id;
  if (old >= 0 && msgctl(old, IPC_RMID, nullptr) != 0) {
    return ErrnoError("msgctl(" + std::to_string(old) + ", IPC_RMID)");
  }
  return NoError();
}

PosixErrorOr<SysvMsgId> CreateSysvMsgId(size_t qbytes, key_t key, int mode) {
  int id = msgget(key, IPC_CREAT | IPC_EXCL | mode);
  if (id < 0) return ErrnoError("msgget(IPC_CREAT|IPC_EXCL)");
  SysvMsgId owner(id);
  if (qbytes > 0) {
    struct msqid_ds ds;
    if (msgctl(id, IPC_STAT, &ds) != 0) return ErrnoError("msgctl(IPC_STAT)");
    ds.msg_qbytes = qbytes;
    if (msgctl(id, IPC_SET, &ds) != 0) {
      return ErrnoError("msgctl(IPC_SET, msg_qbytes=" + std::to_string(qbytes) + ")");
    }
  }
  return owner;
}

PosixErrorOr<struct msqid_ds> SysvMsgStat(int id) {
  struct msqid_ds ds;
  if (msgctl(id, IPC_STAT, &ds) != 0) {
    return ErrnoError("msgctl(" + std::to_string(id) + ", IPC_STAT)");
  }
  return ds;
}

PosixErrorOr<struct msginfo> SysvMsgInfo() {
  struct msginfo info;
  std::memset(&info, 0, sizeof info);
  if (msgctl(0, IPC_INFO, reinterpret_cast<struct msqid_ds*>(&info)) < 0) {
    return ErrnoError("msgctl(IPC_INFO)");
  }
  return info;
}

PosixErrorOr<std::unique_ptr<SysvMsgQueue>> SysvMsgQueue::Create(size_t qbytes) {
  IPCSPEC_ASSIGN_OR_RETURN(struct msginfo info, SysvMsgInfo());
  IPCSPEC_ASSIGN_OR_RETURN(SysvMsgId id, CreateSysvMsgId(qbytes));
  return std::unique_ptr<SysvMsgQueue>(
      new SysvMsgQueue(std::move(id), static_cast<size_t>(info.msgmax)));
}

std::string SysvMsgQueue::Describe() const { return "System V msqid " + std::to_string(id()); }

PosixError SysvMsgQueue::Send(long tag, const uint8_t* data, size_t n, const MqWait& w) {
  if (w.mode == MqWait::Mode::kTimed) {
    return PosixError(EOPNOTSUPP, "msgsnd: System V has no timed send");
  }
  // struct msgbuf { long mtype; char mtext[n]; } (man 2 msgop)
  std::vector<uint8_t> buf(sizeof(long) + n);
  std::memcpy(buf.data(), &tag, sizeof tag);
  if (n > 0) std::memcpy(buf.data() + sizeof(long), data, n);
  int flags = w.mode == MqWait::Mode::kNonBlock ? IPC_NOWAIT : 0;
  if (msgsnd(id(), buf.data(), n, flags) != 0) {
    return ErrnoError("msgsnd(" + std::to_string(id()) + ", mtype=" + std::to_string(tag) + ", " +
                      std::to_string(n) + " bytes, " + ToString(w) + ")");
  }
  return NoError();
}

PosixErrorOr<MqMessage> SysvMsgQueue::Receive(const MqReceiveOptions& o, const MqWait& w) {
  if (w.mode == MqWait::Mode::kTimed) {
    return PosixError(EOPNOTSUPP, "msgrcv: System V has no timed receive");
  }
  size_t size = o.buffer ? *o.buffer : msgmax_;
  // Guard bytes after mtext[msgsz]: a kernel that writes past the buffer
  // fails this call with a message that says so, instead of corrupting the
  // heap and crashing the test binary somewhere else (gVisor's truncating
  // msgrcv writes one byte past; containers/divergences/gvisor.tsv).
  constexpr size_t kGuard = 16;
  constexpr uint8_t kGuardByte = 0xA5;
  std::vector<uint8_t> buf(sizeof(long) + size + kGuard, kGuardByte);
  int flags = (w.mode == MqWait::Mode::kNonBlock ? IPC_NOWAIT : 0) | (o.except ? MSG_EXCEPT : 0) |
              (o.truncate ? MSG_NOERROR : 0);
  ssize_t r = msgrcv(id(), buf.data(), size, o.type, flags);
  const int saved = errno;
  const auto guard = buf.begin() + static_cast<std::ptrdiff_t>(sizeof(long) + size);
  const auto past = std::find_if(std::make_reverse_iterator(buf.end()),
                                 std::make_reverse_iterator(guard),
                                 [](uint8_t b) { return b != kGuardByte; });
  if (past != std::make_reverse_iterator(guard)) {
    // The last byte written past mtext[msgsz] (a pattern byte written back
    // unchanged is not seen: a lower bound).
    const long n = static_cast<long>(past.base() - guard);
    return PosixError(EFAULT, "msgrcv(" + std::to_string(id()) + ", msgsz " +
                                  std::to_string(size) + ", " + ToString(o) + ", " + ToString(w) +
                                  ") returned " + std::to_string(r) + " and wrote " +
                                  std::to_string(n) + " byte(s) past mtext[msgsz]; man 2 msgop: "
                                  "\"msgsz specifies the maximum size in bytes for the member "
                                  "mtext\"");
  }
  errno = saved;
  if (r < 0) {
    return ErrnoError("msgrcv(" + std::to_string(id()) + ", " + ToString(o) + ", " + ToString(w) +
                      ")");
  }
  if (static_cast<size_t>(r) > size) {
    return PosixError(EFAULT, "msgrcv(" + std::to_string(id()) + ", msgsz " +
                                  std::to_string(size) + ") returned " + std::to_string(r) +
                                  ", more than msgsz");
  }
  MqMessage m;
  std::memcpy(&m.tag, buf.data(), sizeof m.tag);
  m.data.assign(buf.begin() + sizeof(long), buf.begin() + sizeof(long) + r);
  return m;
}

PosixErrorOr<MqStatus> SysvMsgQueue::Status() {
  IPCSPEC_ASSIGN_OR_RETURN(struct msqid_ds ds, SysvMsgStat(id()));
  MqStatus s;
  s.count = ds.msg_qnum;
  s.bytes = ds.__msg_cbytes;
  // man 2 msgop: full when the bytes OR the number of messages would exceed
  // msg_qbytes.
  s.max_count = ds.msg_qbytes;
  s.max_bytes = ds.msg_qbytes;
  s.max_message = msgmax_;
  s.nonblocking = false;
  return s;
}

PosixError SysvMsgQueue::Remove() {
  if (!owner_.valid()) return PosixError(EIDRM, "msgctl(" + std::to_string(id_) + ", IPC_RMID) twice");
  return owner_.reset();
}

MessageQueueCaps SysvMsgCaps(size_t qbytes) {
  MessageQueueCaps c;
  c.ordering = MqOrdering::kArrival;  // msgtyp 0: "the first message in the queue is read"
  c.min_tag = 1;                       // "The mtype field must have a strictly positive integer value"
  c.max_tag = LONG_MAX;
  c.bad_tag_errno = EINVAL;            // "EINVAL ... nonpositive mtype value"
  c.type_selection = true;
  c.truncate_option = true;
  c.buffer_must_cover_max_message = false;
  c.max_message = 0;                   // MSGMAX: the namespace's /proc/sys/kernel/msgmax
  c.capacity_count = qbytes;
  c.capacity_bytes = qbytes;
  c.limits_count = true;
  c.limits_bytes = true;
  c.oversize_errno = EINVAL;           // "invalid msgsz value (... greater than ... MSGMAX)"
  c.timed = false;
  c.nonblocking_by_default = false;
  c.full_errno = EAGAIN;
  c.empty_errno = ENOMSG;
  c.reports_bytes = true;              // msg_cbytes
  c.fork_shares = true;
  c.send_syscalls = {SYS_msgsnd};
  c.receive_syscalls = {SYS_msgrcv};
  return c;
}

namespace {

PosixErrorOr<MessageQueueInstance> OpenSysv(size_t qbytes) {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<SysvMsgQueue> q, SysvMsgQueue::Create(qbytes));
  return MessageQueueInstance{std::move(q)};
}

// A small queue: 12 bytes and so also at most 12 messages, reached in a few
// steps.
constexpr size_t kSmallQbytes = 12;

// The same queue as C, for the reproducers (impl/repro): what
// SysvMsgQueue::Create does. `q` is the msqid, `q_msgmax` the namespace's
// MSGMAX (the receive buffer when a step names none). Teardown removes the
// queue (IPC_RMID) also after a failure or a hang (the runtime's teardown()).
CSnippet SysvMsgC(size_t qbytes) {
  CSnippet c;
  c.includes = "#include <sys/ipc.h>\n#include <sys/msg.h>\n";
  c.globals =
      "static int q = -1;       /* the msqid */\n"
      "static size_t q_msgmax;  /* MSGMAX: msgctl(IPC_INFO) */\n";
  c.setup =
      "{\n"
      "  struct msginfo info;\n"
      "  memset(&info, 0, sizeof info);\n"
      "  if (msgctl(0, IPC_INFO, (struct msqid_ds *)&info) < 0) setup_failed(\"msgctl(IPC_INFO)\");\n"
      "  q_msgmax = (size_t)info.msgmax;\n"
      "  q = msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600);\n"
      "  if (q < 0) setup_failed(\"msgget(IPC_PRIVATE, IPC_CREAT | IPC_EXCL | 0600)\");\n";
  if (qbytes > 0) {
    c.setup +=
        "  {\n"
        "    struct msqid_ds ds;\n"
        "    if (msgctl(q, IPC_STAT, &ds) != 0) setup_failed(\"msgctl(IPC_STAT)\");\n"
        "    ds.msg_qbytes = " + std::to_string(qbytes) + ";  /* lowering needs no privilege */\n"
        "    if (msgctl(q, IPC_SET, &ds) != 0) setup_failed(\"msgctl(IPC_SET, msg_qbytes)\");\n"
        "  }\n";
  }
  c.setup += "}\n";
  c.teardown = "if (q >= 0 && msgctl(q, IPC_RMID, NULL) == 0) q = -1;\n";
  return c;
}

IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      WithC(MessageQueueKind{"sysv_msg", "sysv_msg",
                                             "msgget(IPC_PRIVATE) with the namespace's MSGMNB",
                                             SysvMsgCaps(0), [] { return OpenSysv(0); }},
                            SysvMsgC(0)));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      WithC(MessageQueueKind{"sysv_msg_small", "sysv_msg",
                                             "msgget(IPC_PRIVATE), msg_qbytes lowered to 12 by "
                                             "IPC_SET",
                                             SysvMsgCaps(kSmallQbytes),
                                             [] { return OpenSysv(kSmallQbytes); }},
                            SysvMsgC(kSmallQbytes)));

}  // namespace
}  // namespace ipcspec
