#include "impl/core/needs.h"
#include "impl/core/sandbox.h"

#include <dirent.h>
#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "gtest/gtest.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

ino_t IpcNamespaceInode() {
  struct stat st;
  if (stat("/proc/self/ns/ipc", &st) != 0) return 0;
  return st.st_ino;
}

size_t Entries(const std::string& dir) {
  size_t n = 0;
  DIR* d = opendir(dir.c_str());
  if (!d) return 0;
  while (struct dirent* e = readdir(d)) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

size_t SysvLines(const char* f) {
  std::ifstream in(f);
  std::string line;
  size_t n = 0;
  while (std::getline(in, line)) ++n;
  return n > 0 ? n - 1 : 0;  // minus the header
}

class Sandbox : public ::testing::Test {
 protected:
  void SetUp() override { IPCSPEC_NEEDS(Need::PrivateIpcNamespace()); }
  static std::set<ino_t> seen_;
};
std::set<ino_t> Sandbox::seen_;

TEST_F(Sandbox, EachTestStartsWithAnEmptyIpcNamespace) {
  EXPECT_EQ(SysvLines("/proc/sysvipc/msg"), 0u);
  EXPECT_EQ(SysvLines("/proc/sysvipc/sem"), 0u);
  EXPECT_EQ(SysvLines("/proc/sysvipc/shm"), 0u);
  EXPECT_EQ(Entries(IpcSandbox::Get().mqueue_dir()), 0u);
  EXPECT_EQ(Entries("/dev/shm"), 0u);
  // Leave something for the next test to not see (and remove it, for the audit).
  int id = msgget(0x5eed, IPC_CREAT | 0600);
  ASSERT_GE(id, 0);
  EXPECT_EQ(SysvLines("/proc/sysvipc/msg"), 1u);
  ASSERT_THAT(msgctl(id, IPC_RMID, nullptr), SyscallSucceeds());
}

// Two tests that each record their IPC namespace; whichever runs second
// checks that the two differ.
void RecordAndCompare(std::set<ino_t>& seen) {
  ino_t ns = IpcNamespaceInode();
  ASSERT_NE(ns, 0u);
  seen.insert(ns);
}
TEST_F(Sandbox, NamespaceIsNewForEachTestA) {
  size_t before = seen_.size();
  RecordAndCompare(seen_);
  EXPECT_EQ(seen_.size(), before + 1) << "two tests shared an IPC namespace";
}
TEST_F(Sandbox, NamespaceIsNewForEachTestB) {
  size_t before = seen_.size();
  RecordAndCompare(seen_);
  EXPECT_EQ(seen_.size(), before + 1) << "two tests shared an IPC namespace";
}

TEST_F(Sandbox, TheHostIpcNamespaceIsNotOurs) {
  IPCSPEC_NEEDS(Need::Feature("pid1-ipc-ns", []() -> std::optional<std::string> {
    struct stat st;
    if (stat("/proc/1/ns/ipc", &st) == 0) return std::nullopt;
    return "stat(/proc/1/ns/ipc): " + ErrnoName(errno);
  }));
  struct stat host;
  ASSERT_THAT(stat("/proc/1/ns/ipc", &host), SyscallSucceeds());
  EXPECT_NE(host.st_ino, IpcNamespaceInode());
}

TEST_F(Sandbox, MessageQueuesAreListedInTheSandboxMount) {
  mqd_t q = mq_open("/listed", O_CREAT | O_RDWR, 0600, nullptr);
  ASSERT_NE(q, (mqd_t)-1) << strerror(errno);
  EXPECT_EQ(Entries(IpcSandbox::Get().mqueue_dir()), 1u);
  mq_close(q);
  ASSERT_THAT(mq_unlink("/listed"), SyscallSucceeds());
}

}  // namespace
}  // namespace ipcspec
