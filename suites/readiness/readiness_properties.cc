// The readiness models, one per interface family, and the four properties
// (readiness_properties.h). What each descriptor must report, with its
// source:
//
// Pipes and FIFOs (man 7 pipe, man 7 fifo, man 2 poll):
//   read end: POLLIN while data is there; POLLHUP once every write end is
//     closed ("this event merely indicates that the peer closed its end of
//     the channel"; with data left, POLLIN|POLLHUP, then POLLHUP alone, as in
//     the example of man 2 poll); never POLLOUT, POLLRDHUP (a socket event)
//     or POLLERR.
//   write end: POLLOUT while a write of PIPE_BUF bytes would not block (man 7
//     pipe: "If there is room to write n bytes to the pipe, then write(2)
//     succeeds immediately"): always when empty, never with fewer than
//     PIPE_BUF bytes of room, and not after a fill ended in EAGAIN until a
//     read; POLLERR once the read end is closed (man 2 poll: "This bit is
//     also set for a file descriptor referring to the write end of a pipe
//     when the read end has been closed.").
// Unix stream sockets (man 7 unix, man 2 poll): the reading socket POLLIN
//   with data; when the peer closes, POLLIN|POLLRDHUP|POLLHUP (Linux: the
//   peer's close shuts both directions); the peer's close with data unread
//   in its queue is a reset (POLLERR, ECONNRESET; Linux). TCP (man 7 tcp):
//   the peer's close is a FIN: POLLIN|POLLRDHUP, not POLLHUP (the other
//   direction is still open).
// Datagram sockets: POLLIN with a message queued; SOCK_SEQPACKET like a
//   stream on the peer's close; POLLOUT while the peer is there (the suite
//   keeps queues short).
// eventfd (man 2 eventfd): "The file descriptor is readable ... if the
//   counter has a value greater than 0." / "The file descriptor is writable
//   ... if it is possible to write a value of at least "1" without
//   blocking."
// signalfd (man 2 signalfd): "The file descriptor is readable ... if one or
//   more of the signals in mask is pending for the process."
// POSIX message queues (man 7 mq_overview: "On Linux, a message queue
//   descriptor is actually a file descriptor. ... This can be monitored using
//   select(2), poll(2), or epoll(7)."): readable while a message is queued,
//   writable while the queue holds fewer than mq_maxmsg (man 2 select:
//   ready when the read or write "will not block").
#include "suites/readiness/readiness_properties.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "impl/core/blocked.h"
#include "impl/core/deadline.h"
#include "impl/inet/tcp_loopback_c.h"
#include "impl/repro/repro.h"
#include "impl/verdict/verdict.h"
#include "rapidcheck.h"
#include "suites/readiness/readiness_check.h"
#include "suites/readiness/readiness_repro.h"

namespace ipcspec {
namespace {

// Cases per property: every case is a sequence of up to kMaxSteps steps
// (each a handful of system calls per descriptor), so that the whole suite
// stays well under a second and a half.
constexpr int kModelCases = 8;
constexpr size_t kMaxSteps = 24;
// A waiter that the event must wake gives up after this long (it then
// reports that it was not woken); a correct kernel wakes it at once.
constexpr int kWaiterTimeoutMs = 1000;

constexpr const char* kPipeCites = "man 2 poll, man 7 pipe";
constexpr const char* kUnixCites = "man 2 poll, man 7 unix (Linux)";
constexpr const char* kTcpCites = "man 2 poll, man 7 tcp (Linux)";
constexpr const char* kEventfdCites =
    "man 2 eventfd: \"The file descriptor is readable ... if the counter has a value greater "
    "than 0.\" / \"The file descriptor is writable ... if it is possible to write a value of at "
    "least \"1\" without blocking.\"";
constexpr const char* kSignalfdCites =
    "man 2 signalfd: \"The file descriptor is readable (the select(2) readfds argument; the "
    "poll(2) POLLIN flag) if one or more of the signals in mask is pending for the process.\"";
constexpr const char* kMqCites =
    "man 7 mq_overview: \"On Linux, a message queue descriptor is actually a file descriptor. "
    "... This can be monitored using select(2), poll(2), or epoll(7).\"; man 2 select: ready "
    "when the read or write \"will not block\"";

// What a descriptor is, from the kernel (fstat, SO_DOMAIN, SO_TYPE).
enum class FdType { kPipe, kUnixStream, kUnixSeqpacket, kUnixDgram, kTcp, kUdp, kOther };

FdType Classify(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return FdType::kOther;
  if (S_ISFIFO(st.st_mode)) return FdType::kPipe;
  if (!S_ISSOCK(st.st_mode)) return FdType::kOther;
  int domain = 0, type = 0;
  socklen_t l = sizeof domain;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &l) != 0) return FdType::kOther;
  l = sizeof type;
  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l) != 0) return FdType::kOther;
  if (domain == AF_UNIX) {
    if (type == SOCK_STREAM) return FdType::kUnixStream;
    if (type == SOCK_SEQPACKET) return FdType::kUnixSeqpacket;
    if (type == SOCK_DGRAM) return FdType::kUnixDgram;
  }
  if (domain == AF_INET || domain == AF_INET6) {
    if (type == SOCK_STREAM) return FdType::kTcp;
    if (type == SOCK_DGRAM) return FdType::kUdp;
  }
  return FdType::kOther;
}

// One opened instance of a Kind, its model, and its steps.
class Subject {
 public:
  virtual ~Subject() = default;
  // The descriptors to watch (the model's steps Forget() them before
  // closing them).
  virtual std::vector<Watch> Watches() = 0;
  // What each watched descriptor must report now.
  virtual std::vector<Expect> Predict() const = 0;
  // Arrivals reach the receiving descriptor later (TCP, UDP).
  virtual bool Lag() const { return false; }
  // Runs one step chosen by `r` among those that apply; `edges` holds kMay
  // for every descriptor and the step sets kMust where something arrived.
  // Returns the step's text; "" when no step applies any more.
  virtual std::string Step(uint32_t r, ReadinessChecker& c, std::vector<Edge>& edges) = 0;
  // The steps every sequence ends with (each checked like the others), so
  // that every case reaches the ends' closes: none by default.
  virtual std::vector<uint32_t> Tail() const { return {}; }
  // For the waiters: a descriptor that is not readable now, and the event
  // that makes it readable.
  virtual int WaitFd() const = 0;
  virtual std::string MakeReadable() = 0;
  // For a waiter for POLLOUT: the descriptor to write to, made not writable
  // (false: the Kind has no fill whose end is certain), then made writable.
  virtual int WriteWaitFd() const { return -1; }
  virtual bool MakeUnwritable() { return false; }
  virtual std::string MakeWritable() { return ""; }
  // For the hangup waiter: an arrival that is not a hangup, then the hangup.
  virtual bool HasHangup() const { return false; }
  virtual std::string MakeHangup() { return ""; }

  // The reproducers (impl/repro): adds the C helpers of the model's steps;
  // a model that has none says so.
  virtual void Prelude(repro::Recording& rec) {
    rec.Unprintable("this readiness model does not print its steps as C");
  }
  // The waiters' descriptor and events as C ("" where there is none).
  virtual std::string WaitFdC() const { return ""; }
  virtual std::string MakeReadableC() const { return ""; }
  virtual std::string MakeHangupC() const { return ""; }
  virtual std::string WriteWaitFdC() const { return ""; }
  // Whether MakeUnwritable applies (asked before it, which records its steps).
  virtual bool CanMakeUnwritable() const { return false; }
};

// Records one step of the reproducer (impl/repro) when a case is recorded.
void Rec(const std::string& title, const std::string& code, const std::string& hang = "") {
  if (auto* rec = repro::Active()) rec->Step(title, code, hang);
}

std::string Result(const PosixErrorOr<size_t>& r) {
  return r.ok() ? std::to_string(r.value()) : r.error().ToString();
}

// ---------------------------------------------------------------------------
// Byte streams.

class StreamSubject : public Subject {
 public:
  StreamSubject(ByteStream s, const ByteStreamKind& kind)
      : s_(std::move(s)), lag_(kind.caps.delivery_may_lag) {
    type_ = Classify(s_.writer->fd());  // the reading end may be a library's own descriptor
    capacity_ = s_.reported_capacity ? s_.reported_capacity : kind.caps.empty_capacity;
    chunk_ = std::max<size_t>(kind.caps.atomic_write, 4096);
  }
  bool Applies(std::string* why) const {
    if (s_.reader->fd() < 0 || s_.writer->fd() < 0) {
      *why = "its ends have no descriptor";
      return false;
    }
    if (type_ != FdType::kPipe && type_ != FdType::kUnixStream && type_ != FdType::kTcp) {
      *why = "its descriptor is neither a pipe, a Unix stream socket nor a TCP socket";
      return false;
    }
    return true;
  }
  std::vector<Watch> Watches() override {
    StreamEnd* r = s_.reader.get();
    StreamEnd* w = s_.writer.get();
    // The Kinds' C setups (impl/pipe, impl/fifo, impl/unix_socket,
    // impl/inet) name the ends rfd and wfd.
    return {{"reading end", r->fd(), [r] { return r->fd(); }, "rfd"},
            {"writing end", w->fd(), [w] { return w->fd(); }, "wfd"}};
  }
  bool Lag() const override { return lag_; }

