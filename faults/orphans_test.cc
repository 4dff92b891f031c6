// Orphans planted inside the test's own IPC namespace and /dev/shm (the
// sandbox gives each test fresh ones): listed as documented, reaped exactly.
#include "impl/inject/orphans.h"

#include <fcntl.h>
#include <mqueue.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "gtest/gtest.h"
#include "impl/core/cleanup.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/sandbox.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

OrphanQuery Here() {
  OrphanQuery q;
  q.mqueue_dir = IpcSandbox::Get().mqueue_dir();
  return q;
}

bool Listed(const std::vector<Orphan>& v, Orphan::Sort s, long id, const std::string& name = "") {
  return std::any_of(v.begin(), v.end(), [&](const Orphan& o) {
    return o.sort == s && (id < 0 || o.id == id) && (name.empty() || o.name == name);
  });
}

class Orphans : public ::testing::Test {
 protected:
  // Orphans are planted only in a private IPC namespace.
  void SetUp() override { IPCSPEC_NEEDS(Need::PrivateIpcNamespace()); }
};

// man 2 shmget / man 7 sysvipc: a segment persists after its creator exits
// (kernel persistence), with nattch 0: an orphan. A segment whose creator is
// alive, or that is attached, is not.
TEST_F(Orphans, ListsSysvObjectsWhoseCreatorIsDeadAndReapsExactlyThem) {
  struct Ids {
    int shm, msg, sem;
  };
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  auto st = ForkAndWait([&] {
    Ids ids{shmget(IPC_PRIVATE, 8192, IPC_CREAT | 0600), msgget(IPC_PRIVATE, IPC_CREAT | 0600),
            semget(IPC_PRIVATE, 2, IPC_CREAT | 0600)};
    struct sembuf op = {0, 1, 0};
    semop(ids.sem, &op, 1);  // records this (soon dead) pid as the last operator
    struct {
      long t;
      char c;
    } m = {1, 'x'};
    msgsnd(ids.msg, &m, 1, 0);
    return write(fds[1], &ids, sizeof ids) == sizeof ids ? 0 : 1;
  });
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
  Ids ids;
  ASSERT_EQ(read(fds[0], &ids, sizeof ids), static_cast<ssize_t>(sizeof ids));
  close(fds[0]);
  close(fds[1]);
  // Not orphans: ours (we are alive), and one we keep attached.
  int mine = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
  ASSERT_GE(mine, 0);
  Cleanup rm_mine([&] { shmctl(mine, IPC_RMID, nullptr); });

  auto found = FindOrphans(Here());
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kSysvShm, ids.shm))
      << FormatOrphans(found.value()) << "man 2 shmget / sysvipc: the segment persists, nattch 0";
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kSysvMsg, ids.msg)) << FormatOrphans(found.value());
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kSysvSem, ids.sem)) << FormatOrphans(found.value());
  EXPECT_FALSE(Listed(found.value(), Orphan::Sort::kSysvShm, mine))
      << "a segment whose creator is alive is not an orphan";
  for (const Orphan& o : found.value()) {
    if (o.sort == Orphan::Sort::kSysvShm && o.id == ids.shm) {
      EXPECT_EQ(o.size, 8192);
      EXPECT_EQ(o.owner, geteuid());
      EXPECT_GT(o.creator, 0);
    }
  }
  EXPECT_TRUE(ReapOrphans(found.value()).empty());
  struct shmid_ds ds;
  EXPECT_THAT(shmctl(ids.shm, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL)) << "reaped";
  EXPECT_THAT(msgctl(ids.msg, IPC_STAT, nullptr), SyscallFailsWithErrno(EINVAL)) << "reaped";
  EXPECT_THAT(shmctl(mine, IPC_STAT, &ds), SyscallSucceeds()) << "not listed, so not reaped";
}

