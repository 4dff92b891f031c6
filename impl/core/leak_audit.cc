#include "impl/core/leak_audit.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

#include "impl/core/deadline.h"
#include "impl/core/degraded.h"
#include "impl/core/posix_error.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"

namespace ipcspec {
namespace {

const char* SortName(Leak::Sort s) {
  switch (s) {
    case Leak::Sort::kSysvMsg: return "SysV message queue";
    case Leak::Sort::kSysvSem: return "SysV semaphore set";
    case Leak::Sort::kSysvShm: return "SysV shared memory segment";
    case Leak::Sort::kPosixMq: return "POSIX message queue";
    case Leak::Sort::kShmName: return "/dev/shm name";
    case Leak::Sort::kFd: return "file descriptor";
    case Leak::Sort::kChild: return "child process";
    case Leak::Sort::kUnixSocket: return "AF_UNIX socket";
  }
  return "?";
}

bool g_socket_inventory = true;
std::string& UnixListPath() {
  static auto* p = new std::string("/proc/thread-self/net/unix");
  return *p;
}

void AddSysv(IpcInventory& inv, const char* file, Leak::Sort sort, const char* tag) {
  errno = 0;
  std::ifstream in(file);
  if (!in) {
    // Said once per run (ReportDegraded keeps each sentence once): this
    // sort of object is not audited, and the run record shows it.
    const int err = errno;
    ReportDegraded(std::string("leak audit cannot list ") + SortName(sort) + "s: " + file +
                   " unreadable" + (err != 0 ? " (" + ErrnoName(err) + ")" : std::string()));
    return;
  }
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long long key = 0;
    long id = -1;
    if (!(ls >> key >> id)) continue;
    char keybuf[32];
    std::snprintf(keybuf, sizeof keybuf, "key=0x%llx", static_cast<unsigned long long>(key) & 0xffffffffULL);
    std::string detail = keybuf;
    if (sort == Leak::Sort::kSysvShm) {
      // key shmid perms size cpid lpid nattch
      std::string perms, size, cpid, lpid, nattch;
      ls >> perms >> size >> cpid >> lpid >> nattch;
      detail += " size=" + size + " nattch=" + nattch;
    }
    inv.objects[std::string(tag) + " " + std::to_string(id)] = Leak{sort, id, "", detail};
  }
}

void AddDir(IpcInventory& inv, const std::string& dir, Leak::Sort sort, const char* tag) {
  if (dir.empty()) {
    ReportDegraded(std::string("leak audit cannot list ") + SortName(sort) +
                   "s: no mqueue filesystem mounted to list them");
    return;
  }
  DIR* d = opendir(dir.c_str());
  if (d == nullptr) {
    ReportDegraded(std::string("leak audit cannot list ") + SortName(sort) + "s: opendir(" + dir +
                   "): " + ErrnoName(errno));
    return;
  }
  while (struct dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == "..") continue;
    inv.objects[std::string(tag) + " " + n] = Leak{sort, 0, "/" + n, dir + "/" + n};
  }
  closedir(d);
}

std::string ReadLink(const std::string& p) {
  char buf[512];
  ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
  return n < 0 ? std::string("?") : std::string(buf, static_cast<size_t>(n));
}

void AddFds(IpcInventory& inv) {
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return;
  int self = dirfd(d);
  while (struct dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd == self) continue;
    std::string target = ReadLink(std::string("/proc/self/fd/") + e->d_name);
    inv.objects["fd " + std::to_string(fd) + " " + target] =
        Leak{Leak::Sort::kFd, fd, "", target};
  }
  closedir(d);
}

std::string StatField(pid_t pid, char* state, pid_t* ppid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  size_t lp = s.find('('), rp = s.rfind(')');
  if (lp == std::string::npos || rp == std::string::npos || rp + 4 > s.size()) return "";
  std::istringstream rest(s.substr(rp + 2));
  long pp = 0;
  rest >> *state >> pp;
  *ppid = static_cast<pid_t>(pp);
  return s.substr(lp + 1, rp - lp - 1);
}

