// memfd_create(2) flags and names, file seals (man 2 fcntl "File Sealing")
// and MAP_SHARED mappings of memfd files and regular files beyond the first
// page: ftruncate under a live mapping, MAP_SHARED_VALIDATE, mmap, msync and
// madvise errors and effects (man 2 mmap, man 2 msync, man 2 madvise).
// Every object belongs to its test (FileDescriptor, Mapping, TempFile); a
// child that may die of a signal is reaped with the default deadline.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/needs.h"
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
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

PosixErrorOr<FileDescriptor> Memfd(unsigned flags) {
  FileDescriptor fd(memfd_create("ipcspec-memfd", flags));
  if (!fd.valid()) return ErrnoError("memfd_create");
  return fd;
}

// A sealable memfd of `size` bytes.
PosixErrorOr<FileDescriptor> SealableMemfd(off_t size) {
  FileDescriptor fd(memfd_create("ipcspec-memfd", MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (!fd.valid()) return ErrnoError("memfd_create");
  if (ftruncate(fd.get(), size) != 0) return ErrnoError("ftruncate");
  return fd;
}

// Reopens fd through /proc/self/fd with `flags`: a new open file description
// of the same inode.
PosixErrorOr<FileDescriptor> Reopen(int fd, int flags) {
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  FileDescriptor r(open(path.c_str(), flags | O_CLOEXEC));
  if (!r.valid()) return ErrnoError("open " + path);
  return r;
}

// mmap that returns MAP_FAILED's errno, and owns whatever it mapped.
struct MapResult {
  Mapping m;
  int err = 0;
  bool failed() const { return err != 0; }
};
MapResult TryMap(size_t len, int prot, int flags, int fd, off_t off = 0) {
  MapResult r;
  void* p = mmap(nullptr, len, prot, flags, fd, off);
  if (p == MAP_FAILED) {
    r.err = errno;
  } else {
    r.m = Mapping(p, len);
  }
  return r;
}

// ------------------------------------------------------- memfd_create errors

// man 2 memfd_create ERRORS: "EINVAL name was too long. (The limit is 249
// bytes, excluding the terminating null byte.)" A name of exactly 249 bytes
// is accepted.
TEST(MemfdCreate, NameLongerThan249BytesIsEinval) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  std::string ok(249, 'n');
  FileDescriptor fd(memfd_create(ok.c_str(), MFD_CLOEXEC));
  EXPECT_TRUE(fd.valid()) << "man 2 memfd_create: the limit is 249 bytes, a 249-byte name is "
                             "accepted: " << strerror(errno);
  std::string too_long(250, 'n');
  FileDescriptor bad(memfd_create(too_long.c_str(), MFD_CLOEXEC));
  int err = errno;
  EXPECT_FALSE(bad.valid() && bad.get() > 0)
      << "man 2 memfd_create: \"EINVAL name was too long. (The limit is 249 bytes ...)\"";
  EXPECT_EQ(err, EINVAL) << "man 2 memfd_create: a 250-byte name gives EINVAL, got "
                         << strerror(err);
}

// man 2 memfd_create ERRORS: "EINVAL flags included unknown bits."; "EFAULT
// The address in name points to invalid memory."
TEST(MemfdCreate, UnknownFlagsAreEinvalBadNameIsEfault) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  int err = 0;
  for (unsigned flags : {0x80000000U, 0x0100U, ~0U, static_cast<unsigned>(-500),
                         ~static_cast<unsigned>(MFD_CLOEXEC),
                         ~static_cast<unsigned>(MFD_ALLOW_SEALING)}) {
    errno = 0;
    FileDescriptor bad(memfd_create("ipcspec-memfd", flags));
    err = errno;
    EXPECT_FALSE(bad.valid() && bad.get() > 0)
        << "man 2 memfd_create: \"EINVAL flags included unknown bits.\" flags 0x" << std::hex
        << flags;
    EXPECT_EQ(err, EINVAL) << "man 2 memfd_create: \"EINVAL flags included unknown bits.\" flags 0x"
                           << std::hex << flags << ", got " << strerror(err);
  }

  ASSERT_OK_AND_ASSIGN(Mapping none, Mapping::Map(Page(), PROT_NONE,
                                                  MAP_PRIVATE | MAP_ANONYMOUS, -1));
  errno = 0;
  FileDescriptor f(memfd_create(reinterpret_cast<const char*>(none.data()), MFD_CLOEXEC));
  err = errno;
  EXPECT_FALSE(f.valid() && f.get() > 0)
      << "man 2 memfd_create: \"EFAULT The address in name points to invalid memory.\"";
  EXPECT_EQ(err, EFAULT) << "man 2 memfd_create: a name in a PROT_NONE page gives EFAULT, got "
                         << strerror(err);
}

// ------------------------------------------------------------------ seals

// man 2 fcntl: "F_SEAL_SEAL If this seal is set, any further call to fcntl()
// with F_ADD_SEALS fails with the error EPERM." and "Adding a seal that is
// already set is a no-op, in case F_SEAL_SEAL is not set already."
TEST(MemfdSeal, SealSealFreezesTheSetOfSeals) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(0));
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), 0)
      << "man 2 memfd_create: with MFD_ALLOW_SEALING the file starts with no seals";
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK), SyscallSucceeds());
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK), SyscallSucceeds())
      << "man 2 fcntl: \"Adding a seal that is already set is a no-op\"";
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SEAL), SyscallSucceeds());
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL)
      << "man 2 fcntl F_GET_SEALS: \"Return ... the current set of seals\"";
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_SEAL: \"any further call to fcntl() with F_ADD_SEALS fails with the "
         "error EPERM\"";
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_SEAL)
      << "man 2 fcntl F_SEAL_SEAL: the set of seals stays \"constant and locked\"";
}

