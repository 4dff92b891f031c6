// The Datagram properties.
//
// The model is a list of messages per direction (A to B, B to A). Every
// message carries a distinct byte pattern, so a received message can be
// matched to the one message it must be.
//
// What is checked, with its source:
//   man 7 unix: "SOCK_DGRAM, for a datagram-oriented socket that preserves
//     message boundaries (as on most UNIX implementations, UNIX domain
//     datagram sockets are always reliable and don't reorder datagrams); and
//     (since Linux 2.6.4) SOCK_SEQPACKET, for a sequenced-packet socket that
//     is connection-oriented, preserves message boundaries, and delivers
//     messages in the order that they were sent."
//   man 7 udp: "It implements a connectionless, unreliable datagram packet
//     service. Packets may be reordered or duplicated before they arrive."
//     and "All receive operations return only one packet. When the packet is
//     smaller than the passed buffer, only that much data is returned; when
//     it is bigger, the packet is truncated and the MSG_TRUNC flag is set."
//     UDP's caps say so (ordered = false, may_drop = true): a received UDP
//     message must be one that was sent, unaltered and not received before;
//     nothing more. (Duplication is the network's doing; on loopback none
//     happens, and a Kind that duplicates is caught.)
//   man 2 recv: "All three calls return the length of the message on
//     successful completion. If a message is too long to fit in the supplied
//     buffer, excess bytes may be discarded depending on the type of socket"
//     / "If no messages are available at the socket, the receive calls wait
//     for a message to arrive, unless the socket is nonblocking ..., in which
//     case the value -1 is returned and errno is set to EAGAIN or
//     EWOULDBLOCK." / MSG_TRUNC: "return the real length of the packet or
//     datagram, even when it was longer than the passed buffer" and in
//     msg_flags "MSG_TRUNC indicates that the trailing portion of a datagram
//     was discarded because the datagram was larger than the buffer
//     supplied."
//   man 2 send: "If the message is too long to pass atomically through the
//     underlying protocol, the error EMSGSIZE is returned, and the message is
//     not transmitted." (the suite stays below max_message, so every send
//     passes whole: it must report all n bytes sent).
#include "suites/datagram/datagram_properties.h"

#include <poll.h>

#include <algorithm>
#include <deque>
#include <sstream>

#include "impl/core/deadline.h"
#include "impl/core/watchdog.h"
#include "impl/repro/repro.h"
#include "rapidcheck/state.h"