void AddChildren(IpcInventory& inv) {
  pid_t self = getpid();
  DIR* d = opendir("/proc");
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == self) continue;
    char state = '?';
    pid_t ppid = 0;
    std::string comm = StatField(pid, &state, &ppid);
    if (ppid != self) continue;
    inv.objects["child " + std::to_string(pid)] =
        Leak{Leak::Sort::kChild, pid, "", "comm=" + comm + " state=" + std::string(1, state)};
  }
  closedir(d);
}

// The whole of a small /proc file, or false with errno set.
bool ReadAll(const std::string& path, std::string* out) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  out->clear();
  char buf[8192];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      close(fd);
      errno = err;
      return false;
    }
    if (n == 0) break;
    out->append(buf, static_cast<size_t>(n));
  }
  close(fd);
  return true;
}

// AF_UNIX sockets of this thread's network namespace: inode -> "stream
// @name". Lines: "Num RefCount Protocol Flags Type St Inode [Path]". An
// embryo (a connection not yet accepted) has inode 0 and is left out; its
// listener holds it.
bool ListUnixSockets(const std::string& path, std::map<unsigned long, std::string>* out,
                     std::string* raw) {
  if (!ReadAll(path, raw)) return false;
  out->clear();
  std::istringstream in(*raw);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    unsigned type = 0, state = 0;
    unsigned long inode = 0;
    int end = 0;
    if (std::sscanf(line.c_str(), "%*s %*x %*x %*x %x %x %lu%n", &type, &state, &inode, &end) < 3 ||
        inode == 0) {
      continue;
    }
    std::string d = type == SOCK_STREAM      ? "stream"
                    : type == SOCK_DGRAM     ? "dgram"
                    : type == SOCK_SEQPACKET ? "seqpacket"
                                             : "type " + std::to_string(type);
    size_t p = line.find_first_not_of(' ', static_cast<size_t>(end));
    if (p != std::string::npos) d += " " + line.substr(p);
    (*out)[inode] = d;
  }
  return true;
}

// "sockets: used 3 / TCP: inuse 0 orphan 0 tw 1 ...": the counters of this
// network namespace (not alloc and mem, which are the machine's).
std::string SocketCounters() {
  std::string raw, sig;
  if (!ReadAll("/proc/thread-self/net/sockstat", &raw)) return "";
  std::istringstream in(raw);
  std::string word, prev;
  while (in >> word) {
    if (prev == "used" || prev == "inuse" || prev == "orphan" || prev == "tw") sig += prev + "=" + word + " ";
    if (word.back() == ':') sig += word + " ";
    prev = word;
  }
  return sig;
}

// Whether a process's state says it is exiting and not yet a zombie (its
// descriptors may be closed while its sockets are not yet released).
bool StillExiting(pid_t pid) {
  char state = '?';
  pid_t ppid = 0;
  return !StatField(pid, &state, &ppid).empty() && state != 'Z' && state != 'X' && state != 'x';
}

// Whether a process has begun to exit and is not yet a zombie: PF_EXITING
// (0x4, include/linux/sched.h) in the flags of /proc/PID/stat (field 9) is
// set as do_exit() starts, before its descriptors are closed and before its
// namespaces go; its sockets are released a little later.
bool ExitStarted(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(in, s);
  size_t rp = s.rfind(')');
  if (rp == std::string::npos || rp + 2 > s.size()) return false;
  std::istringstream rest(s.substr(rp + 2));
  char state = '?';
  long ppid = 0, pgrp = 0, session = 0, tty = 0, tpgid = 0;
  unsigned long flags = 0;
  if (!(rest >> state >> ppid >> pgrp >> session >> tty >> tpgid >> flags)) return false;
  return (flags & 0x4) != 0 && state != 'Z' && state != 'X' && state != 'x';
}