// man 2 fcntl: "F_SEAL_SHRINK If this seal is set, the file in question
// cannot be reduced in size. This affects open(2) with the O_TRUNC flag as
// well as truncate(2) and ftruncate(2). Those calls fail with EPERM if you
// try to shrink the file in question. Increasing the file size is still
// possible."
TEST(MemfdSeal, SealShrink) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const off_t n = static_cast<off_t>(Page());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(n));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK), SyscallSucceeds());
  EXPECT_THAT(ftruncate(fd.get(), n - 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_SHRINK: ftruncate(2) to a smaller size fails with EPERM";
  std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  FileDescriptor t(open(path.c_str(), O_RDWR | O_TRUNC | O_CLOEXEC));
  int err = errno;
  EXPECT_FALSE(t.valid()) << "man 2 fcntl F_SEAL_SHRINK: \"This affects open(2) with the O_TRUNC "
                             "flag\"";
  EXPECT_EQ(err, EPERM) << "man 2 fcntl F_SEAL_SHRINK: open(O_TRUNC) fails with EPERM, got "
                        << strerror(err);
  EXPECT_THAT(ftruncate(fd.get(), 2 * n), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_SHRINK: \"Increasing the file size is still possible.\"";
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 2 * n) << "man 2 fcntl F_SEAL_SHRINK: the file was not reduced";
}

// man 2 fcntl: "F_SEAL_FUTURE_WRITE (since Linux 5.1) The effect of this seal
// is similar to F_SEAL_WRITE, but the contents of the file can still be
// modified via shared writable mappings that were created prior to the seal
// being set. Any attempt to create a new writable mapping on the file via
// mmap(2) will fail with EPERM. Likewise, an attempt to write to the file via
// write(2) will fail with EPERM."
TEST(MemfdSeal, SealFutureWriteKeepsEarlierWritableMappings) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing(), Need::KernelAtLeast(5, 1));
  const size_t n = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(n)));
  ASSERT_OK_AND_ASSIGN(Mapping w, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_FUTURE_WRITE), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_FUTURE_WRITE: may be set while a writable mapping exists";
  EXPECT_THAT(pwrite(fd.get(), "x", 1, 0), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_FUTURE_WRITE: \"an attempt to write to the file via write(2) will "
         "fail with EPERM\"";
  MapResult nw = TryMap(n, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get());
  EXPECT_EQ(nw.err, EPERM) << "man 2 fcntl F_SEAL_FUTURE_WRITE: \"Any attempt to create a new "
                              "writable mapping on the file via mmap(2) will fail with EPERM\"";
  std::memcpy(w.data(), "earlier", 8);
  char buf[8] = {};
  ASSERT_THAT(pread(fd.get(), buf, 8, 0), SyscallSucceedsWithValue(8));
  EXPECT_STREQ(buf, "earlier") << "man 2 fcntl F_SEAL_FUTURE_WRITE: \"the contents of the file can "
                                  "still be modified via shared writable mappings that were "
                                  "created prior to the seal\"";
  ASSERT_OK_AND_ASSIGN(Mapping r, Mapping::Map(n, PROT_READ, MAP_SHARED, fd.get()));
  EXPECT_STREQ(reinterpret_cast<char*>(r.data()), "earlier")
      << "man 2 fcntl F_SEAL_FUTURE_WRITE: a read-only shared mapping is still allowed";
  EXPECT_THAT(mprotect(r.data(), n, PROT_READ | PROT_WRITE), SyscallFailsWithErrno(EACCES))
      << "man 2 fcntl F_SEAL_FUTURE_WRITE: a new mapping cannot become writable; Linux refuses "
         "mprotect(PROT_WRITE) with EACCES (man 2 mprotect: \"EACCES The memory cannot be "
         "given the specified access.\")";
}

// man 2 fcntl: "Seals are a property of an inode. Thus, all open file
// descriptors referring to the same inode share the same set of seals." A
// dup(2) shares the open file description; a reopen through /proc/self/fd is
// a new description of the same inode: both see, and add to, one set.
TEST(MemfdSeal, SealsBelongToTheInode) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const off_t n = static_cast<off_t>(Page());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(n));
  FileDescriptor d(fcntl(fd.get(), F_DUPFD_CLOEXEC, 0));
  ASSERT_TRUE(d.valid()) << strerror(errno);
  ASSERT_OK_AND_ASSIGN(FileDescriptor re, Reopen(fd.get(), O_RDWR));
  {
    ASSERT_OK_AND_ASSIGN(Mapping w, Mapping::Map(static_cast<size_t>(n), PROT_READ | PROT_WRITE,
                                                 MAP_SHARED, fd.get()));
    std::memcpy(w.data() + 8, "mapped", 6);
  }
  char mbuf[7] = {};
  ssize_t mgot = pread(d.get(), mbuf, 6, 8);
  EXPECT_TRUE(mgot == 6 && std::string(mbuf) == "mapped")
      << "man 2 mmap MAP_SHARED: a store through a mapping of the memfd is \"carried through to "
         "the underlying file\" and reads back through a dup; got " << mgot;
  ASSERT_THAT(pwrite(fd.get(), "inode", 5, 0), SyscallSucceedsWithValue(5));
  for (int other : {fd.get(), d.get(), re.get()}) {
    char buf[6] = {};
    ssize_t got = pread(other, buf, 5, 0);
    EXPECT_TRUE(got == 5 && std::string(buf) == "inode")
        << "man 2 memfd_create: the memfd \"behaves like a regular file\": written data reads "
           "back through the descriptor, a dup and a /proc/self/fd reopen; got " << got;
  }
  ASSERT_THAT(fcntl(d.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallSucceeds());
  EXPECT_EQ(fcntl(re.get(), F_GET_SEALS), F_SEAL_GROW)
      << "man 2 fcntl: \"Seals are a property of an inode\": a seal added through a dup shows "
         "through a /proc/self/fd reopen";
  ASSERT_THAT(fcntl(re.get(), F_ADD_SEALS, F_SEAL_SHRINK), SyscallSucceeds());
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), F_SEAL_GROW | F_SEAL_SHRINK)
      << "man 2 fcntl: \"all open file descriptors referring to the same inode share the same "
         "set of seals\"";
  EXPECT_THAT(ftruncate(fd.get(), n + 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: enforced through every descriptor of the inode";
  EXPECT_THAT(ftruncate(re.get(), n - 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_SHRINK: enforced through every descriptor of the inode";
}

// man 2 fcntl F_ADD_SEALS: "In order to place a seal, the file descriptor fd
// must be writable." Linux fails it with EPERM (mm/memfd.c); the page names
// no errno. F_GET_SEALS works on a read-only descriptor.
TEST(MemfdSeal, ReadOnlyReopenCannotAddSeals) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(0));
  ASSERT_OK_AND_ASSIGN(FileDescriptor ro, Reopen(fd.get(), O_RDONLY));
  EXPECT_THAT(fcntl(ro.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_ADD_SEALS: \"In order to place a seal, the file descriptor fd must be "
         "writable.\" (Linux: EPERM)";
  EXPECT_EQ(fcntl(ro.get(), F_GET_SEALS), 0)
      << "man 2 fcntl F_GET_SEALS: nothing was sealed by the refused call";
}

// man 2 fcntl F_SEAL_WRITE: "Using the F_ADD_SEALS operation to set the
// F_SEAL_WRITE seal fails with EBUSY if any writable, shared mapping exists."
// The call is refused as a whole: F_SEAL_GROW asked for in the same call is
// not applied either (Linux, mm/memfd.c; the page does not say).
TEST(MemfdSeal, RejectedSealWriteAppliesNoSeal) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const size_t n = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(n)));
  ASSERT_OK_AND_ASSIGN(Mapping w, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE | F_SEAL_GROW),
              SyscallFailsWithErrno(EBUSY))
      << "man 2 fcntl F_SEAL_WRITE: \"fails with EBUSY if any writable, shared mapping exists\"";
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), 0)
      << "man 2 fcntl F_SEAL_WRITE: the EBUSY call applied no seal (Linux)";
  EXPECT_THAT(ftruncate(fd.get(), static_cast<off_t>(2 * n)), SyscallSucceeds())
      << "man 2 fcntl: F_SEAL_GROW of the refused call is not in force";
}