namespace ipcspec {
namespace {

constexpr const char* kRecvCite =
    "man 2 recv: \"All three calls return the length of the message on successful "
    "completion. If a message is too long to fit in the supplied buffer, excess bytes may be "
    "discarded\"; MSG_TRUNC \"return the real length of the packet or datagram\"";
constexpr const char* kBoundaryCite =
    "man 7 unix: SOCK_DGRAM \"preserves message boundaries ... always reliable and don't "
    "reorder datagrams\", SOCK_SEQPACKET \"preserves message boundaries, and delivers messages "
    "in the order that they were sent\"; man 7 udp: \"All receive operations return only one "
    "packet\"";

uint8_t PatternByte(uint32_t i) { return static_cast<uint8_t>((i * 2654435761u) >> 13); }

// A message's bytes: a pattern starting at `first` (the sum of the lengths
// sent before it, plus its sequence number, so no two messages start alike).
std::vector<uint8_t> Message(uint32_t first, size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = PatternByte(first + static_cast<uint32_t>(i));
  return v;
}

std::string Hex(const std::vector<uint8_t>& v, size_t limit = 12) {
  std::ostringstream os;
  os << std::hex;
  for (size_t i = 0; i < v.size() && i < limit; ++i) os << (i ? " " : "") << int(v[i]);
  if (v.size() > limit) os << " ...";
  return os.str();
}

// Does `got` (received into a buffer of `max` bytes) read as message `msg`?
bool Matches(const std::vector<uint8_t>& msg, const Received& got, size_t max,
             bool reports_real_length) {
  size_t stored = std::min(msg.size(), max);
  if (got.data.size() != stored) return false;
  if (!std::equal(got.data.begin(), got.data.end(), msg.begin())) return false;
  if (reports_real_length && got.real_length != msg.size()) return false;
  if (got.truncated != (msg.size() > max)) return false;
  return true;
}

std::string Describe(const Received& got, size_t max) {
  return std::to_string(got.data.size()) + " bytes stored of real length " +
         std::to_string(got.real_length) + (got.truncated ? ", MSG_TRUNC" : "") +
         " (buffer " + std::to_string(max) + "): " + Hex(got.data);
}


// ---------------------------------------------------------------------------
// The steps as C (impl/repro), for the Kinds that print themselves: their
// setup leaves `afd` and `bfd`, the ends A and B. The C file keeps the same
// list of sent and not yet received messages as DgSut::pending and checks
// each receive against it as Receive::run does.

using repro::Lit;

void DgReproPrelude(const DatagramCaps& caps) {
  repro::Recording* rec = repro::Active();
  if (rec == nullptr) return;
  rec->Include("<poll.h>");
  rec->Include("<sys/socket.h>");
  rec->Include("<sys/uio.h>");
  rec->Helper("dg_caps",
              std::string("/* What the Kind promises (ipcspec's DatagramCaps): in order; may drop;\n"
                          "   a receive into a short buffer reports the real length. */\n") +
                  "static const int dg_ordered = " + (caps.ordered ? "1" : "0") +
                  ";\nstatic const int dg_may_drop = " + (caps.may_drop ? "1" : "0") +
                  ";\nstatic const int dg_reports_real_length = " +
                  (caps.reports_real_length ? "1" : "0") + ";\n");
  rec->Helper("dg_helpers",
              std::string("#define RECV_PROMISE ") + Lit(kRecvCite) +
                  "\n#define BOUNDARY_PROMISE " + Lit(kBoundaryCite) + "\n" + R"C(
/* A message's bytes: ipcspec's pattern from position `first`. */
static unsigned char pattern_byte(uint32_t i) { return (unsigned char)((i * 2654435761u) >> 13); }

/* The messages sent and not yet received, per direction (0: A->B, 1: B->A). */
struct dg_msg { uint32_t first; size_t n; };
static struct dg_msg dg_pending[2][64];
static size_t dg_count[2];
static int dg_dropped;  /* a Kind that may drop dropped one: nothing more to check */
static const char *dg_dir[2] = {"A->B", "B->A"};

static int dg_sender(int dir) { return dir == 0 ? afd : bfd; }
static int dg_receiver(int dir) { return dir == 0 ? bfd : afd; }

static void dg_hex(char *out, size_t cap, const unsigned char *p, size_t n) {
  size_t i, at = 0;
  out[0] = 0;
  for (i = 0; i < n && i < 12 && at + 4 < cap; ++i)
    at += (size_t)snprintf(out + at, cap - at, "%s%x", i ? " " : "", p[i]);
  if (n > 12 && at + 5 < cap) snprintf(out + at, cap - at, " ...");
}

/* One send(2) of message `first` (n bytes) from the sender of `dir`. */
static void dg_send(int dir, uint32_t first, size_t n, int nonblock) {
  unsigned char *b = malloc(n ? n : 1);
  ssize_t r;
  int e;
  size_t i;
  if (b == NULL) setup_failed("malloc");
  for (i = 0; i < n; ++i) b[i] = pattern_byte(first + (uint32_t)i);
  r = send(dg_sender(dir), b, n, MSG_NOSIGNAL | (nonblock ? MSG_DONTWAIT : 0));
  e = errno;
  free(b);
  if (r < 0)
    broken("man 2 send: EAGAIN only when \"the requested operation would block\"; the "
           "direction holds fewer messages than the Kind guarantees room for",
           "send %s of %zu bytes failed: %s (%zu message(s) in flight)", dg_dir[dir], n,
           strerror(e), dg_count[dir]);
  if ((size_t)r != n)
    broken("man 2 send: a message is sent atomically or fails EMSGSIZE",
           "send of a %zu-byte message reported %zd bytes sent", n, r);
  if (dg_count[dir] == 64) setup_failed("too many messages in flight");
  dg_pending[dir][dg_count[dir]].first = first;
  dg_pending[dir][dg_count[dir]].n = n;
  dg_count[dir]++;
}

/* Does what landed (stored bytes of real length `real`, MSG_TRUNC or not,
   in a buffer of max bytes) read as message m? */
static int dg_matches(const struct dg_msg *m, const unsigned char *got, size_t stored,
                      size_t real, int truncated, size_t max) {
  size_t want = m->n < max ? m->n : max, i;
  if (stored != want) return 0;
  for (i = 0; i < stored; ++i)
    if (got[i] != pattern_byte(m->first + (uint32_t)i)) return 0;
  if (dg_reports_real_length && real != m->n) return 0;
  if (truncated != (m->n > max)) return 0;
  return 1;
}

/* One recvmsg(2) with MSG_TRUNC into a buffer of max bytes on the receiver of
   `dir`, checked against the messages in flight. wait_ms > 0: first poll(2)
   that long for one (a Kind that may drop may then have none). Returns 1 when
   a message came. */
static int dg_receive(int dir, size_t max, int nonblock, int wait_ms) {
  unsigned char *b;
  struct iovec iov;
  struct msghdr msg;
  ssize_t r;
  size_t stored, at, i, limit;
  int truncated, fd = dg_receiver(dir);
  char hex[80], next[80];
  if (dg_dropped) return 0;
  if (wait_ms > 0) {
    struct pollfd p;
    p.fd = fd;
    p.events = POLLIN;
    p.revents = 0;
    if (poll(&p, 1, wait_ms) < 0) setup_failed("poll");
  }
  b = malloc(max + 1);
  if (b == NULL) setup_failed("malloc");
  iov.iov_base = b;
  iov.iov_len = max;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  r = recvmsg(fd, &msg, MSG_TRUNC | (nonblock ? MSG_DONTWAIT : 0));
  if (r < 0) {
    int e = errno;
    free(b);
    if (e != EAGAIN)
      broken("man 2 recv", "receive %s: %s", dg_dir[dir], strerror(e));
    if (dg_may_drop) {
      if (wait_ms > 0) dg_dropped = 1;  /* dropped: legal for this Kind */
      return 0;
    }
    if (dg_count[dir] > 0)
      broken(BOUNDARY_PROMISE,
             "receive %s (buffer %zu) gave EAGAIN while %zu message(s) sent were not received: lost",
             dg_dir[dir], max, dg_count[dir]);
    return 0;
  }
  stored = (size_t)r < max ? (size_t)r : max;
  truncated = (msg.msg_flags & MSG_TRUNC) != 0;
  dg_hex(hex, sizeof hex, b, stored);
  if (dg_count[dir] == 0) {
    free(b);
    broken("man 2 recv: \"If no messages are available at the socket ... errno is set to EAGAIN\"",
           "receive %s got a message although every message sent was already received "
           "(duplicated or invented): %zu bytes stored of real length %zd%s (buffer %zu): %s",
           dg_dir[dir], stored, r, truncated ? ", MSG_TRUNC" : "", max, hex);
  }
  limit = dg_ordered && !dg_may_drop ? 1 : dg_count[dir];
  for (at = 0; at < limit; ++at)
    if (dg_matches(&dg_pending[dir][at], b, stored, (size_t)r, truncated, max)) break;
  if (at == limit) {
    const struct dg_msg *f = &dg_pending[dir][0];
    unsigned char fb[12];
    char hint[160] = "";
    int bytes_right = stored == (f->n < max ? f->n : max);
    for (i = 0; i < stored && bytes_right; ++i)
      bytes_right = b[i] == pattern_byte(f->first + (uint32_t)i);
    /* The right bytes with the wrong length or flag: say which. */
    if (bytes_right && f->n > max)
      snprintf(hint, sizeof hint, "; the bytes are the right %zu, but a truncated %zu-byte message "
               "must report its real length %zu and MSG_TRUNC", stored, f->n, f->n);
    for (i = 0; i < f->n && i < 12; ++i) fb[i] = pattern_byte(f->first + (uint32_t)i);
    dg_hex(next, sizeof next, fb, f->n < 12 ? f->n : 12);
    free(b);
    broken(RECV_PROMISE "; " BOUNDARY_PROMISE,
           "receive %s got %zu bytes stored of real length %zd%s (buffer %zu): %s, which is not "
           "%s sent and not yet received; the next one sent is %zu bytes: %s%s (%zu pending): "
           "boundaries merged or split, data altered, a message duplicated, reordered or lost%s",
           dg_dir[dir], stored, r, truncated ? ", MSG_TRUNC" : "", max, hex,
           dg_ordered ? "the next message" : "any message", f->n, next, f->n > 12 ? " ..." : "",
           dg_count[dir], hint);
  }
  free(b);
  /* In order: everything sent before it is lost for good (may drop only). */
  if (dg_ordered) {
    memmove(&dg_pending[dir][0], &dg_pending[dir][at + 1],
            (dg_count[dir] - at - 1) * sizeof dg_pending[dir][0]);
    dg_count[dir] -= at + 1;
  } else {
    memmove(&dg_pending[dir][at], &dg_pending[dir][at + 1],
            (dg_count[dir] - at - 1) * sizeof dg_pending[dir][0]);
    dg_count[dir] -= 1;
  }
  return 1;
}
)C");
}

// The C of one send and one receive, with what they call in a comment.
std::string CSend(int dir, uint32_t first, size_t n, bool nonblock) {
  return "dg_send(" + std::to_string(dir) + ", " + std::to_string(first) + "u, " +
         std::to_string(n) + "u, " + (nonblock ? "1" : "0") + ");  /* send(" +
         (dir == 0 ? "afd" : "bfd") + ", " + std::to_string(n) + " bytes, MSG_NOSIGNAL" +
         (nonblock ? "|MSG_DONTWAIT" : "") + "): all " + std::to_string(n) + " sent */\n";
}
std::string CReceive(int dir, size_t max, bool nonblock, int wait_ms) {
  return "dg_receive(" + std::to_string(dir) + ", " + std::to_string(max) + "u, " +
         (nonblock ? "1" : "0") + ", " + std::to_string(wait_ms) + ");  /* " +
         (wait_ms > 0 ? "poll(2) up to " + std::to_string(wait_ms) + " ms, " : std::string()) +
         "recvmsg(" + (dir == 0 ? "bfd" : "afd") + ", buffer " + std::to_string(max) +
         ", MSG_TRUNC" + (nonblock ? "|MSG_DONTWAIT" : "") +
         "): a message in flight, whole or truncated with its real length */\n";
}

// ---------------------------------------------------------------------------
// The model and the system under test.

struct DgModel {
  // q[0]: sent by A, for B; q[1]: sent by B, for A. For a Kind that may drop,
  // this is the reliable view (what is known to be in flight at most), used
  // only to bound the traffic; the check uses DgSut::pending.
  std::deque<size_t> q[2];
  DatagramCaps caps;
};

struct DgSut {
  DatagramChannel c;
  uint32_t next = 0;  // pattern position for the next message
  // The messages sent and not yet received, per direction, in send order.
  std::deque<std::vector<uint8_t>> pending[2];
  DatagramEndpoint& sender(int dir) { return dir == 0 ? *c.a : *c.b; }
  DatagramEndpoint& receiver(int dir) { return dir == 0 ? *c.b : *c.a; }
};

using DgCommand = rc::state::Command<DgModel, DgSut>;

const char* DirName(int dir) { return dir == 0 ? "A->B" : "B->A"; }

rc::Gen<size_t> MessageSize(const DatagramCaps& caps) {
  const size_t max = std::max<size_t>(caps.max_message, 2);
  std::vector<size_t> edges = {1, 2, 3, max - 1, max};
  return rc::gen::weightedOneOf<size_t>({
      {5, rc::gen::inRange<size_t>(1, std::min<size_t>(65, max + 1))},
      {2, rc::gen::inRange<size_t>(1, max + 1)},
      {1, rc::gen::elementOf(edges)},
  });
}

struct Send : DgCommand {
  int dir;
  size_t n;
  Blocking b;
  explicit Send(const DgModel& m)
      : dir(*rc::gen::inRange(0, 2)),
        n(*MessageSize(m.caps)),
        b(*rc::gen::element(Blocking::kBlock, Blocking::kNonBlock)) {}
  void checkPreconditions(const DgModel& m) const override {
    const bool room = m.q[dir].size() < m.caps.guaranteed_queue;
    RC_PRE(room);
  }
  void apply(DgModel& m) const override { m.q[dir].push_back(n); }
  void run(const DgModel& m, DgSut& sut) const override {
    if (auto* rec = repro::Active()) {
      std::ostringstream os;
      show(os);
      rec->Step(os.str(),
                CSend(dir, sut.next, n, b == Blocking::kNonBlock),
                "a send returns at once while the direction holds fewer than " +
                    std::to_string(m.caps.guaranteed_queue) + " messages (" +
                    std::to_string(m.q[dir].size()) + " in flight)");
    }
    std::vector<uint8_t> msg = Message(sut.next, n);
    Watchdog dog(Deadline::In(std::chrono::seconds(5)));
    auto r = sut.sender(dir).Send(msg.data(), n, b);
    if (!r.ok() && r.errno_value() == EINTR && dog.fired()) {
      RC_FAIL(std::string("a send ") + DirName(dir) + " blocked with only " +
              std::to_string(m.q[dir].size()) + " messages in flight (man 2 send)");
    }
    if (!r.ok()) {
      RC_FAIL(std::string("send ") + DirName(dir) + " of " + std::to_string(n) +
              " bytes with room for it failed: " + r.error().ToString() +
              " (man 2 send: EAGAIN only when \"the requested operation would block\")");
    }
    if (r.value() != n) {
      RC_FAIL("send of a " + std::to_string(n) + "-byte message reported " +
              std::to_string(r.value()) +
              " bytes sent (man 2 send: a message is sent atomically or fails EMSGSIZE)");
    }
    sut.pending[dir].push_back(std::move(msg));
    sut.next += static_cast<uint32_t>(n) + 7919;
  }
  void show(std::ostream& os) const override {
    os << "send " << DirName(dir) << "(" << n << " bytes, " << ToString(b) << ")";
  }
};

struct Receive : DgCommand {
  int dir;
  size_t max;
  Blocking b;
  explicit Receive(const DgModel& m)
      : dir(*rc::gen::inRange(0, 2)),
        max(*rc::gen::weightedOneOf<size_t>(
            {{5, rc::gen::just(m.caps.max_message)},
             {2, rc::gen::inRange<size_t>(1, 80)},
             {1, rc::gen::inRange<size_t>(1, m.caps.max_message + 1)}})),
        // A Kind that may drop is only ever asked without blocking: a dropped
        // message must not hang the sequence.
        b(m.caps.may_drop ? Blocking::kNonBlock
                          : *rc::gen::element(Blocking::kBlock, Blocking::kNonBlock)) {}
  void checkPreconditions(const DgModel& m) const override {
    // A blocking receive of an empty direction would block for ever.
    const bool would_block = b == Blocking::kBlock && m.q[dir].empty();
    RC_PRE(!would_block);
  }
  void apply(DgModel& m) const override {
    if (!m.q[dir].empty()) m.q[dir].pop_front();
  }
  void run(const DgModel& m, DgSut& sut) const override {
    const DatagramCaps& caps = m.caps;
    auto& pending = sut.pending[dir];
    if (auto* rec = repro::Active()) {
      std::ostringstream os;
      show(os);
      rec->Step(os.str(),
                CReceive(dir, max, b == Blocking::kNonBlock, 0),
                b == Blocking::kBlock ? "a blocking receive returns at once: " +
                                            std::to_string(pending.size()) +
                                            " message(s) were sent and not received"
                                      : "a non-blocking receive returns at once");
    }
    Watchdog dog(Deadline::In(std::chrono::seconds(5)));
    auto r = sut.receiver(dir).Receive(max, b);
    if (!r.ok() && r.errno_value() == EINTR && dog.fired()) {
      RC_FAIL(std::string("a blocking receive ") + DirName(dir) + " blocked although " +
              std::to_string(pending.size()) + " message(s) were sent and not received");
    }
    if (!r.ok()) {
      if (r.errno_value() != EAGAIN) {
        RC_FAIL(std::string("receive ") + DirName(dir) + ": " + r.error().ToString() +
                " (man 2 recv)");
      }
      if (!caps.may_drop && !pending.empty()) {
        RC_FAIL(std::string("non-blocking receive ") + DirName(dir) + " gave EAGAIN while " +
                std::to_string(pending.size()) + " message(s) sent were not received: lost (" +
                kBoundaryCite + ")");
      }
      return;  // EAGAIN: nothing there (or, for a Kind that may drop, not yet)
    }
    const Received& got = r.value();
    if (pending.empty()) {
      RC_FAIL(std::string("receive ") + DirName(dir) + " got a message although every message " +
              "sent was already received: duplicated or invented; got " + Describe(got, max) +
              " (man 2 recv: \"If no messages are available at the socket ... errno is set to "
              "EAGAIN\")");
    }
    // Which sent message is it?
    size_t at = pending.size();
    if (caps.ordered && !caps.may_drop) {
      if (Matches(pending.front(), got, max, caps.reports_real_length)) at = 0;
    } else {
      for (size_t i = 0; i < pending.size(); ++i) {
        if (Matches(pending[i], got, max, caps.reports_real_length)) {
          at = i;
          break;
        }
      }
    }
    if (at == pending.size()) {
      const auto& front = pending.front();
      RC_FAIL(std::string("receive ") + DirName(dir) + " got " + Describe(got, max) +
              ", which is not " + (caps.ordered ? "the next message" : "any message") +
              " sent and not yet received; the next one sent is " +
              std::to_string(front.size()) + " bytes: " + Hex(front) + " (" +
              std::to_string(pending.size()) +
              " pending): boundaries merged or split, data altered, a message duplicated, "
              "reordered or lost (" +
              kBoundaryCite + "; " + kRecvCite + ")");
    }
    if (caps.ordered) {
      // In order: everything sent before it is lost for good (may_drop only:
      // otherwise `at` is 0).
      pending.erase(pending.begin(), pending.begin() + static_cast<long>(at) + 1);
    } else {
      pending.erase(pending.begin() + static_cast<long>(at));
    }
  }
  void show(std::ostream& os) const override {
    os << "receive " << DirName(dir) << "(buffer " << max << ", " << ToString(b) << ")";
  }
};

PropertyOutcome ModelSequences(const DatagramKind& kind) {
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    DgReproPrelude(kind.caps);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    DgSut sut{std::move(opened).ValueOrDie()};
    DgModel m0;
    m0.caps = kind.caps;
    rc::state::check(m0, sut, rc::state::gen::execOneOfWithArgs<Send, Send, Receive>());
  }));
}

