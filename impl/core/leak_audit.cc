#include "impl/core/leak_audit.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

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
  }
  return "?";
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

}  // namespace

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
    }
  }
  return failed;
}

}  // namespace ipcspec