// The kernel's Documentation/userspace-api/mfd_noexec.rst (Linux 6.3; the
// man page of this system predates the flags): MFD_NOEXEC_SEAL creates the
// memfd without execute permission and seals it with F_SEAL_EXEC, so that
// chmod(2) cannot give it back; it implies MFD_ALLOW_SEALING. MFD_EXEC and
// MFD_NOEXEC_SEAL together are EINVAL (man 2 memfd_create: "EINVAL flags
// included unknown bits" is the nearest sentence; the combination is refused).
TEST(MemfdCreate, NoexecSealRemovesExecAndSealsIt) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing(), Need::KernelAtLeast(6, 3));
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC | MFD_NOEXEC_SEAL));
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 0111, 0u)
      << "mfd_noexec.rst: MFD_NOEXEC_SEAL creates the memfd without execute bits";
  int seals = fcntl(fd.get(), F_GET_SEALS);
  EXPECT_TRUE(seals >= 0 && (seals & F_SEAL_EXEC))
      << "mfd_noexec.rst: MFD_NOEXEC_SEAL adds F_SEAL_EXEC; seals " << seals;
  EXPECT_TRUE(seals >= 0 && !(seals & F_SEAL_SEAL))
      << "mfd_noexec.rst: MFD_NOEXEC_SEAL implies MFD_ALLOW_SEALING; seals " << seals;
  EXPECT_THAT(fchmod(fd.get(), 0755), SyscallFailsWithErrno(EPERM))
      << "mfd_noexec.rst: F_SEAL_EXEC: chmod(2) cannot add execute permission (EPERM)";

  ASSERT_OK_AND_ASSIGN(FileDescriptor ex, Memfd(MFD_CLOEXEC | MFD_EXEC));
  ASSERT_THAT(fstat(ex.get(), &st), SyscallSucceeds());
  EXPECT_NE(st.st_mode & 0111, 0u) << "mfd_noexec.rst: MFD_EXEC creates an executable memfd";
  EXPECT_EQ(fcntl(ex.get(), F_GET_SEALS), F_SEAL_SEAL)
      << "mfd_noexec.rst: MFD_EXEC does not seal execute permission; without MFD_ALLOW_SEALING "
         "the seals are F_SEAL_SEAL (man 2 memfd_create)";

  // F_SEAL_EXEC added by hand to an executable sealable memfd: the execute
  // bits are frozen, the others may change.
  ASSERT_OK_AND_ASSIGN(FileDescriptor sx, Memfd(MFD_CLOEXEC | MFD_EXEC | MFD_ALLOW_SEALING));
  ASSERT_THAT(fchmod(sx.get(), 0644), SyscallSucceeds());
  ASSERT_THAT(fcntl(sx.get(), F_ADD_SEALS, F_SEAL_EXEC), SyscallSucceeds());
  EXPECT_THAT(fchmod(sx.get(), 0600), SyscallSucceeds())
      << "mfd_noexec.rst: F_SEAL_EXEC leaves the non-execute bits changeable";
  EXPECT_THAT(fchmod(sx.get(), 0700), SyscallFailsWithErrno(EPERM))
      << "mfd_noexec.rst: F_SEAL_EXEC: chmod(2) that changes an execute bit fails with EPERM";

  errno = 0;
  FileDescriptor both(memfd_create("ipcspec-memfd", MFD_EXEC | MFD_NOEXEC_SEAL));
  int err = errno;
  EXPECT_FALSE(both.valid() && both.get() > 0)
      << "mfd_noexec.rst: MFD_EXEC together with MFD_NOEXEC_SEAL is refused (EINVAL)";
  EXPECT_EQ(err, EINVAL) << "mfd_noexec.rst: MFD_EXEC|MFD_NOEXEC_SEAL is EINVAL, got "
                         << strerror(err);
}