  // POLLOUT of the writing end while the reader is open.
  Tri Room() const {
    if (count_ == 0) return Tri::kYes;
    if (type_ == FdType::kPipe && capacity_ >= count_ && capacity_ - count_ < PIPE_BUF) {
      return Tri::kNo;
    }
    if (filled_) return (type_ == FdType::kTcp || read_since_fill_) ? Tri::kAny : Tri::kNo;
    return count_ <= 2048 ? Tri::kYes : Tri::kAny;
  }

  std::vector<Expect> Predict() const override {
    Expect r, w;
    const bool wo = writer_open_, ro = reader_open_;
    switch (type_) {
      case FdType::kPipe:
        r.in = TriOf(count_ > 0);
        r.hup = TriOf(!wo);
        r.cites = w.cites = kPipeCites;
        w.out = Room();
        w.err = TriOf(!ro);
        break;
      case FdType::kUnixStream:
        r.in = TriOf(count_ > 0 || !wo);
        r.rdhup = r.hup = TriOf(!wo);
        r.out = wo ? Tri::kYes : Tri::kAny;
        w.out = ro ? Room() : Tri::kAny;
        w.in = w.rdhup = w.hup = TriOf(!ro);
        w.err = TriOf(!ro && unread_at_close_);
        r.cites = w.cites = kUnixCites;
        break;
      default:  // TCP
        r.in = TriOf(count_ > 0 || !wo);
        // The FIN follows the data: while data sent is not yet read, it may
        // still wait in the writer's queue behind it (a full window).
        r.rdhup = wo ? Tri::kNo : count_ == 0 ? Tri::kYes : Tri::kAny;
        r.out = wo ? Tri::kYes : Tri::kAny;
        if (ro) {
          w.out = Room();
        } else {
          w.in = w.out = w.hup = w.rdhup = w.err = Tri::kAny;
        }
        r.cites = w.cites = kTcpCites;
        break;
    }
    return {r, w};
  }

  std::string Step(uint32_t r, ReadinessChecker& c, std::vector<Edge>& edges) override {
    if (!reader_open_ && !writer_open_) return "";
    const bool both = reader_open_ && writer_open_;
    switch (r % 20) {
      case 0: case 1: case 2: case 3: case 4: case 5: case 6:
        if (both) return Write(1 + (r >> 8) % 64, edges);
        break;
      case 7: case 8: case 9: case 10: case 11:
        if (reader_open_) return Read(1 + (r >> 8) % 64);
        break;
      case 12: case 13:
        if (both && !filled_) return Fill(edges);
        break;
      case 14: case 15:
        if (reader_open_) return Drain();
        break;
      case 18:
        if (writer_open_) {
          c.Forget(1);
          RecordClose("wfd", "close the writing end");
          PosixError e = s_.writer->Close();
          if (!e.ok()) RC_FAIL("closing the writing end: " + e.ToString());
          writer_open_ = false;
          return "close the writing end";
        }
        break;
      case 19:
        if (reader_open_) {
          c.Forget(0);
          unread_at_close_ = count_ > 0;
          const std::string what =
              "close the reading end" + std::string(count_ ? " with data unread" : "");
          RecordClose("rfd", what);
          PosixError e = s_.reader->Close();
          if (!e.ok()) RC_FAIL("closing the reading end: " + e.ToString());
          reader_open_ = false;
          return what;
        }
        break;
      default:
        break;
    }
    std::fill(edges.begin(), edges.end(), Edge::kNone);
    return "nothing (ask again)";
  }

  // Adds the C helpers of a stream's steps (the model's I/O as C).
  void Prelude(repro::Recording& rec) override { readiness_repro::AddStreamHelpers(rec); }
  std::string WaitFdC() const override { return "rfd"; }
  std::string WriteWaitFdC() const override { return "wfd"; }
  std::string MakeReadableC() const override {
    return "{\n  ssize_t r = nb_io(wfd, 1, 1);\n  io_result(\"write(1 byte, non-blocking)\", r, 1);\n"
           "  if (r > 0) stream_count += r;\n}\n";
  }
  std::string MakeHangupC() const override {
    return "if (close(wfd) != 0)\n  broken(" +
           repro::Lit("man 2 close: \"close() returns zero\" on success") +
           ", \"close: %s\", strerror(errno));\nwfd = -1;\n";
  }

  // A write of 1 byte, the reading end closed with it unread (a reset for a
  // socket), the writing end closed.
  std::vector<uint32_t> Tail() const override { return {0, 19, 18}; }

  int WaitFd() const override { return s_.reader->fd(); }
  std::string MakeReadable() override {
    Rec("a write of 1 byte", MakeReadableC(), "a non-blocking write returns at once");
    uint8_t b = 'x';
    auto w = s_.writer->Write(&b, 1, Blocking::kNonBlock);
    if (!w.ok() || w.value() != 1) RC_FAIL("writing 1 byte: " + Result(w));
    ++count_;
    return "a write of 1 byte";
  }
  int WriteWaitFd() const override { return s_.writer->fd(); }
  bool CanMakeUnwritable() const override { return type_ != FdType::kTcp; }
  // A fill to EAGAIN (TCP: room may come back with no read, man 7 tcp).
  bool MakeUnwritable() override {
    if (type_ == FdType::kTcp) return false;
    std::vector<Edge> edges(2);
    Fill(edges);
    if (!filled_) RC_FAIL("a fill of the stream never ended in EAGAIN");
    return true;
  }
  std::string MakeWritable() override {
    Drain();
    return "a read of everything in the stream";
  }
  bool HasHangup() const override { return true; }
  std::string MakeHangup() override {
    Rec("closing the writing end", MakeHangupC());
    PosixError e = s_.writer->Close();
    if (!e.ok()) RC_FAIL("closing the writing end: " + e.ToString());
    writer_open_ = false;
    return "closing the writing end";
  }

 private:
  // The C of a close: the descriptor leaves the epoll instances first.
  void RecordClose(const std::string& fd, const std::string& what) {
    auto* rec = repro::Active();
    if (rec == nullptr) return;
    rec->Step(what,
              "ready_forget(" + fd + ");\nif (close(" + fd + ") != 0)\n  broken(" +
                  repro::Lit("man 2 close: \"close() returns zero\" on success") +
                  ", \"close: %s\", strerror(errno));\n" + fd + " = -1;\n");
  }
  // The C of one non-blocking call and the result the model goes on from.
  void RecordIo(const std::string& title, bool is_write, size_t n,
                const PosixErrorOr<size_t>& r) {
    auto* rec = repro::Active();
    if (rec == nullptr) return;
    const std::string fd = is_write ? "wfd" : "rfd";
    const long want = r.ok() ? static_cast<long>(r.value()) : -1;
    const std::string call = std::string(is_write ? "write" : "read") + "(" + std::to_string(n) +
                             " bytes, non-blocking)";
    rec->Step(title,
              "{\n  ssize_t r = nb_io(" + fd + ", " + (is_write ? "1" : "0") + ", " +
                  std::to_string(n) + ");\n  io_result(" + repro::Lit(call) + ", r, " +
                  std::to_string(want) + ");\n  if (r > 0) stream_count " +
                  (is_write ? "+=" : "-=") + " r;\n}\n",
              "a non-blocking call returns at once");
  }

