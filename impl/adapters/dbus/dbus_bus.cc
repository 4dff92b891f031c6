#include "impl/adapters/dbus/dbus_bus.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstddef>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "impl/core/file_descriptor.h"

namespace ipcspec {
namespace {

constexpr const char* kDaemon = "/usr/bin/dbus-daemon";
constexpr const char* kBrokerLaunch = "/usr/bin/dbus-broker-launch";

std::string TempBase() {
  const char* t = std::getenv("TEST_TMPDIR");
  return t && *t ? t : "/tmp";
}

std::string ConfigText(const std::string& listen, const BusOptions& o) {
  std::ostringstream c;
  c << "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\"\n"
       " \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
       "<busconfig>\n"
       "  <type>ipcspec</type>\n"
       << (listen.empty() ? "" : "  <listen>" + listen + "</listen>\n") <<
       "  <auth>EXTERNAL</auth>\n"
       "  <policy context=\"default\">\n"
       "    <allow send_destination=\"*\" eavesdrop=\"true\"/>\n"
       "    <allow eavesdrop=\"true\"/>\n"
       "    <allow own=\"*\"/>\n"
       "  </policy>\n";
  if (o.max_message_size) {
    c << "  <limit name=\"max_message_size\">" << o.max_message_size << "</limit>\n";
  }
  if (o.max_outgoing_bytes) {
    c << "  <limit name=\"max_outgoing_bytes\">" << o.max_outgoing_bytes << "</limit>\n";
  }
  c << "</busconfig>\n";
  return c.str();
}

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
  f.close();
  return static_cast<bool>(f);
}

}  // namespace

std::string PrivateBus::Log() const {
  std::ifstream f(dir_ + "/daemon.log");
  std::stringstream s;
  s << f.rdbuf();
  std::string t = s.str();
  // The fd limit note is printed by every daemon not allowed to raise
  // RLIMIT_NOFILE (the sandbox forbids it): not worth repeating.
  return t;
}

