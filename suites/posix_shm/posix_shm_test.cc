// POSIX shared memory: the documented semantics of shm_open, shm_unlink,
// ftruncate and mmap on a shared memory object (man 7 shm_overview, man 3
// shm_open, man 2 mmap, man 2 ftruncate). Each test has a private tmpfs on
// /dev/shm, so names cannot collide; every name a test makes has an owner
// that unlinks it.
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"
#include "suites/shared_region/region_test_util.h"

namespace ipcspec {
namespace {

size_t Page() { return static_cast<size_t>(sysconf(_SC_PAGESIZE)); }

// The name, unlinked at scope exit (ENOENT once already gone is fine).
Cleanup UnlinkAtExit(const std::string& name) {
  return Cleanup([name] { shm_unlink(name.c_str()); });
}

PosixErrorOr<FileDescriptor> Open(const std::string& name, int flags) {
  FileDescriptor fd(shm_open(name.c_str(), flags, 0600));
  if (!fd.valid()) return ErrnoError("shm_open(" + name + ")");
  return fd;
}

PosixErrorOr<struct stat> Fstat(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return ErrnoError("fstat");
  return st;
}

// man 3 shm_open: "The FD_CLOEXEC flag (see fcntl(2)) is set for the file
// descriptor."
TEST(ShmOpen, SetsFdCloexec) {
  const std::string name = "/ipcspec-cloexec";
  Cleanup un = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
  int flags = fcntl(fd.get(), F_GETFD);
  ASSERT_THAT(flags, SyscallSucceeds());
  EXPECT_TRUE(flags & FD_CLOEXEC)
      << "man 3 shm_open: \"The FD_CLOEXEC flag (see fcntl(2)) is set for the file descriptor.\"";
  // Opening the existing object again: also close-on-exec.
  ASSERT_OK_AND_ASSIGN(FileDescriptor again, Open(name, O_RDWR));
  EXPECT_TRUE(fcntl(again.get(), F_GETFD) & FD_CLOEXEC)
      << "man 3 shm_open: FD_CLOEXEC on every descriptor shm_open returns";
}

// man 3 shm_open: "EEXIST Both O_CREAT and O_EXCL were specified to
// shm_open() and the shared memory object specified by name already
// exists." and "ENOENT An attempt was made to shm_open() a name that did not
// exist, and O_CREAT was not specified."
TEST(ShmOpen, ExclAndMissingName) {
  const std::string name = "/ipcspec-excl";
  Cleanup un = UnlinkAtExit(name);
  EXPECT_THAT(shm_open(name.c_str(), O_RDWR, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: \"ENOENT An attempt was made to shm_open() a name that did not exist, "
         "and O_CREAT was not specified.\"";
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
  EXPECT_THAT(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600),
              SyscallFailsWithErrno(EEXIST))
      << "man 3 shm_open: \"EEXIST Both O_CREAT and O_EXCL were specified to shm_open() and the "
         "shared memory object specified by name already exists.\"";
  EXPECT_THAT(shm_unlink("/ipcspec-never-made"), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: \"ENOENT An attempt was to made to shm_unlink() a name that does not "
         "exist.\"";
}

// man 7 shm_overview: "(A newly created shared memory object has a length of
// zero.)"; ftruncate(2) "Set the size of the shared memory object"; fstat(2)
// reports it in st_size. man 3 shm_open: "The newly allocated bytes of a
// shared memory object are automatically initialized to 0." man 2
// ftruncate: shrinking loses the data, growing again "reads as null bytes".
TEST(ShmFtruncate, SetsTheSizeFstatReports) {
  const std::string name = "/ipcspec-size";
  Cleanup un = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
  ASSERT_OK_AND_ASSIGN(struct stat st, Fstat(fd.get()));
  EXPECT_EQ(st.st_size, 0) << "man 7 shm_overview: \"A newly created shared memory object has a "
                              "length of zero.\"";
  const size_t p = Page();
  for (size_t n : {size_t{1}, p - 1, p, p + 1, 3 * p + 5, size_t{10}}) {
    ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(n)), SyscallSucceeds());
    ASSERT_OK_AND_ASSIGN(st, Fstat(fd.get()));
    EXPECT_EQ(st.st_size, static_cast<off_t>(n))
        << "man 7 shm_overview: ftruncate(2) sets the size, fstat(2) st_size reports it (not "
           "rounded to pages)";
  }
  // 10 bytes now; write into them, shrink to 5, grow to 2 pages.
  {
    ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(p, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
    std::memset(m.data(), 0xab, 10);
  }
  ASSERT_THAT(ftruncate(fd.get(), 5), SyscallSucceeds());
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(2 * p)), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(2 * p, PROT_READ, MAP_SHARED, fd.get()));
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(m.data()[i], 0xab) << "byte " << i << " kept";
  for (size_t i = 5; i < 2 * p; ++i) {
    if (m.data()[i] != 0) {
      ADD_FAILURE() << "man 2 ftruncate: \"the extended part reads as null bytes\"; man 3 "
                       "shm_open: new bytes \"are automatically initialized to 0\": byte "
                    << i << " is " << int(m.data()[i]);
      break;
    }
  }
}

// man 3 shm_open: "After a call to mmap(2) the file descriptor may be closed
// without affecting the memory mapping."
TEST(ShmOpen, ClosingTheDescriptorKeepsTheMapping) {
  const std::string name = "/ipcspec-close";
  Cleanup un = UnlinkAtExit(name);
  Mapping m;
  {
    ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
    ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(Page())), SyscallSucceeds());
    ASSERT_OK_AND_ASSIGN(m, Mapping::Map(Page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  }  // closed
  TouchWrite(m.data() + 7, 0x42);
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd2, Open(name, O_RDWR));
  ASSERT_OK_AND_ASSIGN(Mapping m2, Mapping::Map(Page(), PROT_READ, MAP_SHARED, fd2.get()));
  EXPECT_EQ(TouchRead(m2.data() + 7), 0x42)
      << "man 3 shm_open: \"After a call to mmap(2) the file descriptor may be closed without "
         "affecting the memory mapping.\"";
}