  std::string Write(size_t n, std::vector<Edge>& edges) {
    std::vector<uint8_t> buf(n, 'w');
    auto w = s_.writer->Write(buf.data(), n, Blocking::kNonBlock);
    RecordIo("write(" + std::to_string(n) + ") -> " + Result(w), true, n, w);
    if (w.ok()) {
      count_ += w.value();
      // An arrival is an edge (Linux: one per write). TCP's may wait in the
      // writer's queue for a window, and arrive at a later step.
      if (w.value() > 0) edges[0] = lag_ ? Edge::kMay : Edge::kMust;
    } else if (w.errno_value() != EAGAIN) {
      RC_FAIL("non-blocking write of " + std::to_string(n) + " bytes: " + w.error().ToString());
    }
    return "write(" + std::to_string(n) + ") -> " + Result(w);
  }
  std::string Read(size_t n) {
    std::vector<uint8_t> buf(n);
    auto got = s_.reader->Read(buf.data(), n, Blocking::kNonBlock);
    RecordIo("read(" + std::to_string(n) + ") -> " + Result(got), false, n, got);
    if (got.ok()) {
      count_ -= std::min(count_, got.value());
      if (got.value() > 0 && filled_) read_since_fill_ = true;
    } else if (got.errno_value() != EAGAIN) {
      RC_FAIL("non-blocking read of " + std::to_string(n) + " bytes: " + got.error().ToString());
    }
    if (count_ == 0) filled_ = read_since_fill_ = false;
    return "read(" + std::to_string(n) + ") -> " + Result(got);
  }
  std::string Fill(std::vector<Edge>& edges) {
    std::vector<uint8_t> buf(chunk_, 'f');
    size_t total = 0;
    bool eagain = false;
    for (int i = 0; i < 512 && !eagain; ++i) {
      auto w = s_.writer->Write(buf.data(), buf.size(), Blocking::kNonBlock);
      if (w.ok()) {
        total += w.value();
      } else if (w.errno_value() == EAGAIN) {
        eagain = true;
      } else {
        RC_FAIL("filling: " + w.error().ToString());
      }
    }
    count_ += total;
    if (total > 0) edges[0] = lag_ ? Edge::kMay : Edge::kMust;
    filled_ = eagain;
    read_since_fill_ = false;
    std::string what = "fill (" + std::to_string(total) + " bytes in writes of " +
                       std::to_string(chunk_) + (eagain ? ", until EAGAIN)" : ", no EAGAIN)");
    if (auto* rec = repro::Active()) {
      rec->Step(what,
                "fill(wfd, " + std::to_string(chunk_) + ", " + (eagain ? "1" : "0") + ", " +
                    (total > 0 ? "1" : "0") + ");\n",
                "non-blocking writes return at once");
    }
    return what;
  }
  std::string Drain() {
    std::vector<uint8_t> buf(65536);
    size_t total = 0;
    Deadline d = Deadline::In(std::chrono::seconds(2));
    while (count_ > 0) {
      auto got = s_.reader->Read(buf.data(), buf.size(), Blocking::kNonBlock);
      if (got.ok() && got.value() > 0) {
        total += got.value();
        count_ -= std::min(count_, got.value());
        continue;
      }
      if (got.ok()) break;  // end of file
      if (got.errno_value() != EAGAIN) RC_FAIL("draining: " + got.error().ToString());
      if (!lag_ || d.Expired()) break;
      struct pollfd p = {s_.reader->fd(), POLLIN, 0};
      poll(&p, 1, std::min(d.RemainingMs(), 50));
    }
    if (count_ == 0) filled_ = read_since_fill_ = false;
    if (auto* rec = repro::Active()) {
      rec->Step("drain (" + std::to_string(total) + " bytes)",
                std::string("drain(rfd, ") + (lag_ ? "1" : "0") + ");\n",
                "non-blocking reads return at once, and a lagging stream's drain waits at "
                "most 2 s");
    }
    return "drain (" + std::to_string(total) + " bytes)";
  }

  ByteStream s_;
  bool lag_;
  FdType type_;
  size_t capacity_ = 0, chunk_ = 4096;
  size_t count_ = 0;
  bool writer_open_ = true, reader_open_ = true;
  bool filled_ = false, read_since_fill_ = false, unread_at_close_ = false;
};

// ---------------------------------------------------------------------------
// Datagram channels: endpoints a (0) and b (1).

class DatagramSubject : public Subject {
 public:
  DatagramSubject(DatagramChannel ch, const DatagramKind& kind)
      : ch_(std::move(ch)), max_(std::min<size_t>(kind.caps.max_message, 4096)),
        queue_limit_(std::min<size_t>(kind.caps.guaranteed_queue, 6)) {
    type_ = Classify(ch_.a->fd());
  }
  bool Applies(std::string* why) const {
    if (ch_.a->fd() < 0 || ch_.b->fd() < 0) {
      *why = "its endpoints have no descriptor";
      return false;
    }
    if (type_ != FdType::kUnixDgram && type_ != FdType::kUnixSeqpacket && type_ != FdType::kUdp) {
      *why = "its descriptor is not a Unix datagram, Unix seqpacket or UDP socket";
      return false;
    }
    return true;
  }
  DatagramEndpoint* End(int i) const { return i == 0 ? ch_.a.get() : ch_.b.get(); }
  std::vector<Watch> Watches() override {
    DatagramEndpoint* a = ch_.a.get();
    DatagramEndpoint* b = ch_.b.get();
    // The Kinds' C setups (impl/unix_socket, impl/inet) name them afd, bfd.
    return {{"endpoint A", a->fd(), [a] { return a->fd(); }, "afd"},
            {"endpoint B", b->fd(), [b] { return b->fd(); }, "bfd"}};
  }
  bool Lag() const override { return type_ == FdType::kUdp; }
  std::vector<Expect> Predict() const override {
    std::vector<Expect> out(2);
    for (int i = 0; i < 2; ++i) {
      Expect& e = out[i];
      const bool peer = open_[1 - i];
      e.cites = type_ == FdType::kUdp ? "man 2 poll, man 7 udp" : "man 2 poll, man 7 unix (Linux)";
      if (peer) {
        e.in = TriOf(queued_[i] > 0);
        e.out = Tri::kYes;
      } else if (type_ == FdType::kUnixSeqpacket) {
        e.in = e.hup = e.rdhup = Tri::kYes;
        e.out = e.err = Tri::kAny;
      } else {
        e.in = queued_[i] > 0 ? Tri::kYes : Tri::kAny;
        e.out = e.err = e.hup = e.rdhup = Tri::kAny;
      }
    }
    return out;
  }
  std::string Step(uint32_t r, ReadinessChecker& c, std::vector<Edge>& edges) override {
    if (!open_[0] && !open_[1]) return "";
    const int i = (r >> 4) & 1;  // the endpoint acting
    const char* name = i == 0 ? "A" : "B";
    switch (r % 10) {
      case 0: case 1: case 2: case 3:
        if (open_[0] && open_[1] && queued_[1 - i] < queue_limit_) {
          size_t n = 1 + (r >> 8) % max_;
          std::vector<uint8_t> buf(n, 'd');
          if (auto* rec = repro::Active()) {
            rec->Step(std::string("send(") + name + ", " + std::to_string(n) + " bytes)",
                      std::string("dgram_send(") + (i == 0 ? "afd" : "bfd") + ", " +
                          std::to_string(n) + ");\n",
                      "a non-blocking send returns at once");
          }
          auto s = End(i)->Send(buf.data(), n, Blocking::kNonBlock);
          if (!s.ok() || s.value() != n) {
            RC_FAIL(std::string("send from ") + name + " of " + std::to_string(n) + " bytes: " +
                    Result(s));
          }
          ++queued_[1 - i];
          // An arrival is an edge (Linux: one per datagram); a lagging Kind's
          // may come at a later step.
          edges[1 - i] = Lag() ? Edge::kMay : Edge::kMust;
          return std::string("send(") + name + ", " + std::to_string(n) + " bytes)";
        }
        break;
      case 4: case 5: case 6:
        if (open_[i] && queued_[i] > 0) {
          auto got = End(i)->Receive(max_, Blocking::kNonBlock);
          Deadline d = Deadline::In(std::chrono::seconds(2));
          while (Lag() && !got.ok() && got.errno_value() == EAGAIN && !d.Expired()) {
            struct pollfd p = {End(i)->fd(), POLLIN, 0};
            poll(&p, 1, std::min(d.RemainingMs(), 50));
            got = End(i)->Receive(max_, Blocking::kNonBlock);
          }
          const bool reset = !got.ok() && !open_[1 - i] && got.errno_value() == ECONNRESET;
          if (auto* rec = repro::Active()) {
            rec->Step(std::string("receive(") + name + ")" + (reset ? " -> ECONNRESET" : ""),
                      std::string("dgram_receive(") + (i == 0 ? "afd" : "bfd") + ", " +
                          std::to_string(max_) + ", " + (Lag() ? "1" : "0") + ", " +
                          (reset ? "1" : "0") + ", " + (open_[1 - i] ? "1" : "0") + ");\n",
                      "a non-blocking receive returns at once (a lagging Kind's waits at most "
                      "2 s for a datagram sent)");
          }
          if (reset) {
            // The peer closed with messages unread: a reset, reported once
            // (man 7 unix; Linux); the queued messages stay.
            return std::string("receive(") + name + ") -> ECONNRESET";
          }
          if (!got.ok()) {
            RC_FAIL(std::string("receive on ") + name + " with " + std::to_string(queued_[i]) +
                    " message(s) sent to it: " + got.error().ToString());
          }
          --queued_[i];
          return std::string("receive(") + name + ")";
        }
        break;
      case 8:
        if (open_[i]) {
          c.Forget(i);
          if (auto* rec = repro::Active()) {
            const std::string fd = i == 0 ? "afd" : "bfd";
            rec->Step(std::string("close(") + name + ")",
                      "ready_forget(" + fd + ");\nif (close(" + fd + ") != 0)\n  broken(" +
                          repro::Lit("man 2 close: \"close() returns zero\" on success") +
                          ", \"close: %s\", strerror(errno));\n" + fd + " = -1;\n");
          }
          PosixError e = End(i)->Close();
          if (!e.ok()) RC_FAIL(std::string("closing ") + name + ": " + e.ToString());
          open_[i] = false;
          return std::string("close(") + name + ")";
        }
        break;
      default:
        break;
    }
    std::fill(edges.begin(), edges.end(), Edge::kNone);
    return "nothing (ask again)";
  }
  // Adds the C helpers of a datagram channel's steps.
  void Prelude(repro::Recording& rec) override { readiness_repro::AddDatagramHelpers(rec); }
  std::string WaitFdC() const override { return "afd"; }
  std::string MakeReadableC() const override { return "dgram_send(bfd, 1);\n"; }
  std::string MakeHangupC() const override {
    return "if (close(bfd) != 0)\n  broken(" +
           repro::Lit("man 2 close: \"close() returns zero\" on success") +
           ", \"close: %s\", strerror(errno));\nbfd = -1;\n";
  }
  int WaitFd() const override { return ch_.a->fd(); }
  std::string MakeReadable() override {
    Rec("a message of 1 byte from B", MakeReadableC(), "a non-blocking send returns at once");
    uint8_t b = 'x';
    auto s = ch_.b->Send(&b, 1, Blocking::kNonBlock);
    if (!s.ok() || s.value() != 1) RC_FAIL("sending 1 byte from B: " + Result(s));
    ++queued_[0];
    return "a message of 1 byte from B";
  }
  bool HasHangup() const override { return type_ == FdType::kUnixSeqpacket; }
  std::string MakeHangup() override {
    Rec("closing B", MakeHangupC());
    PosixError e = ch_.b->Close();
    if (!e.ok()) RC_FAIL("closing B: " + e.ToString());
    open_[1] = false;
    return "closing B";
  }