// ---------------------------------------------------------------------------
// Truncation: one message into a short buffer, then the next message whole.

// Receives one message, waiting at most 2 s; EAGAIN-after-wait comes back as
// an error (a Kind that may drop may legally have nothing).
PosixErrorOr<Received> ReceiveWithin(DatagramEndpoint& e, size_t max) {
  Deadline d = Deadline::In(std::chrono::seconds(2));
  for (;;) {
    auto r = e.Receive(max, Blocking::kNonBlock);
    if (r.ok() || r.errno_value() != EAGAIN) return r;
    if (e.fd() < 0) return r;
    struct pollfd p = {e.fd(), POLLIN, 0};
    int n = poll(&p, 1, d.RemainingMs());
    if (n == 0) return r;  // EAGAIN
    if (n < 0 && errno != EINTR) return ErrnoError("poll");
  }
}

PropertyOutcome TruncationReportsTheRealLength(const DatagramKind& kind) {
  return RunProperty(CurrentTestId(), repro::Recorded([&kind] {
    const DatagramCaps& caps = kind.caps;
    const size_t top = std::max<size_t>(caps.max_message, 2);
    const size_t n1 = *rc::gen::inRange<size_t>(2, top + 1);
    const size_t n2 = *rc::gen::inRange<size_t>(1, top + 1);
    const size_t k = *rc::gen::inRange<size_t>(1, n1);  // k < n1: truncates
    const int dir = *rc::gen::inRange(0, 2);
    auto opened = kind.Open();
    if (!opened.ok()) RC_FAIL("opening a " + kind.name + ": " + opened.error().ToString());
    DatagramChannel c = std::move(opened).ValueOrDie();
    DatagramEndpoint& tx = dir == 0 ? *c.a : *c.b;
    DatagramEndpoint& rx = dir == 0 ? *c.b : *c.a;
    const std::vector<uint8_t> m1 = Message(1, n1), m2 = Message(100003, n2);
    repro::Recording* rec = repro::Active();
    if (rec != nullptr) {
      DgReproPrelude(caps);
      rec->Step("send " + std::string(DirName(dir)) + "(" + std::to_string(n1) +
                    " bytes, nonblocking) into an empty channel",
                CSend(dir, 1, n1, true));
      rec->Step("send " + std::string(DirName(dir)) + "(" + std::to_string(n2) +
                    " bytes, nonblocking)",
                CSend(dir, 100003, n2, true));
      rec->Step("receive " + std::string(DirName(dir)) + " into a buffer of " +
                    std::to_string(k) + " bytes (waiting up to 2 s): the first message, truncated, "
                    "with its real length and MSG_TRUNC",
                CReceive(dir, k, true, 2000),
                "poll(2) with a 2 s timeout returns");
      rec->Step("receive " + std::string(DirName(dir)) + " into a buffer of " +
                    std::to_string(top) + " bytes (waiting up to 2 s): the next message, whole",
                CReceive(dir, top, true, 2000),
                "poll(2) with a 2 s timeout returns");
      rec->Step("receive " + std::string(DirName(dir)) + " (nonblocking): nothing more, EAGAIN "
                "(the truncated tail was discarded)",
                CReceive(dir, top, true, 0));
    }
    for (const auto* m : {&m1, &m2}) {
      auto s = tx.Send(m->data(), m->size(), Blocking::kNonBlock);
      if (!s.ok() || s.value() != m->size()) {
        RC_FAIL("send of a " + std::to_string(m->size()) + "-byte message into an empty channel: " +
                (s.ok() ? std::to_string(s.value()) + " bytes" : s.error().ToString()) +
                " (man 2 send)");
      }
    }
    std::vector<std::vector<uint8_t>> left = {m1, m2};
    for (size_t buf : {k, top}) {
      auto r = ReceiveWithin(rx, buf);
      if (!r.ok() && r.errno_value() == EAGAIN && caps.may_drop) return;  // dropped: legal
      if (!r.ok()) {
        RC_FAIL("receive into a buffer of " + std::to_string(buf) + " bytes with " +
                std::to_string(left.size()) + " message(s) sent: " + r.error().ToString() +
                " (" + kRecvCite + ")");
      }
      size_t at = left.size();
      for (size_t i = 0; i < left.size(); ++i) {
        // In order: only the first is allowed; otherwise any.
        if (caps.ordered && !caps.may_drop && i > 0) break;
        if (Matches(left[i], r.value(), buf, caps.reports_real_length)) {
          at = i;
          break;
        }
      }
      if (at == left.size()) {
        RC_FAIL("receive into a buffer of " + std::to_string(buf) + " bytes got " +
                Describe(r.value(), buf) + "; expected " +
                (buf == k ? "the first " + std::to_string(k) + " bytes of the " +
                                std::to_string(n1) + "-byte message, real length " +
                                std::to_string(n1) + " and MSG_TRUNC"
                          : "the next message (" + std::to_string(left[0].size()) +
                                " bytes), whole") +
                " (" + kRecvCite + "; man 2 recv msg_flags: \"MSG_TRUNC indicates that the "
                "trailing portion of a datagram was discarded\"; man 7 udp: \"when it is "
                "bigger, the packet is truncated and the MSG_TRUNC flag is set\")");
      }
      if (caps.ordered) {
        left.erase(left.begin(), left.begin() + static_cast<long>(at) + 1);
      } else {
        left.erase(left.begin() + static_cast<long>(at));
      }
      if (left.empty()) break;
    }
    // Nothing more: the truncated tail was discarded, not kept as a message.
    auto extra = rx.Receive(top, Blocking::kNonBlock);
    if (extra.ok()) {
      RC_FAIL("after both messages, a further receive got " + Describe(extra.value(), top) +
              ": the truncated tail or a duplicate came back as a message (" + kRecvCite +
              ")");
    }
    if (extra.errno_value() != EAGAIN) {
      RC_FAIL("non-blocking receive of an empty channel: " + extra.error().ToString() +
              ", expected EAGAIN (man 2 recv)");
    }
  }));
}

