#include "impl/core/leak_audit.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/mman.h>
#include <unistd.h>

#include <functional>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

using ::testing::HasSubstr;

// Makes one object, checks that the audit reports exactly it, reclaims it and
// checks that nothing is left.
void ExpectCaught(const std::function<void()>& leak_one, Leak::Sort sort,
                  const std::string& text) {
  IpcInventory before = TakeInventory();
  leak_one();
  std::vector<Leak> leaks = Leaks(before, TakeInventory());
  ASSERT_EQ(leaks.size(), 1u);
  EXPECT_EQ(leaks[0].sort, sort);
  EXPECT_THAT(leaks[0].ToString(), HasSubstr(text));
  EXPECT_TRUE(Reclaim(leaks).empty());
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
}

TEST(LeakAudit, CatchesSysvMessageQueue) {
  ExpectCaught([] { ASSERT_GE(msgget(IPC_PRIVATE, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvMsg, "SysV message queue id");
}

TEST(LeakAudit, CatchesSysvSemaphoreSet) {
  ExpectCaught([] { ASSERT_GE(semget(0x1234, 2, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvSem, "key=0x1234");
}

TEST(LeakAudit, CatchesSysvSharedMemory) {
  ExpectCaught([] { ASSERT_GE(shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600), 0); },
               Leak::Sort::kSysvShm, "size=8192 nattch=0");
}

TEST(LeakAudit, CatchesPosixMessageQueue) {
  IPCSPEC_NEEDS(Need::Feature("mqueue-mount", []() -> std::optional<std::string> {
    if (!IpcSandbox::Get().mqueue_dir().empty()) return std::nullopt;
    return "no mqueue filesystem mounted to list POSIX message queues in";
  }));
  ExpectCaught(
      [] {
        mqd_t q = mq_open("/audit-mq", O_CREAT | O_RDWR, 0600, nullptr);
        ASSERT_NE(q, (mqd_t)-1) << strerror(errno);
        mq_close(q);
      },
      Leak::Sort::kPosixMq, "/audit-mq");
}

TEST(LeakAudit, CatchesShmName) {
  ExpectCaught(
      [] {
        int fd = shm_open("/audit-shm", O_CREAT | O_RDWR, 0600);
        ASSERT_GE(fd, 0);
        close(fd);
      },
      Leak::Sort::kShmName, "/audit-shm");
}

TEST(LeakAudit, CatchesFd) {
  ExpectCaught([] { ASSERT_GE(open("/dev/null", O_RDONLY), 0); }, Leak::Sort::kFd,
               "/dev/null");
}

TEST(LeakAudit, CatchesChild) {
  ExpectCaught(
      [] {
        auto c = Child::Fork([] {
          pause();
          return 0;
        });
        ASSERT_TRUE(c.ok());
        c.value().Release();  // leak it on purpose
      },
      Leak::Sort::kChild, "child process pid");
}

TEST(LeakAudit, ObjectsPresentBeforeAreNotLeaks) {
  int fd = open("/dev/null", O_RDONLY);
  IpcInventory before = TakeInventory();
  EXPECT_TRUE(Leaks(before, TakeInventory()).empty());
  close(fd);
}

}  // namespace
}  // namespace ipcspec