// man 7 shm_overview / man 7 mq_overview: names persist until unlinked.
TEST_F(Orphans, ListsPosixNamesAndTheMatchSelects) {
  int fd = shm_open("/orphan-a", O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  ASSERT_THAT(ftruncate(fd, 12345), SyscallSucceeds());
  close(fd);
  fd = shm_open("/keep-b", O_CREAT | O_RDWR, 0600);
  ASSERT_GE(fd, 0);
  close(fd);
  Cleanup rm([] { shm_unlink("/keep-b"); });
  // Owners for a failure half-way (e.g. mq_send ENOSYS under gVisor): the
  // reap below removes both names when the test gets that far, and unlinking
  // a name that is gone is harmless.
  Cleanup rm_orphans([] {
    shm_unlink("/orphan-a");
    mq_unlink("/orphan-q");
  });
  mqd_t q = mq_open("/orphan-q", O_CREAT | O_RDWR, 0600, nullptr);
  ASSERT_NE(q, (mqd_t)-1);
  Cleanup close_q([q] { mq_close(q); });
  ASSERT_THAT(mq_send(q, "hello", 5, 0), SyscallSucceeds());
  close_q.Run();  // closed before the search, as an orphan's creator would

  OrphanQuery query = Here();
  query.match = "^/orphan-";
  auto found = FindOrphans(query);
  ASSERT_TRUE(found.ok()) << found.error();
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kPosixShm, -1, "/orphan-a")) << FormatOrphans(found.value());
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kPosixMq, -1, "/orphan-q")) << FormatOrphans(found.value());
  EXPECT_FALSE(Listed(found.value(), Orphan::Sort::kPosixShm, -1, "/keep-b")) << "--match left it out";
  for (const Orphan& o : found.value()) {
    if (o.name == "/orphan-a") {
      EXPECT_EQ(o.size, 12345);
    }
    if (o.name == "/orphan-q") {
      EXPECT_EQ(o.size, 5) << "QSIZE of the queue";
    }
  }
  EXPECT_TRUE(ReapOrphans(found.value()).empty());
  EXPECT_THAT(shm_open("/orphan-a", O_RDWR, 0), SyscallFailsWithErrno(ENOENT));
  EXPECT_THAT(mq_open("/orphan-q", O_RDWR), SyscallFailsWithErrno(ENOENT));
  fd = shm_open("/keep-b", O_RDWR, 0);
  EXPECT_GE(fd, 0) << "not matched, so not reaped";
  if (fd >= 0) close(fd);
}

TEST_F(Orphans, ABadPatternIsAClearError) {
  OrphanQuery q = Here();
  q.match = "([unclosed";
  auto found = FindOrphans(q);
  EXPECT_THAT(found, SyscallFailsWithErrno(EINVAL));
  EXPECT_NE(found.error().ToString().find("bad --match pattern"), std::string::npos) << found.error();
}

// Objects of other users are left out (and so never reaped) unless
// --all-users is given.
TEST_F(Orphans, OtherUsersObjectsAreLeftOutUnlessAsked) {
  // The segment goes to a user ID that must be mapped here: Bazel's
  // linux-sandbox maps root alone (this target is tagged no-sandbox).
  IPCSPEC_NEEDS(Need::SecondUid());
  const uid_t other = UnusedUid();
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  // A dead creator hands its segment to another user (IPC_SET of shm_perm.uid).
  auto st = ForkAndWait([&] {
    int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0666);
    struct shmid_ds ds;
    int ok = id >= 0 && shmctl(id, IPC_STAT, &ds) == 0;
    ds.shm_perm.uid = other;
    ok = ok && shmctl(id, IPC_SET, &ds) == 0;
    if (!ok && id >= 0) shmctl(id, IPC_RMID, nullptr);
    int msg[2] = {ok ? id : -1, ok ? 0 : errno};
    return write(fds[1], msg, sizeof msg) == sizeof msg ? 0 : 1;
  });
  int msg[2] = {-1, 0};
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
  ASSERT_EQ(read(fds[0], msg, sizeof msg), static_cast<ssize_t>(sizeof msg));
  close(fds[0]);
  close(fds[1]);
  ASSERT_GE(msg[0], 0) << "giving a segment to uid " << other << ": " << ErrnoName(msg[1]);
  int id = msg[0];
  Cleanup rm([&] { shmctl(id, IPC_RMID, nullptr); });
  auto mine = FindOrphans(Here());
  ASSERT_TRUE(mine.ok());
  EXPECT_FALSE(Listed(mine.value(), Orphan::Sort::kSysvShm, id))
      << "another user's orphan must be left out without --all-users\n" << FormatOrphans(mine.value());
  OrphanQuery everyone = Here();
  everyone.all_users = true;
  auto all = FindOrphans(everyone);
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(Listed(all.value(), Orphan::Sort::kSysvShm, id)) << FormatOrphans(all.value());
  EXPECT_TRUE(ReapOrphans(all.value()).empty()) << "root may remove it when asked";
  struct shmid_ds ds;
  EXPECT_THAT(shmctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL));
}

