// System V shared memory: the documented semantics of shmget, shmat/shmdt
// and shmctl (man 7 sysvipc, man 2 shmget, man 2 shmop, man 2 shmctl, man 7
// ipc_namespaces, man 5 proc). Each test runs in its own IPC namespace, so
// keys cannot collide and the limits in /proc/sys/kernel/shm* are the test's
// own.
#include <sched.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/checkpoint.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/shared_region/region_test_util.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// Owns a segment id: IPC_RMID at scope exit (a no-op once it is gone).
Cleanup RemoveAtExit(int id) {
  return Cleanup([id] { shmctl(id, IPC_RMID, nullptr); });
}
// Owns whatever segment `key` names at scope exit (for segments a child makes).
Cleanup RemoveKeyAtExit(key_t key) {
  return Cleanup([key] {
    int id = shmget(key, 0, 0);
    if (id >= 0) shmctl(id, IPC_RMID, nullptr);
  });
}
// Owns an attachment: shmdt at scope exit unless released.
Cleanup DetachAtExit(void* p) {
  return Cleanup([p] { shmdt(p); });
}

PosixErrorOr<struct shmid_ds> Stat(int id) {
  struct shmid_ds ds;
  std::memset(&ds, 0, sizeof ds);
  if (shmctl(id, IPC_STAT, &ds) != 0) return ErrnoError("shmctl(" + std::to_string(id) + ", IPC_STAT)");
  return ds;
}

PosixErrorOr<struct shminfo> Limits() {
  struct shminfo info;
  if (shmctl(0, IPC_INFO, reinterpret_cast<struct shmid_ds*>(&info)) < 0) {
    return ErrnoError("shmctl(IPC_INFO)");
  }
  return info;
}

bool ListedInProc(int id) {
  std::ifstream in("/proc/sysvipc/shm");
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    long key, shmid;
    if (ls >> key >> shmid && shmid == id) return true;
  }
  return false;
}

void* Attach(int id, int flags = 0) { return shmat(id, nullptr, flags); }
bool AttachFailed(void* p) { return p == reinterpret_cast<void*>(-1); }

// ------------------------------------------------------------ size rules

// man 2 shmget, ERRORS: "EINVAL A new segment was to be created and size is
// less than SHMMIN or greater than SHMMAX." NOTES: "SHMMIN ... (currently 1
// byte ...)".
TEST(SysvShmSize, BelowShmminIsEinval) {
  ASSERT_OK_AND_ASSIGN(struct shminfo info, Limits());
  EXPECT_EQ(info.shmmin, 1u) << "man 2 shmget: \"SHMMIN Minimum size in bytes for a shared "
                                "memory segment: ... (currently 1 byte ...)\"";
  EXPECT_THAT(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmget: \"EINVAL A new segment was to be created and size is less than "
         "SHMMIN\"";
  int id = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds()) << "man 2 shmget: SHMMIN is 1 byte: a 1-byte segment";
  Cleanup rm = RemoveAtExit(id);
}

// man 2 shmget: "EINVAL A new segment was to be created and size is ...
// greater than SHMMAX."
TEST(SysvShmSize, AboveShmmaxIsEinval) {
  // Above SIZE_MAX no size exists.
  IPCSPEC_NEEDS(Need::SysctlBelow("/proc/sys/kernel/shmmax", SIZE_MAX));
  ASSERT_OK_AND_ASSIGN(struct shminfo info, Limits());
  EXPECT_THAT(shmget(IPC_PRIVATE, info.shmmax + 1, IPC_CREAT | 0600),
              SyscallFailsWithErrno(EINVAL))
      << "man 2 shmget: \"EINVAL A new segment was to be created and size is ... greater than "
         "SHMMAX\" (SHMMAX here: "
      << info.shmmax << ")";
}