// The slow path, for sockets this process's fds do not hold: drops those an
// fd of another process in this network namespace holds (a child's go with
// the child). A process whose namespaces are gone but which is not yet a
// zombie is exiting: its sockets are released after its descriptors are
// closed, so wait for it (with a deadline) and list the sockets again.
void DropHeldElsewhere(std::map<unsigned long, std::string>& socks) {
  const std::string self_ns = ReadLink("/proc/thread-self/ns/net");
  const pid_t self = getpid();
  std::vector<pid_t> exiting;
  DIR* d = opendir("/proc");
  if (d == nullptr) return;
  while (struct dirent* e = readdir(d)) {
    pid_t pid = std::atoi(e->d_name);
    if (pid <= 0 || pid == self) continue;
    const std::string dir = std::string("/proc/") + e->d_name;
    char buf[64];
    ssize_t n = readlink((dir + "/ns/net").c_str(), buf, sizeof buf);
    if (n < 0) {
      if (errno == ENOENT && StillExiting(pid)) exiting.push_back(pid);
      continue;
    }
    if (std::string(buf, static_cast<size_t>(n)) != self_ns) continue;
    if (ExitStarted(pid)) exiting.push_back(pid);
    DIR* fds = opendir((dir + "/fd").c_str());
    if (fds == nullptr) continue;
    while (struct dirent* f = readdir(fds)) {
      if (f->d_name[0] == '.') continue;
      unsigned long inode = 0;
      std::string t = ReadLink(dir + "/fd/" + f->d_name);
      if (std::sscanf(t.c_str(), "socket:[%lu]", &inode) == 1) socks.erase(inode);
    }
    closedir(fds);
  }
  closedir(d);
  if (socks.empty()) return;
  // A socket listed before the scan whose holder exited during it (a
  // daemon killed with its parent by PR_SET_PDEATHSIG, gone from /proc by
  // the time the scan looked) is gone from the list too: list again below.
  if (!exiting.empty()) PollUntil(
      [&] {
        for (pid_t p : exiting) {
          if (StillExiting(p)) return false;
        }
        return true;
      },
      Deadline::In(std::chrono::seconds(2)));
  std::map<unsigned long, std::string> now;
  std::string raw;
  if (!ListUnixSockets(UnixListPath(), &now, &raw)) return;
  for (auto it = socks.begin(); it != socks.end();) {
    it = now.count(it->first) ? std::next(it) : socks.erase(it);
  }
}

// After AddFds: the AF_UNIX sockets no descriptor holds.
void AddUnixSockets(IpcInventory& inv) {
  if (!g_socket_inventory) return;
  const IpcSandbox& sandbox = IpcSandbox::Get();
  if (!sandbox.private_network_namespace()) {
    // The sandbox has said why (a degraded mode); another process's sockets
    // would be false leaks.
    return;
  }
  std::map<unsigned long, std::string> socks;
  std::string raw;
  if (!ListUnixSockets(UnixListPath(), &socks, &raw)) {
    ReportDegraded("leak audit cannot list AF_UNIX sockets: " + UnixListPath() + " unreadable (" +
                   ErrnoName(errno) + "): a socket in flight (held by no descriptor) is not caught");
    return;
  }
  const std::string counters = SocketCounters();
  // Unknown counters: every test gets a fresh namespace.
  if (!counters.empty()) {
    inv.net_signature = counters + "lines=" + std::to_string(std::count(raw.begin(), raw.end(), '\n'));
    for (const auto& [inode, detail] : socks) inv.net_signature += " " + std::to_string(inode);
  }
  for (const auto& [key, leak] : inv.objects) {
    unsigned long inode = 0;
    if (leak.sort == Leak::Sort::kFd && std::sscanf(leak.detail.c_str(), "socket:[%lu]", &inode) == 1) {
      socks.erase(inode);
    }
  }
  if (!socks.empty()) DropHeldElsewhere(socks);
  for (const auto& [inode, detail] : socks) {
    inv.objects["unix " + std::to_string(inode)] =
        Leak{Leak::Sort::kUnixSocket, static_cast<long>(inode), "", detail};
  }
}

// Runs the kernel's garbage collector of sockets in flight: it runs when an
// AF_UNIX socket is released.
void RunUnixGarbageCollector() {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) != 0) return;
  close(sv[0]);
  close(sv[1]);
}

}  // namespace

void SetSocketInventoryForTesting(bool on) { g_socket_inventory = on; }
void SetUnixSocketListForTesting(const std::string& path) { UnixListPath() = path; }