// man 2 memfd_create: "The name supplied in name is used as a filename and
// will be displayed as the target of the corresponding symbolic link in the
// directory /proc/self/fd/. The displayed name is always prefixed with memfd:
// and serves only for debugging purposes." An empty name is accepted
// (Linux; the page sets no minimum), and a NULL name is EFAULT ("The address
// in name points to invalid memory.").
TEST(MemfdCreate, NameShowsInProcWithMemfdPrefix) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC));
  char link[256] = {};
  std::string path = "/proc/self/fd/" + std::to_string(fd.get());
  ssize_t n = readlink(path.c_str(), link, sizeof(link) - 1);
  std::string target = n > 0 ? std::string(link, static_cast<size_t>(n)) : "";
  EXPECT_EQ(target.rfind("/memfd:ipcspec-memfd", 0), 0u)
      << "man 2 memfd_create: \"The displayed name is always prefixed with memfd:\"; link "
      << target;
  for (unsigned flags : {0U, unsigned{MFD_CLOEXEC}, unsigned{MFD_ALLOW_SEALING},
                         unsigned{MFD_CLOEXEC | MFD_ALLOW_SEALING}}) {
    FileDescriptor ok(memfd_create("ipcspec-memfd", flags));
    EXPECT_TRUE(ok.valid() && ok.get() > 0)
        << "man 2 memfd_create: MFD_CLOEXEC and MFD_ALLOW_SEALING are valid flags, alone or "
           "together; flags " << flags << ": " << strerror(errno);
  }
  errno = 0;
  FileDescriptor empty(memfd_create("", MFD_CLOEXEC));
  EXPECT_TRUE(empty.valid() && empty.get() > 0)
      << "man 2 memfd_create: an empty name is accepted (Linux): " << strerror(errno);
  errno = 0;
  FileDescriptor null_name(memfd_create(nullptr, MFD_CLOEXEC));
  int err = errno;
  EXPECT_FALSE(null_name.valid() && null_name.get() > 0)
      << "man 2 memfd_create: a NULL name: \"EFAULT The address in name points to invalid "
         "memory.\"";
  EXPECT_EQ(err, EFAULT) << "man 2 memfd_create: a NULL name gives EFAULT, got " << strerror(err);
}

// man 2 fcntl: F_SEAL_SHRINK and F_SEAL_GROW together fix the size:
// ftruncate(2) both ways fails with EPERM ("Those calls fail with EPERM if you
// try to shrink"; "These calls fail with EPERM if you use them to increase the
// file size"), keeping the size works ("If you keep the size ... those calls
// still work"), and writes inside the file are unaffected.
TEST(MemfdSeal, ShrinkAndGrowTogetherFixTheSize) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const off_t n = static_cast<off_t>(Page());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(n));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW), SyscallSucceeds());
  EXPECT_THAT(ftruncate(fd.get(), n - 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_SHRINK: shrinking fails with EPERM";
  EXPECT_THAT(ftruncate(fd.get(), n + 1), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: growing fails with EPERM";
  EXPECT_THAT(ftruncate(fd.get(), n), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_GROW: \"If you keep the size ... those calls still work\"";
  EXPECT_THAT(pwrite(fd.get(), "in", 2, 0), SyscallSucceedsWithValue(2))
      << "man 2 fcntl: neither seal affects writes inside the file";
}

// man 2 fcntl F_SEAL_WRITE: "fails with EBUSY if any writable, shared mapping
// exists". Linux counts a PROT_READ MAP_SHARED mapping of a read/write
// descriptor as writable (mprotect(2) could make it so), so it blocks the seal
// too; a MAP_PRIVATE mapping, even writable, does not. After the seal a
// writable MAP_PRIVATE mapping still works and its writes stay private
// (man 2 mmap MAP_PRIVATE: "Updates to the mapping are not visible to other
// processes mapping the same file, and are not carried through to the
// underlying file.").
TEST(MemfdSeal, SealWriteCountsSharedMappingsNotPrivateOnes) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const size_t n = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(n)));
  {
    ASSERT_OK_AND_ASSIGN(Mapping ro, Mapping::Map(n, PROT_READ, MAP_SHARED, fd.get()));
    EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallFailsWithErrno(EBUSY))
        << "man 2 fcntl F_SEAL_WRITE: EBUSY with a shared mapping; Linux counts a PROT_READ "
           "MAP_SHARED mapping of an O_RDWR descriptor as writable";
  }
  ASSERT_OK_AND_ASSIGN(Mapping priv, Mapping::Map(n, PROT_READ | PROT_WRITE, MAP_PRIVATE,
                                                  fd.get()));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_WRITE), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_WRITE: a MAP_PRIVATE mapping is not a \"writable, shared mapping\"";
  EXPECT_THAT(fallocate(fd.get(), FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
                        static_cast<off_t>(n)), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_WRITE: \"This seal affects write(2) and fallocate(2) (only in "
         "combination with the FALLOC_FL_PUNCH_HOLE flag).\"";
  {
    MapResult ro = TryMap(n, PROT_READ, MAP_SHARED, fd.get());
    if (!ro.failed()) {  // Linux 6.7 and later map it; then it must not become writable
      EXPECT_NE(mprotect(ro.m.data(), n, PROT_READ | PROT_WRITE), 0)
          << "man 2 fcntl F_SEAL_WRITE: \"you cannot modify the contents of the file\": "
             "mprotect(PROT_WRITE) of a read-only shared mapping is refused";
    }
  }
  TouchWrite(priv.data(), 0x66);
  MapResult later = TryMap(n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd.get());
  EXPECT_EQ(later.err, 0) << "man 2 fcntl F_SEAL_WRITE: only shared writable mappings fail; a "
                             "private one maps, got " << strerror(later.err);
  char c = 1;
  ssize_t got = pread(fd.get(), &c, 1, 0);
  EXPECT_TRUE(got == 1 && c == 0)
      << "man 2 mmap MAP_PRIVATE: updates \"are not carried through to the underlying file\"";
}

