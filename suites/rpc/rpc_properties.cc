#include "suites/rpc/rpc_properties.h"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>

#include "impl/core/blocked.h"
#include "impl/core/checkpoint.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "rapidcheck.h"

namespace ipcspec {
namespace {

struct Call {
  uint32_t method;  // kRpcEcho or kRpcSum
  std::vector<uint8_t> args;
};

std::vector<uint8_t> Expected(const Call& c) {
  if (c.method == kRpcEcho) return c.args;
  uint64_t sum = 0;
  for (size_t i = 0; i + 3 < c.args.size(); i += 4) {
    sum += static_cast<uint32_t>(c.args[i]) | (static_cast<uint32_t>(c.args[i + 1]) << 8) |
           (static_cast<uint32_t>(c.args[i + 2]) << 16) |
           (static_cast<uint32_t>(c.args[i + 3]) << 24);
  }
  std::vector<uint8_t> r(8);
  for (int i = 0; i < 8; ++i) r[i] = static_cast<uint8_t>(sum >> (8 * i));
  return r;
}

rc::Gen<Call> GenCall() {
  return rc::gen::apply(
      [](bool echo, std::vector<uint8_t> args) {
        if (!echo) args.resize(args.size() / 4 * 4);
        return Call{echo ? kRpcEcho : kRpcSum, std::move(args)};
      },
      rc::gen::arbitrary<bool>(),
      rc::gen::weightedOneOf<std::vector<uint8_t>>(
          {{4, rc::gen::container<std::vector<uint8_t>>(rc::gen::arbitrary<uint8_t>())},
           {1, rc::gen::mapcat(rc::gen::inRange<size_t>(1, 20000), [](size_t n) {
              return rc::gen::container<std::vector<uint8_t>>(n, rc::gen::arbitrary<uint8_t>());
            })}}));
}

// Exit codes of a client process.
enum : int { kClientOk = 0, kWrongReply = 1, kTransport = 2, kBadStatus = 3, kNoClient = 4 };

const char* ClientVerdict(int code) {
  switch (code) {
    case kWrongReply: return "got a reply that is not the reply to its request";
    case kTransport: return "a call failed at the transport";
    case kBadStatus: return "a well-formed call got an error status";
    case kNoClient: return "could not connect";
    default: return "ended abnormally";
  }
}

PropertyOutcome RepliesMatchRequests(const RpcKind& kind) {
  return RunProperty(CurrentTestId(), [&kind] {
    int clients = *rc::gen::inRange(1, 5);
    std::vector<std::vector<Call>> calls(static_cast<size_t>(clients));
    for (auto& c : calls) {
      c = *rc::gen::container<std::vector<Call>>(
          static_cast<size_t>(*rc::gen::inRange(1, 12)), GenCall());
    }
    auto server_or = kind.Open();
    if (!server_or.ok()) RC_FAIL("starting the server: " + server_or.error().ToString());
    RpcServer server = std::move(server_or).ValueOrDie();
    auto go = Checkpoint::Create();
    RC_ASSERT(go.ok());
    // Each client says when it is done: the count of finished clients, or
    // kAnyFailed at once when one fails, so that the others (perhaps waiting
    // for a reply that went elsewhere) need not be waited for.
    constexpr uint32_t kAnyFailed = 1u << 30;
    auto done = Checkpoint::Create();
    auto finished = SharedObject<std::atomic<uint32_t>>::Create(0u);
    RC_ASSERT(done.ok() && finished.ok());
    std::vector<Child> kids;
    for (int ci = 0; ci < clients; ++ci) {
      const auto& mine = calls[static_cast<size_t>(ci)];
      auto c = Child::Fork([&]() -> int {
        auto verdict = [&](int code) {
          if (code != kClientOk) {
            done.value().Signal(kAnyFailed);
          } else {
            done.value().Signal(++*finished.value());
          }
          return code;
        };
        auto client = server.connect();
        if (!client.ok()) return verdict(kNoClient);
        // Start together, so that calls really overlap.
        if (!go.value().WaitFor(1, Deadline::Default()).ok()) return verdict(kTransport);
        for (const Call& call : mine) {
          auto r = client.value()->Call(call.method, call.args, Deadline::Default());
          if (!r.ok()) return verdict(r.errno_value() == EPROTO ? kWrongReply : kTransport);
          if (r.value().status != kRpcOk) return verdict(kBadStatus);
          if (r.value().payload != Expected(call)) return verdict(kWrongReply);
        }
        return verdict(kClientOk);
      });
      if (!c.ok()) RC_FAIL("fork: " + c.error().ToString());
      kids.push_back(std::move(c).ValueOrDie());
    }
    go.value().Signal(1);
    PosixError waited = done.value().WaitFor(static_cast<uint32_t>(clients), Deadline::Default());
    if (!waited.ok()) RC_FAIL("the clients did not finish: " + waited.ToString());
    bool any_failed = done.value().stage() >= kAnyFailed;
    for (size_t i = 0; i < kids.size(); ++i) {
      // After a failure the others may be stuck waiting: stop them.
      auto st = any_failed ? kids[i].Wait(Deadline::In(std::chrono::milliseconds(0)))
                           : kids[i].Wait();
      if (!st.ok()) continue;  // still running after a failure: killed by ~Child
      if (!st.value().ExitedWith(kClientOk)) {
        RC_FAIL("client " + std::to_string(i) + " of " + std::to_string(clients) + " " +
                (st.value().exited() ? ClientVerdict(st.value().exit_code())
                                     : st.value().ToString()) +
                ": every reply must be the reply to its own request, also with several "
                "concurrent clients");
      }
    }
    if (any_failed) RC_FAIL("a client failed but exited cleanly: inconsistent");
  });
}

PropertyOutcome ServerDeathGivesAnError(const RpcKind& kind) {
  PropertyOutcome out;
  auto fail = [&](const std::string& why) {
    out.passed = false;
    out.message = why + "\nA server killed during a call must give the client an error: never a "
                        "hang and never another call's reply.\n";
    return out;
  };
  auto server_or = kind.Open();
  if (!server_or.ok()) return fail("starting the server: " + server_or.error().ToString());
  RpcServer server = std::move(server_or).ValueOrDie();
  struct Result {
    std::atomic<int> connected{0};
    int done = 0;
    int err = 0;
    int got_reply = 0;
    long ms = 0;
  };
  auto res = SharedObject<Result>::Create();
  if (!res.ok()) return fail(res.error().ToString());
  Result* r = res.value().get();
  auto caller = Child::Fork([&]() -> int {
    auto client = server.connect();
    if (!client.ok()) return kNoClient;
    r->connected.store(1);
    auto t0 = std::chrono::steady_clock::now();
    // A dead peer's end of file arrives in microseconds; 1 s (scaled) is ample.
    auto reply = client.value()->Call(kRpcHold, {1, 2, 3}, Deadline::In(std::chrono::seconds(1)));
    r->ms = static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::steady_clock::now() - t0)
                                  .count());
    r->got_reply = reply.ok();
    r->err = reply.ok() ? 0 : reply.errno_value();
    r->done = 1;
    return 0;
  });
  if (!caller.ok()) return fail("fork: " + caller.error().ToString());
  // The server is inside the procedure when it sleeps in read(2) on its hold pipe.
  // Where only the process state is seen (gVisor: no /proc/PID/syscall), a
  // server asleep in accept(2) looks the same: first let the client connect
  // and block awaiting its reply, so that the request is on its way.
  if (BlockedDetection() != "state+syscall") {
    if (!PollUntil([&] { return r->connected.load() != 0; }, Deadline::Default())) {
      return fail("the client never connected");
    }
    PosixError waiting = WaitUntilBlocked(caller.value().pid(), {});
    if (!waiting.ok()) return fail("the client never waited for its reply: " + waiting.ToString());
  }
  PosixError blocked = WaitUntilBlocked(server.pid, {SYS_read});
  if (!blocked.ok()) return fail("the server never got inside the call: " + blocked.ToString());
  kill(server.pid, SIGKILL);
  auto st = caller.value().Wait();
  if (!st.ok()) return fail("the client: " + st.error().ToString());
  if (!r->done) return fail("the client " + st.value().ToString() + " before the call ended");
  if (r->got_reply) return fail("the client got a reply from a server killed during the call");
  if (r->err == ETIMEDOUT) {
    return fail("the client's call hung until its deadline (" + std::to_string(r->ms) +
                " ms) after the server died, instead of failing at once");
  }
  out.passed = true;
  out.cases = 1;
  return out;
}

