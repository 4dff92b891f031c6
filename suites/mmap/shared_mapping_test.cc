// Shared file mappings at a larger scale, msync(MS_SYNC) cleaning a dirty
// page (/proc/kpageflags), and memfd rules that need more than
// one mapping or a namespace of their own: a large MAP_SHARED file mapping
// written by a child and read back with read(2); F_SEAL_WRITE against several
// overlapping writable mappings; vm.memfd_noexec 0, 1 and 2, set in a new PID
// namespace (the sysctl is per PID namespace). Each test cites its source.
#include <fcntl.h>
#include <linux/capability.h>
#include <sched.h>
#include <sys/mman.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/child_report.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/shared_region/region_test_util.h"

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

namespace ipcspec {
namespace {

size_t PageBytes() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// The size of the large mapping: 256 pages (1 MiB with 4 KiB pages). LTP's
// mmap21 maps 1000 pages by default; a quarter of that is still many pages
// and keeps the test near 30 ms on a loaded 2-core machine (page faults on
// the file system and the writeback of msync cost about 0.1 ms a page).
constexpr size_t kLargePages = 256;
// The word stored at word index i: every byte of the file gets a value that
// depends on where it is.
uint64_t WordAt(size_t i) { return (i + 1) * 0x9e3779b97f4a7c15ULL; }

// man 2 mmap: "MAP_SHARED Share this mapping. Updates to the mapping are
// visible to other processes mapping the same region, and (in the case of
// file-backed mappings) are carried through to the underlying file. (To
// precisely control when updates are carried through to the underlying file
// requires the use of msync(2).)" As LTP's mmap21: a file of many pages,
// every byte stored (8 at a time) by a forked child through the inherited
// mapping, then msync(MS_SYNC) and read(2) of the whole file from offset 0.
TEST(MmapSharedLarge, EveryByteAChildStoresReachesTheFile) {
  const size_t n = kLargePages * PageBytes();
  const size_t words = n / sizeof(uint64_t);
  ASSERT_OK_AND_ASSIGN(TempFile f, TempFile::Create(n + 1));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd()));
  uint64_t* p = reinterpret_cast<uint64_t*>(m.data());
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([p, words]() -> int {
    for (size_t i = 0; i < words; ++i) p[i] = WordAt(i);  // every byte of the mapping
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_THAT(msync(p, n, MS_SYNC), SyscallSucceeds())
      << "man 2 msync: \"MS_SYNC Requests an update and waits for it to complete.\"";
  // Read back in chunks with read(2) from offset 0, as a reader of the file would.
  ASSERT_THAT(lseek(f.fd(), 0, SEEK_SET), SyscallSucceeds());
  std::vector<uint64_t> chunk(8192);
  size_t first_bad = words;
  size_t done = 0;  // words read back
  while (done < words && first_bad == words) {
    const size_t want = std::min(chunk.size(), words - done) * sizeof(uint64_t);
    ssize_t r = read(f.fd(), chunk.data(), want);
    ASSERT_EQ(r, static_cast<ssize_t>(want))
        << "read(2) of the file at offset " << done * sizeof(uint64_t) << ": " << ErrnoName(errno)
        << "; man 2 mmap: MAP_SHARED updates \"are carried through to the underlying file\"";
    for (size_t i = 0; i < want / sizeof(uint64_t); ++i) {
      if (chunk[i] != WordAt(done + i)) {
        first_bad = done + i;
        break;
      }
    }
    done += want / sizeof(uint64_t);
  }
  EXPECT_EQ(first_bad, words)
      << "the 8 bytes at offset " << first_bad * sizeof(uint64_t) << " of a " << n
      << "-byte MAP_SHARED mapping, stored by a child, are not in the file; man 2 mmap: "
      << "MAP_SHARED updates \"are carried through to the underlying file\"";
}

// The page flags of the page mapped at `addr` (man 5 proc: /proc/pid/pagemap
// "Bits 0-54 page frame number (PFN) if present", /proc/kpageflags "indexed by
// page frame number"). Both need CAP_SYS_ADMIN in the initial user namespace
// (without it the PFN reads as 0).
PosixErrorOr<uint64_t> KpageFlagsOf(const void* addr) {
  const uint64_t page = reinterpret_cast<uintptr_t>(addr) / PageBytes();
  FileDescriptor pm(open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC));
  if (!pm.valid()) return ErrnoError("open /proc/self/pagemap");
  uint64_t entry = 0;
  if (pread(pm.get(), &entry, sizeof entry, static_cast<off_t>(page * 8)) != 8) {
    return ErrnoError("pread /proc/self/pagemap");
  }
  const uint64_t pfn = entry & ((1ULL << 55) - 1);
  if (!(entry >> 63) || pfn == 0) {
    return PosixError(ENOENT, "pagemap shows no page frame for the page (entry " +
                                  std::to_string(entry) + ")");
  }
  FileDescriptor kf(open("/proc/kpageflags", O_RDONLY | O_CLOEXEC));
  if (!kf.valid()) return ErrnoError("open /proc/kpageflags");
  uint64_t flags = 0;
  if (pread(kf.get(), &flags, sizeof flags, static_cast<off_t>(pfn * 8)) != 8) {
    return ErrnoError("pread /proc/kpageflags");
  }
  return flags;
}
constexpr uint64_t kKpfDirty = 1ULL << 4;  // man 5 proc, /proc/kpageflags: "4 - KPF_DIRTY"

// man 2 msync: "msync() flushes changes made to the in-core copy of a file
// that was mapped into memory using mmap(2) back to the filesystem." /
// "MS_SYNC Requests an update and waits for it to complete." After it the
// page is no longer dirty (its KPF_DIRTY flag, man 5 proc /proc/kpageflags,
// is clear) and the file holds the store. A file system with writeback is
// needed: tmpfs pages stay dirty (LTP's msync04 skips tmpfs too). The file's
// page is made clean first (fsync), so that the dirty flag before msync
// comes from the store through the mapping.
TEST(MsyncSync, WritesBackADirtySharedPageAndCleansIt) {
  Need writeback = Need::Feature("writeback-filesystem", []() -> std::optional<std::string> {
    struct statfs fs;
    if (statfs(TestTempDir().c_str(), &fs) != 0) return std::nullopt;  // the test fails on it
    if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC) {
      return TestTempDir() + " is tmpfs or ramfs (no writeback)";
    }
    return std::nullopt;
  });
  Need kpageflags = Need::Feature("kpageflags", []() -> std::optional<std::string> {
    if (access("/proc/kpageflags", R_OK) != 0) return "/proc/kpageflags: " + ErrnoName(errno);
    return std::nullopt;
  });
  IPCSPEC_NEEDS(Need::Root(), writeback, kpageflags);
  const size_t pg = PageBytes();
  ASSERT_OK_AND_ASSIGN(TempFile f, TempFile::Create(0));
  ASSERT_THAT(pwrite(f.fd(), "AAAAAAAAAA", 10, 0), SyscallSucceedsWithValue(10));
  ASSERT_THAT(fsync(f.fd()), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(pg, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd()));
  volatile char* p = reinterpret_cast<volatile char*>(m.data());
  // The store dirties the page; the kernel's own writeback may clean it at
  // any time (a sync(2) elsewhere), and then the next store faults and
  // dirties it again: a few tries see it dirty.
  bool dirty = false;
  for (int i = 0; i < 5 && !dirty; ++i) {
    p[8] = static_cast<char>('B' + i);
    ASSERT_OK_AND_ASSIGN(uint64_t flags, KpageFlagsOf(m.data()));
    dirty = flags & kKpfDirty;
  }
  ASSERT_TRUE(dirty) << "a store through a MAP_SHARED mapping never showed its page dirty "
                        "(man 5 proc /proc/kpageflags \"4 - KPF_DIRTY\")";
  const char stored = p[8];
  ASSERT_THAT(msync(m.data(), pg, MS_SYNC), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(uint64_t after, KpageFlagsOf(m.data()));
  EXPECT_FALSE(after & kKpfDirty)
      << "the page is still dirty after msync(MS_SYNC); man 2 msync: \"msync() flushes changes "
         "made to the in-core copy of a file ... back to the filesystem\" / \"MS_SYNC Requests "
         "an update and waits for it to complete.\"";
  char buf[10] = {};
  ASSERT_THAT(pread(f.fd(), buf, 10, 0), SyscallSucceedsWithValue(10));
  EXPECT_EQ(buf[8], stored) << "man 2 msync: the store through the mapping is in the file";
}

PosixErrorOr<FileDescriptor> SealableMemfdOf(off_t size) {
  FileDescriptor fd(memfd_create("ipcspec-seal", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("memfd_create");
  if (ftruncate(fd.get(), size) != 0) return ErrnoError("ftruncate");
  return fd;
}

// man 2 fcntl: "F_SEAL_WRITE ... Furthermore, trying to create new shared,
// writable memory-mappings via mmap(2) will also fail with EPERM." / "Using
// the F_ADD_SEALS operation to set the F_SEAL_WRITE seal fails with EBUSY if
// any writable, shared mapping exists." Two writable shared mappings that
// overlap (one at page 1 only), and a read-only private one (not a writable,
// shared mapping: it may stay; Linux before 6.7 counted even a read-only
// MAP_SHARED mapping, so the read-only one is private): EBUSY until the
// second writable one is gone as well.
TEST(MemfdSealWrite, EveryWritableSharedMappingMustGo) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const size_t pg = PageBytes();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfdOf(static_cast<off_t>(2 * pg)));
  const char* cite = "man 2 fcntl: setting F_SEAL_WRITE \"fails with EBUSY if any writable, "
                     "shared mapping exists\"";
  ASSERT_OK_AND_ASSIGN(Mapping whole,
                       Mapping::Map(2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_OK_AND_ASSIGN(Mapping second, Mapping::Map(pg, PROT_READ | PROT_WRITE, MAP_SHARED,
                                                    fd.get(), static_cast<off_t>(pg)));
  ASSERT_OK_AND_ASSIGN(Mapping ro, Mapping::Map(2 * pg, PROT_READ, MAP_PRIVATE, fd.get()));
  std::memcpy(second.data(), "kept", 5);
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallFailsWithErrno(EBUSY))
      << cite << " (two writable shared mappings and a read-only private one)";
  whole.Reset();
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallFailsWithErrno(EBUSY))
      << cite << ": the first writable mapping is gone, the overlapping second one is not";
  second.Reset();
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_WRITE: with every writable shared mapping gone the seal is set; "
         "a read-only private mapping does not count";
  EXPECT_STREQ(reinterpret_cast<char*>(ro.data()) + pg, "kept")
      << "the read-only mapping still shows what the writable one stored";
  EXPECT_THAT(pwrite(fd.get(), "x", 1, 0), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_WRITE: write(2) fails with EPERM once the seal is set";
}

// man 2 fcntl: "F_SEAL_WRITE If this seal is set, you cannot modify the
// contents of the file. Note that shrinking or growing the size of the file
// is still possible and allowed. ... This seal affects write(2) and
// fallocate(2) (only in combination with the FALLOC_FL_PUNCH_HOLE flag).
// Those calls fail with EPERM if this seal is set. Furthermore, trying to
// create new shared, writable memory-mappings via mmap(2) will also fail
// with EPERM." The whole list in one test, as the kernel selftest's
// test_seal_write walks it: writes (also one that would grow the file),
// shared mappings with PROT_WRITE (with and without PROT_READ), a read-only
// shared mapping made writable by mprotect (where the kernel maps it at all:
// Linux before 6.7 refuses it, 6.7 and later map it and then refuse the
// mprotect), hole punching; reads, private mappings and resizing still work.
TEST(MemfdSealWrite, RefusesEveryModificationAndKeepsResizing) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const size_t pg = PageBytes();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfdOf(static_cast<off_t>(4 * pg)));
  ASSERT_THAT(pwrite(fd.get(), "sealed", 6, 0), SyscallSucceedsWithValue(6));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds());
  const char* cite = "man 2 fcntl F_SEAL_WRITE: \"you cannot modify the contents of the file\" "
                     "... \"Those calls fail with EPERM if this seal is set.\"";
  EXPECT_THAT(write(fd.get(), "data", 4), SyscallFailsWithErrno(EPERM)) << "write(2); " << cite;
  EXPECT_THAT(pwrite(fd.get(), "data", 4, static_cast<off_t>(4 * pg)), SyscallFailsWithErrno(EPERM))
      << "pwrite(2) at the end (it would grow the file); " << cite;
  for (int prot : {PROT_READ | PROT_WRITE, PROT_WRITE}) {
    void* p = mmap(nullptr, pg, prot, MAP_SHARED, fd.get(), 0);
    const int err = errno;
    Mapping owner;
    if (p != MAP_FAILED) owner = Mapping(p, pg);
    EXPECT_TRUE(p == MAP_FAILED && err == EPERM)
        << "mmap(MAP_SHARED, prot " << prot << ") gave "
        << (p == MAP_FAILED ? ErrnoName(err) : "a mapping")
        << "; man 2 fcntl F_SEAL_WRITE: \"trying to create new shared, writable memory-mappings "
           "via mmap(2) will also fail with EPERM\"";
  }
  {
    void* p = mmap(nullptr, pg, PROT_READ, MAP_SHARED, fd.get(), 0);
    if (p != MAP_FAILED) {
      Mapping ro(p, pg);
      EXPECT_NE(mprotect(p, pg, PROT_READ | PROT_WRITE), 0)
          << "mprotect(PROT_WRITE) of a read-only shared mapping of a sealed memfd succeeded; "
             "man 2 fcntl F_SEAL_WRITE: \"you cannot modify the contents of the file\"";
      EXPECT_EQ(std::memcmp(p, "sealed", 6), 0) << "a read-only shared mapping reads the file";
    }
  }
  EXPECT_THAT(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                        static_cast<off_t>(pg)), SyscallFailsWithErrno(EPERM))
      << "fallocate(FALLOC_FL_PUNCH_HOLE); man 2 fcntl F_SEAL_WRITE: \"This seal affects ... "
         "fallocate(2) (only in combination with the FALLOC_FL_PUNCH_HOLE flag).\"";
  char buf[6] = {};
  EXPECT_THAT(pread(fd.get(), buf, 6, 0), SyscallSucceedsWithValue(6)) << "reads still work";
  EXPECT_EQ(std::memcmp(buf, "sealed", 6), 0) << "the sealed contents";
  {
    ASSERT_OK_AND_ASSIGN(Mapping priv,
                         Mapping::Map(pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get()));
    priv.data()[0] = 'S';  // copy-on-write: not the file
  }
  const char* resize = "man 2 fcntl F_SEAL_WRITE: \"shrinking or growing the size of the file is "
                       "still possible and allowed\"";
  EXPECT_THAT(ftruncate(fd.get(), static_cast<off_t>(2 * pg)), SyscallSucceeds())
      << "ftruncate to shrink; " << resize;
  EXPECT_THAT(ftruncate(fd.get(), static_cast<off_t>(8 * pg)), SyscallSucceeds())
      << "ftruncate to grow; " << resize;
  EXPECT_THAT(fallocate(fd.get(), 0, 0, static_cast<off_t>(16 * pg)), SyscallSucceeds())
      << "fallocate to grow; " << resize;
  struct stat st = {};
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, static_cast<off_t>(16 * pg)) << resize;
  ASSERT_THAT(pread(fd.get(), buf, 6, 0), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::memcmp(buf, "sealed", 6), 0)
      << "the contents are unchanged by the refused calls and the private mapping's store";
}

