#include "suites/message_queue/message_queue_model.h"

#include <algorithm>
#include <unordered_map>

#include "impl/core/coverage.h"
#include "impl/core/property.h"
#include "impl/repro/repro.h"
#include "rapidcheck.h"
#include "suites/message_queue/message_queue_cites.h"

namespace ipcspec {
namespace message_queue_internal {

// The bytes of message `stamp`: distinct for distinct stamps.
std::vector<uint8_t> Body(uint32_t stamp, size_t size) {
  std::vector<uint8_t> b(size);
  uint32_t x = stamp * 2654435761u + 0x9e3779b9u;
  for (size_t i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = static_cast<uint8_t>(x);
  }
  return b;
}

MqWait MakeWait(MqWait::Mode mode, Timeout t) {
  switch (mode) {
    case MqWait::Mode::kBlock:
      return MqWait::Block();
    case MqWait::Mode::kNonBlock:
      return MqWait::NonBlock();
    case MqWait::Mode::kTimed:
      break;
  }
  switch (t) {
    case Timeout::kSoon:
      return MqWait::Within(std::chrono::microseconds(200));
    case Timeout::kInvalid:
      return MqWait::Until({0, 1000000000});  // tv_nsec out of range
    case Timeout::kPast:
    case Timeout::kNone:
      break;
  }
  return MqWait::Expired();
}

std::string ShowWait(MqWait::Mode mode, Timeout t) {
  switch (mode) {
    case MqWait::Mode::kBlock:
      return "blocking";
    case MqWait::Mode::kNonBlock:
      return "non-blocking";
    case MqWait::Mode::kTimed:
      break;
  }
  switch (t) {
    case Timeout::kSoon:
      return "timed(now+200us)";
    case Timeout::kInvalid:
      return "timed(tv_nsec=1000000000)";
    default:
      return "timed(already expired)";
  }
}

std::string ErrnoText(int e) { return e == 0 ? "success" : ErrnoName(e); }

// Checks the queue's counters against the model (before a blocking call,
// so that a queue that lost or gained a message fails here instead of
// hanging).
void CheckCounters(const Model& m, MessageQueue& q, const std::string& when) {
  auto st = q.Status();
  if (!st.ok()) RC_FAIL("Status() " + when + ": " + st.error().ToString());
  const MqStatus& s = st.value();
  if ((m.caps().reports_count && s.count != m.queue.size()) ||
      (m.caps().reports_bytes && s.bytes.has_value() && *s.bytes != m.bytes)) {
    RC_FAIL("Status() " + when + " reports " + s.ToString() + " but the model holds " +
            m.Describe() + "\n" + CiteCounters(m.caps()));
  }
}

// ---------------------------------------------------------------------------
// The commands as C (impl/repro), for the Kinds that print themselves (POSIX
// queues: `q` blocking, `q_nb` non-blocking, `q_msgsize`).

using repro::Lit;

void MqReproPrelude() {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  rec->Include("<mqueue.h>");
  rec->Include("<time.h>");
  rec->Link("-lrt");
  rec->Helper("mq_helpers", R"C(/* The bytes of message #stamp, as ipcspec sends them. */
static const unsigned char *body(uint32_t stamp, size_t size) {
  static unsigned char *b;
  static size_t cap;
  uint32_t x = stamp * 2654435761u + 0x9e3779b9u;
  size_t i;
  if (size + 1 > cap) {
    free(b);
    cap = size + 1;
    b = malloc(cap);
    if (b == NULL) setup_failed("malloc");
  }
  for (i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = (unsigned char)x;
  }
  return b;
}

static const char *errname(int e) {
  switch (e) {
    case 0: return "success";
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case EMSGSIZE: return "EMSGSIZE";
    case ETIMEDOUT: return "ETIMEDOUT";
    case E2BIG: return "E2BIG";
    case ENOMSG: return "ENOMSG";
    case EINTR: return "EINTR";
    case EBADF: return "EBADF";
    default: return strerror(e);
  }
}

static struct timespec timeout_in_200us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ts.tv_nsec += 200000;
  if (ts.tv_nsec >= 1000000000) {
    ts.tv_sec += 1;
    ts.tv_nsec -= 1000000000;
  }
  return ts;
}

/* The messages the queue holds (the model's list), to name the one that came. */
struct held { uint32_t stamp; size_t size; unsigned tag; };
static const char *which(const unsigned char *got, ssize_t n, unsigned tag, const struct held *h, size_t count) {
  static char out[64];
  size_t i;
  for (i = 0; i < count; ++i)
    if (h[i].tag == tag && (size_t)n <= h[i].size && memcmp(got, body(h[i].stamp, h[i].size), (size_t)n) == 0) {
      snprintf(out, sizeof out, "message #%u", (unsigned)h[i].stamp);
      return out;
    }
  return "an unknown message";
}

/* mq_getattr: the queue holds `count` messages. */
static void check_count(long count, const char *promise, const char *when) {
  struct mq_attr a;
  if (mq_getattr(q, &a) != 0) setup_failed("mq_getattr");
  if (a.mq_curmsgs != count)
    broken(promise, "mq_getattr %s: mq_curmsgs is %ld; the queue holds %ld message(s)", when,
           (long)a.mq_curmsgs, count);
}
)C");
}


// The System V form (msgsnd / msgrcv / msgctl) of the same commands, for the
// sysv_msg Kinds (impl/sysv_msg: `q` is the msqid, `q_msgmax` MSGMAX). Each
// helper goes into a reproducer only when a step uses it.
namespace {
const std::string& SysvC_body() {
  static const std::string c = R"C(/* The bytes of message #stamp, as ipcspec sends them. */
static const unsigned char *body(uint32_t stamp, size_t size) {
  static unsigned char *b;
  static size_t cap;
  uint32_t x = stamp * 2654435761u + 0x9e3779b9u;
  size_t i;
  if (size + 1 > cap) {
    free(b);
    cap = size + 1;
    b = malloc(cap);
    if (b == NULL) setup_failed("malloc");
  }
  for (i = 0; i < size; ++i) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b[i] = (unsigned char)x;
  }
  return b;
}

static const char *errname(int e) {
  switch (e) {
    case 0: return "success";
    case EAGAIN: return "EAGAIN";
    case EINVAL: return "EINVAL";
    case E2BIG: return "E2BIG";
    case ENOMSG: return "ENOMSG";
    case EINTR: return "EINTR";
    case EIDRM: return "EIDRM";
    case EFAULT: return "EFAULT";
    case EACCES: return "EACCES";
    default: return strerror(e);
  }
}
)C";
  return c;
}