// man 2 fcntl: "F_SEAL_GROW ... This affects write(2) beyond the end of the
// file, truncate(2), ftruncate(2), and fallocate(2). These calls fail with
// EPERM if you use them to increase the file size. If you keep the size or
// shrink it, those calls still work as expected." A zero-length write at the
// end does not increase the size.
TEST(MemfdSeal, SealGrowCoversFallocateNotZeroLengthWrites) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const off_t n = static_cast<off_t>(Page());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(n));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallSucceeds());
  EXPECT_THAT(fallocate(fd.get(), 0, 0, 2 * n), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: fallocate(2) that increases the size fails with EPERM";
  EXPECT_THAT(fallocate(fd.get(), 0, 0, n), SyscallSucceeds())
      << "man 2 fcntl F_SEAL_GROW: fallocate(2) that keeps the size \"still work[s]\"";
  EXPECT_THAT(pwrite(fd.get(), "", 0, n), SyscallSucceedsWithValue(0))
      << "man 2 fcntl F_SEAL_GROW: a zero-length write at the end does not increase the size";
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, n) << "man 2 fcntl F_SEAL_GROW: the size did not increase";
}

// man 2 fcntl F_SEAL_GROW: "write(2) beyond the end of the file ... fail[s]
// with EPERM"; man 2 write: "The number of bytes written may be less than
// count". Linux checks the seal per page cache folio: a write that starts
// inside the file and crosses its end is either shortened to the part inside
// the file (4 KiB folios: the last page ends at the end of the file) or
// refused with EPERM (a folio that reaches past the end); a write whose only
// page holds the end of the file is refused whole. Neither grows the file.
TEST(MemfdSeal, SealGrowShortensOrRefusesAWriteCrossingTheEnd) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(p)));
  ASSERT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallSucceeds());
  std::string data(p, 'w');
  ssize_t n = pwrite(fd.get(), data.data(), p, static_cast<off_t>(3 * p / 4));
  int err = errno;
  EXPECT_TRUE(n == static_cast<ssize_t>(p / 4) || (n == -1 && err == EPERM))
      << "man 2 fcntl F_SEAL_GROW: a write crossing the end is shortened to the bytes inside the "
         "file (man 2 write: \"may be less than count\") or fails with EPERM; got " << n << " "
      << strerror(err);
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, static_cast<off_t>(p)) << "man 2 fcntl F_SEAL_GROW: the size cannot be "
                                                  "increased by write(2)";

  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(3 * p / 4)), SyscallSucceeds());
  EXPECT_THAT(pwrite(fd.get(), data.data(), p / 2, static_cast<off_t>(p / 2)),
              SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_GROW: a write whose only page holds the end of the file and would "
         "grow it fails with EPERM as a whole (Linux)";
  char c = 1;
  ASSERT_THAT(pread(fd.get(), &c, 1, static_cast<off_t>(p / 2)), SyscallSucceedsWithValue(1));
  EXPECT_EQ(c, 0) << "man 2 fcntl F_SEAL_GROW: the refused write wrote nothing (Linux)";
  EXPECT_THAT(pwrite(fd.get(), data.data(), p / 4, static_cast<off_t>(p / 2)),
              SyscallSucceedsWithValue(static_cast<ssize_t>(p / 4)))
      << "man 2 fcntl F_SEAL_GROW: a write up to the end of the file still works";
}

// man 5 proc, /proc/pid/fd: "each entry ... is a symbolic link to the actual
// file"; man 2 memfd_create: the file "behaves like a regular file". Another
// process (a child, same credentials) can open a memfd through
// /proc/PID/fd/N and read what the owner wrote.
TEST(MemfdCreate, AnotherProcessOpensItThroughProc) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC));
  ASSERT_THAT(pwrite(fd.get(), "shared", 6, 0), SyscallSucceedsWithValue(6));
  std::string path = "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd.get());
  auto ws = ForkAndWait([path] {
    // The path names the parent's descriptor table, not the child's copy.
    int f = open(path.c_str(), O_RDWR | O_CLOEXEC);
    if (f < 0) return 2;
    char buf[7] = {};
    if (pread(f, buf, 6, 0) != 6 || std::string(buf) != "shared") return 3;
    return 0;
  });
  ASSERT_TRUE(ws.ok()) << ws.error();
  EXPECT_TRUE(ws.value().ExitedWith(0))
      << "man 2 memfd_create: another process opens the memfd through /proc/PID/fd and reads "
         "its data (2: open failed, 3: wrong data); child " << ws.value();
}

// man 2 msync: "EBUSY MS_INVALIDATE was specified in flags, and a memory lock
// exists for the specified address range."
TEST(Msync, InvalidateOfALockedRangeIsEbusy) {
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(p));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED,
                                               file.fd()));
  // The system calls themselves: AddressSanitizer replaces mlock(3) and
  // munlock(3) with functions that do nothing and return 0.
  ASSERT_THAT(syscall(SYS_mlock, m.data(), p), SyscallSucceeds()) << "one page under RLIMIT_MEMLOCK";
  EXPECT_THAT(msync(m.data(), p, MS_INVALIDATE), SyscallFailsWithErrno(EBUSY))
      << "man 2 msync: \"EBUSY MS_INVALIDATE was specified in flags, and a memory lock exists\"";
  ASSERT_THAT(syscall(SYS_munlock, m.data(), p), SyscallSucceeds());
  EXPECT_THAT(msync(m.data(), p, MS_INVALIDATE), SyscallSucceeds())
      << "man 2 msync: MS_INVALIDATE of an unlocked shared mapping succeeds";
}

// man 2 fcntl: "Seals are a property of an inode." A child made by fork(2)
// shares the descriptor; a seal it adds is the parent's too.
TEST(MemfdSeal, SealAddedInAForkedChildIsSeenByTheParent) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing());
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(0));
  int f = fd.get();
  auto ws = ForkAndWait([f] { return fcntl(f, F_ADD_SEALS, F_SEAL_SEAL) == 0 ? 0 : 2; });
  ASSERT_TRUE(ws.ok()) << ws.error();
  ASSERT_TRUE(ws.value().ExitedWith(0)) << "child " << ws.value();
  EXPECT_EQ(fcntl(f, F_GET_SEALS), F_SEAL_SEAL)
      << "man 2 fcntl: \"Seals are a property of an inode\": the child's F_SEAL_SEAL is seen by "
         "the parent";
  EXPECT_THAT(fcntl(f, F_ADD_SEALS, F_SEAL_WRITE), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_SEAL_SEAL: \"any further call to fcntl() with F_ADD_SEALS fails with the "
         "error EPERM\"";
}