// man 2 shmget: "EINVAL A segment for the given key exists, but size is
// greater than the size of that segment." Linux compares with shm_segsz,
// the size asked for, not the page-rounded size: 101 bytes is refused for a
// 100-byte segment although both fit in one page.
TEST(SysvShmSize, ExistingKeyWithALargerSizeIsEinval) {
  const key_t key = 0x5eed;
  int id = shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  EXPECT_THAT(shmget(key, 101, 0), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmget: \"EINVAL A segment for the given key exists, but size is greater than "
         "the size of that segment\"";
  EXPECT_THAT(shmget(key, 100, 0), SyscallSucceedsWithValue(id))
      << "man 2 shmget: the same size finds the segment";
  EXPECT_THAT(shmget(key, 50, 0), SyscallSucceedsWithValue(id))
      << "man 2 shmget: a smaller size finds the segment";
  EXPECT_THAT(shmget(key, 0, 0), SyscallSucceedsWithValue(id))
      << "man 2 shmget: size 0 finds an existing segment";
}

// man 2 shmget: "A new shared memory segment, with size equal to the value
// of size rounded up to a multiple of PAGE_SIZE, is created" and "shm_segsz
// is set to the value of size"; "its contents are initialized to zero
// values". The pages show in SHM_INFO's shm_tot (man 2 shmctl: "Total number
// of shared memory pages") of this namespace, and the whole last page is
// mapped.
TEST(SysvShmSize, SegszIsTheSizeAskedForAndPagesAreRoundedUp) {
  const size_t n = 2 * Page() + 1;
  int id = shmget(IPC_PRIVATE, n, IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  ASSERT_OK_AND_ASSIGN(struct shmid_ds ds, Stat(id));
  EXPECT_EQ(ds.shm_segsz, n) << "man 2 shmget: \"shm_segsz is set to the value of size\"";
  EXPECT_EQ(ds.shm_nattch, 0u) << "man 2 shmget: \"shm_lpid, shm_nattch, shm_atime, and "
                                  "shm_dtime are set to 0\"";
  struct shm_info info;
  ASSERT_THAT(shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&info)), SyscallSucceeds());
  EXPECT_EQ(info.shm_tot, 3u) << "man 2 shmget: \"size equal to the value of size rounded up to "
                                 "a multiple of PAGE_SIZE\": " << n << " bytes are 3 pages";
  void* p = Attach(id);
  ASSERT_FALSE(AttachFailed(p)) << "shmat: " << strerror(errno);
  Cleanup dt = DetachAtExit(p);
  uint8_t* b = static_cast<uint8_t*>(p);
  // The last byte of the third page is part of the segment.
  TouchWrite(b + 3 * Page() - 1, 0x77);
  EXPECT_EQ(TouchRead(b + 3 * Page() - 1), 0x77)
      << "man 2 shmget: the segment is rounded up to whole pages";
  for (size_t i = 0; i < n; ++i) {
    if (b[i] != 0) {
      ADD_FAILURE() << "man 2 shmget: \"its contents are initialized to zero values\": byte "
                    << i << " is " << int(b[i]);
      break;
    }
  }
}