const std::string& SysvC_which() {
  static const std::string c = R"C(/* The messages the queue holds (the model's list), to name the one that came. */
struct held { uint32_t stamp; size_t size; long type; };
static const char *which(const unsigned char *got, ssize_t n, long type, const struct held *h, size_t count) {
  static char out[64];
  size_t i;
  for (i = 0; i < count; ++i)
    if (h[i].type == type && (size_t)n <= h[i].size && memcmp(got, body(h[i].stamp, h[i].size), (size_t)n) == 0) {
      snprintf(out, sizeof out, "message #%u", (unsigned)h[i].stamp);
      return out;
    }
  return "an unknown message";
}
)C";
  return c;
}

const std::string& SysvC_check_count() {
  static const std::string c = R"C(/* msgctl(IPC_STAT): the queue holds `count` messages of `bytes` bytes. */
static void check_count(unsigned long count, unsigned long bytes, const char *promise, const char *when) {
  struct msqid_ds ds;
  if (msgctl(q, IPC_STAT, &ds) != 0) setup_failed("msgctl(IPC_STAT)");
  if ((unsigned long)ds.msg_qnum != count || (unsigned long)ds.msg_cbytes != bytes)
    broken(promise, "msgctl(IPC_STAT) %s: msg_qnum %lu, msg_cbytes %lu; the queue holds %lu message(s), %lu bytes",
           when, (unsigned long)ds.msg_qnum, (unsigned long)ds.msg_cbytes, count, bytes);
}
)C";
  return c;
}

const std::string& SysvC_send() {
  static const std::string c = R"C(/* msgsnd of message #stamp (size bytes, mtype `type`): 0 or the errno. */
static int send_msg(long type, uint32_t stamp, size_t size, int flags) {
  unsigned char *m = malloc(sizeof(long) + size + 1);
  int r, e;
  if (m == NULL) setup_failed("malloc");
  memcpy(m, &type, sizeof type); /* struct msgbuf { long mtype; char mtext[size]; } */
  memcpy(m + sizeof(long), body(stamp, size), size);
  r = msgsnd(q, m, size, flags);
  e = r == 0 ? 0 : errno;
  free(m);
  return e;
}
)C";
  return c;
}

