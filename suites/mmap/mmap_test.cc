// mmap(2) of files, anonymous memory and memfd files: the documented
// semantics of MAP_SHARED and MAP_PRIVATE, mapping past the end of a file,
// fork, mremap(old_size 0) and memfd seals (man 2 mmap, man 2 mremap, man 2
// memfd_create, man 2 fcntl "File Sealing"). Files live under $TEST_TMPDIR
// and are removed by their owner.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/shared_region/region_test_util.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

PosixErrorOr<FileDescriptor> Memfd(unsigned flags) {
  FileDescriptor fd(memfd_create("ipcspec-test", flags));
  if (!fd.valid()) return ErrnoError("memfd_create");
  return fd;
}

// ------------------------------------------------------ files: MAP_SHARED

// man 2 mmap: "MAP_SHARED ... Updates to the mapping are visible to other
// processes mapping the same region, and (in the case of file-backed
// mappings) are carried through to the underlying file. (To precisely
// control when updates are carried through to the underlying file requires
// the use of msync(2).)" Read back with pread after msync(MS_SYNC). Linux
// has one page cache, so pwrite() through the descriptor shows in the
// mapping at once too (POSIX only promises it after msync).
TEST(MmapShared, WritesReachTheFile) {
  const size_t n = 2 * Page() + 10;
  ASSERT_OK_AND_ASSIGN(TempFile f, TempFile::Create(n));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd()));
  std::memcpy(m.data() + Page() - 3, "across", 6);  // straddles a page boundary
  std::memcpy(m.data() + n - 4, "end", 4);
  ASSERT_THAT(msync(m.data(), n, MS_SYNC), SyscallSucceeds());
  char buf[8] = {};
  ASSERT_THAT(pread(f.fd(), buf, 6, static_cast<off_t>(Page() - 3)), SyscallSucceedsWithValue(6));
  EXPECT_EQ(std::string(buf, 6), "across")
      << "man 2 mmap MAP_SHARED: updates \"are carried through to the underlying file\"";
  ASSERT_THAT(pread(f.fd(), buf, 4, static_cast<off_t>(n - 4)), SyscallSucceedsWithValue(4));
  EXPECT_STREQ(buf, "end") << "man 2 mmap MAP_SHARED: up to the last byte of the file";

  ASSERT_THAT(pwrite(f.fd(), "fd!", 3, 100), SyscallSucceedsWithValue(3));
  EXPECT_EQ(std::string(reinterpret_cast<char*>(m.data()) + 100, 3), "fd!")
      << "Linux (one page cache): a write(2) to the file shows in a MAP_SHARED mapping";
}

// man 2 mmap: "MAP_PRIVATE Create a private copy-on-write mapping. Updates to
// the mapping are not visible to other processes mapping the same file, and
// are not carried through to the underlying file."
TEST(MmapPrivate, WritesStayInTheMapping) {
  const size_t n = Page();
  ASSERT_OK_AND_ASSIGN(TempFile f, TempFile::Create(0));
  std::vector<char> orig(n, 'A');
  ASSERT_THAT(pwrite(f.fd(), orig.data(), n, 0), SyscallSucceedsWithValue(static_cast<long>(n)));
  ASSERT_OK_AND_ASSIGN(Mapping priv, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE, f.fd()));
  ASSERT_OK_AND_ASSIGN(Mapping shared, Mapping::Map(n, PROT_READ, MAP_SHARED, f.fd()));
  std::memset(priv.data(), 'B', 16);
  ASSERT_THAT(msync(priv.data(), n, MS_SYNC), SyscallSucceeds());
  EXPECT_EQ(TouchRead(priv.data() + 5), 'B') << "man 2 mmap MAP_PRIVATE: the writer sees it";
  char buf[16];
  ASSERT_THAT(pread(f.fd(), buf, 16, 0), SyscallSucceedsWithValue(16));
  EXPECT_EQ(std::string(buf, 16), std::string(16, 'A'))
      << "man 2 mmap MAP_PRIVATE: updates \"are not carried through to the underlying file\"";
  EXPECT_EQ(TouchRead(shared.data() + 5), 'A')
      << "man 2 mmap MAP_PRIVATE: updates \"are not visible to other processes mapping the same "
         "file\" (here: a MAP_SHARED mapping of it)";
  // And across fork: a child's write to its copy of a private mapping is its own.
  uint8_t* pb = priv.data();
  auto st = ForkAndWait([pb] {
    TouchWrite(pb + 1, 'C');
    return 0;
  });
  ASSERT_TRUE(st.ok() && st.value().ExitedWith(0)) << st;
  EXPECT_EQ(TouchRead(pb + 1), 'B') << "man 2 mmap MAP_PRIVATE: copy-on-write across fork";
}