// man 2 fcntl "File Sealing": "The default set of seals depends on the type of
// the underlying file and filesystem." Linux: a tmpfs file that is not a memfd
// (here a POSIX shared memory object, on tmpfs /dev/shm) reports F_SEAL_SEAL,
// so no seal can be added (EPERM, "If the current set of seals includes
// F_SEAL_SEAL ..., then this call will be rejected with EPERM.").
TEST(MemfdSeal, AShmOpenObjectStartsWithSealSeal) {
  IPCSPEC_NEEDS(Need::FileSealing());
  std::string name = "/ipcspec-memfd-seal-" + std::to_string(getpid());
  FileDescriptor fd(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  ASSERT_TRUE(fd.valid()) << "shm_open: " << strerror(errno);
  shm_unlink(name.c_str());
  EXPECT_EQ(fcntl(fd.get(), F_GET_SEALS), F_SEAL_SEAL)
      << "man 2 fcntl: \"The default set of seals depends on the type of the underlying file\": "
         "a tmpfs file has F_SEAL_SEAL (Linux)";
  EXPECT_THAT(fcntl(fd.get(), F_ADD_SEALS, F_SEAL_GROW), SyscallFailsWithErrno(EPERM))
      << "man 2 fcntl F_ADD_SEALS: with F_SEAL_SEAL set the call \"will be rejected with EPERM\"";
}

// The kernel's Documentation/admin-guide/sysctl/vm.rst, memfd_noexec (Linux
// 6.3): 0 keeps the old behaviour (a memfd made without MFD_EXEC or
// MFD_NOEXEC_SEAL is executable), 1 makes MFD_NOEXEC_SEAL the default, 2
// also refuses MFD_EXEC. Read only here: the value this process sees decides
// what a memfd made with neither flag must look like; the sysctl is never
// written.
TEST(MemfdCreate, DefaultFollowsVmMemfdNoexec) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::FileSealing(), Need::KernelAtLeast(6, 3),
                Need::SysctlAtLeast("/proc/sys/vm/memfd_noexec", 0));
  FileDescriptor sc(open("/proc/sys/vm/memfd_noexec", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(sc.valid()) << strerror(errno);
  char text[16] = {};
  ASSERT_THAT(read(sc.get(), text, sizeof(text) - 1), SyscallSucceeds());
  const int mode = text[0] - '0';
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Memfd(MFD_CLOEXEC | MFD_ALLOW_SEALING));
  struct stat st = {};
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  int seals = fcntl(fd.get(), F_GET_SEALS);
  if (mode == 0) {
    EXPECT_NE(st.st_mode & 0111, 0u)
        << "vm.rst memfd_noexec=0: a memfd made without MFD_NOEXEC_SEAL is executable";
    EXPECT_EQ(seals, 0) << "vm.rst memfd_noexec=0: no F_SEAL_EXEC by default";
  } else {
    EXPECT_EQ(st.st_mode & 0111, 0u)
        << "vm.rst memfd_noexec=" << mode << ": MFD_NOEXEC_SEAL is the default (no execute bits)";
    EXPECT_TRUE(seals >= 0 && (seals & F_SEAL_EXEC))
        << "vm.rst memfd_noexec=" << mode << ": MFD_NOEXEC_SEAL is the default (F_SEAL_EXEC)";
  }
}

// ---------------------------------------------------- shared mappings

// man 2 mmap: "The contents of a file mapping ... are initialized using
// length bytes starting at offset offset in the file"; MAP_SHARED: "Updates
// to the mapping are visible to other processes mapping the same region". A
// mapping of the second page of a memfd and of a regular file is the same
// memory as that page in a mapping at offset 0 and in the file.
TEST(MmapSharedOffset, ALaterPageIsSharedLikeTheFirst) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor mfd, SealableMemfd(static_cast<off_t>(3 * p)));
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(3 * p));
  for (int fd : {mfd.get(), file.fd()}) {
    const char* what = fd == mfd.get() ? "memfd" : "regular file";
    ASSERT_THAT(pwrite(fd, "page1", 5, static_cast<off_t>(p + 7)), SyscallSucceedsWithValue(5));
    ASSERT_OK_AND_ASSIGN(Mapping later, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                                                     static_cast<off_t>(p)));
    ASSERT_OK_AND_ASSIGN(Mapping whole, Mapping::Map(3 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
                                                     fd));
    EXPECT_EQ(std::string(reinterpret_cast<char*>(later.data()) + 7, 5), "page1")
        << what << ": man 2 mmap: a mapping at offset " << p
        << " is \"initialized using length bytes starting at offset offset in the file\"";
    TouchWrite(later.data() + 20, 0x5a);
    EXPECT_EQ(TouchRead(whole.data() + p + 20), 0x5a)
        << what << ": man 2 mmap MAP_SHARED: a write through the offset mapping is visible in a "
                   "mapping of the same page at offset 0";
    char c = 0;
    ssize_t got = pread(fd, &c, 1, static_cast<off_t>(p + 20));
    EXPECT_TRUE(got == 1 && c == 0x5a)
        << what << ": man 2 mmap MAP_SHARED: \"carried through to the underlying file\" at "
                   "offset page + 20; pread " << got << " byte " << int(c);
    EXPECT_EQ(TouchRead(whole.data() + 20), 0)
        << what << ": man 2 mmap: the offset mapping did not write the first page";
  }
}

