// Pipe capacity and F_SETPIPE_SZ / F_GETPIPE_SZ (man 7 pipe, "Pipe
// capacity"; man 2 fcntl, "Changing the capacity of a pipe").
#include <fcntl.h>
#include <linux/capability.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/property.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "rapidcheck.h"
#include "suites/pipe/pipe_test_util.h"

namespace ipcspec {
namespace {


constexpr const char* kMaxSizeFile = kPipeMaxSizeFile;

// man 7 pipe, "Pipe capacity": "Since Linux 2.6.35, the default pipe
// capacity is 16 pages, but the capacity can be queried and set using the
// fcntl(2) F_GETPIPE_SZ and F_SETPIPE_SZ operations." (65,536 bytes with 4096
// byte pages.) Checked twice: what F_GETPIPE_SZ says, and that exactly that
// many bytes fit before a non-blocking 1-byte write fails EAGAIN (man 7 pipe,
// "O_NONBLOCK enabled, n <= PIPE_BUF": "otherwise write(2) fails, with errno
// set to EAGAIN").
TEST(PipeCapacity, DefaultIsSixteenPagesAndExactlyThatMuchFits) {
  const char* cite =
      "man 7 pipe, \"Pipe capacity\": \"Since Linux 2.6.35, the default pipe capacity is 16 "
      "pages\"";
  const size_t cap = DocumentedDefaultCapacity();
  IPCSPEC_NEEDS(DefaultCapacityNeeds());
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  EXPECT_THAT(fcntl(p.write_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(cap)) << cite;
  EXPECT_THAT(fcntl(p.read_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(cap)) << cite;
  if (PageSize() == 4096) {
    EXPECT_EQ(cap, 65536u) << cite << " (i.e., 65,536 bytes in a system with a page size of 4096)";
  }
  // Writes of 512 bytes (a divisor of the page size, so that every page is
  // used in full: man 2 fcntl warns that "the number of bytes that can be
  // written may be less than the nominal size, depending on the size of the
  // writes").
  ASSERT_OK_AND_ASSIGN(size_t filled, FillNonBlocking(p.write_end.get(), 512, 4 * cap));
  EXPECT_EQ(filled, cap) << cite << ": exactly the capacity must fit";
  char one = 'x';
  EXPECT_THAT(write(p.write_end.get(), &one, 1), SyscallFailsWithErrno(EAGAIN))
      << cite << "; man 7 pipe, \"O_NONBLOCK enabled, n <= PIPE_BUF\": \"otherwise write(2) "
      << "fails, with errno set to EAGAIN\"";
  EXPECT_THAT(Fionread(p.read_end.get()), SyscallSucceedsWithValue(cap))
      << "man 7 pipe: FIONREAD places \"a count of the number of unread bytes in the pipe\"";
}

// man 2 fcntl, "Changing the capacity of a pipe": "(In the current
// implementation, the allocation is the next higher power-of-two page-size
// multiple of the requested size.)  The actual capacity (in bytes) that is
// set is returned as the function result." and "Attempts to set the pipe
// capacity below the page size are silently rounded up to the page size."
TEST(PipeSetSize, RoundsUpToAPowerOfTwoNumberOfPages) {
  const char* cite =
      "man 2 fcntl, \"Changing the capacity of a pipe\": \"the allocation is the next higher "
      "power-of-two page-size multiple of the requested size.)  The actual capacity (in bytes) "
      "that is set is returned as the function result.\"";
  const size_t page = PageSize();
  // The cases ask for up to 8 pages, which an unprivileged process may only
  // ask for up to pipe-max-size.
  IPCSPEC_NEEDS(Need::SysctlAtLeast(kMaxSizeFile, 8 * page));
  struct Case {
    size_t ask;
    size_t want;
  };
  const std::vector<Case> cases = {
      {1, page},                // below a page: "silently rounded up to the page size"
      {page - 1, page},
      {page, page},
      {page + 1, 2 * page},     // page+1 -> 2 pages
      {2 * page, 2 * page},
      {3 * page, 4 * page},     // 3 pages -> 4 pages
      {4 * page + 1, 8 * page},
      {5 * page, 8 * page},
      {16 * page, 16 * page},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE("F_SETPIPE_SZ(" + std::to_string(c.ask) + ")");
    ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
    EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(c.ask)),
                SyscallSucceedsWithValue(c.want))
        << cite;
    // Both ends name the same pipe.
    EXPECT_THAT(fcntl(p.write_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(c.want))
        << "man 2 fcntl, F_GETPIPE_SZ: \"Return (as the function result) the capacity of the "
           "pipe referred to by fd.\"";
    EXPECT_THAT(fcntl(p.read_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(c.want))
        << "man 2 fcntl, F_GETPIPE_SZ: \"Return (as the function result) the capacity of the "
           "pipe referred to by fd.\"";
  }
}

// The same rule for random requests, and the capacity is real: exactly that
// many bytes fit (written a page at a time, so every page is used in full).
// man 2 fcntl, "Changing the capacity of a pipe" (as above) and man 7 pipe,
// "Pipe capacity": "If the pipe is full, then a write(2) will block or fail,
// depending on whether the O_NONBLOCK flag is set".
TEST(PipeSetSize, RandomRequestsRoundUpAndTheCapacityIsReal) {
  const size_t page = PageSize();
  ASSERT_OK_AND_ASSIGN(long max_size, ReadProcLong(kMaxSizeFile));
  const size_t top = std::min<size_t>(static_cast<size_t>(max_size), 64 * page);
  CheckProperty(
      "man 2 fcntl: F_SETPIPE_SZ sets \"the next higher power-of-two page-size multiple of the "
      "requested size\" and returns it; man 7 pipe: a full pipe fails a non-blocking write",
      [&] {
        const size_t ask = *rc::gen::inRange<size_t>(1, top + 1);
        const size_t want = DocumentedRoundedPipeSize(ask);
        RC_PRE(want <= top);
        auto p = MakePipe(O_NONBLOCK);
        IPCSPEC_RC_CHECK(p.ok(), p.error());
        int set = fcntl(p.value().write_end.get(), F_SETPIPE_SZ, static_cast<int>(ask));
        IPCSPEC_RC_CHECK(set == static_cast<int>(want),
                          "man 2 fcntl: \"The actual capacity (in bytes) that is set is returned "
                          "as the function result\" and is \"the next higher power-of-two "
                          "page-size multiple of the requested size\": asked "
                          << ask << ", want " << want << ", got " << set
                          << (set < 0 ? " " + ErrnoName(errno) : ""));
        int got = fcntl(p.value().read_end.get(), F_GETPIPE_SZ);
        IPCSPEC_RC_CHECK(got == static_cast<int>(want),
                          "man 2 fcntl, F_GETPIPE_SZ: \"Return ... the capacity of the pipe\": "
                          "want " << want << ", got " << got);
        auto filled = FillNonBlocking(p.value().write_end.get(), page, 4 * want);
        IPCSPEC_RC_CHECK(filled.ok(), filled.error());
        IPCSPEC_RC_CHECK(filled.value() == want,
                          "man 7 pipe, \"Pipe capacity\": a pipe of capacity "
                          << want << " took " << filled.value()
                          << " bytes in page-sized non-blocking writes before EAGAIN");
      });
}

// man 2 fcntl, "Changing the capacity of a pipe": "Attempts by an
// unprivileged process to set the pipe capacity above the limit in
// /proc/sys/fs/pipe-max-size yield the error EPERM". An unprivileged process
// "can adjust the pipe capacity to any value between the system page size and
// the limit", so the limit itself is allowed. Run in a child that first drops
// CAP_SYS_RESOURCE.
TEST(PipeSetSize, AboveMaxSizeWithoutCapSysResourceIsEperm) {
  const char* cite =
      "man 2 fcntl, \"Changing the capacity of a pipe\": \"Attempts by an unprivileged process "
      "to set the pipe capacity above the limit in /proc/sys/fs/pipe-max-size yield the error "
      "EPERM\"";
  // A request above the limit must fit F_SETPIPE_SZ's int argument.
  IPCSPEC_NEEDS(Need::SysctlBelow(kMaxSizeFile, 1ULL << 30));
  ASSERT_OK_AND_ASSIGN(long max_size, ReadProcLong(kMaxSizeFile));
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(auto above, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(auto at_limit, SharedObject<CallRecord>::Create());
  ASSERT_OK_AND_ASSIGN(auto drop, SharedObject<int>::Create(-1));
  const int fd = p.write_end.get();
  const int ask_above = static_cast<int>(max_size) + 1;
  const int ask_limit = static_cast<int>(max_size);
  ASSERT_OK_AND_ASSIGN(WaitStatus st, ForkAndWait([&] {
    *drop = DropCapability(CAP_SYS_RESOURCE);
    if (*drop != 0) return 0;  // reported as *drop
    *above = Record("fcntl(F_SETPIPE_SZ)", fcntl(fd, F_SETPIPE_SZ, ask_above));
    above->extra = fcntl(fd, F_GETPIPE_SZ);
    *at_limit = Record("fcntl(F_SETPIPE_SZ)", fcntl(fd, F_SETPIPE_SZ, ask_limit));
    at_limit->extra = fcntl(fd, F_GETPIPE_SZ);
    return 0;
  }));
  ASSERT_TRUE(st.ExitedWith(0)) << st;
  ASSERT_EQ(*drop, 0) << "dropping CAP_SYS_RESOURCE: "
                      << (*drop > 0 ? ErrnoName(*drop) : std::to_string(*drop));
  EXPECT_TRUE(above->ret == -1 && above->err == EPERM)
      << cite << ": F_SETPIPE_SZ(" << ask_above << ") without CAP_SYS_RESOURCE "
      << above->ToString() << " (pipe-max-size " << max_size << ")";
  EXPECT_EQ(above->extra, static_cast<long>(DocumentedDefaultCapacity()))
      << cite << ": the failed call must leave the capacity unchanged";
  EXPECT_EQ(at_limit->ret, static_cast<long>(DocumentedRoundedPipeSize(ask_limit)))
      << "man 2 fcntl: \"An unprivileged process can adjust the pipe capacity to any value "
         "between the system page size and the limit defined in /proc/sys/fs/pipe-max-size\": "
      << "F_SETPIPE_SZ(" << ask_limit << ") " << at_limit->ToString();
}

// man 2 fcntl, "Changing the capacity of a pipe": "a privileged process
// (CAP_SYS_RESOURCE) can override the limit."
TEST(PipeSetSize, AboveMaxSizeWithCapSysResourceIsAllowed) {
  const char* cite =
      "man 2 fcntl, \"Changing the capacity of a pipe\": \"a privileged process "
      "(CAP_SYS_RESOURCE) can override the limit.\"";
  // The kernel checks CAP_SYS_RESOURCE for the pipe-max-size limit in the
  // initial user namespace; a pipe above a limit of 64 MiB or more would be
  // too large for a fast test.
  IPCSPEC_NEEDS(Need::CapabilityInInitialUserNs(CAP_SYS_RESOURCE),
                Need::SysctlBelow(kMaxSizeFile, 1ULL << 26));
  ASSERT_OK_AND_ASSIGN(long max_size, ReadProcLong(kMaxSizeFile));
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  const int ask = static_cast<int>(max_size) + 1;
  const size_t want = DocumentedRoundedPipeSize(ask);
  EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, ask), SyscallSucceedsWithValue(want))
      << cite << " (pipe-max-size " << max_size << ")";
  EXPECT_THAT(fcntl(p.read_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(want)) << cite;
}

// man 2 fcntl, "Changing the capacity of a pipe": "Attempting to set the pipe
// capacity smaller than the amount of buffer space currently used to store
// data produces the error EBUSY."
TEST(PipeSetSize, ShrinkingBelowTheDataHeldIsEbusy) {
  const char* cite =
      "man 2 fcntl, \"Changing the capacity of a pipe\": \"Attempting to set the pipe capacity "
      "smaller than the amount of buffer space currently used to store data produces the error "
      "EBUSY.\"";
  const size_t page = PageSize();
  const size_t cap = DocumentedDefaultCapacity();
  ASSERT_OK_AND_ASSIGN(auto p, MakePipe(O_NONBLOCK));
  // Two pages and one byte: three pages of buffer space in use.
  const std::vector<uint8_t> data = Pattern(7, 2 * page + 1);
  ASSERT_THAT(write(p.write_end.get(), data.data(), data.size()),
              SyscallSucceedsWithValue(data.size()));
  EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(2 * page)),
              SyscallFailsWithErrno(EBUSY))
      << cite << ": " << data.size() << " bytes held, asked for " << 2 * page;
  EXPECT_THAT(fcntl(p.read_end.get(), F_SETPIPE_SZ, static_cast<int>(page)),
              SyscallFailsWithErrno(EBUSY))
      << cite << ": " << data.size() << " bytes held, asked for " << page;
  EXPECT_THAT(fcntl(p.write_end.get(), F_GETPIPE_SZ), SyscallSucceedsWithValue(cap))
      << cite << ": the capacity must be unchanged after EBUSY";
  // Shrinking to a size that still holds the data is allowed.
  EXPECT_THAT(fcntl(p.write_end.get(), F_SETPIPE_SZ, static_cast<int>(4 * page)),
              SyscallSucceedsWithValue(4 * page))
      << "man 2 fcntl: F_SETPIPE_SZ \"Change the capacity of the pipe referred to by fd to be "
         "at least arg bytes\" (4 pages hold the 2 pages + 1 byte)";
  // The data survived both the refused and the accepted resize.
  std::vector<uint8_t> back(data.size() + 1);
  ASSERT_THAT(read(p.read_end.get(), back.data(), back.size()),
              SyscallSucceedsWithValue(data.size()));
  back.resize(data.size());
  EXPECT_EQ(back, data) << cite << ": resizing must not lose or change the data held";
}

}  // namespace
}  // namespace ipcspec
