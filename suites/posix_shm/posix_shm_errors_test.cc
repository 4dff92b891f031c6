// POSIX shared memory objects: the error table of shm_open and shm_unlink
// (names, lengths, EMFILE), fstat(2) of an object, the descriptor number,
// and the creator's access whatever the mode (man 3 shm_open, man 7
// shm_overview, man 2 open, man 2 fstat). Each test has a private tmpfs on
// /dev/shm (the ipcspec main); every name has an owner that unlinks it.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/file_descriptor.h"
#include "impl/core/process.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

std::string UniqueShmName(const char* tag) {
  static std::atomic<unsigned> n{0};
  return std::string("/shm_errors_") + tag + "_" + std::to_string(getpid()) + "_" +
         std::to_string(n.fetch_add(1));
}

Cleanup UnlinkAtExit(const std::string& name) {
  return Cleanup([name] { shm_unlink(name.c_str()); });
}

// shm_open(O_RDWR | O_CREAT | O_EXCL), closing and unlinking what it made:
// 0, or -1 with errno.
int TryCreate(const std::string& name) {
  int fd = shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return -1;
  close(fd);
  shm_unlink(name.c_str());
  return 0;
}

// man 3 shm_open: a portable name is "a null-terminated string of up to
// NAME_MAX (i.e., 255) characters consisting of an initial slash, followed by
// one or more characters, none of which are slashes."; "EINVAL The name
// argument to shm_open() was invalid."; "ENAMETOOLONG The length of name
// exceeds PATH_MAX." Linux/glibc: a name is too long when the part after the
// slash exceeds NAME_MAX (it is a file name in /dev/shm), for shm_open and
// shm_unlink alike; "/" alone, "" and a name with an inner slash are EINVAL.
TEST(ShmErrors, NameLengthsAndForms) {
  const std::string longest = "/" + std::string(255, 'm');
  EXPECT_THAT(TryCreate(longest), SyscallSucceeds())
      << "man 3 shm_open: names \"of up to NAME_MAX (i.e., 255) characters\" (after the slash)";
  const std::string too_long = "/" + std::string(256, 'm');
  EXPECT_THAT(TryCreate(too_long), SyscallFailsWithErrno(ENAMETOOLONG))
      << "man 3 shm_open: \"ENAMETOOLONG\" (Linux: 256 characters after the slash, a file "
         "name longer than NAME_MAX)";
  EXPECT_THAT(shm_unlink(too_long.c_str()), SyscallFailsWithErrno(ENAMETOOLONG))
      << "POSIX shm_unlink: ENAMETOOLONG when \"a pathname component is longer than "
         "{NAME_MAX}\" (Linux: 256 characters after the slash)";
  EXPECT_THAT(shm_unlink(longest.c_str()), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: \"ENOENT An attempt was to made to shm_unlink() a name that does not "
         "exist.\"";
  for (const char* n : {"/", "", "/a/b"}) {
    EXPECT_THAT(TryCreate(n), SyscallFailsWithErrno(EINVAL))
        << "man 3 shm_open: \"EINVAL The name argument to shm_open() was invalid.\" (\"" << n
        << "\")";
  }
}

// man 3 shm_open: "EMFILE The per-process limit on the number of open file
// descriptors has been reached."
TEST(ShmErrors, OpenAtTheDescriptorLimitIsEmfile) {
  const std::string name = UniqueShmName("emfile");
  Cleanup unlink = UnlinkAtExit(name);
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<2>([&](CallRecords<2>& r) {
    const int lowest = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (lowest >= 0) close(lowest);
    struct rlimit rl = {static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
    r[0] = Record("setrlimit(RLIMIT_NOFILE)", lowest < 0 ? -1 : setrlimit(RLIMIT_NOFILE, &rl));
    if (r[0].failed()) return;
    r[1] = Record("shm_open", shm_open(name.c_str(), O_RDWR | O_CREAT, 0600));
  }));
  EXPECT_TRUE(calls[1].FailedWith(EMFILE))
      << "man 3 shm_open: \"EMFILE The per-process limit on the number of open file "
         "descriptors has been reached.\" (RLIMIT_NOFILE = the lowest free descriptor): "
      << ToString(calls);
}

// man 3 shm_open: the returned file descriptor "is guaranteed to be the
// lowest-numbered file descriptor not previously opened within the process."
TEST(ShmErrors, ReturnsTheLowestFreeDescriptor) {
  const std::string name = UniqueShmName("lowest");
  Cleanup unlink = UnlinkAtExit(name);
  FileDescriptor a(open("/dev/null", O_RDONLY | O_CLOEXEC));
  FileDescriptor b(open("/dev/null", O_RDONLY | O_CLOEXEC));
  ASSERT_TRUE(a.valid() && b.valid());
  int hole = a.get();
  a.reset();  // the lowest free number is now `hole`, below b
  FileDescriptor fd(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
  ASSERT_TRUE(fd.valid()) << "shm_open: " << ErrnoName(errno);
  EXPECT_EQ(fd.get(), hole) << "man 3 shm_open: the descriptor is \"the lowest-numbered file "
                               "descriptor not previously opened within the process\"";
}

// man 7 shm_overview: fstat(2) "Obtain a stat structure that describes the
// shared memory object. Among the information returned by this call are the
// object's size (st_size), permissions (st_mode), owner (st_uid), and group
// (st_gid)." man 3 shm_open, O_CREAT: "The user and group ownership of the
// object are taken from the corresponding effective IDs of the calling
// process"; "A new shared memory object initially has zero length". After
// shm_unlink the object lives on with no name: st_nlink 0.
TEST(ShmErrors, FstatDescribesTheObject) {
  const std::string name = UniqueShmName("fstat");
  Cleanup unlink = UnlinkAtExit(name);
  mode_t old = umask(0);
  Cleanup restore([old] { umask(old); });
  FileDescriptor fd(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0640));
  ASSERT_TRUE(fd.valid()) << "shm_open: " << ErrnoName(errno);
  struct stat st;
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "fstat: a shared memory object is a regular file on Linux "
                                      "(st_mode "
                                   << std::oct << st.st_mode << ")";
  EXPECT_EQ(st.st_mode & 07777, 0640u) << "man 7 shm_overview: fstat's st_mode has the "
                                          "permissions given to O_CREAT (umask 0)";
  EXPECT_EQ(st.st_uid, geteuid()) << "man 3 shm_open: \"The user and group ownership of the "
                                     "object are taken from the corresponding effective IDs\"";
  EXPECT_EQ(st.st_gid, getegid()) << "man 3 shm_open: group ownership from the effective group "
                                     "ID";
  EXPECT_EQ(st.st_size, 0) << "man 3 shm_open: \"A new shared memory object initially has zero "
                              "length\"";
  EXPECT_EQ(st.st_nlink, 1u) << "one name";
  ASSERT_THAT(ftruncate(fd.get(), 12345), SyscallSucceeds());
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 12345) << "man 7 shm_overview: fstat's st_size is the object's "
                                  "size (ftruncate(2) set it)";
  ASSERT_THAT(shm_unlink(name.c_str()), SyscallSucceeds());
  ASSERT_THAT(fstat(fd.get(), &st), SyscallSucceeds())
      << "man 3 shm_open: the object outlives its name while open";
  EXPECT_EQ(st.st_nlink, 0u) << "after shm_unlink the object has no name (st_nlink 0)";
  EXPECT_EQ(st.st_size, 12345);
}