// man 2 mmap: "SIGBUS Attempted access to a page of the buffer that lies
// beyond the end of the mapped file." A live MAP_SHARED mapping follows
// ftruncate(2): after a shrink the page past the new end raises SIGBUS (in a
// child, reaped with a deadline); after growing again it reads zeros
// (man 2 ftruncate: "If the file previously was shorter, it is extended, and
// the extended part reads as null bytes").
TEST(MmapSharedTruncate, ShrinkUnderALiveMappingThenGrowReadsZeros) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(2 * p)));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(2 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
                                               fd.get()));
  TouchWrite(m.data() + 1, 0x11);
  TouchWrite(m.data() + p + 1, 0x22);
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(p)), SyscallSucceeds());
  uint8_t* past = m.data() + p + 1;
  auto ws = ForkAndWait([past] {
    ResetSignalToDefault(SIGBUS);
    (void)TouchRead(past);
    return 2;
  });
  ASSERT_TRUE(ws.ok()) << ws.error();
  EXPECT_TRUE(ws.value().KilledBy(SIGBUS))
      << "man 2 mmap: \"SIGBUS Attempted access to a page of the buffer that lies beyond the end "
         "of the mapped file.\" after ftruncate shrank it; child " << ws.value();
  EXPECT_EQ(TouchRead(m.data() + 1), 0x11) << "man 2 ftruncate: the kept page keeps its data";
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(2 * p)), SyscallSucceeds());
  EXPECT_EQ(TouchRead(past), 0)
      << "man 2 ftruncate: \"the extended part reads as null bytes\" through the live mapping";
  ASSERT_THAT(ftruncate(fd.get(), 0), SyscallSucceeds())
      << "man 2 ftruncate: truncation to zero under a live mapping";
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(p)), SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  ASSERT_EQ(st.st_size, static_cast<off_t>(p))
      << "man 2 ftruncate: \"the file ... is extended\" to one page (else SIGBUS below)";
  EXPECT_EQ(TouchRead(m.data() + 1), 0)
      << "man 2 ftruncate: after truncation to zero and growth, the first page reads as null "
         "bytes through the live mapping";
}

// man 2 mmap: MAP_SHARED_VALIDATE: "MAP_SHARED mappings ignore unknown flags
// in flags. By contrast, when creating a mapping using MAP_SHARED_VALIDATE,
// the kernel verifies all passed flags are known and fails the mapping with
// the error EOPNOTSUPP for unknown flags." 0x200000 is no MAP_ flag.
TEST(MmapSharedValidate, UnknownFlagIsEopnotsuppUnderValidateIgnoredUnderShared) {
  IPCSPEC_NEEDS(Need::MemfdCreate(), Need::KernelAtLeast(4, 15));
  const size_t p = Page();
  constexpr int kUnknown = 0x200000;
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(p)));
  MapResult v = TryMap(p, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE | kUnknown, fd.get());
  EXPECT_EQ(v.err, EOPNOTSUPP) << "man 2 mmap MAP_SHARED_VALIDATE: \"fails the mapping with the "
                                  "error EOPNOTSUPP for unknown flags\", got " << strerror(v.err);
  MapResult s = TryMap(p, PROT_READ | PROT_WRITE, MAP_SHARED | kUnknown, fd.get());
  EXPECT_EQ(s.err, 0) << "man 2 mmap: \"MAP_SHARED mappings ignore unknown flags\", got "
                      << strerror(s.err);
  MapResult ok = TryMap(p, PROT_READ | PROT_WRITE, MAP_SHARED_VALIDATE, fd.get());
  EXPECT_EQ(ok.err, 0) << "man 2 mmap: MAP_SHARED_VALIDATE with known flags maps, got "
                       << strerror(ok.err);
}

// man 2 mmap ERRORS: "EACCES ... Or MAP_SHARED was requested and PROT_WRITE
// is set, but fd is not open in read/write (O_RDWR) mode." and "a file
// mapping was requested, but fd is not open for reading." A read-only
// descriptor can still be mapped shared for reading, or privately writable.
TEST(MmapErrors, SharedWritableNeedsReadWriteDescriptor) {
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(p));
  FileDescriptor ro(open(file.path().c_str(), O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(ro.valid()) << strerror(errno);
  FileDescriptor wo(open(file.path().c_str(), O_WRONLY | O_CLOEXEC));
  ASSERT_TRUE(wo.valid()) << strerror(errno);
  MapResult a = TryMap(p, PROT_READ | PROT_WRITE, MAP_SHARED, ro.get());
  EXPECT_EQ(a.err, EACCES) << "man 2 mmap: \"EACCES ... MAP_SHARED was requested and PROT_WRITE is "
                              "set, but fd is not open in read/write (O_RDWR) mode\", got "
                           << strerror(a.err);
  for (int prot : {PROT_READ, PROT_WRITE, PROT_READ | PROT_WRITE}) {
    for (int flags : {MAP_SHARED, MAP_PRIVATE}) {
      MapResult b = TryMap(p, prot, flags, wo.get());
      EXPECT_EQ(b.err, EACCES) << "man 2 mmap: \"EACCES ... a file mapping was requested, but fd "
                                  "is not open for reading\" (prot " << prot << ", flags "
                               << flags << "), got " << strerror(b.err);
    }
  }
  MapResult c = TryMap(p, PROT_READ, MAP_SHARED, ro.get());
  EXPECT_EQ(c.err, 0) << "man 2 mmap: a read-only shared mapping of an O_RDONLY descriptor";
  MapResult d = TryMap(p, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro.get());
  EXPECT_EQ(d.err, 0) << "man 2 mmap: the O_RDWR requirement is for MAP_SHARED only";
}

// man 2 mmap ERRORS: "EBADF fd is not a valid file descriptor (and
// MAP_ANONYMOUS was not set)."; "EINVAL (since Linux 2.6.12) length was 0.";
// "EINVAL flags contained none of MAP_PRIVATE, MAP_SHARED, or
// MAP_SHARED_VALIDATE."; "offset must be a multiple of the page size" (EINVAL
// "We don't like addr, length, or offset").
TEST(MmapErrors, ArgumentErrors) {
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(2 * p));
  FileDescriptor closed(dup(file.fd()));
  ASSERT_TRUE(closed.valid());
  int bad_fd = closed.get();
  closed = FileDescriptor();  // now closed: no descriptor of that number
  EXPECT_EQ(TryMap(p, PROT_READ, MAP_SHARED, bad_fd).err, EBADF)
      << "man 2 mmap: \"EBADF fd is not a valid file descriptor\"";
  EXPECT_EQ(TryMap(0, PROT_READ, MAP_SHARED, file.fd()).err, EINVAL)
      << "man 2 mmap: \"EINVAL (since Linux 2.6.12) length was 0.\"";
  EXPECT_EQ(TryMap(p, PROT_READ, 0, file.fd()).err, EINVAL)
      << "man 2 mmap: \"EINVAL flags contained none of MAP_PRIVATE, MAP_SHARED, or "
         "MAP_SHARED_VALIDATE.\"";
  EXPECT_EQ(TryMap(p, PROT_READ, MAP_SHARED, file.fd(), 1).err, EINVAL)
      << "man 2 mmap: \"offset must be a multiple of the page size\" (EINVAL)";
}