// man 2 mmap, SIGNALS: "SIGBUS Attempted access to a page of the buffer that
// lies beyond the end of the mapped file." NOTES: "A file is mapped in
// multiples of the page size. For a file that is not a multiple of the page
// size, the remaining bytes in the partial page at the end of the mapping are
// zeroed when mapped, and modifications to that region are not written out to
// the file."
TEST(MmapShared, BeyondTheEndOfTheFile) {
  const size_t p = Page();
  const size_t n = p + 100;
  ASSERT_OK_AND_ASSIGN(TempFile f, TempFile::Create(n));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(3 * p, PROT_READ | PROT_WRITE, MAP_SHARED, f.fd()));
  uint8_t* b = m.data();
  for (size_t i = n; i < 2 * p; ++i) {
    if (TouchRead(b + i) != 0) {
      ADD_FAILURE() << "man 2 mmap NOTES: \"the remaining bytes in the partial page at the end "
                       "of the mapping are zeroed when mapped\": byte " << i;
      break;
    }
  }
  TouchWrite(b + n + 50, 0x7e);  // in the partial page, past the end of the file
  ASSERT_THAT(msync(b, 2 * p, MS_SYNC), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(f.fd(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, static_cast<off_t>(n))
      << "man 2 mmap NOTES: \"modifications to that region are not written out to the file\"";
  char c;
  EXPECT_THAT(pread(f.fd(), &c, 1, static_cast<off_t>(n + 50)), SyscallSucceedsWithValue(0))
      << "man 2 mmap NOTES: nothing past the end of the file was written out";

  auto ws = ForkAndWait([b, p] {
    ResetSignalToDefault(SIGBUS);
    (void)TouchRead(b + 2 * p);
    return 2;
  });
  ASSERT_TRUE(ws.ok()) << ws.error();
  EXPECT_TRUE(ws.value().KilledBy(SIGBUS))
      << "man 2 mmap: \"SIGBUS Attempted access to a page of the buffer that lies beyond the end "
         "of the mapped file.\"; child " << ws.value();
}

// ------------------------------------------------------ anonymous memory

// man 2 mmap NOTES: "Memory mapped by mmap() is preserved across fork(2),
// with the same attributes."; MAP_SHARED: "Updates to the mapping are visible
// to other processes mapping the same region"; MAP_ANONYMOUS: "its contents
// are initialized to zero". A MAP_SHARED|MAP_ANONYMOUS mapping is shared with
// the child both ways; a MAP_PRIVATE one is copied.
TEST(MmapAnonymous, SharedAcrossForkPrivateCopied) {
  const size_t n = 2 * Page();
  ASSERT_OK_AND_ASSIGN(Mapping sh, Mapping::Map(n, PROT_READ | PROT_WRITE,
                                                MAP_SHARED | MAP_ANONYMOUS, -1));
  ASSERT_OK_AND_ASSIGN(Mapping pr, Mapping::Map(n, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1));
  EXPECT_EQ(TouchRead(sh.data() + n - 1), 0) << "man 2 mmap MAP_ANONYMOUS: initialized to zero";
  TouchWrite(sh.data(), 1);
  TouchWrite(pr.data(), 1);
  uint8_t* s = sh.data();
  uint8_t* q = pr.data();
  auto st = ForkAndWait([s, q, n] {
    if (TouchRead(s) != 1 || TouchRead(q) != 1) return 2;  // inherited contents
    TouchWrite(s + n - 1, 9);
    TouchWrite(q + n - 1, 9);
    return 0;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0))
      << "man 2 mmap NOTES: \"Memory mapped by mmap() is preserved across fork(2)\"; child "
      << st.value();
  EXPECT_EQ(TouchRead(s + n - 1), 9)
      << "man 2 mmap MAP_SHARED: the child's update is visible to the parent";
  EXPECT_EQ(TouchRead(q + n - 1), 0)
      << "man 2 mmap MAP_PRIVATE: \"a private copy-on-write mapping\"";
}

// man 2 mremap: "If the value of old_size is zero, and old_address refers to
// a shareable mapping (see mmap(2) MAP_SHARED), then mremap() will create a
// new mapping of the same pages." BUGS: "Since Linux 4.14, mremap() fails
// with the error EINVAL in this scenario" (a private mapping). The
// mmap_anon_shared SharedRegion Kind makes its attachments this way.
TEST(Mremap, OldSizeZeroDuplicatesASharedMapping) {
  const size_t n = Page();
  ASSERT_OK_AND_ASSIGN(Mapping sh, Mapping::Map(n, PROT_READ | PROT_WRITE,
                                                MAP_SHARED | MAP_ANONYMOUS, -1));
  void* dup = mremap(sh.data(), 0, n, MREMAP_MAYMOVE);
  ASSERT_NE(dup, MAP_FAILED) << "man 2 mremap old_size 0 on MAP_SHARED: " << strerror(errno);
  Mapping dup_owner(dup, n);
  EXPECT_NE(dup, static_cast<void*>(sh.data()));
  TouchWrite(sh.data() + 3, 0x44);
  EXPECT_EQ(TouchRead(static_cast<uint8_t*>(dup) + 3), 0x44)
      << "man 2 mremap: \"a new mapping of the same pages\"";
  TouchWrite(static_cast<uint8_t*>(dup) + 4, 0x55);
  EXPECT_EQ(TouchRead(sh.data() + 4), 0x55) << "man 2 mremap: the same pages, both ways";

  ASSERT_OK_AND_ASSIGN(Mapping pr, Mapping::Map(n, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1));
  void* bad = mremap(pr.data(), 0, n, MREMAP_MAYMOVE);
  int err = errno;
  Mapping bad_owner;
  if (bad != MAP_FAILED) bad_owner = Mapping(bad, n);
  EXPECT_EQ(bad, MAP_FAILED) << "man 2 mremap BUGS: since Linux 4.14, old_size 0 on a private "
                                "mapping fails";
  EXPECT_EQ(err, EINVAL) << "man 2 mremap BUGS: \"fails with the error EINVAL in this scenario\"";
}

// ------------------------------------------------------------------ memfd

// man 2 memfd_create: "The initial size of the file is set to 0."; MFD_CLOEXEC
// "Set the close-on-exec (FD_CLOEXEC) flag on the new file descriptor."; "If
// this flag [MFD_ALLOW_SEALING] is not set, the initial set of seals will be
// F_SEAL_SEAL, meaning that no other seals can be set on the file." man 2
// fcntl: "If the current set of seals includes F_SEAL_SEAL ..., then this call
// will be rejected with EPERM."
TEST(Memfd, StartsEmptyAndUnsealableWithoutAllowSealing) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 0) << "man 2 memfd_create: \"The initial size of the file is set to 0.\"";
  EXPECT_TRUE(fcntl(fd.get(), F_GETFD) & FD_CLOEXEC)
      << "man 2 memfd_create: MFD_CLOEXEC \"Set the close-on-exec (FD_CLOEXEC) flag\"";
  int seals = fcntl(fd.get(), F_GET_SEALS);
  EXPECT_EQ(seals, F_SEAL_SEAL) << "man 2 memfd_create: without MFD_ALLOW_SEALING \"the initial "
                                   "set of seals will be F_SEAL_SEAL\"";
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_ADD_SEALS: \"If the current set of seals includes F_SEAL_SEAL ..., then "
         "this call will be rejected with EPERM.\"";
}