const std::string& SysvC_recv() {
  static const std::string c = R"C(/* msgrcv into mtext[msgsz] followed by GUARD bytes of a pattern: a call that
   writes past mtext[msgsz] breaks man 2 msgop (the pattern byte written back
   unchanged is not seen: a lower bound). Returns msgrcv's result; *err is 0
   or its errno, *type the mtype, *text the mtext. */
#define GUARD 16
#define GUARD_BYTE 0xA5
static const char kMsgsz[] =
    "man 2 msgop: \"The argument msgsz specifies the maximum size in bytes for the member mtext "
    "of the structure pointed to by the msgp argument\"";
static ssize_t recv_msg(size_t msgsz, long msgtyp, int flags, long *type, const unsigned char **text,
                        int *err, const char *what) {
  static unsigned char *b;
  size_t past;
  ssize_t r;
  free(b);
  b = malloc(sizeof(long) + msgsz + GUARD);
  if (b == NULL) setup_failed("malloc");
  memset(b, GUARD_BYTE, sizeof(long) + msgsz + GUARD);
  r = msgrcv(q, b, msgsz, msgtyp, flags);
  *err = r >= 0 ? 0 : errno;
  for (past = GUARD; past > 0 && b[sizeof(long) + msgsz + past - 1] == GUARD_BYTE; --past) {}
  if (past > 0)
    broken(kMsgsz, "%s: msgrcv returned %zd and wrote %zu byte(s) past mtext[msgsz] (msgsz %zu)", what, r,
           past, msgsz);
  if (r > (ssize_t)msgsz)
    broken(kMsgsz, "%s: msgrcv returned %zd, more than msgsz %zu", what, r, msgsz);
  memcpy(type, b, sizeof(long));
  *text = b + sizeof(long);
  return r;
}
)C";
  return c;
}

// The helper `name` (sysv_msg_NAME) into rec, once.
void SysvHelper(repro::Recording& rec, const char* name, const std::string& (*code)()) {
  rec.Helper(std::string("sysv_msg_") + name, code());
}
}  // namespace

void SysvMsgReproPrelude() {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  // <sys/ipc.h> and <sys/msg.h> come with the Kind's C (impl/sysv_msg).
  SysvHelper(*rec, "body", SysvC_body);
}

namespace {

std::string CTimeout(Timeout t) {
  switch (t) {
    case Timeout::kSoon:
      return "struct timespec ts = timeout_in_200us();\n";
    case Timeout::kInvalid:
      return "struct timespec ts = {0, 1000000000}; /* tv_nsec out of range */\n";
    default:
      return "struct timespec ts = {0, 0}; /* long past */\n";
  }
}

std::string CHeld(const Model& m) {
  std::ostringstream c;
  c << "static const struct held h[] = {";
  for (size_t i = 0; i < m.queue.size(); ++i) {
    c << (i ? ", " : "") << "{" << m.queue[i].stamp << "u, " << m.queue[i].size << "u, "
      << static_cast<unsigned>(m.queue[i].tag) << "u}";
  }
  if (m.queue.empty()) c << "{0u, 0u, 0u}";
  c << "};\n";
  return c.str();
}


// Lit() of a man page citation: the same few long strings for every command
// of every case, escaped once (recording runs when nothing fails too).
const std::string& LitCite(const std::string& cite) {
  static std::unordered_map<std::string, std::string> done;
  auto it = done.find(cite);
  if (it == done.end()) it = done.emplace(cite, Lit(cite)).first;
  return it->second;
}

// A long as a C constant.
std::string CLong(long v) {
  if (v == LONG_MIN) return "(-9223372036854775807L - 1)";
  return std::to_string(v) + "L";
}

// An errno as C: its number, with its name in a comment.
std::string CErrno(int e) {
  return e == 0 ? "0" : std::to_string(e) + " /* " + ErrnoText(e) + " */";
}

// The model's queue as the System V helpers' `held` list.
std::string CHeldSysv(const Model& m) {
  std::ostringstream c;
  c << "static const struct held h[] = {";
  for (size_t i = 0; i < m.queue.size(); ++i) {
    c << (i ? ", " : "") << "{" << m.queue[i].stamp << "u, " << m.queue[i].size << "u, "
      << CLong(m.queue[i].tag) << "}";
  }
  if (m.queue.empty()) c << "{0u, 0u, 0L}";
  c << "};\n";
  return c.str();
}

// Before a blocking System V call: msg_qnum and msg_cbytes as the model has
// them (the check CheckCounters makes).
std::string CSysvCounters(const Model& m, const char* when, repro::Recording& rec) {
  SysvHelper(rec, "check_count", SysvC_check_count);
  return "  check_count(" + std::to_string(m.queue.size()) + "u, " + std::to_string(m.bytes) +
         "u, " + LitCite(CiteCounters(m.caps())) + ", \"" + when + "\");\n";
}

// --- send ------------------------------------------------------------------

class SendCmd : public MqCommand {
 public:
  SendCmd(long tag, size_t size, uint32_t stamp, MqWait::Mode mode, Timeout timeout)
      : tag_(tag), size_(size), stamp_(stamp), mode_(mode), timeout_(timeout) {}