// man 2 mmap: "PROT_NONE Pages may not be accessed." Access is SIGSEGV
// ("SIGSEGV Attempted write into a region mapped as read-only." is the
// page's nearest sentence); checked in a child reaped with a deadline.
TEST(MmapShared, ProtNoneAccessIsSigsegv) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(p)));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_THAT(mprotect(m.data(), p, PROT_NONE), SyscallSucceeds());
  uint8_t* a = m.data();
  auto ws = ForkAndWait([a] {
    ResetSignalToDefault(SIGSEGV);
    (void)TouchRead(a);
    return 2;
  });
  ASSERT_TRUE(ws.ok()) << ws.error();
  EXPECT_TRUE(ws.value().KilledBy(SIGSEGV))
      << "man 2 mmap: \"PROT_NONE Pages may not be accessed.\": a read is SIGSEGV; child "
      << ws.value();
}

// man 2 msync ERRORS: "EINVAL addr is not a multiple of PAGESIZE; or any bit
// other than MS_ASYNC | MS_INVALIDATE | MS_SYNC is set in flags; or both
// MS_SYNC and MS_ASYNC are set in flags." and "ENOMEM The indicated memory
// (or part of it) was not mapped."
TEST(Msync, FlagAndAddressErrors) {
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(2 * p));
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(2 * p, PROT_READ | PROT_WRITE, MAP_SHARED,
                                               file.fd()));
  EXPECT_THAT(msync(m.data(), p, MS_SYNC | MS_ASYNC), SyscallFailsWithErrno(EINVAL))
      << "man 2 msync: EINVAL \"both MS_SYNC and MS_ASYNC are set in flags\"";
  EXPECT_THAT(msync(m.data(), p, MS_SYNC | 0x100), SyscallFailsWithErrno(EINVAL))
      << "man 2 msync: EINVAL \"any bit other than MS_ASYNC | MS_INVALIDATE | MS_SYNC is set\"";
  EXPECT_THAT(msync(m.data() + 1, p, MS_SYNC), SyscallFailsWithErrno(EINVAL))
      << "man 2 msync: EINVAL \"addr is not a multiple of PAGESIZE\"";
  EXPECT_THAT(msync(m.data(), p, MS_ASYNC | MS_INVALIDATE), SyscallSucceeds())
      << "man 2 msync: MS_ASYNC | MS_INVALIDATE is a valid combination";
  void* second = m.data() + p;
  ASSERT_THAT(munmap(second, p), SyscallSucceeds());
  EXPECT_THAT(msync(m.data(), 2 * p, MS_SYNC), SyscallFailsWithErrno(ENOMEM))
      << "man 2 msync: \"ENOMEM The indicated memory (or part of it) was not mapped.\"";
}

// man 2 madvise MADV_DONTNEED: "subsequent accesses of pages in the range
// will succeed, but will result in either repopulating the memory contents
// from the up-to-date contents of the underlying mapped file (for shared file
// mappings, shared anonymous mappings, and shmem-based techniques ...) or
// zero-fill-on-demand pages for anonymous private mappings." A memfd, a
// regular file and a shared anonymous mapping keep their data; a private
// anonymous mapping reads zeros (the check that the call took effect).
TEST(Madvise, DontneedKeepsSharedDataZeroesPrivateAnonymous) {
  IPCSPEC_NEEDS(Need::MemfdCreate());
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, SealableMemfd(static_cast<off_t>(p)));
  ASSERT_OK_AND_ASSIGN(TempFile file, TempFile::Create(p));
  ASSERT_OK_AND_ASSIGN(Mapping mm, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_OK_AND_ASSIGN(Mapping fm, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED,
                                                file.fd()));
  ASSERT_OK_AND_ASSIGN(Mapping am, Mapping::Map(p, PROT_READ | PROT_WRITE,
                                                MAP_SHARED | MAP_ANONYMOUS, -1));
  ASSERT_OK_AND_ASSIGN(Mapping pm, Mapping::Map(p, PROT_READ | PROT_WRITE,
                                                MAP_PRIVATE | MAP_ANONYMOUS, -1));
  struct {
    const char* what;
    uint8_t* a;
    uint8_t want;
  } cases[] = {{"memfd MAP_SHARED", mm.data(), 0x31},
               {"file MAP_SHARED", fm.data(), 0x32},
               {"anonymous MAP_SHARED", am.data(), 0x33},
               {"anonymous MAP_PRIVATE", pm.data(), 0}};
  uint8_t v = 0x31;
  for (auto& c : cases) TouchWrite(c.a + 9, v++);
  for (auto& c : cases) {
    ASSERT_THAT(madvise(c.a, p, MADV_DONTNEED), SyscallSucceeds()) << c.what;
    EXPECT_EQ(TouchRead(c.a + 9), c.want)
        << c.what << ": man 2 madvise MADV_DONTNEED: \"repopulating the memory contents from the "
                     "up-to-date contents of the underlying mapped file\" for shared mappings, "
                     "\"zero-fill-on-demand pages for anonymous private mappings\"";
  }
}

}  // namespace
}  // namespace ipcspec
