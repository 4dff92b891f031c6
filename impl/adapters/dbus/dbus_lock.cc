// A D-Bus well-known name as a Lock Kind (impl/api/lock.h).
//
// The lock is the name org.ipcspec.Lock on a private bus (dbus_bus.h)
// started for the lock and stopped with it. A contender is its own bus
// connection, made in the process that uses it. The D-Bus specification
// ("Message Bus Names", org.freedesktop.DBus.RequestName) is the contract:
//   - TryAcquire: RequestName with DBUS_NAME_FLAG_DO_NOT_QUEUE (sd-bus: no
//     SD_BUS_NAME_QUEUE); a name another connection owns fails EEXIST
//     (man sd_bus_request_name, DBUS_REQUEST_NAME_REPLY_EXISTS).
//   - Acquire: RequestName queued (SD_BUS_NAME_QUEUE); if queued, waits for
//     the NameAcquired signal the bus sends to the new primary owner, with
//     the deadline; at the deadline the request leaves the queue
//     (ReleaseName: "the caller was waiting in the queue for the name and has
//     now been removed from the queue") and Acquire fails ETIMEDOUT.
//   - Release: ReleaseName; by a connection that does not own the name it
//     fails EADDRINUSE (DBUS_RELEASE_NAME_REPLY_NOT_OWNER) and changes nothing.
//   - A holder's death: the spec, "Message Bus Names": "a name is released
//     ... when the connection owning it disconnects" (the bus then gives it
//     to the next in the queue).
#include <sys/syscall.h>
#include <unistd.h>

#include <memory>

#include "impl/adapters/dbus/dbus_bus.h"
#include "impl/api/lock.h"

namespace ipcspec {
namespace {

constexpr const char* kLockName = "org.ipcspec.Lock";

class DbusNameHandle : public LockHandle {
 public:
  explicit DbusNameHandle(BusPtr bus) : bus_(std::move(bus)) {}
  ~DbusNameHandle() override { sd_bus_slot_unref(slot_); }

  PosixError Init() {
    // The bus sends NameAcquired to the connection that becomes a name's
    // primary owner (D-Bus spec, "org.freedesktop.DBus.NameAcquired").
    int r = sd_bus_match_signal(bus_.get(), &slot_, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                "org.freedesktop.DBus", "NameAcquired", &DbusNameHandle::OnAcquired,
                                this);
    if (r < 0) return SdBusError(r, nullptr, "sd_bus_match_signal(NameAcquired)");
    return PosixError();
  }

  PosixError Acquire(const Deadline& deadline) override {
    Drain();
    acquired_ = false;
    int r = sd_bus_request_name(bus_.get(), kLockName, SD_BUS_NAME_QUEUE);
    if (r > 0) return PosixError();
    if (r < 0) return SdBusError(r, nullptr, std::string("sd_bus_request_name(") + kLockName + ", QUEUE)");
    // Queued: wait for NameAcquired.
    for (;;) {
      if (acquired_) return PosixError();
      if (deadline.Expired()) {
        int rel = sd_bus_release_name(bus_.get(), kLockName);
        if (rel < 0 && rel != -ESRCH && rel != -EADDRINUSE) {
          return SdBusError(rel, nullptr, "sd_bus_release_name (leaving the queue at the deadline)");
        }
        return PosixError(ETIMEDOUT, std::string("sd_bus_request_name(") + kLockName +
                                         ", QUEUE): not the owner by the deadline");
      }
      r = sd_bus_process(bus_.get(), nullptr);
      if (r < 0) return SdBusError(r, nullptr, "sd_bus_process (awaiting NameAcquired)");
      if (r > 0) continue;
      r = sd_bus_wait(bus_.get(), UsecLeft(deadline));
      if (r < 0 && r != -EINTR) return SdBusError(r, nullptr, "sd_bus_wait (awaiting NameAcquired)");
    }
  }

  PosixError TryAcquire() override {
    Drain();
    int r = sd_bus_request_name(bus_.get(), kLockName, 0);
    if (r > 0) return PosixError();
    if (r == 0) {
      return PosixError(EPROTO, "sd_bus_request_name without SD_BUS_NAME_QUEUE returned 0 (queued)");
    }
    return SdBusError(r, nullptr, std::string("sd_bus_request_name(") + kLockName + ", DO_NOT_QUEUE)");
  }

  PosixError Release() override {
    int r = sd_bus_release_name(bus_.get(), kLockName);
    if (r < 0) return SdBusError(r, nullptr, std::string("sd_bus_release_name(") + kLockName + ")");
    return PosixError();
  }

  std::string Describe() const override {
    const char* u = nullptr;
    sd_bus_get_unique_name(bus_.get(), &u);
    return std::string("D-Bus name ") + kLockName + " requested by " + (u ? u : "?");
  }

 private:
  static int OnAcquired(sd_bus_message* m, void* self, sd_bus_error*) {
    const char* name = nullptr;
    if (sd_bus_message_read(m, "s", &name) >= 0 && name && std::string(name) == kLockName) {
      static_cast<DbusNameHandle*>(self)->acquired_ = true;
    }
    return 0;
  }
  // Dispatches what has arrived (a NameAcquired of an earlier acquisition),
  // so that it cannot be taken for the answer to the next request.
  void Drain() {
    while (sd_bus_process(bus_.get(), nullptr) > 0) {
    }
  }

  BusPtr bus_;
  sd_bus_slot* slot_ = nullptr;
  bool acquired_ = false;
};

class DbusNameLock : public Lock {
 public:
  explicit DbusNameLock(std::unique_ptr<PrivateBus> bus) : bus_(std::move(bus)) {}
  PosixErrorOr<std::unique_ptr<LockHandle>> NewHandle() override {
    auto b = ConnectBus(bus_->address(), Deadline::Default());
    if (!b.ok()) return b.error();
    auto h = std::make_unique<DbusNameHandle>(std::move(b).ValueOrDie());
    PosixError e = h->Init();
    if (!e.ok()) return e;
    return std::unique_ptr<LockHandle>(std::move(h));
  }
  std::string Describe() const override {
    return std::string("D-Bus name ") + kLockName + " on " + bus_->address();
  }

 private:
  std::unique_ptr<PrivateBus> bus_;
};

PosixErrorOr<LockInstance> OpenNameLock() {
  auto bus = PrivateBus::Start();
  if (!bus.ok()) return bus.error();
  return LockInstance(std::make_unique<DbusNameLock>(std::move(bus).ValueOrDie()));
}

LockKind DbusNameLockKind() {
  LockCaps caps;
  caps.owner = LockOwner::kProcess;  // the connection, one per process
  caps.busy_errnos = {EEXIST};
  caps.released_on_holder_death = true;
  caps.foreign_release_defined = true;
  caps.foreign_release_errno = EADDRINUSE;
  caps.wait_syscalls = {SYS_ppoll, SYS_poll};
  LockKind k{"dbus_name_do_not_queue", "dbus_name",
             "a D-Bus well-known name: RequestName (DO_NOT_QUEUE to try, queued to wait) on a "
             "private dbus-daemon, through sd-bus",
             caps, OpenNameLock};
  k.library = "dbus";
  return k;
}

IPCSPEC_REGISTER_KIND(LockInterface,
                      WithC(DbusNameLockKind(),
                            [] {
                              CSnippet c;
                              c.why_not =
                                  "an external library's Kind: its calls are libdbus's "
                                  "name-ownership calls on a private bus daemon, which a "
                                  "standalone C file cannot make without the library and the "
                                  "daemon";
                              return c;
                            }()));

}  // namespace
}  // namespace ipcspec