  // The documented result in state m: 0, an errno, or -1 when the call would
  // block (never run).
  int Expected(const Model& m, std::string* why) const {
    const MessageQueueCaps& c = m.caps();
    if (tag_ < c.min_tag || tag_ > c.max_tag) return *why = CiteBadTag(c), c.bad_tag_errno;
    if (c.enforces_max_message && size_ > m.limits().max_message) {
      return *why = CiteOversize(c), c.oversize_errno;
    }
    if (timeout_ == Timeout::kInvalid) return *why = kCiteInvalidTimeout, EINVAL;
    if (m.Fits(size_)) return *why = CiteFits(c), 0;
    if (mode_ == MqWait::Mode::kNonBlock || c.nonblocking_by_default) {
      return *why = CiteFull(c), c.full_errno;
    }
    if (mode_ == MqWait::Mode::kTimed) return *why = kCiteSendTimedOut, c.timeout_errno;
    return -1;
  }

  void checkPreconditions(const Model& m) const override {
    std::string why;
    int e = Expected(m, &why);
    RC_PRE(e != -1);
    if (timeout_ == Timeout::kInvalid) {
      // Only where the call would block (the man page's condition).
      RC_PRE(e == EINVAL && !m.Fits(size_) && !m.caps().nonblocking_by_default &&
             tag_ >= m.caps().min_tag && tag_ <= m.caps().max_tag &&
             size_ <= m.limits().max_message);
    }
  }

  void apply(Model& m) const override {
    std::string why;
    if (Expected(m, &why) == 0) m.Add({tag_, size_, stamp_});
    m.next_stamp = std::max(m.next_stamp, stamp_ + 1);
  }

  void RecordSysv(const Model& m, repro::Recording& rec) const {
    if (mode_ == MqWait::Mode::kTimed) {
      rec.Unprintable("a timed msgsnd (System V has none): " + Shown(*this));
      return;
    }
    SysvHelper(rec, "send", SysvC_send);
    std::string why;
    const int want = Expected(m, &why);
    const bool blocking = mode_ == MqWait::Mode::kBlock;
    std::ostringstream c;
    c << "{\n";
    if (blocking) c << CSysvCounters(m, "before a blocking send", rec);
    c << "  int e = send_msg(" << CLong(tag_) << ", " << stamp_ << "u, " << size_ << "u, "
      << (blocking ? "0" : "IPC_NOWAIT") << ");\n"
      << "  if (e != " << CErrno(want) << ")\n"
      << "    broken(" << LitCite(why) << ",\n           \"%s: expected %s, got %s\", "
      << Lit(Shown(*this) + " into " + m.Describe()) << ", " << Lit(ErrnoText(want))
      << ", errname(e));\n"
      << "}\n";
    rec.Step(Shown(*this), c.str(),
             want == 0 ? "the message fits: msgsnd completes at once"
                       : "msgsnd fails at once (" + ErrnoText(want) + ")");
  }