// man 3 shm_open: shm_unlink "removes a shared memory object name, and, once
// all processes have unmapped the object, deallocates and destroys the
// contents"; "After a successful shm_unlink(), attempts to shm_open() an
// object with the same name fail (unless O_CREAT was specified, in which case
// a new, distinct object is created)."
TEST(ShmUnlink, WhileMappedTheMappingWorksAndTheNameIsFree) {
  const std::string name = "/ipcspec-unlink";
  Cleanup un = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(Page())), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(Page(), PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  ASSERT_OK_AND_ASSIGN(struct stat before, Fstat(fd.get()));
  std::memset(m.data(), 0x11, Page());

  ASSERT_THAT(shm_unlink(name.c_str()), SyscallSucceeds());
  // The mapping still works, and is still shared with a child.
  EXPECT_EQ(TouchRead(m.data() + Page() - 1), 0x11)
      << "man 3 shm_open: contents are destroyed only \"once all processes have unmapped the "
         "object\"";
  uint8_t* b = m.data();
  auto st = ForkAndWait([b] {
    if (TouchRead(b) != 0x11) return 2;
    TouchWrite(b + 1, 0x22);
    return 0;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().ExitedWith(0)) << st.value();
  EXPECT_EQ(TouchRead(b + 1), 0x22) << "man 2 mmap MAP_SHARED: still shared after shm_unlink";

  EXPECT_THAT(shm_open(name.c_str(), O_RDWR, 0600), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: \"After a successful shm_unlink(), attempts to shm_open() an object "
         "with the same name fail\"";
  ASSERT_OK_AND_ASSIGN(FileDescriptor fresh, Open(name, O_RDWR | O_CREAT | O_EXCL));
  ASSERT_OK_AND_ASSIGN(struct stat after, Fstat(fresh.get()));
  EXPECT_NE(after.st_ino, before.st_ino)
      << "man 3 shm_open: \"unless O_CREAT was specified, in which case a new, distinct object "
         "is created\"";
  EXPECT_EQ(after.st_size, 0) << "man 7 shm_overview: the new object has a length of zero";
  ASSERT_THAT(ftruncate(fresh.get(), static_cast<off_t>(Page())), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Mapping m2, Mapping::Map(Page(), PROT_READ | PROT_WRITE, MAP_SHARED, fresh.get()));
  EXPECT_EQ(TouchRead(m2.data()), 0) << "man 3 shm_open: a distinct object, zero-filled";
  TouchWrite(m2.data() + 2, 0x33);
  EXPECT_EQ(TouchRead(b + 2), 0x11) << "man 3 shm_open: the old mapping is a different object";
}

// man 3 shm_open: "O_RDONLY Open the object for read access. A shared memory
// object opened in this way can be mmap(2)ed only for read (PROT_READ)
// access."; man 2 mmap: "EACCES ... MAP_SHARED was requested and PROT_WRITE
// is set, but fd is not open in read/write (O_RDWR) mode."
TEST(ShmOpen, ReadOnlyObjectMapsOnlyForReading) {
  const std::string name = "/ipcspec-rdonly";
  Cleanup un = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(FileDescriptor rw, Open(name, O_RDWR | O_CREAT | O_EXCL));
  ASSERT_THAT(ftruncate(rw.get(), static_cast<off_t>(Page())), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(FileDescriptor ro, Open(name, O_RDONLY));
  void* p = mmap(nullptr, Page(), PROT_READ | PROT_WRITE, MAP_SHARED, ro.get(), 0);
  int err = errno;
  Mapping owner;
  if (p != MAP_FAILED) owner = Mapping(p, Page());
  EXPECT_EQ(p, MAP_FAILED) << "man 3 shm_open O_RDONLY: \"can be mmap(2)ed only for read\"";
  EXPECT_EQ(err, EACCES) << "man 2 mmap: \"EACCES ... MAP_SHARED was requested and PROT_WRITE "
                              "is set, but fd is not open in read/write (O_RDWR) mode\"";
  ASSERT_OK_AND_ASSIGN(Mapping r, Mapping::Map(Page(), PROT_READ, MAP_SHARED, ro.get()));
  EXPECT_EQ(TouchRead(r.data()), 0) << "man 3 shm_open O_RDONLY: PROT_READ mappings work";
}

// man 7 shm_overview, "Persistence": "POSIX shared memory objects have
// kernel persistence: a shared memory object will exist until the system is
// shut down, or until all processes have unmapped the object and it has been
// deleted with shm_unlink(3)". A child makes an object, writes, and exits
// without unlinking; the name and the bytes remain.
TEST(ShmPersistence, TheNameOutlivesItsCreator) {
  const std::string name = "/ipcspec-persist";
  Cleanup un = UnlinkAtExit(name);  // the test owns what the child leaves
  const char* cname = name.c_str();
  const size_t p = Page();
  auto st = ForkAndWait([cname, p] {
    int fd = shm_open(cname, O_RDWR | O_CREAT | O_EXCL, 0600);
    if (fd < 0) return 2;
    if (ftruncate(fd, static_cast<off_t>(2 * p)) != 0) return 3;
    void* m = mmap(nullptr, 2 * p, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED) return 4;
    std::memcpy(static_cast<char*>(m) + p, "persist", 8);
    return 0;  // exits mapped and open, without shm_unlink
  });
  ASSERT_TRUE(st.ok()) << st.error();
  ASSERT_TRUE(st.value().ExitedWith(0)) << st.value();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR));
  ASSERT_OK_AND_ASSIGN(struct stat s, Fstat(fd.get()));
  EXPECT_EQ(s.st_size, static_cast<off_t>(2 * p)) << "man 7 shm_overview: kernel persistence";
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(2 * p, PROT_READ, MAP_SHARED, fd.get()));
  EXPECT_STREQ(reinterpret_cast<char*>(m.data()) + p, "persist")
      << "man 7 shm_overview: \"a shared memory object will exist until ... it has been deleted "
         "with shm_unlink(3)\"";
}