// man 3 ftok: the key of a SysV object may name a file ("uses the identity of
// the file named by the given pathname ... to generate a key"). A library
// that keys its objects by a file of its own (POCO's NamedMutex: a semaphore
// keyed by ftok("/tmp/NAME.mutex", 'p'), the file never removed) leaves both
// when its user dies: the finder lists the empty key file after the orphan,
// reaps it with it, and never takes a file with data in it.
TEST_F(Orphans, ListsTheKeyFileOfAnOrphanAndReapsItWithIt) {
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(tmp && *tmp ? tmp : "/tmp") + "/orphan-keys-XXXXXX";
  ASSERT_NE(mkdtemp(dir.data()), nullptr) << ErrnoName(errno);
  const std::string keyfile = dir + "/lib.mutex", datafile = dir + "/data";
  Cleanup rm_dir([&] {
    unlink(keyfile.c_str());
    unlink(datafile.c_str());
    rmdir(dir.c_str());
  });
  int fd = open(keyfile.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  close(fd);
  fd = open(datafile.c_str(), O_CREAT | O_WRONLY, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(write(fd, "x", 1), 1);
  close(fd);
  int fds[2];
  ASSERT_THAT(pipe(fds), SyscallSucceeds());
  auto st = ForkAndWait([&] {
    int ids[2] = {semget(ftok(keyfile.c_str(), 'p'), 1, IPC_CREAT | 0600),
                  semget(ftok(datafile.c_str(), 'q'), 1, IPC_CREAT | 0600)};
    struct sembuf op = {0, 1, 0};
    semop(ids[0], &op, 1);  // the last operator: this soon dead pid
    semop(ids[1], &op, 1);
    return write(fds[1], ids, sizeof ids) == sizeof ids ? 0 : 1;
  });
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0));
  int ids[2];
  ASSERT_EQ(read(fds[0], ids, sizeof ids), static_cast<ssize_t>(sizeof ids));
  close(fds[0]);
  close(fds[1]);
  ASSERT_GE(ids[0], 0);
  ASSERT_GE(ids[1], 0);
  Cleanup rm_sems([&] {
    semctl(ids[0], 0, IPC_RMID);
    semctl(ids[1], 0, IPC_RMID);
  });
  OrphanQuery q = Here();
  q.key_dirs = {dir};
  auto found = FindOrphans(q);
  ASSERT_TRUE(found.ok()) << found.error();
  const std::string table = FormatOrphans(found.value());
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kSysvSem, ids[0])) << table;
  EXPECT_TRUE(Listed(found.value(), Orphan::Sort::kKeyFile, -1, keyfile))
      << "the empty file whose ftok key is the orphan's is not listed\n" << table;
  for (const Orphan& o : found.value()) {
    if (o.sort == Orphan::Sort::kKeyFile && o.name == keyfile) { EXPECT_EQ(o.keyed_id, ids[0]); }
  }
  EXPECT_FALSE(Listed(found.value(), Orphan::Sort::kKeyFile, -1, datafile))
      << "a file with data in it is never a key file to reap\n" << table;
  EXPECT_NE(table.find("key-file"), std::string::npos) << table;
  EXPECT_TRUE(ReapOrphans(found.value()).empty());
  EXPECT_THAT(access(keyfile.c_str(), F_OK), SyscallFailsWithErrno(ENOENT)) << "reaped";
  EXPECT_THAT(access(datafile.c_str(), F_OK), SyscallSucceeds()) << "not listed, so not reaped";
  EXPECT_THAT(semctl(ids[0], 0, GETVAL), SyscallFailsWithErrno(EINVAL)) << "reaped";
}

}  // namespace
}  // namespace ipcspec