// POSIX shm_open: with O_CREAT, "the mode argument does not affect whether
// the shared memory object is opened for reading, for writing, or for both";
// man 3 shm_open: O_RDWR "Open the object for read-write access." The creator
// of an object with mode 0 still has its O_RDWR descriptor: it sizes, maps
// for writing and writes.
TEST(ShmErrors, CreatorsAccessDoesNotDependOnTheMode) {
  const std::string name = UniqueShmName("mode0");
  Cleanup unlink = UnlinkAtExit(name);
  FileDescriptor fd(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0));
  ASSERT_TRUE(fd.valid()) << "shm_open(mode 0): " << ErrnoName(errno);
  // ASSERT: a mapping of an object that could not be sized would SIGBUS.
  ASSERT_THAT(ftruncate(fd.get(), 4096), SyscallSucceeds())
      << "POSIX shm_open: \"the mode argument does not affect whether the shared memory object "
         "is opened for ... writing\" (ftruncate on the creator's descriptor, mode 0)";
  void* p = mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(p, MAP_FAILED) << "man 3 shm_open: O_RDWR maps for writing, whatever the mode: "
                           << ErrnoName(errno);
  Cleanup unmap([p] { munmap(p, 4096); });
  static_cast<char*>(p)[0] = 'w';
  char c = 0;
  EXPECT_THAT(pread(fd.get(), &c, 1, 0), SyscallSucceedsWithValue(1))
      << "the creator's descriptor reads, whatever the mode";
  EXPECT_EQ(c, 'w');
}