// Documentation/userspace-api/mfd_noexec.rst, "pid namespaced sysctl
// vm.memfd_noexec": "0: ... memfd_create() without MFD_EXEC nor
// MFD_NOEXEC_SEAL acts like MFD_EXEC was set. 1: ... acts like
// MFD_NOEXEC_SEAL was set. 2: ... memfd_create() without MFD_NOEXEC_SEAL will
// be rejected." and "The value of vm.memfd_noexec is passed to child
// namespace at creation time. In addition, the setting is hierarchical"; a
// child namespace cannot go below its parent (kernel/pid_sysctl.h). A child
// in a new PID namespace raises its own value step by step from the
// machine's, so the machine's sysctl is never written.
// Linux refuses the memfd under 2 with EACCES (mm/memfd.c,
// check_sysctl_memfd_noexec).
TEST(MemfdNoexecSysctl, EachValueInANewPidNamespace) {
  const char* kPath = "/proc/sys/vm/memfd_noexec";
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing(), Need::KernelAtLeast(6, 6),
                Need::SysctlAtLeast(kPath, 0), Need::Capability(CAP_SYS_ADMIN),
                Need::Feature("unshare-pid", []() -> std::optional<std::string> {
                  auto st = ForkAndWait([]() -> int {
                    return unshare(CLONE_NEWPID) == 0 ? 0 : 10 + errno;
                  });
                  if (!st.ok()) return std::nullopt;  // the test fails on it
                  if (st.value().ExitedWith(0)) return std::nullopt;
                  return "unshare(CLONE_NEWPID) in a child: " + st.value().ToString();
                }));
  ASSERT_OK_AND_ASSIGN(long host, ReadProcLong(kPath));
  ASSERT_TRUE(host >= 0 && host <= 2) << kPath << " = " << host;
  // Per value v: [3v] the write, [3v+1] memfd_create with neither flag
  // (extra: execute bits present 1, F_SEAL_EXEC 2), [3v+2] with MFD_EXEC.
  enum { kUnshare = 9, kFork, kCalls };
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<kCalls>([kPath, host](CallRecords<kCalls>& r) {
    r[kUnshare] = Record("unshare(CLONE_NEWPID)", unshare(CLONE_NEWPID));
    if (r[kUnshare].failed()) return;
    pid_t pid = fork();
    r[kFork] = Record("fork into the new PID namespace", pid < 0 ? -1 : 0);
    if (pid < 0) return;
    if (pid == 0) {
      for (long v = host; v <= 2; ++v) {
        const char text[2] = {static_cast<char>('0' + v), '\n'};
        int sc = open(kPath, O_WRONLY | O_CLOEXEC);
        long w = sc < 0 ? -1 : write(sc, text, 2);
        r[3 * v] = Record("write memfd_noexec", w);
        if (sc >= 0) close(sc);
        if (w != 2) _exit(0);
        int fd = static_cast<int>(syscall(SYS_memfd_create, "nx", MFD_CLOEXEC));
        r[3 * v + 1] = Record("memfd_create(neither flag)", fd);
        if (fd >= 0) {
          struct stat st = {};
          long extra = fstat(fd, &st) == 0 && (st.st_mode & 0111) ? 1 : 0;
          int seals = fcntl(fd, F_GET_SEALS);
          if (seals >= 0 && (seals & F_SEAL_EXEC)) extra |= 2;
          r[3 * v + 1].extra = extra;
          close(fd);
        }
        fd = static_cast<int>(syscall(SYS_memfd_create, "x", MFD_CLOEXEC | MFD_EXEC));
        r[3 * v + 2] = Record("memfd_create(MFD_EXEC)", fd);
        if (fd >= 0) close(fd);
      }
      _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
  }));
  ASSERT_EQ(calls[kFork].ret, 0) << ToString(calls);
  const char* doc = "Documentation/userspace-api/mfd_noexec.rst vm.memfd_noexec: ";
  for (long v = host; v <= 2; ++v) {
    const CallRecord& w = calls[3 * v];
    const CallRecord& def = calls[3 * v + 1];
    const CallRecord& ex = calls[3 * v + 2];
    ASSERT_EQ(w.ret, 2) << "writing " << v << " in a new PID namespace: " << ToString(calls)
                        << "; mfd_noexec.rst: \"pid namespaced sysctl vm.memfd_noexec\"";
    if (v == 0) {
      EXPECT_TRUE(def.ret >= 0 && def.extra == 1)
          << doc << "\"0: memfd_create() without MFD_EXEC nor MFD_NOEXEC_SEAL acts like "
          << "MFD_EXEC was set\" (executable, no F_SEAL_EXEC): " << def;
    } else {
      EXPECT_TRUE(def.ret >= 0 && def.extra == 2)
          << doc << "at " << v << " \"memfd_create() without MFD_EXEC nor MFD_NOEXEC_SEAL "
          << "acts like MFD_NOEXEC_SEAL was set\" (no execute bits, F_SEAL_EXEC): " << def;
    }
    if (v < 2) {
      EXPECT_GE(ex.ret, 0) << doc << "at " << v << " MFD_EXEC is allowed: " << ex;
    } else {
      EXPECT_TRUE(ex.FailedWith(EACCES))
          << doc << "\"2: memfd_create() without MFD_NOEXEC_SEAL will be rejected\" (Linux: "
          << "EACCES): " << ex;
    }
  }
}

}  // namespace
}  // namespace ipcspec
