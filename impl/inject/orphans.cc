#include "impl/inject/orphans.h"

#include <dirent.h>
#include <mqueue.h>
#include <pwd.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>

namespace ipcspec {
namespace {

bool Alive(pid_t pid) { return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM); }

long long Now() { return static_cast<long long>(time(nullptr)); }

std::string KeyName(long long key) {
  char b[32];
  std::snprintf(b, sizeof b, "0x%08llx", static_cast<unsigned long long>(key) & 0xffffffffULL);
  return b;
}

// Rows of a /proc/sysvipc file as whitespace-separated fields (header skipped).
std::vector<std::vector<long long>> ProcRows(const char* path) {
  std::vector<std::vector<long long>> rows;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<long long> f;
    long long v;
    while (ls >> v) f.push_back(v);
    rows.push_back(f);
  }
  return rows;
}

}  // namespace

const char* SortName(Orphan::Sort s) {
  switch (s) {
    case Orphan::Sort::kSysvShm: return "sysv-shm";
    case Orphan::Sort::kSysvMsg: return "sysv-msg";
    case Orphan::Sort::kSysvSem: return "sysv-sem";
    case Orphan::Sort::kPosixShm: return "posix-shm";
    case Orphan::Sort::kPosixSem: return "posix-sem";
    case Orphan::Sort::kPosixMq: return "posix-mq";
    case Orphan::Sort::kKeyFile: return "key-file";
  }
  return "?";
}

PosixErrorOr<std::vector<Orphan>> FindOrphans(const OrphanQuery& q) {
  std::optional<std::regex> re;
  if (!q.match.empty()) {
    try {
      re.emplace(q.match, std::regex::extended);
    } catch (const std::regex_error& e) {
      return PosixError(EINVAL, "bad --match pattern '" + q.match + "': " + e.what());
    }
  }
  auto wanted = [&](const Orphan& o) {
    if (!q.all_users && o.owner != geteuid()) return false;
    return !re || std::regex_search(o.name, *re);
  };
  std::vector<Orphan> out;
  // key shmid perms size cpid lpid nattch uid gid cuid cgid atime dtime ctime
  for (const auto& f : ProcRows("/proc/sysvipc/shm")) {
    if (f.size() < 14) continue;
    Orphan o{Orphan::Sort::kSysvShm, static_cast<long>(f[1]), KeyName(f[0]),
             static_cast<uid_t>(f[7]), f[3], Now() - std::max(f[12], f[13]),
             static_cast<pid_t>(f[4]), ""};
    if (f[6] == 0 && !Alive(o.creator) && wanted(o)) out.push_back(o);
  }
  // key msqid perms cbytes qnum lspid lrpid uid gid cuid cgid stime rtime ctime
  for (const auto& f : ProcRows("/proc/sysvipc/msg")) {
    if (f.size() < 14) continue;
    Orphan o{Orphan::Sort::kSysvMsg, static_cast<long>(f[1]), KeyName(f[0]),
             static_cast<uid_t>(f[7]), f[3], Now() - std::max({f[11], f[12], f[13]}), 0, ""};
    if (!Alive(static_cast<pid_t>(f[5])) && !Alive(static_cast<pid_t>(f[6])) && wanted(o)) {
      out.push_back(o);
    }
  }
  // key semid perms nsems uid gid cuid cgid otime ctime
  for (const auto& f : ProcRows("/proc/sysvipc/sem")) {
    if (f.size() < 10) continue;
    Orphan o{Orphan::Sort::kSysvSem, static_cast<long>(f[1]), KeyName(f[0]),
             static_cast<uid_t>(f[4]), f[3], Now() - std::max(f[8], f[9]), 0, ""};
    bool someone = false;
    for (long i = 0; i < f[3]; ++i) {
      int pid = semctl(static_cast<int>(o.id), static_cast<int>(i), GETPID);
      someone |= pid > 0 && Alive(pid);
    }
    if (!someone && wanted(o)) out.push_back(o);
  }
  // Key files: an orphan SysV object's key is ftok(file, proj) of an empty
  // file in a key directory (see orphans.h). Files are looked at only when
  // some orphan has a key (IPC_PRIVATE objects have none).
  std::vector<Orphan> keyed;
  for (const Orphan& o : out) {
    const long long key = std::strtoll(o.name.c_str(), nullptr, 16);
    if (key == 0) continue;
    for (const std::string& dir : q.key_dirs) {
      DIR* d = opendir(dir.c_str());
      if (d == nullptr) continue;
      while (struct dirent* e = readdir(d)) {
        std::string path = dir + "/" + e->d_name;
        struct stat st;
        if (lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != 0) continue;
        if (st.st_uid != o.owner) continue;
        const int proj = static_cast<int>((key >> 24) & 0xff);
        if (proj == 0) continue;  // ftok(3): proj_id must be nonzero
        key_t k = ftok(path.c_str(), proj);
        if (k == -1 || (static_cast<long long>(k) & 0xffffffffLL) != key) continue;
        Orphan f;
        f.sort = Orphan::Sort::kKeyFile;
        f.name = path;
        f.path = path;
        f.owner = st.st_uid;
        f.age_s = Now() - static_cast<long long>(st.st_mtime);
        f.keyed_id = o.id;
        keyed.push_back(f);
      }
      closedir(d);
    }
  }
  out.insert(out.end(), keyed.begin(), keyed.end());
  auto names = [&](const std::string& dir, bool mq) {
    DIR* d = opendir(dir.c_str());
    if (d == nullptr) return;
    while (struct dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      std::string path = dir + "/" + n;
      struct stat st;
      if (lstat(path.c_str(), &st) != 0) continue;
      Orphan o;
      o.path = path;
      o.owner = st.st_uid;
      o.age_s = Now() - static_cast<long long>(st.st_mtime);
      if (mq) {
        o.sort = Orphan::Sort::kPosixMq;
        o.name = "/" + n;
        std::ifstream in(path);  // "QSIZE:12 NOTIFY:0 ..."
        std::string w;
        in >> w;
        if (w.rfind("QSIZE:", 0) == 0) o.size = std::atoll(w.c_str() + 6);
      } else if (n.rfind("sem.", 0) == 0) {
        o.sort = Orphan::Sort::kPosixSem;
        o.name = "/" + n.substr(4);
        o.size = static_cast<long long>(st.st_size);
      } else {
        o.sort = Orphan::Sort::kPosixShm;
        o.name = "/" + n;
        o.size = static_cast<long long>(st.st_size);
      }
      if (wanted(o)) out.push_back(o);
    }
    closedir(d);
  };
  names(q.shm_dir, false);
  names(q.mqueue_dir, true);
  return out;
}