  void Record(const Model& m, repro::Recording& rec) const {
    if (m.setup->sysv) return RecordSysv(m, rec);
    std::string why;
    const int want = Expected(m, &why);
    const unsigned prio = tag_ < 0 ? static_cast<unsigned>(-1) : static_cast<unsigned>(tag_);
    std::ostringstream c;
    c << "{\n";
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      c << "  check_count(" << m.queue.size() << ", " << Lit(CiteCounters(m.caps()))
        << ", \"before a blocking send\");\n";
    }
    const std::string args = "(const char *)body(" + std::to_string(stamp_) + "u, " +
                             std::to_string(size_) + "u), " + std::to_string(size_) + "u, " +
                             std::to_string(prio) + "u";
    if (mode_ == MqWait::Mode::kTimed) {
      c << "  " << CTimeout(timeout_) << "  int r = mq_timedsend(q, " << args << ", &ts);\n";
    } else {
      c << "  int r = mq_send(" << (mode_ == MqWait::Mode::kNonBlock ? "q_nb" : "q") << ", "
        << args << ");\n";
    }
    c << "  int e = r == 0 ? 0 : errno;\n"
      << "  if (e != " << want << ")\n"
      << "    broken(" << Lit(why) << ",\n           \"%s: expected %s, got %s\", "
      << Lit(Shown(*this) + " into " + m.Describe()) << ", " << Lit(ErrnoText(want))
      << ", errname(e));\n"
      << "}\n";
    rec.Step(Shown(*this), c.str(),
             want == 0 ? "the message fits: the send completes at once"
                       : "the send fails at once (" + ErrnoText(want) + ")");
  }

  void run(const Model& m, MessageQueue& q) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    std::string why;
    int want = Expected(m, &why);
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      CheckCounters(m, q, "before a blocking send");
    }
    std::vector<uint8_t> body = Body(stamp_, size_);
    bool fired = false;
    PosixError e = Guarded(mode_, &fired, [&] {
      return q.Send(tag_, body.data(), body.size(), MakeWait(mode_, timeout_));
    });
    if (fired) {
      RC_FAIL("the send blocked (interrupted by the Watchdog) although the model (" + m.Describe() +
              ") says it " + (want == 0 ? "fits" : "fails at once with " + ErrnoText(want)) +
              "\n" + why);
    }
    Coverage::ReachedIf(!m.Fits(size_) && want != 0 && want != EINVAL &&
                            (want == m.caps().full_errno || want == m.caps().timeout_errno),
                        kSendMetFull);
    if (e.errno_value() != want) {
      RC_FAIL("send(tag " + std::to_string(tag_) + ", " + std::to_string(size_) +
              " bytes) into " + m.Describe() + ": expected " + ErrnoText(want) + ", got " +
              (e.ok() ? std::string("success") : e.ToString()) + "\n" + why);
    }
  }

  void show(std::ostream& os) const override {
    os << "send(tag=" << tag_ << ", " << size_ << " bytes #" << stamp_ << ", "
       << ShowWait(mode_, timeout_) << ")";
  }

 private:
  long tag_;
  size_t size_;
  uint32_t stamp_;
  MqWait::Mode mode_;
  Timeout timeout_;
};

// --- receive ---------------------------------------------------------------

class ReceiveCmd : public MqCommand {
 public:
  ReceiveCmd(MqReceiveOptions o, MqWait::Mode mode, Timeout timeout)
      : o_(o), mode_(mode), timeout_(timeout) {}

  struct Expect {
    int err = 0;                  // 0, an errno, or -1: would block
    std::optional<size_t> index;  // the message selected
    size_t copied = 0;            // bytes copied out
    bool removes = false;
    std::string why;
  };

  Expect Expected(const Model& m) const {
    const MessageQueueCaps& c = m.caps();
    Expect x;
    size_t max = m.limits().max_message;
    if (timeout_ == Timeout::kInvalid) return x.err = EINVAL, x.why = kCiteInvalidTimeout, x;
    if (c.buffer_must_cover_max_message && o_.buffer && *o_.buffer < max) {
      return x.err = EMSGSIZE, x.why = kCiteShortBuffer, x;
    }
    x.index = m.Select(o_);
    if (!x.index) {
      if (mode_ == MqWait::Mode::kNonBlock || c.nonblocking_by_default) {
        x.err = c.empty_errno;
        x.why = CiteEmpty(c);
      } else if (mode_ == MqWait::Mode::kTimed) {
        x.err = c.timeout_errno;
        x.why = kCiteReceiveTimedOut;
      } else {
        x.err = -1;
      }
      return x;
    }
    const Stored& s = m.queue[*x.index];
    size_t buffer = o_.buffer ? *o_.buffer : max;
    if (s.size > buffer) {
      if ((c.truncate_option && o_.truncate) || c.always_truncates) {
        x.copied = buffer;
        x.removes = true;
        x.why = kCiteTruncate;
      } else {
        x.err = E2BIG;
        x.why = kCiteE2big;
      }
      return x;
    }
    x.copied = s.size;
    x.removes = true;
    x.why = CiteWhich(c) + "; " + CiteBoundary(c);
    return x;
  }

