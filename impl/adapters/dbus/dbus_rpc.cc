// D-Bus method calls through sd-bus as an Rpc Kind (impl/api/rpc.h).
//
// Each server has its own private bus (dbus_bus.h): a dbus-daemon started
// for it and stopped with it. The server is a forked process that connects
// to that bus, exports /org/ipcspec/Rpc with the methods Echo, Sum and Hold
// (each takes and returns `ay`) under the well-known name org.ipcspec.Rpc,
// and serves until killed. A client is its own bus connection (sd_bus_call
// with the caller's deadline as its timeout). The suite's method numbers map
// to method names; a number with no method is a call of "Method<N>", which
// sd-bus's object dispatch answers with org.freedesktop.DBus.Error.UnknownMethod
// (kRpcNoSuchMethod); Sum with a length not a multiple of 4 is answered with
// org.freedesktop.DBus.Error.InvalidArgs (kRpcMalformed). D-Bus frames its
// messages itself (and a raw connection to the bus must first authenticate),
// so there is no raw connection (RpcCaps::raw_connection = false).
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cstring>
#include <memory>

#include "impl/adapters/dbus/dbus_bus.h"
#include "impl/adapters/dbus/dbus_rpc.h"
#include "impl/api/rpc.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"

namespace ipcspec {
namespace {

constexpr size_t kMaxArgs = 65536;

int g_hold_fd = -1;

int ReplyBytes(sd_bus_message* m, const void* p, size_t n) {
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  static const uint8_t kEmpty = 0;
  r = sd_bus_message_append_array(reply, 'y', n ? p : &kEmpty, n);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int OnEcho(sd_bus_message* m, void*, sd_bus_error*) {
  const void* p = nullptr;
  size_t n = 0;
  int r = sd_bus_message_read_array(m, 'y', &p, &n);
  if (r < 0) return r;
  return ReplyBytes(m, p, n);
}

int OnSum(sd_bus_message* m, void*, sd_bus_error* err) {
  const void* p = nullptr;
  size_t n = 0;
  int r = sd_bus_message_read_array(m, 'y', &p, &n);
  if (r < 0) return r;
  if (n % 4 != 0) {
    return sd_bus_error_set(err, SD_BUS_ERROR_INVALID_ARGS,
                            "Sum takes little-endian uint32s: a length not a multiple of 4");
  }
  const uint8_t* b = static_cast<const uint8_t*>(p);
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i += 4) {
    sum += static_cast<uint32_t>(b[i]) | (static_cast<uint32_t>(b[i + 1]) << 8) |
           (static_cast<uint32_t>(b[i + 2]) << 16) | (static_cast<uint32_t>(b[i + 3]) << 24);
  }
  uint8_t out[8];
  for (int i = 0; i < 8; ++i) out[i] = static_cast<uint8_t>(sum >> (8 * i));
  return ReplyBytes(m, out, 8);
}

int OnHold(sd_bus_message*, void*, sd_bus_error*) {
  // Never replies: blocks in read(2) on a pipe whose write end this process
  // holds and never writes, until the server is killed.
  char c;
  while (read(g_hold_fd, &c, 1) != 0) {
  }
  return 0;
}

const sd_bus_vtable kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Echo", "ay", "ay", OnEcho, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Sum", "ay", "ay", OnSum, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Hold", "ay", "ay", OnHold, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END};

// The server process: returns only on an error (its exit code).
int ServerMain(const std::string& address, int ready_fd, int hold_fd) {
  g_hold_fd = hold_fd;
  auto bus = ConnectBus(address, Deadline::Default());
  if (!bus.ok()) return 10;
  sd_bus* b = bus.value().get();
  if (sd_bus_add_object_vtable(b, nullptr, kDbusRpcPath, kDbusRpcInterface, kVtable, nullptr) < 0) {
    return 11;
  }
  if (sd_bus_request_name(b, kDbusRpcName, 0) < 0) return 12;
  char ok = 'r';
  if (write(ready_fd, &ok, 1) != 1) return 13;
  close(ready_fd);
  for (;;) {
    int r = sd_bus_process(b, nullptr);
    if (r < 0) return 14;  // the bus went away
    if (r > 0) continue;
    r = sd_bus_wait(b, UINT64_MAX);
    if (r < 0 && r != -EINTR) return 15;
  }
}

class DbusRpcClient : public RpcClient {
 public:
  explicit DbusRpcClient(BusPtr bus) : bus_(std::move(bus)) {}

  PosixErrorOr<RpcReply> Call(uint32_t method, const std::vector<uint8_t>& args,
                              const Deadline& deadline) override {
    auto reply = DbusRpcCall(bus_.get(), method, args, deadline);
    if (!reply.ok()) return reply.error();
    return std::move(reply).ValueOrDie();
  }