std::string Leak::ToString() const {
  std::string s = SortName(sort);
  switch (sort) {
    case Sort::kSysvMsg:
    case Sort::kSysvSem:
    case Sort::kSysvShm:
      s += " id " + std::to_string(id) + " (" + detail + ")";
      break;
    case Sort::kPosixMq:
    case Sort::kShmName:
      s += " " + name;
      break;
    case Sort::kFd:
      s += " " + std::to_string(id) + " -> " + detail;
      break;
    case Sort::kChild:
      s += " pid " + std::to_string(id) + " (" + detail + ")";
      break;
    case Sort::kUnixSocket:
      s += " inode " + std::to_string(id) + " (in flight: held by no descriptor; " + detail + ")";
      break;
  }
  return s;
}

IpcInventory TakeInventory() {
  IpcInventory inv;
  AddSysv(inv, "/proc/sysvipc/msg", Leak::Sort::kSysvMsg, "msg");
  AddSysv(inv, "/proc/sysvipc/sem", Leak::Sort::kSysvSem, "sem");
  AddSysv(inv, "/proc/sysvipc/shm", Leak::Sort::kSysvShm, "shm");
  AddDir(inv, IpcSandbox::Get().mqueue_dir(), Leak::Sort::kPosixMq, "mq");
  AddDir(inv, IpcSandbox::Get().shm_dir(), Leak::Sort::kShmName, "shmname");
  AddFds(inv);
  AddChildren(inv);
  AddUnixSockets(inv);
  return inv;
}

std::vector<Leak> Leaks(const IpcInventory& before, const IpcInventory& after) {
  std::vector<Leak> out;
  for (const auto& [key, leak] : after.objects) {
    if (before.objects.count(key) == 0) out.push_back(leak);
  }
  return out;
}

std::vector<std::string> Reclaim(const std::vector<Leak>& leaks) {
  std::vector<std::string> failed;
  auto check = [&](int r, const Leak& l) {
    if (r != 0) failed.push_back(l.ToString() + ": " + std::strerror(errno));
  };
  std::vector<const Leak*> sockets;
  for (const Leak& l : leaks) {
    switch (l.sort) {
      case Leak::Sort::kSysvMsg:
        check(msgctl(static_cast<int>(l.id), IPC_RMID, nullptr), l);
        break;
      case Leak::Sort::kSysvSem:
        check(semctl(static_cast<int>(l.id), 0, IPC_RMID), l);
        break;
      case Leak::Sort::kSysvShm:
        check(shmctl(static_cast<int>(l.id), IPC_RMID, nullptr), l);
        break;
      case Leak::Sort::kPosixMq:
        check(mq_unlink(l.name.c_str()), l);
        break;
      case Leak::Sort::kShmName:
        check(unlink(l.detail.c_str()), l);
        break;
      case Leak::Sort::kFd:
        check(close(static_cast<int>(l.id)), l);
        break;
      case Leak::Sort::kChild: {
        kill(static_cast<pid_t>(l.id), SIGKILL);
        auto st = WaitPid(static_cast<pid_t>(l.id), Deadline::In(std::chrono::seconds(30)));
        if (!st.ok()) failed.push_back(l.ToString() + ": " + st.error().ToString());
        break;
      }
      case Leak::Sort::kUnixSocket:
        sockets.push_back(&l);
        break;
    }
  }
  if (sockets.empty()) return failed;
  // The fds are closed: what was queued on them is freed. A cycle needs the
  // collector, which runs asynchronously (a kernel work item, 6.10 and
  // later), so it is run again at each poll (a collection already under way
  // may have started before these sockets were garbage).
  std::map<unsigned long, std::string> now;
  auto gone = [&] {
    RunUnixGarbageCollector();
    std::string raw;
    if (!ListUnixSockets(UnixListPath(), &now, &raw)) return true;
    for (const Leak* l : sockets) {
      if (now.count(static_cast<unsigned long>(l->id))) return false;
    }
    return true;
  };
  if (PollUntil(gone, Deadline::In(std::chrono::seconds(2)))) return failed;
  for (const Leak* l : sockets) {
    if (now.count(static_cast<unsigned long>(l->id))) {
      failed.push_back(l->ToString() +
                       ": still there after its fds were closed and the garbage collector ran "
                       "(queued on a socket that is still open?)");
    }
  }
  return failed;
}

}  // namespace ipcspec