  void checkPreconditions(const Model& m) const override {
    Expect x = Expected(m);
    RC_PRE(x.err != -1);
    if (timeout_ == Timeout::kInvalid) {
      RC_PRE(!m.Select(o_).has_value() && !m.caps().nonblocking_by_default && !o_.buffer);
    }
  }

  void apply(Model& m) const override {
    Expect x = Expected(m);
    if (x.err == 0 && x.removes) m.Remove(*x.index);
  }

  void RecordSysv(const Model& m, repro::Recording& rec) const {
    if (mode_ == MqWait::Mode::kTimed) {
      rec.Unprintable("a timed msgrcv (System V has none): " + Shown(*this));
      return;
    }
    SysvHelper(rec, "which", SysvC_which);
    SysvHelper(rec, "recv", SysvC_recv);
    Expect x = Expected(m);
    const bool blocking = mode_ == MqWait::Mode::kBlock;
    std::string flags;
    if (!blocking) flags += " | IPC_NOWAIT";
    if (o_.except) flags += " | MSG_EXCEPT";
    if (o_.truncate) flags += " | MSG_NOERROR";
    flags = flags.empty() ? "0" : flags.substr(3);
    const std::string what = Shown(*this) + " from " + m.Describe();
    const std::string want_text =
        x.err == 0 ? "message #" + std::to_string(m.queue[*x.index].stamp) : ErrnoText(x.err);
    std::ostringstream c;
    c << "{\n";
    if (blocking) c << CSysvCounters(m, "before a blocking receive", rec);
    // The step's name and its promise, once each (they are long; recording
    // runs for every command of every case).
    c << "  " << CHeldSysv(m)
      << "  static const char what[] = " << Lit(what) << ";\n"
      << "  static const char promise[] = " << LitCite(x.why) << ";\n"
      << "  long type = 0;\n"
      << "  const unsigned char *text;\n"
      << "  int e;\n"
      << "  ssize_t r = recv_msg("
      << (o_.buffer ? std::to_string(*o_.buffer) + "u" : std::string("q_msgmax")) << ", "
      << CLong(o_.type) << ", " << flags << ", &type, &text, &e, what);\n"
      << "  if (e != " << CErrno(x.err) << ")\n"
      << "    broken(promise, \"%s: expected %s, got %s\", what, \"" << want_text
      << "\",\n           r >= 0 ? which(text, r, type, h, sizeof h / sizeof h[0]) : errname(e));\n";
    if (x.err == 0) {
      const Stored& st = m.queue[*x.index];
      c << "  if ((size_t)r != " << x.copied << "u || type != " << CLong(st.tag)
        << " || memcmp(text, body(" << st.stamp << "u, " << st.size << "u), " << x.copied
        << "u) != 0)\n"
        << "    broken(promise, \"%s: expected message #" << st.stamp
        << " (mtype " << st.tag << ", " << x.copied << " of " << st.size
        << " bytes), got %s (mtype %ld, %zd bytes)\",\n           what, "
        << "which(text, r, type, h, sizeof h / sizeof h[0]), type, r);\n";
    }
    c << "}\n";
    rec.Step(Shown(*this), c.str(),
             x.err == 0 ? "the queue holds the message: msgrcv returns at once"
                        : "msgrcv fails at once (" + ErrnoText(x.err) + ")");
  }