// dbus-broker-launch runs the broker as its child: it goes first (with
// SIGKILL, as the launcher does; /proc/PID/task/PID/children lists it).
void KillChildrenOf(pid_t pid) {
  if (pid <= 0) return;
  std::ifstream f("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  long c;
  while (f >> c) kill(static_cast<pid_t>(c), SIGKILL);
}

PosixErrorOr<WaitStatus> PrivateBus::Kill() {
  KillChildrenOf(daemon_.pid());
  return daemon_.KillAndWait();
}

PrivateBus::~PrivateBus() {
  if (daemon_.running()) (void)Kill();
  if (!dir_.empty()) {
    (void)unlink((dir_ + "/bus.conf").c_str());
    (void)unlink((dir_ + "/daemon.log").c_str());
    (void)rmdir(dir_.c_str());
  }
}

PosixErrorOr<std::unique_ptr<PrivateBus>> PrivateBus::Start(const BusOptions& o) {
  // Nothing in this process may find the machine's buses by these either.
  for (const char* v : {"DBUS_SESSION_BUS_ADDRESS", "DBUS_SYSTEM_BUS_ADDRESS", "DBUS_STARTER_ADDRESS",
                        "DBUS_STARTER_BUS_TYPE"}) {
    unsetenv(v);
  }
  std::unique_ptr<PrivateBus> bus(new PrivateBus());
  std::string tmpl = TempBase() + "/ipcspec_dbus_XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) return ErrnoError("mkdtemp(" + tmpl + ")");
  bus->dir_ = tmpl;
  // An abstract address, unique to this bus: only the test's network
  // namespace sees it, and it disappears with the daemon.
  static std::atomic<unsigned> counter{0};
  std::random_device rd;
  std::string name = "/ipcspec/dbus/" + std::to_string(getpid()) + "_" +
                     std::to_string(counter++) + "_" + std::to_string(rd());
  const bool broker = o.daemon == BusOptions::Daemon::kDbusBroker;
  const std::string conf = bus->dir_ + "/bus.conf";
  if (!WriteFile(conf, ConfigText(broker ? "" : "unix:abstract=" + name, o))) {
    return PosixError(EIO, "writing the bus configuration " + conf);
  }
  const std::string log = bus->dir_ + "/daemon.log";
  FileDescriptor log_fd(open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (log_fd.get() < 0) return ErrnoError("open(" + log + ")");
  const int lfd = log_fd.get();
  const std::string conf_arg = "--config-file=" + conf;
  if (broker) {
    // dbus-broker-launch takes its listening socket by socket activation:
    // fd 3, LISTEN_FDS=1, LISTEN_PID its own pid (sd_listen_fds(3)).
    FileDescriptor listener(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (listener.get() < 0) return ErrnoError("socket(AF_UNIX)");
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    std::memcpy(sa.sun_path + 1, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + name.size());
    if (bind(listener.get(), reinterpret_cast<struct sockaddr*>(&sa), len) != 0) {
      return ErrnoError("bind(@" + name + ")");
    }
    if (listen(listener.get(), 64) != 0) return ErrnoError("listen(@" + name + ")");
    const int sfd = listener.get();
    auto child = Child::Fork([sfd, lfd, conf_arg]() -> int {
      int devnull = open("/dev/null", O_RDWR);
      if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(lfd, 2) < 0 ||
          dup2(sfd, 3) < 0) {
        return 126;
      }
      close_range(4, ~0U, 0);
      char pid_env[32];
      std::snprintf(pid_env, sizeof pid_env, "LISTEN_PID=%d", static_cast<int>(getpid()));
      const char* argv[] = {kBrokerLaunch, conf_arg.c_str(), "--scope=user", nullptr};
      const char* envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LISTEN_FDS=1", pid_env, nullptr};
      execve(kBrokerLaunch, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
      return 127;
    });
    if (!child.ok()) return child.error();
    bus->daemon_ = std::move(child).ValueOrDie();
    listener.reset();  // the launcher's copy only: its death refuses connections
    log_fd.reset();
    bus->address_ = "unix:abstract=" + name;
    // Ready when a Hello is answered (with a deadline).
    auto probe = ConnectBus(bus->address_, Deadline::Default());
    if (!probe.ok()) {
      auto st = bus->daemon_.Wait(Deadline::In(std::chrono::milliseconds(1000)));
      return PosixError(probe.errno_value(),
                        "dbus-broker-launch did not answer a Hello (" + probe.error().ToString() +
                            ")" + (st.ok() ? ": it " + st.value().ToString() : std::string()) +
                            ": " + bus->Log());
    }
    return bus;
  }
  int p[2];
  if (pipe2(p, O_CLOEXEC) != 0) return ErrnoError("pipe2(--print-address)");
  FileDescriptor rd_end(p[0]), wr_end(p[1]);
  const int wfd = wr_end.get();
  auto child = Child::Fork([wfd, lfd, conf_arg]() -> int {
    // fd 3 carries the address, fd 2 the daemon's complaints; nothing else
    // of the test's is inherited.
    int devnull = open("/dev/null", O_RDWR);
    if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(lfd, 2) < 0 ||
        dup2(wfd, 3) < 0) {
      return 126;
    }
    close_range(4, ~0U, 0);
    const char* argv[] = {kDaemon, conf_arg.c_str(), "--nofork", "--nopidfile", "--nosyslog",
                          "--print-address=3", nullptr};
    // No DBUS_* variable: the daemon knows of no other bus.
    const char* envp[] = {"PATH=/usr/bin:/bin", "LC_ALL=C", nullptr};
    execve(kDaemon, const_cast<char* const*>(argv), const_cast<char* const*>(envp));
    return 127;
  });
  if (!child.ok()) return child.error();
  bus->daemon_ = std::move(child).ValueOrDie();
  wr_end.reset();
  log_fd.reset();
  // The address, one line, with a deadline: a daemon that never prints it
  // fails the start instead of hanging it.
  Deadline d = Deadline::Default();
  std::string line;
  for (;;) {
    struct pollfd pfd = {rd_end.get(), POLLIN, 0};
    int n = poll(&pfd, 1, d.RemainingMs());
    if (n < 0 && errno == EINTR) continue;
    if (n == 0) {
      return PosixError(ETIMEDOUT, "dbus-daemon printed no address within the deadline: " +
                                       bus->Log());
    }
    if (n < 0) return ErrnoError("poll(--print-address pipe)");
    char buf[256];
    ssize_t got = read(rd_end.get(), buf, sizeof buf);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return ErrnoError("read(--print-address pipe)");
    if (got == 0) {
      auto st = bus->daemon_.Wait(Deadline::In(std::chrono::milliseconds(1000)));
      return PosixError(EIO, std::string("dbus-daemon ") +
                                 (st.ok() ? st.value().ToString() : "closed its address pipe") +
                                 " before printing its address: " + bus->Log());
    }
    line.append(buf, static_cast<size_t>(got));
    size_t nl = line.find('\n');
    if (nl != std::string::npos) {
      line.resize(nl);
      break;
    }
  }
  bus->address_ = line;
  return bus;
}

std::optional<std::string> DbusBrokerUnmet() {
  // sd_booted(3): systemd is the service manager when /run/systemd/system/
  // exists. dbus-broker-launch opens the journal's socket first
  // (launcher_open_log: ENOENT without it) and then connects to the service
  // manager of its --scope (launcher_connect: ENOMEDIUM without one).
  std::string missing;
  struct stat st;
  if (stat("/run/systemd/system", &st) != 0) missing += "/run/systemd/system (systemd is not PID 1)";
  if (stat("/run/systemd/journal/socket", &st) != 0) {
    missing += std::string(missing.empty() ? "" : ", ") + "/run/systemd/journal/socket (no journald)";
  }
  if (missing.empty()) return std::nullopt;
  return "dbus-broker-launch logs to the journal and connects to systemd's service manager; "
         "missing: " + missing;
}

void SdBusCloser::operator()(sd_bus* b) const { sd_bus_close_unref(b); }

uint64_t UsecLeft(const Deadline& d) {
  auto ts = d.RemainingTimespec();
  uint64_t us = static_cast<uint64_t>(ts.tv_sec) * 1000000u + static_cast<uint64_t>(ts.tv_nsec) / 1000u;
  return us ? us : 1;
}

PosixError SdBusError(int r, const sd_bus_error* e, const std::string& call) {
  std::string what = call;
  if (e && sd_bus_error_is_set(e)) {
    what += ": " + std::string(e->name) + (e->message ? std::string(": ") + e->message : "");
  }
  return PosixError(r < 0 ? -r : EIO, what);
}

PosixErrorOr<BusPtr> ConnectBus(const std::string& address, const Deadline& deadline,
                                bool accept_fds) {
  sd_bus* raw = nullptr;
  int r = sd_bus_new(&raw);
  if (r < 0) return SdBusError(r, nullptr, "sd_bus_new");
  BusPtr bus(raw);
  if ((r = sd_bus_set_address(raw, address.c_str())) < 0) {
    return SdBusError(r, nullptr, "sd_bus_set_address(" + address + ")");
  }
  if ((r = sd_bus_set_bus_client(raw, 1)) < 0) return SdBusError(r, nullptr, "sd_bus_set_bus_client");
  if ((r = sd_bus_negotiate_fds(raw, accept_fds ? 1 : 0)) < 0) return SdBusError(r, nullptr, "sd_bus_negotiate_fds");
  if ((r = sd_bus_set_method_call_timeout(raw, UsecLeft(deadline))) < 0) {
    return SdBusError(r, nullptr, "sd_bus_set_method_call_timeout");
  }
  if ((r = sd_bus_start(raw)) < 0) return SdBusError(r, nullptr, "sd_bus_start(" + address + ")");
  // The Hello round trip, so that the connection is usable (and has its
  // unique name) when this returns.
  const char* unique = nullptr;
  if ((r = sd_bus_get_unique_name(raw, &unique)) < 0) {
    return SdBusError(r, nullptr, "sd_bus_get_unique_name (Hello) on " + address);
  }
  return bus;
}

}  // namespace ipcspec