// A malformed request and what the server must answer.
struct Malformed {
  std::vector<uint8_t> bytes;
  bool then_shutdown;  // half-close after sending (a truncated request)
  std::string what;
};

rc::Gen<Malformed> GenMalformed(size_t max_args, bool packets) {
  auto put = [](std::vector<uint8_t>& v, uint32_t x) {
    for (int i = 0; i < 4; ++i) v.push_back(static_cast<uint8_t>(x >> (8 * i)));
  };
  return rc::gen::oneOf(
      // A length field below the 8 bytes of id and method.
      rc::gen::map(rc::gen::inRange<uint32_t>(0, 8),
                   [put](uint32_t len) {
                     std::vector<uint8_t> v;
                     put(v, len);
                     put(v, 7);
                     put(v, kRpcEcho);
                     return Malformed{v, false, "length " + std::to_string(len) + " < 8"};
                   }),
      // A length above the limit.
      rc::gen::map(rc::gen::inRange<uint32_t>(static_cast<uint32_t>(max_args) + 9, 0x7fffffff),
                   [put](uint32_t len) {
                     std::vector<uint8_t> v;
                     put(v, len);
                     put(v, 7);
                     put(v, kRpcEcho);
                     return Malformed{v, false, "length " + std::to_string(len) + " too large"};
                   }),
      // Truncated: the header promises more than comes before end of file
      // (for a packet transport: more than the packet holds).
      rc::gen::map(rc::gen::pair(rc::gen::inRange<uint32_t>(1, 4096), rc::gen::inRange<uint32_t>(1, 12)),
                   [put, packets](std::pair<uint32_t, uint32_t> p) {
                     std::vector<uint8_t> v;
                     put(v, 8 + p.first + p.second);
                     put(v, 9);
                     put(v, kRpcEcho);
                     v.resize(v.size() + p.first, 0xab);
                     return Malformed{v, !packets,
                                      "truncated: " + std::to_string(p.first) + " of " +
                                          std::to_string(p.first + p.second) + " argument bytes"};
                   }));
}