// man 2 mmap, SIGNALS: "SIGBUS Attempted access to a page of the buffer that
// lies beyond the end of the mapped file."; NOTES: "the remaining bytes in the
// partial page at the end of the mapping are zeroed when mapped". A POSIX shm
// object of one page and 100 bytes, mapped over three pages: the rest of the
// second page reads zero, the third page is SIGBUS (in a child).
TEST(ShmMmap, AccessBeyondTheEndIsSigbus) {
  const std::string name = "/ipcspec-sigbus";
  Cleanup un = UnlinkAtExit(name);
  const size_t p = Page();
  ASSERT_OK_AND_ASSIGN(FileDescriptor fd, Open(name, O_RDWR | O_CREAT | O_EXCL));
  ASSERT_THAT(ftruncate(fd.get(), static_cast<off_t>(p + 100)), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Mapping m, Mapping::Map(3 * p, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get()));
  uint8_t* b = m.data();
  EXPECT_EQ(TouchRead(b + p + 100), 0) << "man 2 mmap NOTES: the partial page is zeroed";
  EXPECT_EQ(TouchRead(b + 2 * p - 1), 0) << "man 2 mmap NOTES: the partial page is zeroed";
  auto st = ForkAndWait([b, p] {
    ResetSignalToDefault(SIGBUS);
    (void)TouchRead(b + 2 * p);
    return 2;
  });
  ASSERT_TRUE(st.ok()) << st.error();
  EXPECT_TRUE(st.value().KilledBy(SIGBUS))
      << "man 2 mmap: \"SIGBUS Attempted access to a page of the buffer that lies beyond the end "
         "of the mapped file.\"; child " << st.value();
}

}  // namespace
}  // namespace ipcspec