// Loopback sockets may be missing where the environment has no network
// namespace with a working lo: probe by opening one, and skip with the reason.
std::optional<std::string> Unavailable(const DatagramKind& k) {
  auto c = k.Open();
  if (c.ok()) return std::nullopt;
  int e = c.errno_value();
  if (e == EAFNOSUPPORT || e == EADDRNOTAVAIL || e == ENETUNREACH || e == EPROTONOSUPPORT ||
      e == EACCES) {
    return "cannot open one here: " + c.error().ToString();
  }
  return std::nullopt;  // a real failure: the property reports it
}

}  // namespace

const std::vector<SuiteProperty<DatagramInterface>>& DatagramProperties() {
  static const auto* props = new std::vector<SuiteProperty<DatagramInterface>>{
      {"ModelSequences",
       "man 7 unix (SOCK_DGRAM/SOCK_SEQPACKET preserve message boundaries, reliable, in order), "
       "man 7 udp (one packet per receive; unreliable, unordered), man 2 recv (EAGAIN, "
       "MSG_TRUNC), man 2 send (a message is sent whole)",
       Unavailable, ModelSequences},
      {"TruncationReportsTheRealLength",
       "man 2 recv: \"If a message is too long to fit in the supplied buffer, excess bytes may "
       "be discarded\", MSG_TRUNC \"return the real length of the packet or datagram\"; man 7 "
       "udp: \"when it is bigger, the packet is truncated and the MSG_TRUNC flag is set\"",
       Unavailable, TruncationReportsTheRealLength},
  };
  return *props;
}

}  // namespace ipcspec