 private:
  DatagramChannel ch_;
  size_t max_, queue_limit_;
  FdType type_;
  bool open_[2] = {true, true};
  size_t queued_[2] = {0, 0};  // messages waiting at A, at B
};

// ---------------------------------------------------------------------------
// Counters.

class CounterSubject : public Subject {
 public:
  CounterSubject(CounterInstance c, const CounterKind& kind)
      : c_(std::move(c)), value_(kind.caps.initial_value), max_(kind.caps.max_value),
        semaphore_(kind.caps.semaphore) {}
  bool Applies(std::string* why) const {
    if (c_->fd() < 0) {
      *why = "it has no descriptor";
      return false;
    }
    return true;
  }
  std::vector<Watch> Watches() override {
    Counter* c = c_.get();
    // The eventfd Kinds' C setup (impl/eventfd) names it cfd.
    return {{c_->Describe(), c_->fd(), [c] { return c->fd(); }, "cfd"}};
  }
  std::vector<Expect> Predict() const override {
    Expect e;
    e.in = TriOf(value_ > 0);
    e.out = TriOf(value_ < max_);
    e.cites = kEventfdCites;
    return {e};
  }
  std::string Step(uint32_t r, ReadinessChecker&, std::vector<Edge>& edges) override {
    switch (r % 8) {
      case 0: case 1: case 2: {
        uint64_t v = (r >> 8) % 5;
        return Add(v, edges);
      }
      case 3: {
        // Up to the maximum, or one past it.
        uint64_t v = max_ - value_ + 1 - (r >> 8) % 3;
        return Add(v, edges);
      }
      case 4: case 5: case 6: {
        auto t = c_->Take(Blocking::kNonBlock);
        if (auto* rec = repro::Active()) {
          rec->Step("take -> " + (t.ok() ? std::to_string(t.value()) : t.error().ToString()),
                    std::string("ctr_take(") + (t.ok() ? "1" : "0") + ");\n",
                    "a non-blocking read returns at once");
        }
        if (t.ok()) {
          value_ = semaphore_ ? value_ - 1 : 0;
        } else if (t.errno_value() != EAGAIN) {
          RC_FAIL("non-blocking take: " + t.error().ToString());
        }
        return "take -> " + (t.ok() ? std::to_string(t.value()) : t.error().ToString());
      }
      default:
        std::fill(edges.begin(), edges.end(), Edge::kNone);
        return "nothing (ask again)";
    }
  }
  void Prelude(repro::Recording& rec) override { readiness_repro::AddCounterHelpers(rec); }
  std::string WaitFdC() const override { return "cfd"; }
  std::string WriteWaitFdC() const override { return "cfd"; }
  std::string MakeReadableC() const override { return "ctr_add(0x1ULL, 0, 1);\n"; }
  int WaitFd() const override { return c_->fd(); }
  std::string MakeReadable() override {
    Rec("add(1)", MakeReadableC(), "a non-blocking write returns at once");
    PosixError e = c_->Add(1, Blocking::kNonBlock);
    if (!e.ok()) RC_FAIL("add(1): " + e.ToString());
    ++value_;
    return "add(1)";
  }
  int WriteWaitFd() const override { return c_->fd(); }
  bool CanMakeUnwritable() const override { return true; }
  bool MakeUnwritable() override {
    char b[40];
    std::snprintf(b, sizeof b, "0x%llxULL", static_cast<unsigned long long>(max_ - value_));
    Rec(std::string("add(") + b + "): up to the maximum",
        std::string("ctr_add(") + b + ", 0, 1);\n", "a non-blocking write returns at once");
    PosixError e = c_->Add(max_ - value_, Blocking::kNonBlock);
    if (!e.ok()) RC_FAIL("adding up to the maximum: " + e.ToString());
    value_ = max_;
    return true;
  }
  std::string MakeWritable() override {
    Rec("a take", "ctr_take(1);\n", "a non-blocking read returns at once");
    auto t = c_->Take(Blocking::kNonBlock);
    if (!t.ok()) RC_FAIL("take at the maximum: " + t.error().ToString());
    value_ = semaphore_ ? value_ - 1 : 0;
    return "a take";
  }
  // Takes the counter to zero (a Kind may start above it).
  void Empty() {
    while (value_ > 0) {
      Rec("a take of the initial value", "ctr_take(1);\n", "a non-blocking read returns at once");
      auto t = c_->Take(Blocking::kNonBlock);
      if (!t.ok()) RC_FAIL("taking the initial value: " + t.error().ToString());
      value_ = semaphore_ ? value_ - 1 : 0;
    }
  }

 private:
  std::string Add(uint64_t v, std::vector<Edge>& edges) {
    PosixError e = c_->Add(v, Blocking::kNonBlock);
    const bool fits = v <= max_ && v <= max_ - value_;
    if (auto* rec = repro::Active()) {
      char b[64];
      std::snprintf(b, sizeof b, "0x%llxULL", static_cast<unsigned long long>(v));
      const std::string want = e.ok() ? "0"
                               : e.errno_value() == EAGAIN ? "EAGAIN"
                               : e.errno_value() == EINVAL ? "EINVAL"
                                                           : std::to_string(e.errno_value());
      rec->Step(std::string("add(") + b + ")",
                std::string("ctr_add(") + b + ", " + want + ", " + (fits ? "1" : "0") + ");\n",
                "a non-blocking write returns at once");
    }
    if (e.ok()) {
      if (!fits) RC_FAIL("add past the maximum succeeded");
      value_ += v;
      if (v > 0) edges[0] = Edge::kMust;
    } else if (e.errno_value() != EAGAIN && e.errno_value() != EINVAL) {
      RC_FAIL("non-blocking add: " + e.ToString());
    }
    char b[48];
    std::snprintf(b, sizeof b, "add(0x%llx) -> ", static_cast<unsigned long long>(v));
    return b + (e.ok() ? std::string("ok") : e.ToString());
  }
  CounterInstance c_;
  uint64_t value_, max_;
  bool semaphore_;
};

// ---------------------------------------------------------------------------
// Signal queues (a signalfd).