// Reads one reply frame header from a raw connection: its status.
PosixErrorOr<uint32_t> ReadStatus(int fd, const Deadline& d) {
  uint8_t h[12];
  size_t have = 0;
  while (have < sizeof h) {
    struct pollfd p = {fd, POLLIN, 0};
    int n = poll(&p, 1, d.RemainingMs());
    if (n == 0) return PosixError(ETIMEDOUT, "no reply to the malformed request by the deadline");
    if (n < 0) return ErrnoError("poll");
    ssize_t r = recv(fd, h + have, sizeof h - have, 0);
    if (r < 0) return ErrnoError("recv(reply to a malformed request)");
    if (r == 0) return PosixError(ECONNRESET, "the server closed the connection without an error reply");
    have += static_cast<size_t>(r);
  }
  return static_cast<uint32_t>(h[8]) | (static_cast<uint32_t>(h[9]) << 8) |
         (static_cast<uint32_t>(h[10]) << 16) | (static_cast<uint32_t>(h[11]) << 24);
}

PropertyOutcome MalformedRequestsGetErrorReplies(const RpcKind& kind) {
  auto server_or = kind.Open();
  if (!server_or.ok()) {
    return {false, 0, "starting the server: " + server_or.error().ToString()};
  }
  RpcServer server = std::move(server_or).ValueOrDie();
  bool packets = kind.description.find("SEQPACKET") != std::string::npos;
  return RunProperty(CurrentTestId(), [&] {
    Malformed m = *GenMalformed(kind.caps.max_args, packets);
    auto raw = server.connect_raw();
    if (!raw.ok()) RC_FAIL("connecting (is the server still serving?): " + raw.error().ToString());
    FileDescriptor fd(raw.value());
    ssize_t sent = send(fd.get(), m.bytes.data(), m.bytes.size(), MSG_NOSIGNAL);
    if (sent != static_cast<ssize_t>(m.bytes.size())) {
      RC_FAIL("sending the malformed request (" + m.what + ") failed");
    }
    if (m.then_shutdown) shutdown(fd.get(), SHUT_WR);
    auto status = ReadStatus(fd.get(), Deadline::In(std::chrono::seconds(5)));
    if (!status.ok()) {
      RC_FAIL("malformed request (" + m.what + "): " + status.error().ToString() +
              "; a malformed or truncated request must get an error reply");
    }
    if (status.value() != kRpcMalformed) {
      RC_FAIL("malformed request (" + m.what + ") got status " + std::to_string(status.value()) +
              ", not the error status " + std::to_string(kRpcMalformed));
    }
    // The server goes on serving: a well-formed call still works.
    auto client = server.connect();
    if (!client.ok()) RC_FAIL("after a malformed request the server no longer accepts: " +
                              client.error().ToString());
    auto r = client.value()->Call(kRpcEcho, {4, 5, 6}, Deadline::In(std::chrono::seconds(5)));
    if (!r.ok() || r.value().status != kRpcOk || r.value().payload != std::vector<uint8_t>{4, 5, 6}) {
      RC_FAIL("after a malformed request (" + m.what + ") the server no longer serves: " +
              (r.ok() ? "status " + std::to_string(r.value().status) : r.error().ToString()));
    }
  });
}

}  // namespace

const std::vector<SuiteProperty<RpcInterface>>& RpcProperties() {
  static const auto* props = new std::vector<SuiteProperty<RpcInterface>>{
      {"RepliesMatchRequests",
       "every reply matches its request, also with several concurrent clients", nullptr,
       RepliesMatchRequests},
      {"ServerDeathGivesAnError",
       "a server killed during a call gives the client an error, never a hang and never "
       "another call's reply (man 7 unix: the peer's close is seen as end of file / "
       "ECONNRESET)",
       nullptr, ServerDeathGivesAnError},
      {"MalformedRequestsGetErrorReplies",
       "a malformed or truncated request gets an error reply, and the server keeps serving",
       [](const RpcKind& k) -> std::optional<std::string> {
         if (!k.caps.raw_connection) {
           return std::string("no raw connection: the transport frames messages itself");
         }
         return std::nullopt;
       },
       MalformedRequestsGetErrorReplies},
  };
  return *props;
}

}  // namespace ipcspec
