#include "suites/common/crashed_opener.h"

#include <ftw.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <set>
#include <sstream>

#include "impl/inject/orphans.h"
#include "impl/core/leak_audit.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"

namespace ipcspec {

const char* const kCrashedOpenerCite =
    "man 7 sysvipc, man 7 shm_overview, man 7 mq_overview, man 7 sem_overview: these objects "
    "have kernel persistence and outlive a process that dies without removing them; an "
    "operator must be able to find and remove what a crashed process left "
    "(`bazel run //faults:orphans -- --reap`)";

namespace {

// Sockets and FIFOs under the test's directory: what a crash can leave on
// disk that no IPC listing shows.
std::set<std::string>* g_nodes = nullptr;
int AddNode(const char* path, const struct stat* st, int, struct FTW*) {
  if (S_ISSOCK(st->st_mode) || S_ISFIFO(st->st_mode)) g_nodes->insert(path);
  return 0;
}
// Under $TEST_TMPDIR, and under /tmp when the test has a private one (the
// sandbox mounts it): Unix socket paths are short, so libraries use /tmp.
std::set<std::string> SocketsAndFifos() {
  std::set<std::string> out;
  g_nodes = &out;
  if (const char* dir = std::getenv("TEST_TMPDIR")) nftw(dir, AddNode, 16, FTW_PHYS);
  if (IpcSandbox::Get().private_tmp()) nftw("/tmp", AddNode, 16, FTW_PHYS);
  g_nodes = nullptr;
  return out;
}

bool IsIpcObject(const Leak& l) {
  return l.sort != Leak::Sort::kFd && l.sort != Leak::Sort::kChild;
}

bool FinderReports(const Leak& l, const std::vector<Orphan>& orphans) {
  for (const auto& o : orphans) {
    switch (l.sort) {
      case Leak::Sort::kSysvMsg:
        if (o.sort == Orphan::Sort::kSysvMsg && o.id == l.id) return true;
        break;
      case Leak::Sort::kSysvSem:
        if (o.sort == Orphan::Sort::kSysvSem && o.id == l.id) return true;
        break;
      case Leak::Sort::kSysvShm:
        if (o.sort == Orphan::Sort::kSysvShm && o.id == l.id) return true;
        break;
      case Leak::Sort::kPosixMq:
      case Leak::Sort::kShmName: {
        std::string base = o.path.substr(o.path.rfind('/') + 1);
        if (!o.path.empty() && (base == l.name || "/" + base == l.name)) return true;
        break;
      }
      default:
        break;
    }
  }
  return false;
}

}  // namespace

PropertyOutcome CheckCrashedOpener(const std::string& kind_name,
                                   const std::function<bool()>& open_and_keep) {
  IpcInventory before = TakeInventory();
  std::set<std::string> nodes_before = SocketsAndFifos();
  auto child = Child::Fork([&open_and_keep]() -> int {
    if (!open_and_keep()) return 3;
    raise(SIGKILL);
    return 4;
  });
  if (!child.ok()) return {false, 0, "fork: " + child.error().ToString()};
  auto st = child.value().Wait();
  if (!st.ok()) return {false, 0, "waiting for the crashing opener: " + st.error().ToString()};
  if (st.value().ExitedWith(3)) {
    return {false, 0, "the Kind could not be opened in a fresh child process"};
  }
  if (!st.value().KilledBy(SIGKILL)) {
    return {false, 0, "the opener ended with " + st.value().ToString() + ", not SIGKILL"};
  }

  std::vector<Leak> left;
  for (const auto& l : Leaks(before, TakeInventory())) {
    if (IsIpcObject(l)) left.push_back(l);
  }
  std::vector<std::string> nodes;
  for (const auto& n : SocketsAndFifos()) {
    if (!nodes_before.count(n)) nodes.push_back(n);
  }

  OrphanQuery q;
  q.shm_dir = IpcSandbox::Get().shm_dir();
  q.mqueue_dir = IpcSandbox::Get().mqueue_dir();
  auto orphans = FindOrphans(q);
  std::ostringstream problems, inventory;
  for (const auto& l : left) {
    inventory << " " << l.ToString() << ";";
    if (!orphans.ok() || !FinderReports(l, orphans.value())) {
      problems << "left " << l.ToString() << ", which the orphan finder does not report\n";
    }
  }
  for (const auto& n : nodes) {
    inventory << " " << n << " (socket or FIFO on disk);";
    problems << "left " << n << " on disk (a socket or FIFO: no IPC tool lists it)\n";
    unlink(n.c_str());
  }
  std::printf("ipcspec-orphans: %s left:%s\n", kind_name.c_str(),
              inventory.str().empty() ? " nothing" : inventory.str().c_str());
  std::fflush(stdout);

  // Clean up as an operator would: the finder's --reap, then anything else.
  if (orphans.ok()) {
    for (const auto& e : ReapOrphans(orphans.value())) problems << "reaping: " << e << "\n";
  }
  std::vector<Leak> still;
  for (const auto& l : Leaks(before, TakeInventory())) {
    if (IsIpcObject(l)) still.push_back(l);
  }
  for (const auto& l : still) problems << "still there after reaping: " << l.ToString() << "\n";
  Reclaim(still);
  if (problems.str().empty()) return {true, 1, ""};
  return {false, 1,
          std::string(kCrashedOpenerCite) + "\n" + kind_name + " after its opener was killed:\n" +
              problems.str()};
}

}  // namespace ipcspec