 private:
  BusPtr bus_;
};

PosixErrorOr<RpcServer> StartServer() {
  auto bus_or = PrivateBus::Start();
  if (!bus_or.ok()) return bus_or.error();
  std::shared_ptr<PrivateBus> bus(std::move(bus_or).ValueOrDie().release());
  const std::string address = bus->address();
  int ready[2], hold[2];
  if (pipe2(ready, O_CLOEXEC) != 0) return ErrnoError("pipe2(ready)");
  FileDescriptor ready_r(ready[0]), ready_w(ready[1]);
  if (pipe2(hold, O_CLOEXEC) != 0) return ErrnoError("pipe2(hold)");
  FileDescriptor hold_r(hold[0]), hold_w(hold[1]);
  int rfd = ready_w.get(), hfd = hold_r.get();
  auto child = Child::Fork([address, rfd, hfd]() { return ServerMain(address, rfd, hfd); });
  if (!child.ok()) return child.error();
  auto owned = std::make_shared<Child>(std::move(child).ValueOrDie());
  ready_w.reset();
  hold_r.reset();
  hold_w.reset();
  Deadline d = Deadline::Default();
  struct pollfd p = {ready_r.get(), POLLIN, 0};
  int n;
  do {
    n = poll(&p, 1, d.RemainingMs());
  } while (n < 0 && errno == EINTR);
  char c;
  if (n <= 0 || read(ready_r.get(), &c, 1) != 1) {
    auto st = owned->Wait(Deadline::In(std::chrono::milliseconds(100)));
    return PosixError(EIO, "the D-Bus server did not take the name " + std::string(kDbusRpcName) +
                               " on " + address +
                               (st.ok() ? ": it " + st.value().ToString() : std::string()) +
                               "; bus log: " + bus->Log());
  }
  RpcServer s;
  s.pid = owned->pid();
  s.connect = [address]() -> PosixErrorOr<std::unique_ptr<RpcClient>> {
    auto b = ConnectBus(address, Deadline::Default());
    if (!b.ok()) return b.error();
    return std::unique_ptr<RpcClient>(std::make_unique<DbusRpcClient>(std::move(b).ValueOrDie()));
  };
  s.connect_raw = []() -> PosixErrorOr<int> {
    return PosixError(ENOTSUP, "D-Bus frames its messages itself: no raw connection");
  };
  s.owner = std::make_shared<Cleanup>([owned, bus]() mutable {
    owned.reset();  // SIGKILL and reap the server
    bus.reset();    // then the bus daemon
  });
  return s;
}

RpcKind DbusRpcKind() {
  RpcCaps caps;
  caps.max_args = kMaxArgs;
  caps.raw_connection = false;
  RpcKind k{"dbus_sdbus_method_call", "rpc",
            "sd-bus method calls (ay -> ay) to a server on a private dbus-daemon", caps,
            StartServer};
  k.library = "dbus";
  // Its Kind cannot print itself as C (impl/repro): a reproducer would need the
  // library, not only libc.
  k.c.why_not = "an external library";
  return k;
}

IPCSPEC_REGISTER_KIND(RpcInterface, DbusRpcKind());

}  // namespace

const char* DbusRpcMethodName(uint32_t method) {
  switch (method) {
    case kRpcEcho: return "Echo";
    case kRpcSum: return "Sum";
    case kRpcHold: return "Hold";
    default: return nullptr;
  }
}

PosixErrorOr<RpcReply> DbusRpcCall(sd_bus* bus, uint32_t method, const std::vector<uint8_t>& args,
                                   const Deadline& deadline) {
  const char* name = DbusRpcMethodName(method);
  std::string other = "Method" + std::to_string(method);
  sd_bus_message* m = nullptr;
  int r = sd_bus_message_new_method_call(bus, &m, kDbusRpcName, kDbusRpcPath, kDbusRpcInterface,
                                         name ? name : other.c_str());
  if (r < 0) return SdBusError(r, nullptr, "sd_bus_message_new_method_call");
  static const uint8_t kEmpty = 0;
  r = sd_bus_message_append_array(m, 'y', args.empty() ? &kEmpty : args.data(), args.size());
  if (r < 0) {
    sd_bus_message_unref(m);
    return SdBusError(r, nullptr, "sd_bus_message_append_array");
  }
  sd_bus_error err = SD_BUS_ERROR_NULL;
  sd_bus_message* reply = nullptr;
  r = sd_bus_call(bus, m, UsecLeft(deadline), &err, &reply);
  sd_bus_message_unref(m);
  if (r < 0) {
    RpcReply status;
    if (sd_bus_error_has_name(&err, SD_BUS_ERROR_UNKNOWN_METHOD)) {
      status.status = kRpcNoSuchMethod;
    } else if (sd_bus_error_has_name(&err, SD_BUS_ERROR_INVALID_ARGS)) {
      status.status = kRpcMalformed;
    } else {
      // sd_bus_error(3) maps org.freedesktop.DBus.Error.NoReply to
      // ETIMEDOUT, and the bus sends NoReply at once when the callee
      // disconnects without replying ("Message recipient disconnected from
      // message bus without replying"): only an expired deadline is a
      // timeout; a NoReply before it is the peer's death.
      int e = -r;
      if (e == ETIMEDOUT && !deadline.Expired() && sd_bus_error_has_name(&err, SD_BUS_ERROR_NO_REPLY)) {
        e = ECONNRESET;
      }
      PosixError pe = SdBusError(-e, &err, std::string("sd_bus_call(") + (name ? name : other.c_str()) + ")");
      sd_bus_error_free(&err);
      return pe;
    }
    sd_bus_error_free(&err);
    return status;
  }
  const void* p = nullptr;
  size_t n = 0;
  r = sd_bus_message_read_array(reply, 'y', &p, &n);
  RpcReply out;
  if (r >= 0) out.payload.assign(static_cast<const uint8_t*>(p), static_cast<const uint8_t*>(p) + n);
  sd_bus_message_unref(reply);
  if (r < 0) return SdBusError(r, nullptr, "sd_bus_message_read_array(reply)");
  return out;
}

}  // namespace ipcspec