  void Record(const Model& m, repro::Recording& rec) const {
    if (m.setup->sysv) return RecordSysv(m, rec);
    if (o_.type != 0 || o_.except || o_.truncate) {
      rec.Unprintable("a receive with msgtyp selection or MSG_NOERROR: " + Shown(*this));
      return;
    }
    Expect x = Expected(m);
    std::ostringstream c;
    c << "{\n";
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      c << "  check_count(" << m.queue.size() << ", " << Lit(CiteCounters(m.caps()))
        << ", \"before a blocking receive\");\n";
    }
    c << "  " << CHeld(m)
      << "  size_t size = " << (o_.buffer ? std::to_string(*o_.buffer) + "u" : "q_msgsize")
      << ";\n"
      << "  unsigned char *buf = malloc(size + 1);\n"
      << "  unsigned prio = 0;\n"
      << "  ssize_t r;\n"
      << "  int e;\n"
      << "  if (buf == NULL) setup_failed(\"malloc\");\n";
    if (mode_ == MqWait::Mode::kTimed) {
      c << "  {\n    " << CTimeout(timeout_)
        << "    r = mq_timedreceive(q, (char *)buf, size, &prio, &ts);\n  }\n";
    } else {
      c << "  r = mq_receive(" << (mode_ == MqWait::Mode::kNonBlock ? "q_nb" : "q")
        << ", (char *)buf, size, &prio);\n";
    }
    const std::string what = Shown(*this) + " from " + m.Describe();
    const std::string want_text =
        x.err == 0 ? "message #" + std::to_string(m.queue[*x.index].stamp) : ErrnoText(x.err);
    c << "  e = r >= 0 ? 0 : errno;\n"
      << "  if (e != " << x.err << ")\n"
      << "    broken(" << Lit(x.why) << ",\n           \"%s: expected %s, got %s\", "
      << Lit(what) << ", " << Lit(want_text)
      << ", r >= 0 ? which(buf, r, prio, h, sizeof h / sizeof h[0]) : errname(e));\n";
    if (x.err == 0) {
      const Stored& st = m.queue[*x.index];
      c << "  if ((size_t)r != " << x.copied << "u || prio != " << static_cast<unsigned>(st.tag)
        << "u || memcmp(buf, body(" << st.stamp << "u, " << st.size << "u), " << x.copied
        << "u) != 0)\n"
        << "    broken(" << Lit(x.why) << ",\n           \"%s: expected message #" << st.stamp
        << " (tag " << st.tag << ", " << x.copied << " of " << st.size
        << " bytes), got %s (tag %u, %zd bytes)\", " << Lit(what)
        << ", which(buf, r, prio, h, sizeof h / sizeof h[0]), prio, r);\n";
    }
    c << "  free(buf);\n}\n";
    rec.Step(Shown(*this), c.str(),
             x.err == 0 ? "the queue holds the message: the receive returns at once"
                        : "the receive fails at once (" + ErrnoText(x.err) + ")");
  }

  void run(const Model& m, MessageQueue& q) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    Expect x = Expected(m);
    if (mode_ == MqWait::Mode::kBlock && !m.caps().nonblocking_by_default) {
      CheckCounters(m, q, "before a blocking receive");
    }
    bool fired = false;
    PosixErrorOr<MqMessage> r =
        Guarded(mode_, &fired, [&] { return q.Receive(o_, MakeWait(mode_, timeout_)); });
    std::string what = "receive(" + ToString(o_) + ") from " + m.Describe();
    if (fired) {
      RC_FAIL(what + ": blocked (interrupted by the Watchdog) although the model says it " +
              (x.err == 0 ? "takes a message" : "fails at once with " + ErrnoText(x.err)) +
              "\n" + x.why);
    }
    Coverage::ReachedIf(m.queue.empty() && x.err != 0 && x.err != EINVAL && x.err != EMSGSIZE,
                        kReceiveMetEmpty);
    if (r.errno_value() != x.err) {
      std::string got = r.ok() ? "a message (tag " + std::to_string(r.value().tag) + ", " +
                                     std::to_string(r.value().data.size()) + " bytes)"
                               : r.error().ToString();
      std::string want = x.err == 0 ? "message #" + std::to_string(m.queue[*x.index].stamp)
                                    : ErrnoText(x.err);
      RC_FAIL(what + ": expected " + want + ", got " + got + "\n" + x.why);
    }
    if (x.err != 0) return;
    const Stored& s = m.queue[*x.index];
    const MqMessage& got = r.value();
    std::vector<uint8_t> want = Body(s.stamp, s.size);
    want.resize(x.copied);
    if (got.tag != s.tag || got.data != want) {
      // Name the message that came instead, if the model has it.
      std::string instead = "an unknown message";
      for (const Stored& o : m.queue) {
        std::vector<uint8_t> b = Body(o.stamp, o.size);
        if (b.size() >= got.data.size() && std::equal(got.data.begin(), got.data.end(), b.begin()) &&
            o.tag == got.tag) {
          instead = "message #" + std::to_string(o.stamp);
          break;
        }
      }
      RC_FAIL(what + ": expected message #" + std::to_string(s.stamp) + " (tag " +
              std::to_string(s.tag) + ", " + std::to_string(x.copied) + " of " +
              std::to_string(s.size) + " bytes), got " + instead + " (tag " +
              std::to_string(got.tag) + ", " + std::to_string(got.data.size()) + " bytes)\n" +
              x.why);
    }
  }

  void show(std::ostream& os) const override {
    os << "receive(" << ToString(o_) << ", " << ShowWait(mode_, timeout_) << ")";
  }

 private:
  MqReceiveOptions o_;
  MqWait::Mode mode_;
  Timeout timeout_;
};