// man 2 fcntl, "File Sealing": F_SEAL_WRITE: "Using the F_ADD_SEALS operation
// to set the F_SEAL_WRITE seal fails with EBUSY if any writable, shared
// mapping exists."; once set, "you cannot modify the contents of the file ...
// This seal affects write(2) ... Those calls fail with EPERM if this seal is
// set. Furthermore, trying to create new shared, writable memory-mappings via
// mmap(2) will also fail with EPERM."
TEST(Memfd, SealWrite) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING));
  const size_t n = Page();
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(n)), SyscallSucceeds());
  {
    ASSERT_OK_AND_ASSIGN(Mapping w, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
    std::memcpy(w.data(), "sealed", 7);
    int r = fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE);
    EXPECT_THAT(r, SyscallFailsWithErrno(EBUSY))
        << "man 2 fcntl: setting F_SEAL_WRITE \"fails with EBUSY if any writable, shared "
           "mapping exists\"";
  }  // unmapped
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds())
      << "man 2 fcntl: with the writable mapping gone, F_SEAL_WRITE can be set";
  EXPECT_TRUE(fcntl(fd.get(), F_GET_SEALS) & F_SEAL_WRITE) << "man 2 fcntl F_GET_SEALS";
  EXPECT_THAT(pwrite(fd.get(), "x", 1, 0), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_WRITE: write(2) \"fail[s] with EPERM\"";
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  int err = errno;
  Mapping p_owner;
  if (p != MAP_FAILED) p_owner = Mapping(p, n);
  EXPECT_EQ(p, MAP_FAILED) << "man 2 fcntl F_SEAL_WRITE: new shared writable mappings fail";
  EXPECT_EQ(err, EPERM) << "man 2 fcntl F_SEAL_WRITE: \"will also fail with EPERM\"";
  ASSERT_OK_AND_ASSIGN(Mapping r, Mapping::Map(n, PROT_READ, MAP_SHARED, fd.get()));
  EXPECT_STREQ(reinterpret_cast<char*>(r.data()), "sealed")
      << "man 2 fcntl F_SEAL_WRITE: the contents stay, read-only mappings work";
  EXPECT_THAT(ftruncate(fd.get(), static_cast<off_t>(2 * n)), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_WRITE: \"shrinking or growing the size of the file is still "
         "possible\"";
}

// man 2 fcntl: "F_SEAL_GROW If this seal is set, the size of the file in
// question cannot be increased. This affects write(2) beyond the end of the
// file, truncate(2), ftruncate(2), and fallocate(2). These calls fail with
// EPERM if you use them to increase the file size. If you keep the size or
// shrink it, those calls still work as expected."
TEST(Memfd, SealGrow) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING));
  const off_t n = static_cast<off_t>(Page());
  ASSERT_THAT(ftruncate(fd.get(), n), SyscallSucceeds());
  int r = fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW);
  ASSERT_THAT(r, SyscallSucceeds());
  EXPECT_THAT(ftruncate(fd.get(), n + 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: ftruncate(2) to a larger size fails with EPERM";
  EXPECT_THAT(pwrite(fd.get(), "x", 1, n), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: \"write(2) beyond the end of the file\" fails with EPERM";
  EXPECT_THAT(pwrite(fd.get(), "x", 1, n - 1), SyscallSucceedsWithValue(1))
      << "man 2 fcntl F_SEAL_GROW: writes inside the file still work";
  EXPECT_THAT(ftruncate(fd.get(), n), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_GROW: \"If you keep the size ... those calls still work\"";
  EXPECT_THAT(ftruncate(fd.get(), n / 2), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_GROW: \"... or shrink it, those calls still work as expected\"";
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, n / 2);
}

}  // namespace
}  // namespace ipcspec