class SignalSubject : public Subject {
 public:
  explicit SignalSubject(SignalQueueInstance q) : q_(std::move(q)) {}
  bool Applies(std::string* why) const {
    if (q_->fd() < 0) {
      *why = "it receives signals without a descriptor";
      return false;
    }
    return true;
  }
  std::vector<Watch> Watches() override {
    SignalQueue* q = q_.get();
    return {{q_->Describe(), q_->fd(), [q] { return q->fd(); }}};
  }
  std::vector<Expect> Predict() const override {
    Expect e;
    e.in = TriOf(Pending() > 0);
    e.cites = kSignalfdCites;
    return {e};
  }
  std::string Step(uint32_t r, ReadinessChecker&, std::vector<Edge>& edges) override {
    const auto& sigs = QueueSignals();
    switch (r % 6) {
      case 0: case 1: case 2: {
        if (sends_ >= 24) break;
        int sig = sigs[(r >> 8) % sigs.size()];
        PosixError e = q_->Send(getpid(), sig, std::nullopt);
        if (!e.ok()) RC_FAIL("kill(self, " + SignalName(sig) + "): " + e.ToString());
        ++sends_;
        // man 7 signal: a standard signal already pending is not queued
        // again; a real-time one is.
        if (IsRealTimeSignal(sig) || counts_[sig] == 0) {
          ++counts_[sig];
          edges[0] = Edge::kMust;
        }
        return "send " + SignalName(sig) + " to self";
      }
      case 3: case 4: {
        auto got = q_->Receive(std::chrono::nanoseconds(0));
        if (got.ok()) {
          int sig = got.value().signo;
          if (counts_[sig] == 0) RC_FAIL("received " + SignalName(sig) + ", never sent");
          --counts_[sig];
          return "receive -> " + SignalName(sig);
        }
        if (got.errno_value() != EAGAIN) RC_FAIL("receive: " + got.error().ToString());
        return "receive -> EAGAIN";
      }
      default:
        break;
    }
    std::fill(edges.begin(), edges.end(), Edge::kNone);
    return "nothing (ask again)";
  }
  int WaitFd() const override { return q_->fd(); }
  std::string MakeReadable() override {
    PosixError e = q_->Send(getpid(), SIGUSR1, std::nullopt);
    if (!e.ok()) RC_FAIL("kill(self, SIGUSR1): " + e.ToString());
    ++counts_[SIGUSR1];
    return "kill(self, SIGUSR1)";
  }

 private:
  size_t Pending() const {
    size_t n = 0;
    for (int c : counts_) n += c;
    return n;
  }
  SignalQueueInstance q_;
  int counts_[_NSIG] = {};
  int sends_ = 0;
};

// ---------------------------------------------------------------------------
// Message queues (POSIX).

class MqSubject : public Subject {
 public:
  explicit MqSubject(MessageQueueInstance q) : q_(std::move(q)) {}
  bool Applies(std::string* why) {
    if (q_->fd() < 0) {
      *why = "its queue has no descriptor";
      return false;
    }
    auto st = q_->Status();
    if (!st.ok()) RC_FAIL("status: " + st.error().ToString());
    count_ = st.value().count;
    max_ = st.value().max_count;
    msg_ = std::min<size_t>(st.value().max_message, 64);
    if (max_ == 0) {
      *why = "its queue reports no maximum number of messages";
      return false;
    }
    return true;
  }
  std::vector<Watch> Watches() override {
    MessageQueue* q = q_.queue.get();
    // The POSIX queue Kinds' C setup (impl/posix_mq) names the blocking
    // descriptor q (the one watched) and the O_NONBLOCK one q_nb.
    return {{q_->Describe(), q_->fd(), [q] { return q->fd(); }, "q"}};
  }
  std::vector<Expect> Predict() const override {
    Expect e;
    e.in = TriOf(count_ > 0);
    e.out = TriOf(count_ < max_);
    e.cites = kMqCites;
    return {e};
  }
  std::string Step(uint32_t r, ReadinessChecker&, std::vector<Edge>& edges) override {
    switch (r % 7) {
      case 0: case 1: case 2: {
        std::vector<uint8_t> buf(1 + (r >> 8) % std::max<size_t>(msg_, 1), 'm');
        PosixError e = q_->Send((r >> 4) % 3, buf.data(), buf.size(), MqWait::NonBlock());
        if (auto* rec = repro::Active()) {
          rec->Step("send(" + std::to_string(buf.size()) + " bytes, priority " +
                        std::to_string((r >> 4) % 3) + ") -> " +
                        (e.ok() ? std::string("ok") : e.ToString()),
                    "mq_nb_send(" + std::to_string(buf.size()) + ", " +
                        std::to_string((r >> 4) % 3) + ", " + (e.ok() ? "1" : "0") + ", " +
                        (count_ >= max_ ? "1" : "0") + ");\n",
                    "a non-blocking mq_send returns at once");
        }
        if (e.ok()) {
          if (count_ >= max_) RC_FAIL("a send to a full queue succeeded");
          ++count_;
          edges[0] = Edge::kMust;
        } else if (e.errno_value() != EAGAIN) {
          RC_FAIL("non-blocking send: " + e.ToString());
        }
        return "send -> " + (e.ok() ? std::string("ok") : e.ToString());
      }
      case 3: case 4: {
        auto got = q_->Receive(MqReceiveOptions{}, MqWait::NonBlock());
        if (auto* rec = repro::Active()) {
          rec->Step("receive -> " + (got.ok() ? std::string("a message") : got.error().ToString()),
                    std::string("mq_nb_receive(") + (got.ok() ? "1" : "0") + ", " +
                        (count_ == 0 ? "1" : "0") + ");\n",
                    "a non-blocking mq_receive returns at once");
        }
        if (got.ok()) {
          if (count_ == 0) RC_FAIL("a receive from an empty queue returned a message");
          --count_;
        } else if (got.errno_value() != EAGAIN) {
          RC_FAIL("non-blocking receive: " + got.error().ToString());
        }
        return "receive -> " + (got.ok() ? std::string("a message") : got.error().ToString());
      }
      default:
        break;
    }
    std::fill(edges.begin(), edges.end(), Edge::kNone);
    return "nothing (ask again)";
  }
  void Prelude(repro::Recording& rec) override { readiness_repro::AddMqHelpers(rec); }
  std::string WaitFdC() const override { return "q"; }
  std::string WriteWaitFdC() const override { return "q"; }
  std::string MakeReadableC() const override { return "mq_nb_send(1, 0, 1, 0);\n"; }
  int WriteWaitFd() const override { return q_->fd(); }
  bool CanMakeUnwritable() const override { return true; }
  bool MakeUnwritable() override {
    uint8_t b = 'x';
    if (count_ < max_) {
      Rec("fill the queue (" + std::to_string(max_ - count_) + " sends of 1 byte)",
          "{\n  int k;\n  for (k = 0; k < " + std::to_string(max_ - count_) +
              "; ++k) mq_nb_send(1, 0, 1, 0);\n}\n",
          "non-blocking sends return at once");
    }
    while (count_ < max_) {
      PosixError e = q_->Send(0, &b, 1, MqWait::NonBlock());
      if (!e.ok()) RC_FAIL("filling the queue: " + e.ToString());
      ++count_;
    }
    return true;
  }
  std::string MakeWritable() override {
    Rec("a receive from the full queue", "mq_nb_receive(1, 0);\n",
        "a non-blocking receive returns at once");
    auto got = q_->Receive(MqReceiveOptions{}, MqWait::NonBlock());
    if (!got.ok()) RC_FAIL("receive from a full queue: " + got.error().ToString());
    --count_;
    return "a receive from the full queue";
  }
  int WaitFd() const override { return q_->fd(); }
  std::string MakeReadable() override {
    Rec("a send of one message", MakeReadableC(), "a non-blocking send returns at once");
    uint8_t b = 'x';
    PosixError e = q_->Send(0, &b, 1, MqWait::NonBlock());
    if (!e.ok()) RC_FAIL("send: " + e.ToString());
    ++count_;
    return "a send of one message";
  }

 private:
  MessageQueueInstance q_;
  size_t count_ = 0, max_ = 0, msg_ = 1;
};

// ---------------------------------------------------------------------------
// Opening a Subject for a Kind of each interface.

template <typename Interface>
struct Family;

template <>
struct Family<ByteStreamInterface> {
  static std::unique_ptr<Subject> Open(const ByteStreamKind& k, std::string* why) {
    auto o = k.Open();
    if (!o.ok()) RC_FAIL("opening a " + k.name + ": " + o.error().ToString());
    auto s = std::make_unique<StreamSubject>(std::move(o).ValueOrDie(), k);
    if (!s->Applies(why)) return nullptr;
    return s;
  }
};