// man 3 shm_open: shm_unlink "removes a shared memory object name, and, once
// all processes have unmapped the object, deallocates and destroys the
// contents"; POSIX: the removal of the contents "shall be postponed until all
// open and map references to the shared memory object have been removed". An
// unlinked object with only an open descriptor (no mapping) keeps its data.
TEST(ShmErrors, UnlinkedObjectKeepsItsDataWhileADescriptorIsOpen) {
  const std::string name = UniqueShmName("keep");
  Cleanup unlink = UnlinkAtExit(name);
  FileDescriptor fd(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
  ASSERT_TRUE(fd.valid()) << "shm_open: " << ErrnoName(errno);
  ASSERT_THAT(ftruncate(fd.get(), 4096), SyscallSucceeds());
  ASSERT_THAT(pwrite(fd.get(), "kept", 4, 100), SyscallSucceedsWithValue(4))
      << "pwrite of the object's data";
  ASSERT_THAT(shm_unlink(name.c_str()), SyscallSucceeds());
  EXPECT_THAT(shm_open(name.c_str(), O_RDWR, 0), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: after shm_unlink the name is gone";
  void* p = mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd.get(), 0);
  ASSERT_NE(p, MAP_FAILED) << "the unlinked object still maps through its descriptor: "
                           << ErrnoName(errno);
  Cleanup unmap([p] { munmap(p, 4096); });
  EXPECT_EQ(std::string(static_cast<char*>(p) + 100, 4), "kept")
      << "POSIX shm_unlink: the contents stay until \"all open and map references\" are gone "
         "(an open descriptor remains)";
}

// POSIX shm_open: "The check for the existence of the shared memory object and
// the creation of the object if it does not exist is atomic with respect to
// other processes executing shm_open() naming the same shared memory object
// with O_EXCL and O_CREAT set." man 3 shm_open: "EEXIST Both O_CREAT and
// O_EXCL were specified to shm_open() and the shared memory object specified
// by name already exists." Eight processes race: one creates, seven EEXIST.
TEST(ShmErrors, ExclusiveCreationIsAtomicAcrossProcesses) {
  const std::string name = UniqueShmName("race");
  Cleanup unlink = UnlinkAtExit(name);
  constexpr int kRacers = 8;
  ASSERT_OK_AND_ASSIGN(auto opens, SharedObject<CallRecords<kRacers>>::Create());
  std::vector<Child> racers;
  for (int i = 0; i < kRacers; ++i) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, i] {
                           (*opens)[i] = Record(
                               "shm_open", shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
                           return 0;
                         }));
    racers.push_back(std::move(c));
  }
  for (Child& c : racers) {
    ASSERT_OK_AND_ASSIGN(WaitStatus st, c.Wait());
    ASSERT_NO_ERRNO(ReachedEnd(st, "a racing child"));
  }
  int created = 0, eexist = 0;
  for (const CallRecord& r : *opens) {
    if (r.ret >= 0) ++created;
    if (r.FailedWith(EEXIST)) ++eexist;
  }
  EXPECT_EQ(created, 1) << "POSIX shm_open: the check and the creation are \"atomic\": exactly "
                           "one of "
                        << kRacers << " O_CREAT|O_EXCL opens creates the object: "
                        << ToString(*opens);
  EXPECT_EQ(eexist, kRacers - 1) << "man 3 shm_open: the others fail EEXIST: " << ToString(*opens);
}

// man 3 shm_open: O_CREAT "Create the shared memory object if it does not
// exist." An existing object is opened as it is: O_CREAT without O_EXCL (and
// without O_TRUNC) leaves its size, its data and its mode alone (the mode
// argument only applies to a new object).
TEST(ShmErrors, CreateOfAnExistingObjectOpensItUnchanged) {
  const std::string name = UniqueShmName("existing");
  Cleanup unlink = UnlinkAtExit(name);
  FileDescriptor first(shm_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600));
  ASSERT_TRUE(first.valid()) << "shm_open: " << ErrnoName(errno);
  ASSERT_THAT(ftruncate(first.get(), 8192), SyscallSucceeds());
  ASSERT_THAT(pwrite(first.get(), "data", 4, 4000), SyscallSucceedsWithValue(4));
  FileDescriptor again(shm_open(name.c_str(), O_RDWR | O_CREAT, 0644));
  ASSERT_TRUE(again.valid()) << "man 3 shm_open: O_CREAT opens an existing object: "
                             << ErrnoName(errno);
  struct stat st;
  ASSERT_THAT(fstat(again.get(), &st), SyscallSucceeds());
  EXPECT_EQ(st.st_size, 8192) << "man 3 shm_open: O_CREAT \"Create the shared memory object if "
                                 "it does not exist\": an existing one keeps its size";
  EXPECT_EQ(st.st_mode & 0777, 0600u) << "the mode of O_CREAT applies only to a new object";
  char buf[4] = {};
  ASSERT_THAT(pread(again.get(), buf, 4, 4000), SyscallSucceedsWithValue(4));
  EXPECT_EQ(std::string(buf, 4), "data") << "man 3 shm_open: an existing object keeps its data";
}

}  // namespace
}  // namespace ipcspec
