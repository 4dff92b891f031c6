// A private D-Bus bus for one test: its own daemon, its own configuration
// file in a temporary directory, an abstract socket address in the test's
// network namespace. Nothing here reads DBUS_SESSION_BUS_ADDRESS or
// DBUS_SYSTEM_BUS_ADDRESS, and the daemon is started with an environment of
// its own: no test reaches the machine's system or session bus.
//
// The daemon is a child of the process that starts the bus (Child::Fork:
// PR_SET_PDEATHSIG, so it dies with that process), started with
// --config-file in the bus's temporary directory, --nofork, and
// --print-address on a pipe that is read with a deadline. ~PrivateBus kills
// (SIGKILL) and reaps it and removes the directory, whatever the test did.
// Its listening socket is abstract (no file on disk): it goes when the
// daemon goes, so a leaked socket is a leaked daemon, a child process the
// leak audit reports (impl/core/leak_audit.h).
#pragma once

#include <systemd/sd-bus.h>
#include <systemd/sd-id128.h>
#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>

#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"

namespace ipcspec {

struct BusOptions {
  // <limit name="max_message_size"> in bytes; 0: the daemon's default.
  size_t max_message_size = 0;
  // <limit name="max_outgoing_bytes">: what the bus queues for one
  // connection that does not read; 0: the daemon's default (127 MiB).
  size_t max_outgoing_bytes = 0;
  // The broker: Debian's dbus-daemon (the reference implementation), or
  // dbus-broker through dbus-broker-launch, which takes its listening socket
  // by socket activation (LISTEN_FDS, sd_listen_fds(3)) and, unlike
  // dbus-daemon, needs systemd running: it logs to the journal and connects
  // to the service manager of its --scope (DbusBrokerNeed()).
  enum class Daemon { kDbusDaemon, kDbusBroker };
  Daemon daemon = Daemon::kDbusDaemon;
};

// What dbus-broker-launch needs: nullopt when this machine runs systemd (the
// journal's socket and the service manager), else what is missing.
std::optional<std::string> DbusBrokerUnmet();

class PrivateBus {
 public:
  // Starts dbus-daemon (Debian's dbus-daemon, /usr/bin/dbus-daemon) and
  // waits, with a deadline, for the address it prints; or dbus-broker-launch
  // on a listening socket made here, and waits, with a deadline, for a Hello
  // to be answered.
  static PosixErrorOr<std::unique_ptr<PrivateBus>> Start(const BusOptions& o = {});
  ~PrivateBus();
  PrivateBus(const PrivateBus&) = delete;
  PrivateBus& operator=(const PrivateBus&) = delete;

  const std::string& address() const { return address_; }
  pid_t pid() const { return daemon_.pid(); }
  const std::string& dir() const { return dir_; }
  // The daemon's standard error so far (for failure messages).
  std::string Log() const;
  // SIGKILL and reap the daemon now (the bus-killed scenarios).
  PosixErrorOr<WaitStatus> Kill();
  // Gives the daemon up: neither killed nor reaped here (the leak audit's
  // test, which shows that a daemon left behind is reported).
  pid_t ReleaseDaemonForTesting() { return daemon_.Release(); }

 private:
  PrivateBus() = default;
  Child daemon_;
  std::string dir_;
  std::string address_;
};

// A new connection to the bus at `address` as a bus client (Hello sent),
// for the calling process (an sd_bus object is bound to the process that
// made it: sd-bus refuses it in a forked child, ECHILD). UNIX_FD passing
// negotiated. The returned pointer owns the connection (sd_bus_close_unref: no flush, so that closing never waits on a
// bus that does not read).
struct SdBusCloser {
  void operator()(sd_bus* b) const;
};
using BusPtr = std::unique_ptr<sd_bus, SdBusCloser>;
PosixErrorOr<BusPtr> ConnectBus(const std::string& address, const Deadline& deadline,
                                bool accept_fds = true);

// An sd-bus error as a PosixError: `r` is the negative errno sd-bus returned,
// `e` the D-Bus error it filled (may be unset).
PosixError SdBusError(int r, const sd_bus_error* e, const std::string& call);

// The microseconds left to a deadline, at least 1 (0 means "the default" to
// sd-bus).
uint64_t UsecLeft(const Deadline& d);

}  // namespace ipcspec