template <>
struct Family<DatagramInterface> {
  static std::unique_ptr<Subject> Open(const DatagramKind& k, std::string* why) {
    auto o = k.Open();
    if (!o.ok()) RC_FAIL("opening a " + k.name + ": " + o.error().ToString());
    auto s = std::make_unique<DatagramSubject>(std::move(o).ValueOrDie(), k);
    if (!s->Applies(why)) return nullptr;
    return s;
  }
};

template <>
struct Family<CounterInterface> {
  static std::unique_ptr<Subject> Open(const CounterKind& k, std::string* why) {
    auto o = k.Open();
    if (!o.ok()) RC_FAIL("opening a " + k.name + ": " + o.error().ToString());
    auto s = std::make_unique<CounterSubject>(std::move(o).ValueOrDie(), k);
    if (!s->Applies(why)) return nullptr;
    return s;
  }
};

template <>
struct Family<SignalQueueInterface> {
  static std::unique_ptr<Subject> Open(const SignalQueueKind& k, std::string* why) {
    auto o = k.Open();
    if (!o.ok()) RC_FAIL("opening a " + k.name + ": " + o.error().ToString());
    auto s = std::make_unique<SignalSubject>(std::move(o).ValueOrDie());
    if (!s->Applies(why)) return nullptr;
    return s;
  }
};

template <>
struct Family<MessageQueueInterface> {
  static std::unique_ptr<Subject> Open(const MessageQueueKind& k, std::string* why) {
    auto o = k.Open();
    if (!o.ok()) RC_FAIL("opening a " + k.name + ": " + o.error().ToString());
    auto s = std::make_unique<MqSubject>(std::move(o).ValueOrDie());
    if (!s->Applies(why)) return nullptr;
    return s;
  }
};

// Records "not applicable: ..." as the test's skip (in an isolated child,
// RunIsolated carries it back).
void SkipNotApplicable(const std::string& kind, const std::string& why) {
  GTEST_SKIP() << kNotApplicablePrefix << kind << ": " << why;
}

// Opens one instance to see whether the Kind exposes a descriptor of a type
// the family knows: the reason it does not, or nullopt. A Kind that cannot
// open is judged by the property itself (nullopt).
template <typename Interface>
std::optional<std::string> ProbeNotApplicable(const Kind<Interface>& kind) {
  std::string why;
  std::optional<std::string> out;
  try {
    if (!Family<Interface>::Open(kind, &why)) out = why;
  } catch (...) {
  }
  return out;
}

// The readiness models print tcp_loopback, whose Kind does not print itself
// for every model (impl/inet/tcp_loopback_c.h): its reproducers use its C.
template <typename Interface>
void UseReadinessKindC(const Kind<Interface>& kind) {
  auto* session = repro::Session::Current();
  if (session == nullptr || !kind.c.empty() || !kind.library.empty()) return;
  if (kind.name == "tcp_loopback") session->UseKind(TcpLoopbackC());
}

// A library's Kind is judged in its isolated child (suites/common/isolated.h),
// where the property first probes it; a reference Kind by skip_reason.
#define IPCSPEC_RETURN_IF_NOT_APPLICABLE(kind)                                 \
  do {                                                                          \
    if (!(kind).library.empty()) {                                              \
      if (auto why = ProbeNotApplicable(kind)) {                                \
        SkipNotApplicable((kind).name, *why);                                   \
        PropertyOutcome skipped;                                                \
        skipped.passed = true;                                                  \
        return skipped;                                                         \
      }                                                                         \
    }                                                                           \
  } while (0)

// ---------------------------------------------------------------------------
// The properties.

template <typename Interface>
PropertyOutcome ModelSequences(const Kind<Interface>& kind) {
  IPCSPEC_RETURN_IF_NOT_APPLICABLE(kind);
  UseReadinessKindC(kind);
  bool not_applicable = false;
  std::string why;
  PropertyOutcome o = RunProperty(
      CurrentTestId(),
      repro::Recorded([&] {
        const auto ops = *rc::gen::container<std::vector<uint32_t>>(rc::gen::arbitrary<uint32_t>());
        auto s = Family<Interface>::Open(kind, &why);
        if (!s) {
          not_applicable = true;
          return;
        }
        if (auto* rec = repro::Active()) s->Prelude(*rec);
        ReadinessChecker checker(s->Watches());
        const size_t n = checker.size();
        checker.Check(s->Predict(), std::vector<Edge>(n, Edge::kMay), "opening", s->Lag());
        std::string history = "open";
        std::vector<uint32_t> steps(ops.begin(), ops.begin() + std::min(ops.size(), kMaxSteps));
        for (uint32_t t : s->Tail()) steps.push_back(t);
        for (size_t i = 0; i < steps.size(); ++i) {
          std::vector<Edge> edges(n, Edge::kMay);
          std::string step = s->Step(steps[i], checker, edges);
          if (step.empty()) break;
          history += "; " + step;
          checker.Check(s->Predict(), edges, "the steps [" + history + "]", s->Lag());
        }
      }),
      kModelCases);
  if (not_applicable) SkipNotApplicable(kind.name, why);
  return o;
}

// The reproducer of a waiter property is its last round, from the Kind's
// setup on (each round opens a fresh instance); its waiters are child
// processes. Null when nothing is recorded or the round cannot be printed.
repro::Recording* BeginWaiterRound(Subject& s, bool write_side) {
  auto* rec = repro::Active();
  if (rec == nullptr) return nullptr;
  rec->DropSteps();
  s.Prelude(*rec);
  readiness_repro::AddWaiterHelpers(*rec);
  if ((write_side ? s.WriteWaitFdC() : s.WaitFdC()).empty() || s.MakeReadableC().empty()) {
    rec->Unprintable("this readiness model has no C for its waiters' descriptor or events");
    return nullptr;
  }
  return rec;
}

const char* WaitCallC(WaitCall c) {
  switch (c) {
    case WaitCall::kPoll: return "WAIT_POLL";
    case WaitCall::kSelect: return "WAIT_SELECT";
    case WaitCall::kEpoll: return "WAIT_EPOLL";
  }
  return "WAIT_POLL";
}

// The C of a waiter i that starts and is seen asleep in its call.
void RecordWaiterStart(repro::Recording* rec, int i, WaitCall call, const std::string& fd,
                       const char* events, bool exclusive, const std::string& what) {
  if (rec == nullptr) return;
  rec->Step(what + " (a child), seen asleep in it",
            "waiter_start(" + std::to_string(i) + ", " + WaitCallC(call) + ", " + fd + ", " +
                events + ", " + (exclusive ? "1" : "0") + ", " +
                std::to_string(kWaiterTimeoutMs) + ");\nwaiter_until_blocked(" +
                std::to_string(i) + ", " + repro::Lit(what) + ");\n",
            "the waiter is seen asleep in its call (/proc/PID/stat state S, /proc/PID/syscall)");
}

// Checks that `w` is blocked in its call (a thread: /proc/self/task/TID).
void ExpectBlocked(WaitInThread& w, WaitCall call, const std::string& what) {
  auto tid = w.Tid();
  if (!tid.ok()) RC_FAIL(what + ": " + tid.error().ToString());
  PosixError b =
      WaitUntilBlocked(tid.value(), WaitSyscalls(call), Deadline::In(std::chrono::seconds(2)));
  if (w.done()) {
    w.Join();
    RC_FAIL(what + " returned at once (" + std::to_string(w.ret()) + ", revents " +
            PollEventsToString(w.revents()) + ") on a descriptor that is not ready (man 2 poll: "
            "\"If none of the events requested (and no error) has occurred for any of the file "
            "descriptors, then poll() blocks until one of the events occurs.\")");
  }
  if (!b.ok()) RC_FAIL(what + " is not seen blocked: " + b.ToString());
}