// --- status ----------------------------------------------------------------

class StatusCmd : public MqCommand {
 public:
  void RecordSysv(const Model& m, repro::Recording& rec) const {
    const MqStatus& l = m.limits();
    std::ostringstream c;
    c << "{\n"
      << "  struct msqid_ds ds;\n"
      << "  if (msgctl(q, IPC_STAT, &ds) != 0) setup_failed(\"msgctl(IPC_STAT)\");\n"
      << "  if ((unsigned long)ds.msg_qnum != " << m.queue.size()
      << "ul || (unsigned long)ds.msg_cbytes != " << m.bytes
      << "ul ||\n      (unsigned long)ds.msg_qbytes != " << l.max_bytes
      << "ul || q_msgmax != " << l.max_message << "u)\n"
      << "    broken(" << LitCite(CiteCounters(m.caps()))
      << ",\n           \"msgctl(IPC_STAT): msg_qnum %lu, msg_cbytes %lu, msg_qbytes %lu, "
         "MSGMAX %zu; the model holds %s with limits %s\", (unsigned long)ds.msg_qnum, "
         "(unsigned long)ds.msg_cbytes, (unsigned long)ds.msg_qbytes, q_msgmax, "
      << Lit(m.Describe()) << ", " << Lit(l.ToString()) << ");\n}\n";
    rec.Step("status()", c.str());
  }

  void Record(const Model& m, repro::Recording& rec) const {
    if (m.setup->sysv) return RecordSysv(m, rec);
    const MqStatus& l = m.limits();
    std::ostringstream c;
    c << "{\n"
      << "  struct mq_attr a;\n"
      << "  if (mq_getattr(q, &a) != 0) setup_failed(\"mq_getattr\");\n"
      << "  if (" << (m.caps().reports_count ? "a.mq_curmsgs != " + std::to_string(m.queue.size()) + " || " : "")
      << "a.mq_maxmsg != " << l.max_count << " || a.mq_msgsize != " << l.max_message
      << " ||\n      ((a.mq_flags & O_NONBLOCK) != 0) != " << (m.caps().nonblocking_by_default ? 1 : 0)
      << ")\n"
      << "    broken(" << Lit(CiteCounters(m.caps()))
      << ",\n           \"mq_getattr: mq_curmsgs %ld, mq_maxmsg %ld, mq_msgsize %ld, flags 0%lo; "
         "the model holds %s with limits %s\", (long)a.mq_curmsgs, (long)a.mq_maxmsg, "
         "(long)a.mq_msgsize, (unsigned long)a.mq_flags, "
      << Lit(m.Describe()) << ", " << Lit(l.ToString()) << ");\n}\n";
    rec.Step("status()", c.str());
  }
  void run(const Model& m, MessageQueue& q) const override {
    if (auto* rec = repro::Active()) Record(m, *rec);
    auto st = q.Status();
    if (!st.ok()) RC_FAIL("Status(): " + st.error().ToString());
    const MqStatus& s = st.value();
    const MqStatus& l = m.limits();
    bool ok = (!m.caps().reports_count || s.count == m.queue.size()) && s.max_count == l.max_count &&
              s.max_bytes == l.max_bytes && s.max_message == l.max_message &&
              s.nonblocking == m.caps().nonblocking_by_default;
    if (m.caps().reports_bytes) ok = ok && s.bytes.has_value() && *s.bytes == m.bytes;
    if (!ok) {
      RC_FAIL("Status() reports " + s.ToString() + "; the model holds " + m.Describe() +
              " with limits " + l.ToString() + "\n" + CiteCounters(m.caps()));
    }
  }
  void show(std::ostream& os) const override { os << "status()"; }
};

}  // namespace

std::shared_ptr<const MqCommand> MakeSend(long tag, size_t size, uint32_t stamp, MqWait::Mode mode,
                                          Timeout timeout) {
  return std::make_shared<SendCmd>(tag, size, stamp, mode, timeout);
}
std::shared_ptr<const MqCommand> MakeReceive(MqReceiveOptions o, MqWait::Mode mode,
                                             Timeout timeout) {
  return std::make_shared<ReceiveCmd>(o, mode, timeout);
}
std::shared_ptr<const MqCommand> MakeStatus() { return std::make_shared<StatusCmd>(); }

}  // namespace message_queue_internal
}  // namespace ipcspec
