#include "impl/posix_mq/posix_mq.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>

namespace ipcspec {

std::string UniqueMqName(const std::string& stem) {
  static std::atomic<unsigned> counter{0};
  return "/" + stem + "." + std::to_string(getpid()) + "." + std::to_string(counter++);
}

PosixMqName& PosixMqName::operator=(PosixMqName&& o) noexcept {
  if (this != &o) (void)reset(o.release());
  return *this;
}

std::string PosixMqName::release() { return std::exchange(name_, std::string()); }

PosixError PosixMqName::reset(std::string name) {
  std::string old = std::exchange(name_, std::move(name));
  if (!old.empty() && mq_unlink(old.c_str()) != 0) return ErrnoError("mq_unlink(" + old + ")");
  return NoError();
}

PosixErrorOr<MqDescriptor> OpenMq(const std::string& name, int oflag, long maxmsg,
                                  long msgsize) {
  struct mq_attr attr = {};
  attr.mq_maxmsg = maxmsg;
  attr.mq_msgsize = msgsize;
  bool use_attr = maxmsg > 0 || msgsize > 0;
  mqd_t q = mq_open(name.c_str(), oflag, 0600, use_attr ? &attr : nullptr);
  if (q == static_cast<mqd_t>(-1)) {
    return ErrnoError("mq_open(" + name + ", oflag=0" + [&] {
      char b[16];
      snprintf(b, sizeof b, "%o", oflag);
      return std::string(b);
    }() + (use_attr ? ", mq_maxmsg=" + std::to_string(maxmsg) + " mq_msgsize=" +
                          std::to_string(msgsize)
                    : std::string(", attr=NULL")) +
                      ")");
  }
  return MqDescriptor(q);
}

PosixErrorOr<struct mq_attr> GetMqAttr(int mqd) {
  struct mq_attr a;
  if (mq_getattr(mqd, &a) != 0) return ErrnoError("mq_getattr(" + std::to_string(mqd) + ")");
  return a;
}

PosixErrorOr<std::unique_ptr<PosixMq>> PosixMq::Create(const PosixMqOptions& o) {
  std::unique_ptr<PosixMq> q(new PosixMq());
  q->name_text_ = UniqueMqName();
  int base = O_RDWR | O_CLOEXEC;
  IPCSPEC_ASSIGN_OR_RETURN(
      q->mqd_, OpenMq(q->name_text_, base | O_CREAT | O_EXCL | (o.nonblocking ? O_NONBLOCK : 0),
                      o.maxmsg, o.msgsize));
  q->name_ = PosixMqName(q->name_text_);
  if (!o.nonblocking) {
    IPCSPEC_ASSIGN_OR_RETURN(q->nb_mqd_, OpenMq(q->name_text_, base | O_NONBLOCK));
  }
  IPCSPEC_ASSIGN_OR_RETURN(struct mq_attr a, GetMqAttr(q->mqd_.get()));
  q->msgsize_ = static_cast<size_t>(a.mq_msgsize);
  return q;
}

std::string PosixMq::Describe() const {
  return "POSIX mq " + name_text_ + " (fd " + std::to_string(mqd_.get()) + ")";
}

PosixError PosixMq::Send(long tag, const uint8_t* data, size_t n, const MqWait& w) {
  // A zero-length message is legal, but glibc declares msg_ptr non-null
  // (UBSan caught an empty vector's null data() here).
  static const char kNothing = 0;
  const char* p = data != nullptr ? reinterpret_cast<const char*>(data) : &kNothing;
  unsigned prio = static_cast<unsigned>(tag);
  if (tag < 0) prio = static_cast<unsigned>(-1);  // out of range either way
  int r;
  switch (w.mode) {
    case MqWait::Mode::kBlock:
      r = mq_send(mqd_.get(), p, n, prio);
      break;
    case MqWait::Mode::kNonBlock:
      r = mq_send(NonBlockingFd(), p, n, prio);
      break;
    case MqWait::Mode::kTimed:
    default:
      r = mq_timedsend(mqd_.get(), p, n, prio, &w.abs_timeout);
      break;
  }
  if (r != 0) {
    return ErrnoError("mq_send(" + name_text_ + ", prio=" + std::to_string(tag) + ", " +
                      std::to_string(n) + " bytes, " + ToString(w) + ")");
  }
  return NoError();
}

PosixErrorOr<MqMessage> PosixMq::Receive(const MqReceiveOptions& o, const MqWait& w) {
  if (o.type != 0 || o.except || o.truncate) {
    return PosixError(EINVAL, "mq_receive: POSIX queues have no type selection or MSG_NOERROR");
  }
  size_t size = o.buffer ? *o.buffer : msgsize_;
  MqMessage m;
  m.data.resize(size);
  char* p = reinterpret_cast<char*>(m.data.data());
  unsigned prio = 0;
  ssize_t r;
  switch (w.mode) {
    case MqWait::Mode::kBlock:
      r = mq_receive(mqd_.get(), p, size, &prio);
      break;
    case MqWait::Mode::kNonBlock:
      r = mq_receive(NonBlockingFd(), p, size, &prio);
      break;
    case MqWait::Mode::kTimed:
    default:
      r = mq_timedreceive(mqd_.get(), p, size, &prio, &w.abs_timeout);
      break;
  }
  if (r < 0) {
    return ErrnoError("mq_receive(" + name_text_ + ", " + ToString(o) + ", " + ToString(w) + ")");
  }
  m.data.resize(static_cast<size_t>(r));
  m.tag = static_cast<long>(prio);
  return m;
}

PosixErrorOr<MqStatus> PosixMq::Status() {
  IPCSPEC_ASSIGN_OR_RETURN(struct mq_attr a, GetMqAttr(mqd_.get()));
  MqStatus s;
  s.count = static_cast<size_t>(a.mq_curmsgs);
  s.max_count = static_cast<size_t>(a.mq_maxmsg);
  s.max_bytes = 0;
  s.max_message = static_cast<size_t>(a.mq_msgsize);
  s.nonblocking = (a.mq_flags & O_NONBLOCK) != 0;
  return s;
}

PosixError PosixMq::Remove() {
  if (!name_.valid()) return PosixError(ENOENT, "mq_unlink(" + name_text_ + ") twice");
  PosixError e = name_.reset();
  nb_mqd_.reset();
  mqd_.reset();
  return e;
}

MessageQueueCaps PosixMqCaps(const PosixMqOptions& o) {
  MessageQueueCaps c;
  c.ordering = MqOrdering::kPriority;
  c.min_tag = 0;
  // man 7 mq_overview: "Message priorities range from 0 (low) to
  // sysconf(_SC_MQ_PRIO_MAX) - 1 (high)."
  c.max_tag = sysconf(_SC_MQ_PRIO_MAX) - 1;
  c.bad_tag_errno = EINVAL;
  c.type_selection = false;
  c.truncate_option = false;
  c.buffer_must_cover_max_message = true;
  c.max_message = static_cast<size_t>(o.msgsize);
  c.capacity_count = static_cast<size_t>(o.maxmsg);
  c.capacity_bytes = 0;
  c.limits_count = true;
  c.limits_bytes = false;
  c.oversize_errno = EMSGSIZE;
  c.timed = true;
  c.nonblocking_by_default = o.nonblocking;
  c.full_errno = EAGAIN;
  c.empty_errno = EAGAIN;
  c.reports_bytes = false;
  c.fork_shares = true;
  c.send_syscalls = {SYS_mq_timedsend};
  c.receive_syscalls = {SYS_mq_timedreceive};
  return c;
}

namespace {

PosixErrorOr<MessageQueueInstance> OpenPosix(PosixMqOptions o) {
  IPCSPEC_ASSIGN_OR_RETURN(std::unique_ptr<PosixMq> q, PosixMq::Create(o));
  return MessageQueueInstance{std::move(q)};
}

// Small limits so that a few steps reach them.
// The same queue as C, for the reproducers (impl/repro): what PosixMq::Create
// does. `q` is the descriptor of blocking calls, `q_nb` an O_NONBLOCK one.
CSnippet PosixMqC(const PosixMqOptions& o) {
  CSnippet c;
  c.includes = "#include <mqueue.h>\n";
  c.libs = "-lrt";
  c.globals =
      "static mqd_t q = (mqd_t)-1, q_nb = (mqd_t)-1;  /* blocking and O_NONBLOCK descriptors */\n"
      "static size_t q_msgsize;\n"
      "static char qname[64];\n"
      "static int q_made;\n";
  std::string oflag = std::string("O_RDWR | O_CLOEXEC | O_CREAT | O_EXCL") +
                      (o.nonblocking ? " | O_NONBLOCK" : "");
  c.setup = "{\n  struct mq_attr attr;\n  memset(&attr, 0, sizeof attr);\n";
  if (o.maxmsg > 0 || o.msgsize > 0) {
    c.setup += "  attr.mq_maxmsg = " + std::to_string(o.maxmsg) + ";\n  attr.mq_msgsize = " +
               std::to_string(o.msgsize) + ";\n";
  }
  c.setup +=
      "  snprintf(qname, sizeof qname, \"/ipcspec-repro.%d\", (int)getpid());\n"
      "  q = mq_open(qname, " + oflag + ", 0600, " +
      ((o.maxmsg > 0 || o.msgsize > 0) ? "&attr" : "NULL") + ");\n"
      "  if (q == (mqd_t)-1) setup_failed(\"mq_open\");\n"
      "  q_made = 1;\n";
  if (o.nonblocking) {
    c.setup += "  q_nb = q;\n";
  } else {
    c.setup +=
        "  q_nb = mq_open(qname, O_RDWR | O_CLOEXEC | O_NONBLOCK);\n"
        "  if (q_nb == (mqd_t)-1) setup_failed(\"mq_open(O_NONBLOCK)\");\n";
  }
  c.setup +=
      "  if (mq_getattr(q, &attr) != 0) setup_failed(\"mq_getattr\");\n"
      "  q_msgsize = (size_t)attr.mq_msgsize;\n"
      "}\n";
  c.teardown =
      "if (q_nb != (mqd_t)-1 && q_nb != q) mq_close(q_nb);\n"
      "if (q != (mqd_t)-1) mq_close(q);\n"
      "if (q_made) mq_unlink(qname);\n";
  return c;
}

constexpr PosixMqOptions kSmall{4, 32, false};
constexpr PosixMqOptions kSmallNonBlocking{4, 32, true};
constexpr PosixMqOptions kDefaults{0, 0, false};

IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      WithC(MessageQueueKind{"posix_mq", "posix_mq",
                                             "mq_open(O_RDWR), mq_maxmsg 4, mq_msgsize 32",
                                             PosixMqCaps(kSmall), [] { return OpenPosix(kSmall); }},
                            PosixMqC(kSmall)));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      WithC(MessageQueueKind{"posix_mq_nonblock", "posix_mq",
                                             "mq_open(O_RDWR|O_NONBLOCK), mq_maxmsg 4, mq_msgsize 32",
                                             PosixMqCaps(kSmallNonBlocking),
                                             [] { return OpenPosix(kSmallNonBlocking); }},
                            PosixMqC(kSmallNonBlocking)));
IPCSPEC_REGISTER_KIND(MessageQueueInterface,
                      WithC(MessageQueueKind{"posix_mq_default", "posix_mq",
                                             "mq_open(O_RDWR) with attr NULL: the namespace's "
                                             "msg_default and msgsize_default",
                                             PosixMqCaps(kDefaults),
                                             [] { return OpenPosix(kDefaults); }},
                            PosixMqC(kDefaults)));

}  // namespace
}  // namespace ipcspec