template <typename Interface>
PropertyOutcome WaiterWakes(const Kind<Interface>& kind) {
  IPCSPEC_RETURN_IF_NOT_APPLICABLE(kind);
  UseReadinessKindC(kind);
  bool not_applicable = false;
  std::string why;
  PropertyOutcome o = RunProperty(
      CurrentTestId(),
      repro::Recorded([&] {
        for (WaitCall call : {WaitCall::kPoll, WaitCall::kSelect, WaitCall::kEpoll}) {
          auto s = Family<Interface>::Open(kind, &why);
          if (!s) {
            not_applicable = true;
            return;
          }
          auto* rec = BeginWaiterRound(*s, false);
          if (auto* c = dynamic_cast<CounterSubject*>(s.get())) c->Empty();
          const std::string what = std::string("a waiter in ") + ToString(call) + " for POLLIN";
          RecordWaiterStart(rec, 0, call, s->WaitFdC(), "POLLIN", false, what);
          WaitInThread w(call, s->WaitFd(), POLLIN, kWaiterTimeoutMs);
          ExpectBlocked(w, call, what);
          std::string event = s->MakeReadable();
          if (rec != nullptr) {
            rec->Step("the waiter wakes",
                      "waiter_expect(0, POLLIN, " +
                          repro::Lit("man 2 poll: \"If none of the events requested ... has "
                                     "occurred ..., then poll() blocks until one of the events "
                                     "occurs.\"; man 2 select: \"The call will block until "
                                     "either: a file descriptor becomes ready\"; man 2 "
                                     "epoll_wait: \"The call will block until either: a file "
                                     "descriptor delivers an event\"") +
                          ", " + repro::Lit(what) + ", " + repro::Lit(event) +
                          ", \"POLLIN, at once\");\n",
                      "the waiter returns (its own timeout is " +
                          std::to_string(kWaiterTimeoutMs) + " ms)");
          }
          const bool woken = w.WokenNow(s->Lag());
          w.Release();
          w.Join();
          if (!woken || w.ret() < 1 || !(w.revents() & POLLIN)) {
            RC_FAIL(what + ", blocked on a descriptor that was not ready, returned " +
                    std::to_string(w.ret()) + (w.ret() < 0 ? " (" + ErrnoName(w.err()) + ")" : "") +
                    " with " + PollEventsToString(w.revents()) + " after " + event +
                    (woken ? "" : ", not woken by it") +
                    " (expected POLLIN, at once) (man 2 poll: \"If none of the "
                    "events requested ... has occurred ..., then poll() blocks until one of the "
                    "events occurs.\"; man 2 select: \"The call will block until either: a file "
                    "descriptor becomes ready\"; man 2 epoll_wait: \"The call will block until "
                    "either: a file descriptor delivers an event\")");
          }
        }
        // The same for a waiter for POLLOUT on a descriptor with no room.
        for (WaitCall call : {WaitCall::kPoll, WaitCall::kSelect, WaitCall::kEpoll}) {
          auto s = Family<Interface>::Open(kind, &why);
          if (!s) {
            not_applicable = true;
            return;
          }
          if (!s->CanMakeUnwritable()) break;
          auto* rec = BeginWaiterRound(*s, true);
          if (!s->MakeUnwritable()) break;
          const std::string what = std::string("a waiter in ") + ToString(call) + " for POLLOUT";
          RecordWaiterStart(rec, 0, call, s->WriteWaitFdC(), "POLLOUT", false, what);
          WaitInThread w(call, s->WriteWaitFd(), POLLOUT, kWaiterTimeoutMs);
          ExpectBlocked(w, call, what);
          std::string event = s->MakeWritable();
          if (rec != nullptr) {
            rec->Step("the waiter wakes",
                      "waiter_expect(0, POLLOUT, " +
                          repro::Lit("man 2 poll: \"POLLOUT Writing is now possible\"; man 2 "
                                     "select: \"A file descriptor is ready for writing if a "
                                     "write operation will not block.\"") +
                          ", " + repro::Lit(what) + ", " + repro::Lit(event) +
                          ", \"POLLOUT, at once\");\n",
                      "the waiter returns (its own timeout is " +
                          std::to_string(kWaiterTimeoutMs) + " ms)");
          }
          const bool woken = w.WokenNow(s->Lag());
          w.Release();
          w.Join();
          if (!woken || w.ret() < 1 || !(w.revents() & POLLOUT)) {
            RC_FAIL(what + ", blocked on a descriptor with no room, returned " +
                    std::to_string(w.ret()) + " with " + PollEventsToString(w.revents()) +
                    " after " + event + (woken ? "" : ", not woken by it") +
                    " (expected POLLOUT, at once) (man 2 poll: \"POLLOUT Writing is now "
                    "possible\"; man 2 select: \"A file descriptor is ready for writing if a "
                    "write operation will not block.\")");
          }
        }
      }),
      1, /*shrink=*/false);
  if (not_applicable) SkipNotApplicable(kind.name, why);
  return o;
}

template <typename Interface>
PropertyOutcome ExclusiveWakesOne(const Kind<Interface>& kind) {
  IPCSPEC_RETURN_IF_NOT_APPLICABLE(kind);
  UseReadinessKindC(kind);
  bool not_applicable = false;
  std::string why;
  PropertyOutcome o = RunProperty(
      CurrentTestId(),
      repro::Recorded([&] {
        auto s = Family<Interface>::Open(kind, &why);
        if (!s) {
          not_applicable = true;
          return;
        }
        auto* rec = BeginWaiterRound(*s, false);
        if (auto* c = dynamic_cast<CounterSubject*>(s.get())) c->Empty();
        constexpr int kWaiters = 3;
        std::vector<std::unique_ptr<WaitInThread>> ws;
        for (int i = 0; i < kWaiters; ++i) {
          RecordWaiterStart(rec, i, WaitCall::kEpoll, s->WaitFdC(), "POLLIN", true,
                            "an epoll_wait(2) waiter with EPOLLEXCLUSIVE");
          ws.push_back(std::make_unique<WaitInThread>(WaitCall::kEpoll, s->WaitFd(), POLLIN,
                                                      kWaiterTimeoutMs, /*exclusive=*/true));
          ExpectBlocked(*ws.back(), WaitCall::kEpoll, "an epoll_wait(2) waiter with EPOLLEXCLUSIVE");
        }
        std::string event = s->MakeReadable();
        if (rec != nullptr) {
          rec->Step(
              "one or two of the three waiters wake",
              "{\n  int woken = waiters_woken(3, " + std::to_string(kWaiterTimeoutMs) +
                  ");\n  if (woken == 0)\n    broken(" +
                  repro::Lit("man 2 epoll_ctl: \"one or more of the epoll file descriptors will "
                             "receive an event with epoll_wait(2)\"") +
                  ",\n           \"three epoll_wait(2) waiters with EPOLLEXCLUSIVE: none woke for "
                  "%s\", " +
                  repro::Lit(event) + ");\n  if (woken == 3)\n    broken(" +
                  repro::Lit("man 2 epoll_ctl: \"The default in this scenario (when "
                             "EPOLLEXCLUSIVE is not set) is for all epoll file descriptors to "
                             "receive an event. EPOLLEXCLUSIVE is thus useful for avoiding "
                             "thundering herd problems\"; Linux wakes one") +
                  ",\n           \"three epoll_wait(2) waiters with EPOLLEXCLUSIVE: all three "
                  "woke for %s\", " +
                  repro::Lit(event) + ");\n}\n",
              "the first waiter returns within its timeout");
        }
        // A woken thread is runnable (or done) as soon as the wake-up is
        // made; one not woken still sleeps. First one must return.
        PollUntil([&] {
          for (auto& w : ws) if (w->done()) return true;
          return false;
        }, Deadline::In(std::chrono::milliseconds(kWaiterTimeoutMs)));
        int woken = 0;
        if (BlockedDetection() == "state+syscall") {
          for (auto& w : ws) woken += w->SleepsNow() ? 0 : 1;
        } else {
          // Without /proc/TID/syscall a sleeping thread is not known to sleep
          // in epoll_wait: count those that return within the waiters'
          // timeout (a correct kernel keeps two asleep until then).
          PollUntil([&] {
            for (auto& w : ws) if (!w->done()) return false;
            return true;
          }, Deadline::In(std::chrono::milliseconds(kWaiterTimeoutMs)));
          for (auto& w : ws) woken += w->done() ? 1 : 0;
        }
        for (auto& w : ws) w->Release();
        for (auto& w : ws) w->Join();
        if (woken == 0) {
          RC_FAIL("three epoll_wait(2) waiters with EPOLLEXCLUSIVE: none woke for " + event +
                  " (man 2 epoll_ctl: \"one or more of the epoll file descriptors will receive "
                  "an event with epoll_wait(2)\")");
        }
        if (woken == kWaiters) {
          RC_FAIL("three epoll_wait(2) waiters with EPOLLEXCLUSIVE: all three woke for " + event +
                  " (man 2 epoll_ctl: \"The default in this scenario (when EPOLLEXCLUSIVE is not "
                  "set) is for all epoll file descriptors to receive an event. EPOLLEXCLUSIVE is "
                  "thus useful for avoiding thundering herd problems\"; Linux wakes one)");
        }
      }),
      1, /*shrink=*/false);
  if (not_applicable) SkipNotApplicable(kind.name, why);
  return o;
}