std::vector<std::string> ReapOrphans(const std::vector<Orphan>& orphans) {
  std::vector<std::string> errors;
  for (const Orphan& o : orphans) {
    int r = 0;
    switch (o.sort) {
      case Orphan::Sort::kSysvShm: r = shmctl(static_cast<int>(o.id), IPC_RMID, nullptr); break;
      case Orphan::Sort::kSysvMsg: r = msgctl(static_cast<int>(o.id), IPC_RMID, nullptr); break;
      case Orphan::Sort::kSysvSem: r = semctl(static_cast<int>(o.id), 0, IPC_RMID); break;
      case Orphan::Sort::kPosixShm:
      case Orphan::Sort::kPosixSem:
      case Orphan::Sort::kPosixMq:
      case Orphan::Sort::kKeyFile: r = unlink(o.path.c_str()); break;
    }
    if (r != 0) {
      int e = errno;
      std::string what = std::string(SortName(o.sort)) + " " +
                         (o.id >= 0 ? "id " + std::to_string(o.id) : o.name) + " (owner uid " +
                         std::to_string(o.owner) + ")";
      errors.push_back("cannot remove " + what + ": " + ErrnoName(e) + " (" + strerror(e) + ")" +
                       (e == EPERM || e == EACCES ? "; run as its owner or as root" : ""));
    }
  }
  return errors;
}

std::string FormatOrphans(const std::vector<Orphan>& orphans) {
  std::ostringstream os;
  char line[256];
  std::snprintf(line, sizeof line, "%-10s %-10s %-24s %-10s %12s %10s %8s\n", "sort", "id",
                "key/name", "owner", "size", "age(s)", "creator");
  os << line;
  for (const Orphan& o : orphans) {
    struct passwd* pw = getpwuid(o.owner);
    std::string owner = pw ? pw->pw_name : std::to_string(o.owner);
    std::snprintf(line, sizeof line, "%-10s %-10s %-24s %-10s %12lld %10lld %8s\n",
                  SortName(o.sort), o.id >= 0 ? std::to_string(o.id).c_str() : "-",
                  o.name.c_str(), owner.c_str(), o.size, o.age_s,
                  o.creator > 0 ? (std::to_string(o.creator) + " dead").c_str()
                  : o.keyed_id >= 0 ? ("keys " + std::to_string(o.keyed_id)).c_str()
                                    : "?");
    os << line;
  }
  return os.str();
}

}  // namespace ipcspec