// man 2 shmget: "EEXIST IPC_CREAT and IPC_EXCL were specified in shmflg, but
// a shared memory segment already exists for key." and "ENOENT No segment
// exists for the given key, and IPC_CREAT was not specified."
TEST(SysvShmGet, ExclAndMissingKey) {
  const key_t key = 0x1234;
  EXPECT_THAT(shmget(key, 10, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 2 shmget: \"ENOENT No segment exists for the given key, and IPC_CREAT was not "
         "specified\"";
  int id = shmget(key, 10, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  EXPECT_THAT(shmget(key, 10, IPC_CREAT | IPC_EXCL | 0600), SyscallFailsWithErrno(EEXIST))
      << "man 2 shmget: \"EEXIST IPC_CREAT and IPC_EXCL were specified in shmflg, but a shared "
         "memory segment already exists for key\"";
  EXPECT_THAT(shmget(key, 10, IPC_CREAT | 0600), SyscallSucceedsWithValue(id))
      << "man 2 shmget: IPC_CREAT without IPC_EXCL finds the existing segment";
}

// ------------------------------------------------------------ SHM_RDONLY

// man 2 shmop: "SHM_RDONLY Attach the segment for read-only access."; man 2
// mmap, SIGNALS: "SIGSEGV Attempted write into a region mapped as
// read-only." A child reads through a read-only attachment, then writes: the
// write kills it with SIGSEGV and changes nothing.
TEST(SysvShmRdonly, AWriteThroughItIsSigsegv) {
  int id = shmget(IPC_PRIVATE, Page(), IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  void* rw = Attach(id);
  ASSERT_FALSE(AttachFailed(rw)) << strerror(errno);
  Cleanup dt = DetachAtExit(rw);
  TouchWrite(static_cast<uint8_t*>(rw) + 10, 0x5a);

  auto st = ForkAndWait([id] {
    void* ro = shmat(id, nullptr, SHM_RDONLY);
    if (ro == reinterpret_cast<void*>(-1)) return 2;
    if (TouchRead(static_cast<uint8_t*>(ro) + 10) != 0x5a) return 3;  // reads work
    ResetSignalToDefault(SIGSEGV);
    TouchWrite(static_cast<uint8_t*>(ro) + 10, 0x01);
    return 4;  // the write went through
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().KilledBy(SIGSEGV))
      << "man 2 shmop SHM_RDONLY + man 2 mmap: \"SIGSEGV Attempted write into a region mapped "
         "as read-only.\"; the child " << st.value() << " (2: shmat failed, 3: wrong byte, "
      << "4: the write went through)";
  EXPECT_EQ(TouchRead(static_cast<uint8_t*>(rw) + 10), 0x5a)
      << "man 2 shmop SHM_RDONLY: the read-only attachment changed the segment";
}

// ---------------------------------------------------------------- nattch

// man 2 shmop: shmat: "shm_nattch is incremented by one"; NOTES: "After a
// fork(2), the child inherits the attached shared memory segments."; shmdt:
// "shm_nattch is decremented by one"; "Upon _exit(2), all attached shared
// memory segments are detached from the process."; shm_lpid: "set to the
// process-ID of the calling process".
TEST(SysvShmNattch, CountsAttachesAcrossForkShmdtAndExit) {
  int id = shmget(IPC_PRIVATE, Page(), IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  auto nattch = [id]() -> long {
    auto ds = Stat(id);
    return ds.ok() ? static_cast<long>(ds.value().shm_nattch) : -1;
  };
  void* p = Attach(id);
  ASSERT_FALSE(AttachFailed(p)) << strerror(errno);
  Cleanup dt = DetachAtExit(p);
  EXPECT_EQ(nattch(), 1) << "man 2 shmop: shmat: \"shm_nattch is incremented by one\"";

  ASSERT_OK_AND_ASSIGN(Checkpoint child_at, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Checkpoint go, Checkpoint::Create());
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, p]() -> int {
                         Deadline d = Deadline::Default();
                         child_at.Signal(1);  // inherited the attachment
                         if (!go.WaitFor(1, d).ok()) return 10;
                         if (shmdt(p) != 0) return 2;
                         child_at.Signal(2);
                         if (!go.WaitFor(2, d).ok()) return 11;
                         if (shmat(id, nullptr, 0) == reinterpret_cast<void*>(-1)) return 3;
                         child_at.Signal(3);
                         if (!go.WaitFor(3, d).ok()) return 12;
                         return 0;  // exits attached
                       }));
  ASSERT_NO_ERRNO(child_at.WaitFor(1, Deadline::Default()));
  EXPECT_EQ(nattch(), 2) << "man 2 shmop NOTES: \"After a fork(2), the child inherits the "
                            "attached shared memory segments.\"";
  go.Signal(1);
  ASSERT_NO_ERRNO(child_at.WaitFor(2, Deadline::Default()));
  EXPECT_EQ(nattch(), 1) << "man 2 shmop: shmdt: \"shm_nattch is decremented by one\"";
  ASSERT_OK_AND_ASSIGN(struct shmid_ds ds, Stat(id));
  EXPECT_EQ(ds.shm_lpid, c.pid()) << "man 2 shmop: shmdt: \"shm_lpid is set to the process-ID "
                                     "of the calling process\"";
  go.Signal(2);
  ASSERT_NO_ERRNO(child_at.WaitFor(3, Deadline::Default()));
  EXPECT_EQ(nattch(), 2) << "man 2 shmop: the child's own shmat counts";
  go.Signal(3);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(nattch(), 1) << "man 2 shmop NOTES: \"Upon _exit(2), all attached shared memory "
                            "segments are detached from the process.\"";
  dt.Run();
  EXPECT_EQ(nattch(), 0) << "man 2 shmop: shmdt: \"shm_nattch is decremented by one\"";
}

// man 2 shmop: shmdt "detaches the shared memory segment ... from the
// address space of the calling process": an access after it is an invalid
// memory reference, SIGSEGV (man 7 signal: "SIGSEGV ... Invalid memory
// reference"). In a child.
TEST(SysvShmdt, AccessAfterShmdtIsSigsegv) {
  int id = shmget(IPC_PRIVATE, Page(), IPC_CREAT | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  auto st = ForkAndWait([id] {
    void* p = shmat(id, nullptr, 0);
    if (p == reinterpret_cast<void*>(-1)) return 2;
    TouchWrite(p, 1);
    if (shmdt(p) != 0) return 3;
    ResetSignalToDefault(SIGSEGV);
    (void)TouchRead(p);
    return 4;  // still mapped
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().KilledBy(SIGSEGV))
      << "man 2 shmop: shmdt detaches the segment \"from the address space of the calling "
         "process\"; man 7 signal SIGSEGV \"Invalid memory reference\"; the child "
      << st.value() << " (2: shmat failed, 3: shmdt failed, 4: the read worked)";
}

// ------------------------------------------------------ IPC_RMID attached

// man 2 shmctl IPC_RMID: "Mark the segment to be destroyed. The segment will
// actually be destroyed only after the last process detaches it" and "If a
// segment has been marked for destruction, then the (nonstandard) SHM_DEST
// flag of the shm_perm.mode field ... will be set." man 2 shmget, Linux notes:
// "Until Linux 2.3.30, Linux would return EIDRM for a shmget() on a shared
// memory segment scheduled for deletion": now the key no longer finds it
// (ENOENT). man 2 shmctl NOTES: "Linux permits a process to attach ... a
// shared memory segment that has already been marked for deletion" (Linux
// only; POSIX leaves it unspecified). man 2 shmop: shmdt: "If it becomes 0
// and the segment is marked for deletion, the segment is deleted."
TEST(SysvShmRmid, WhileAttached) {
  const key_t key = 0xd00d;
  const size_t n = 2 * Page();
  int id = shmget(key, n, IPC_CREAT | IPC_EXCL | 0600);
  ASSERT_THAT(id, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(id);
  void* p = Attach(id);
  ASSERT_FALSE(AttachFailed(p)) << strerror(errno);
  Cleanup dt = DetachAtExit(p);
  uint8_t* b = static_cast<uint8_t*>(p);
  std::memset(b, 0x11, n);

  ASSERT_THAT(shmctl(id, IPC_RMID, nullptr), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(struct shmid_ds ds, Stat(id));
  EXPECT_TRUE(ds.shm_perm.mode & SHM_DEST)
      << "man 2 shmctl IPC_RMID: \"the (nonstandard) SHM_DEST flag of the shm_perm.mode field "
         "... will be set\"; mode is 0" << std::oct << ds.shm_perm.mode;
  EXPECT_EQ(ds.shm_nattch, 1u) << "man 2 shmctl IPC_RMID: still attached once";
  EXPECT_THAT(shmget(key, 0, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 2 shmget Linux notes (no EIDRM since Linux 2.3.30) and ERRORS: \"ENOENT No "
         "segment exists for the given key\": the key is gone after IPC_RMID";
  int fresh = shmget(key, Page(), IPC_CREAT | IPC_EXCL | 0600);
  EXPECT_THAT(fresh, SyscallSucceeds()) << "man 2 shmget: the key is free for a new segment";
  Cleanup rm_fresh = RemoveAtExit(fresh);
  EXPECT_NE(fresh, id) << "man 2 shmget: a new segment, not the one marked for destruction";

  // The attachment still works, in this process and in a forked child.
  EXPECT_EQ(TouchRead(b + n - 1), 0x11) << "man 2 shmctl IPC_RMID: not destroyed while attached";
  TouchWrite(b, 0x22);
  auto st = ForkAndWait([b] {
    if (TouchRead(b) != 0x22) return 2;
    TouchWrite(b + 1, 0x33);
    return 0;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0))
      << "man 2 shmop NOTES: the child inherits the (marked) attachment; child " << st.value();
  EXPECT_EQ(TouchRead(b + 1), 0x33) << "man 2 shmctl IPC_RMID: the segment is still shared";

  // Linux: attaching a segment marked for destruction works.
  void* again = Attach(id);
  EXPECT_FALSE(AttachFailed(again))
      << "man 2 shmctl NOTES: \"Linux permits a process to attach (shmat(2)) a shared memory "
         "segment that has already been marked for deletion\": " << strerror(errno);
  if (!AttachFailed(again)) {
    EXPECT_EQ(TouchRead(static_cast<uint8_t*>(again) + 1), 0x33);
    ASSERT_THAT(shmdt(again), SyscallSucceeds());
  }

  // The last detach destroys it.
  dt.Run();
  EXPECT_THAT(shmctl(id, IPC_STAT, &ds), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmop: shmdt: \"If it becomes 0 and the segment is marked for deletion, the "
         "segment is deleted.\"";
  EXPECT_FALSE(ListedInProc(id)) << "man 2 shmop: deleted: /proc/sysvipc/shm still lists it";
}

// ------------------------------------------------------- kernel persistence

// A segment outlives the process that made it: man 2 shmop NOTES: "Upon
// _exit(2), all attached shared memory segments are detached" (detached, not
// destroyed); man 2 shmctl IPC_RMID: "The caller must ensure that a segment
// is eventually destroyed; otherwise its pages ... will remain in memory".
// The orphan keeps its bytes, has shm_nattch 0 and shm_cpid of its dead
// creator, and is found by key and attached by id.
TEST(SysvShmPersistence, ASegmentOutlivesItsCreator) {
  // With shm_rmid_forced set (in a new IPC namespace here), orphans are
  // destroyed (man 5 proc).
  IPCSPEC_NEEDS(Need::SysctlBelow("/proc/sys/kernel/shm_rmid_forced", 1));
  const key_t key = 0x0afe;
  Cleanup owner = RemoveKeyAtExit(key);  // the test owns what the child leaves
  ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([key] {
                         int id = shmget(key, 3 * Page(), IPC_CREAT | IPC_EXCL | 0600);
                         if (id < 0) return 2;
                         void* p = shmat(id, nullptr, 0);
                         if (p == reinterpret_cast<void*>(-1)) return 3;
                         std::memcpy(static_cast<char*>(p) + Page(), "persist", 8);
                         return 0;  // exits attached, without IPC_RMID
                       }));
  pid_t creator = c.pid();
  ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
  ASSERT_TRUE(st.ExitedWith(0)) << st;

  int id = shmget(key, 0, 0600);
  ASSERT_THAT(id, SyscallSucceeds())
      << "man 2 shmctl IPC_RMID: not removed, the segment must still exist after its creator "
         "exited";
  ASSERT_OK_AND_ASSIGN(struct shmid_ds ds, Stat(id));
  EXPECT_EQ(ds.shm_nattch, 0u) << "man 2 shmop NOTES: \"Upon _exit(2), all attached shared "
                                  "memory segments are detached from the process.\"";
  EXPECT_EQ(ds.shm_cpid, creator) << "man 2 shmctl: \"shm_cpid ID of the process that created "
                                     "the shared memory segment\"";
  EXPECT_EQ(ds.shm_segsz, 3 * Page());
  EXPECT_FALSE(ds.shm_perm.mode & SHM_DEST) << "man 2 shmctl: nobody marked it for destruction";
  void* p = Attach(id);
  ASSERT_FALSE(AttachFailed(p)) << strerror(errno);
  Cleanup dt = DetachAtExit(p);
  EXPECT_STREQ(static_cast<char*>(p) + Page(), "persist")
      << "man 2 shmctl IPC_RMID: the pages \"remain in memory\" with the creator's bytes";
}

// man 5 proc: "/proc/sys/kernel/shm_rmid_forced ... If this file is set to
// 1, all System V shared memory segments will be marked for destruction as
// soon as the number of attached processes falls to zero" and "existing
// segments that are attached to no process will be immediately destroyed when
// this file is set to 1". It belongs to the IPC namespace (man 7
// ipc_namespaces), so this test sets it in its own.
TEST(SysvShmPersistence, ShmRmidForcedDestroysOrphans) {
  const std::string knob = "/proc/sys/kernel/shm_rmid_forced";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(knob));
  ASSERT_NO_ERRNO(WriteProcFile(knob, "0"));
  const key_t orphan_key = 0x0af0, forced_key = 0x0af1;
  Cleanup own1 = RemoveKeyAtExit(orphan_key);
  Cleanup own2 = RemoveKeyAtExit(forced_key);
  auto make_and_exit = [](key_t key) {
    return ForkAndWait([key] {
      int id = shmget(key, Page(), IPC_CREAT | IPC_EXCL | 0600);
      if (id < 0) return 2;
      if (shmat(id, nullptr, 0) == reinterpret_cast<void*>(-1)) return 3;
      return 0;
    });
  };
  auto st = make_and_exit(orphan_key);
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0)) << st;
  ASSERT_THAT(shmget(orphan_key, 0, 0600), SyscallSucceeds()) << "shm_rmid_forced=0: an orphan";

  ASSERT_NO_ERRNO(WriteProcFile(knob, "1"));
  EXPECT_THAT(shmget(orphan_key, 0, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 5 proc shm_rmid_forced: \"existing segments that are attached to no process will "
         "be immediately destroyed when this file is set to 1\"";
  st = make_and_exit(forced_key);
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0)) << st;
  EXPECT_THAT(shmget(forced_key, 0, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 5 proc shm_rmid_forced: segments are \"marked for destruction as soon as the "
         "number of attached processes falls to zero\"";
}

// ------------------------------------------------ limits per IPC namespace

// man 7 ipc_namespaces: "The following /proc interfaces are distinct in each
// IPC namespace: ... The System V IPC interfaces in /proc/sys/kernel,
// namely: msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni, and
// shm_rmid_forced." Lowering shmmax in this test's namespace makes a larger
// shmget fail EINVAL here (man 2 shmget), while a child in a new IPC
// namespace still has the default and can make it.
TEST(SysvShmLimits, ShmmaxBelongsToTheIpcNamespace) {
  const std::string knob = "/proc/sys/kernel/shmmax";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(knob), Need::NewIpcNamespace());
  const size_t limit = 2 * Page();
  ASSERT_NO_ERRNO(WriteProcFile(knob, std::to_string(limit)));
  ASSERT_OK_AND_ASSIGN(struct shminfo info, Limits());
  EXPECT_EQ(info.shmmax, limit) << "man 2 shmctl IPC_INFO: \"shmmax ... can be changed via /proc "
                                   "files of the same name\"";
  EXPECT_THAT(shmget(IPC_PRIVATE, limit + 1, IPC_CREAT | 0600), SyscallFailsWithErrno(EINVAL))
      << "man 2 shmget: \"EINVAL ... size is ... greater than SHMMAX\" with SHMMAX lowered to "
      << limit << " in this namespace";
  int id = shmget(IPC_PRIVATE, limit, IPC_CREAT | 0600);
  EXPECT_THAT(id, SyscallSucceeds()) << "man 2 shmget: SHMMAX itself is allowed";
  Cleanup rm = RemoveAtExit(id);

  auto st = ForkAndWait([limit] {
    if (unshare(CLONE_NEWIPC) != 0) return 2;
    int big = shmget(IPC_PRIVATE, limit + 1, IPC_CREAT | 0600);
    if (big < 0) return 3;  // the lowered limit leaked into the new namespace
    shmctl(big, IPC_RMID, nullptr);
    return 0;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0))
      << "man 7 ipc_namespaces: shmmax is \"distinct in each IPC namespace\": a new namespace "
         "does not see this one's limit; child "
      << st.value() << " (2: unshare failed, 3: shmget over the lowered limit failed)";
  ASSERT_OK_AND_ASSIGN(unsigned long long now, ReadProcUnsigned(knob));
  EXPECT_EQ(now, limit) << "man 7 ipc_namespaces: the child's namespace left ours alone";
}

// man 2 shmget: "ENOSPC All possible shared memory IDs have been taken
// (SHMMNI)", with shmmni lowered to 1 in this test's namespace (man 7
// ipc_namespaces).
TEST(SysvShmLimits, ShmmniIsEnforced) {
  const std::string knob = "/proc/sys/kernel/shmmni";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(knob));
  ASSERT_NO_ERRNO(WriteProcFile(knob, "1"));
  int first = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  ASSERT_THAT(first, SyscallSucceeds());
  Cleanup rm = RemoveAtExit(first);
  int second = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
  Cleanup rm2 = RemoveAtExit(second);
  EXPECT_THAT(second, SyscallFailsWithErrno(ENOSPC))
      << "man 2 shmget: \"ENOSPC All possible shared memory IDs have been taken (SHMMNI)\"";
}

// man 2 shmget: "ENOSPC ... allocating a segment of the requested size would
// cause the system to exceed the system-wide limit on shared memory
// (SHMALL)"; "SHMALL ... measured in units of the system page size".
TEST(SysvShmLimits, ShmallIsCountedInPages) {
  const std::string knob = "/proc/sys/kernel/shmall";
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(knob));
  ASSERT_NO_ERRNO(WriteProcFile(knob, "2"));
  int one = shmget(IPC_PRIVATE, Page() + 1, IPC_CREAT | 0600);  // 2 pages
  ASSERT_THAT(one, SyscallSucceeds()) << "man 2 shmget: 2 pages fit SHMALL=2";
  Cleanup rm = RemoveAtExit(one);
  int more = shmget(IPC_PRIVATE, 1, IPC_CREAT | 0600);  // a third page
  Cleanup rm2 = RemoveAtExit(more);
  EXPECT_THAT(more, SyscallFailsWithErrno(ENOSPC))
      << "man 2 shmget: ENOSPC over SHMALL, counted in pages: a 1-byte segment needs a whole "
         "page";
}

}  // namespace
}  // namespace ipcspec