template <typename Interface>
PropertyOutcome HangupWaiter(const Kind<Interface>& kind) {
  IPCSPEC_RETURN_IF_NOT_APPLICABLE(kind);
  UseReadinessKindC(kind);
  bool not_applicable = false;
  std::string why;
  PropertyOutcome o = RunProperty(
      CurrentTestId(),
      repro::Recorded([&] {
        for (WaitCall call : {WaitCall::kPoll, WaitCall::kEpoll}) {
          auto s = Family<Interface>::Open(kind, &why);
          if (!s || !s->HasHangup()) {
            if (s) why = "its descriptor has no peer whose close is a hangup";
            not_applicable = true;
            return;
          }
          const std::string what =
              std::string("a waiter in ") + ToString(call) + " for POLLRDHUP alone";
          // The reproducer is this round, from the Kind's setup on (each
          // round opens a fresh instance): the waiter is a child process.
          auto* rec = repro::Active();
          if (rec != nullptr) {
            rec->DropSteps();
            s->Prelude(*rec);
            readiness_repro::AddWaiterHelpers(*rec);
            if (s->WaitFdC().empty() || s->MakeReadableC().empty() || s->MakeHangupC().empty()) {
              rec->Unprintable("this readiness model has no C for its waiter's events");
              rec = nullptr;
            }
          }
          if (rec != nullptr) {
            rec->Step(what + " (a child), seen asleep in it",
                      std::string("waiter_start(0, ") +
                          (call == WaitCall::kPoll ? "WAIT_POLL" : "WAIT_EPOLL") + ", " +
                          s->WaitFdC() + ", POLLRDHUP, 0, " + std::to_string(kWaiterTimeoutMs) +
                          ");\nwaiter_until_blocked(0, " + repro::Lit(what) + ");\n",
                      "the waiter is seen asleep in its call (/proc/PID/stat state S, "
                      "/proc/PID/syscall) at once");
          }
          WaitInThread w(call, s->WaitFd(), POLLRDHUP, kWaiterTimeoutMs);
          ExpectBlocked(w, call, what);
          std::string data = s->MakeReadable();
          if (rec != nullptr) {
            rec->Step("once it is there, the waiter still sleeps",
                      "{\n  struct pollfd p;\n  p.fd = " + s->WaitFdC() +
                          ";\n  p.events = POLLIN;\n  p.revents = 0;\n  poll(&p, 1, 2000);\n}\n"
                          "if (waiter_returned(0, 0))\n  broken(" +
                          repro::Lit("man 2 poll: \"The field events is an input parameter, a "
                                     "bit mask specifying the events the application is "
                                     "interested in\"") +
                          ", \"%s returned %d with %s after %s, which is no hangup\", " +
                          repro::Lit(what) + ", waiter_res[0].ret, events_str(waiter_res[0].revents), " +
                          repro::Lit(data) + ");\n",
                      "a poll(2) with a timeout of 2 s returns");
          }
          // The data is there (a lagging Kind: once it arrived) ...
          struct pollfd p = {s->WaitFd(), POLLIN, 0};
          poll(&p, 1, 2000);
          // ... and the waiter still sleeps.
          if (w.done()) {
            w.Join();
            RC_FAIL(what + " returned " + std::to_string(w.ret()) + " with " +
                    PollEventsToString(w.revents()) + " after " + data +
                    ", which is no hangup (man 2 poll: \"The field events is an input parameter, "
                    "a bit mask specifying the events the application is interested in\")");
          }
          std::string hangup = s->MakeHangup();
          if (rec != nullptr) {
            rec->Step("the waiter wakes",
                      "waiter_expect(0, POLLRDHUP | POLLHUP, " +
                          repro::Lit("man 2 poll: \"POLLRDHUP ... Stream socket peer closed "
                                     "connection\" / \"POLLHUP ... will be set in the revents "
                                     "field whenever the corresponding condition is true\"") +
                          ", " + repro::Lit(what) + ", " + repro::Lit(hangup) +
                          ", \"POLLRDHUP or POLLHUP, at once\");\n",
                      "the waiter returns (its own timeout is " +
                          std::to_string(kWaiterTimeoutMs) + " ms)");
          }
          const bool woken = w.WokenNow(s->Lag());
          w.Release();
          w.Join();
          if (!woken || w.ret() < 1 || !(w.revents() & (POLLRDHUP | POLLHUP))) {
            RC_FAIL(what + " returned " + std::to_string(w.ret()) + " with " +
                    PollEventsToString(w.revents()) + " after " + hangup +
                    (woken ? "" : ", not woken by it") +
                    " (expected POLLRDHUP or POLLHUP, at once) (man 2 poll: \"POLLRDHUP ... "
                    "Stream socket peer closed connection\" / \"POLLHUP ... will be set in the "
                    "revents field whenever the corresponding condition is true\")");
          }
        }
      }),
      1, /*shrink=*/false);
  if (not_applicable) SkipNotApplicable(kind.name, why);
  return o;
}

// Whether the property applies, decided in this process for the reference
// Kinds (by opening one instance); a library's Kind decides in its isolated
// child, in the property itself.
template <typename Interface>
std::optional<std::string> NotApplicable(const Kind<Interface>& kind) {
  if (!kind.library.empty()) return std::nullopt;
  return ProbeNotApplicable(kind);
}

template <typename Interface>
std::optional<std::string> HangupNotApplicable(const Kind<Interface>& kind) {
  if (!kind.library.empty()) return std::nullopt;
  std::string why;
  std::optional<std::string> out;
  try {
    auto s = Family<Interface>::Open(kind, &why);
    if (!s) {
      out = why;
    } else if (!s->HasHangup()) {
      out = "its descriptor has no peer whose close is a hangup";
    }
  } catch (...) {
  }
  return out;
}

template <typename Interface>
std::vector<SuiteProperty<Interface>> MakeProperties(const std::string& cites) {
  return {
      {"ReadinessModelSequences",
       cites + "; man 2 poll, man 2 select, man 7 epoll: after every step, poll, select and "
               "level-triggered epoll report what the model holds, edge-triggered epoll once "
               "per change and not again, EPOLLONESHOT once until rearmed",
       NotApplicable<Interface>, ModelSequences<Interface>},
      {"ReadinessWaiterWakes",
       cites + "; man 2 poll, man 2 select, man 2 epoll_wait: a waiter blocked on a descriptor "
               "that is not ready wakes for the event that makes it readable",
       NotApplicable<Interface>, WaiterWakes<Interface>},
      {"ReadinessExclusiveWakesOne",
       "man 2 epoll_ctl: EPOLLEXCLUSIVE: \"one or more of the epoll file descriptors will "
       "receive an event\", to avoid \"thundering herd\" wake-ups (Linux: one)",
       NotApplicable<Interface>, ExclusiveWakesOne<Interface>},
      {"ReadinessHangupWaiter",
       "man 2 poll: \"POLLRDHUP ... Stream socket peer closed connection\"; POLLHUP \"will be "
       "set in the revents field whenever the corresponding condition is true\": a waiter for "
       "POLLRDHUP alone sleeps through data and wakes on the hangup",
       HangupNotApplicable<Interface>, HangupWaiter<Interface>},
  };
}

}  // namespace

const std::vector<SuiteProperty<ByteStreamInterface>>& StreamReadinessProperties() {
  static const auto* p = new std::vector<SuiteProperty<ByteStreamInterface>>(
      MakeProperties<ByteStreamInterface>("man 7 pipe, man 7 unix, man 7 tcp"));
  return *p;
}
const std::vector<SuiteProperty<DatagramInterface>>& DatagramReadinessProperties() {
  static const auto* p = new std::vector<SuiteProperty<DatagramInterface>>(
      MakeProperties<DatagramInterface>("man 7 unix, man 7 udp"));
  return *p;
}
const std::vector<SuiteProperty<CounterInterface>>& CounterReadinessProperties() {
  static const auto* p = new std::vector<SuiteProperty<CounterInterface>>(
      MakeProperties<CounterInterface>(kEventfdCites));
  return *p;
}
const std::vector<SuiteProperty<SignalQueueInterface>>& SignalQueueReadinessProperties() {
  static const auto* p = new std::vector<SuiteProperty<SignalQueueInterface>>(
      MakeProperties<SignalQueueInterface>(kSignalfdCites));
  return *p;
}
const std::vector<SuiteProperty<MessageQueueInterface>>& MessageQueueReadinessProperties() {
  static const auto* p = new std::vector<SuiteProperty<MessageQueueInterface>>(
      MakeProperties<MessageQueueInterface>(kMqCites));
  return *p;
}

}  // namespace ipcspec
