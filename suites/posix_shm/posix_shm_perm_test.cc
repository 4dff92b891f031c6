// POSIX shared memory objects as another user: the mode bits against the
// access mode of shm_open (man 3 shm_open, man 7 shm_overview), creation
// with the umask and the caller's effective IDs, O_TRUNC, shm_unlink by
// another user, ftruncate of a read-only descriptor. Each test runs in its
// own IPC namespace with a fresh tmpfs on /dev/shm (the ipcspec main).
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/syscall_matchers.h"
#include "suites/sysv_common/as_user.h"
#include "suites/sysv_common/tables.h"

namespace ipcspec {
namespace {

struct Names {
  std::vector<std::string> names;
  ~Names() {
    for (const auto& n : names) shm_unlink(n.c_str());
  }
};

// Opens and closes again: 0 or the errno of shm_open.
int OpenErrno(const char* name, int oflag) {
  int fd = shm_open(name, oflag, 0);
  if (fd < 0) return errno;
  close(fd);
  return 0;
}

struct AccessRow {
  int oflag;
  int mode;
  int expect[4];  // owner, group, other, other+CAP_DAC_OVERRIDE
};
const std::vector<Who> kWho = {Who::kOwner, Who::kGroup, Who::kOther, Who::kOtherDacOverride};
constexpr int E = EACCES;

// man 3 shm_open: "O_RDONLY Open the object for read access." "O_RDWR Open
// the object for read-write access." ERRORS: "EACCES Permission to
// shm_open() name in the specified mode was denied". The object is a file
// of a tmpfs (man 7 shm_overview: "mounted under /dev/shm"), so the file
// permission bits decide, the owner by the owner bits alone, and
// CAP_DAC_OVERRIDE bypasses them (man 7 capabilities: "Bypass file read,
// write, and execute permission checks").
const AccessRow kAccess[] = {
    {O_RDONLY, 0400, {0, E, E, 0}}, {O_RDONLY, 0040, {E, 0, E, 0}},
    {O_RDONLY, 0004, {E, E, 0, 0}}, {O_RDONLY, 0200, {E, E, E, 0}},
    {O_RDWR, 0600, {0, E, E, 0}},   {O_RDWR, 0400, {E, E, E, 0}},
    {O_RDWR, 0060, {E, 0, E, 0}},   {O_RDWR, 0066, {E, 0, 0, 0}},
    {O_RDWR, 0000, {E, E, E, 0}},
    // "EACCES ... or O_TRUNC was specified and the caller does not have write
    // permission on the object." (O_RDONLY | O_TRUNC: Linux truncates when
    // write permission is there.)
    {O_RDONLY | O_TRUNC, 0444, {E, E, E, 0}}, {O_RDONLY | O_TRUNC, 0640, {0, E, E, 0}},
};

TEST(PosixShmPerm, OpenByModeBitsAndCapDacOverride) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  const size_t n = sizeof kAccess / sizeof kAccess[0];
  Names names;
  for (size_t r = 0; r < n; ++r) {
    names.names.push_back("/ipcspec-perm-" + std::to_string(r));
    int fd = shm_open(names.names[r].c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
    ASSERT_THAT(fd, SyscallSucceeds());
    ASSERT_THAT(fchown(fd, u.owner, u.group), SyscallSucceeds());
    ASSERT_THAT(fchmod(fd, kAccess[r].mode), SyscallSucceeds());
    close(fd);
  }
  ASSERT_OK_AND_ASSIGN(auto got, RunAsEach(u, kWho, n, [&](size_t r, Who) {
                         return OpenErrno(names.names[r].c_str(), kAccess[r].oflag);
                       }));
  for (size_t r = 0; r < n; ++r) {
    for (size_t w = 0; w < kWho.size(); ++w) {
      EXPECT_EQ(Cell(got[w][r]), Cell(kAccess[r].expect[w]))
          << "shm_open(" << ((kAccess[r].oflag & O_ACCMODE) == O_RDWR ? "O_RDWR" : "O_RDONLY")
          << ((kAccess[r].oflag & O_TRUNC) ? " | O_TRUNC" : "")
          << ") of an object of mode 0" << std::oct << kAccess[r].mode << std::dec << " as "
          << WhoName(kWho[w]) << "; man 3 shm_open: \"EACCES Permission to shm_open() name in the "
          << "specified mode was denied\"";
    }
  }
}

// man 3 shm_open: "A new shared memory object initially has zero length";
// "The shared memory object's user ID is set to the effective user ID of the
// calling process. The group ID is set to the effective group ID of the
// calling process." "the low-order 9 bits of mode ... set the permissions of
// the object ... with the exception that those bits set in the process file
// mode creation mask (see umask(2)) are cleared for the new object."
// "O_TRUNC If the shared memory object already exists, truncate it to zero
// bytes." (its mode and owner stay: the object is not re-created.) man 2
// ftruncate: "EBADF or EINVAL fd is not open for writing." man 3 shm_open,
// shm_unlink ERRORS: "EACCES Permission to shm_unlink() the shared memory
// object was denied." (Linux: the sticky /dev/shm lets only the owner
// unlink; glibc reports the kernel's EPERM as EACCES.) "ENOENT An attempt
// was made to shm_unlink() a name that does not exist."
TEST(PosixShmPerm, CreationUmaskOwnerTruncateAndUnlink) {
  IPCSPEC_NEEDS_SYSV_USERS();
  const SysvUsers u = PickSysvUsers();
  Names names{{"/ipcspec-made-by-other"}};
  const char* name = names.names[0].c_str();
  // The other user makes it (umask 027, mode 0666) and writes 3 pages.
  ASSERT_OK_AND_ASSIGN(auto made, RunAsEach(u, {Who::kOther}, 1, [&](size_t, Who) {
                         umask(027);
                         int fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0666);
                         if (fd < 0) return errno;
                         int e = ftruncate(fd, 3 * 4096) == 0 ? 0 : errno;
                         close(fd);
                         return e;
                       }));
  ASSERT_EQ(Cell(made[0][0]), Cell(0)) << "shm_open(O_CREAT) as another user";
  int fd = shm_open(name, O_RDONLY, 0);
  ASSERT_THAT(fd, SyscallSucceeds());
  struct stat st;
  ASSERT_THAT(fstat(fd, &st), SyscallSucceeds());
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "man 3 shm_open: mode 0666 \"with the exception that "
                                         "those bits set in the process file mode creation mask "
                                         "... are cleared\" (umask 027)";
  EXPECT_EQ(st.st_uid, u.other) << "man 3 shm_open: user ID \"set to the effective user ID\"";
  EXPECT_EQ(st.st_gid, u.other_group) << "man 3 shm_open: group ID \"set to the effective group ID\"";
  EXPECT_EQ(st.st_size, 3 * 4096);
  EXPECT_THAT(ftruncate(fd, 4096), SyscallFailsWithErrno(EINVAL))
      << "man 2 ftruncate: \"EBADF or EINVAL fd is not open for writing\" (Linux: EINVAL)";
  close(fd);
  // O_TRUNC by the owner: size 0, mode and owner kept.
  ASSERT_OK_AND_ASSIGN(auto trunc, RunAsEachInOrder(u, {Who::kOther, Who::kOwner}, 1, [&](size_t, Who who) {
                         if (who == Who::kOwner) return Errno(shm_unlink(name));  // not the owner
                         int t = shm_open(name, O_RDWR | O_TRUNC, 0);
                         if (t < 0) return errno;
                         close(t);
                         return 0;
                       }));
  EXPECT_EQ(Cell(trunc[0][0]), Cell(0)) << "O_TRUNC by the object's owner";
  EXPECT_EQ(Cell(trunc[1][0]), Cell(EACCES))
      << "man 3 shm_open: \"EACCES Permission to shm_unlink() the shared memory object was "
         "denied.\" (a user who is not the owner, sticky /dev/shm)";
  fd = shm_open(name, O_RDONLY, 0);
  ASSERT_THAT(fd, SyscallSucceeds());
  ASSERT_THAT(fstat(fd, &st), SyscallSucceeds());
  close(fd);
  EXPECT_EQ(st.st_size, 0) << "man 3 shm_open: \"O_TRUNC If the shared memory object already "
                              "exists, truncate it to zero bytes.\"";
  EXPECT_EQ(st.st_mode & 0777, 0640u) << "O_TRUNC keeps the mode";
  EXPECT_EQ(st.st_uid, u.other) << "O_TRUNC keeps the owner";
  ASSERT_THAT(shm_unlink(name), SyscallSucceeds());
  names.names.clear();
  EXPECT_THAT(shm_unlink(name), SyscallFailsWithErrno(ENOENT))
      << "man 3 shm_open: \"ENOENT An attempt was made to shm_unlink() a name that does not "
         "exist.\"";
}

}  // namespace
}  // namespace ipcspec
