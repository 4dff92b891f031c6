// POSIX message queues: the error table of every call (man 3 mq_open,
// mq_send, mq_receive, mq_getattr, mq_notify, mq_close, mq_unlink, man 7
// mq_overview), one documented error per check. Each test runs in its own
// IPC namespace with a private mqueue mount (the ipcspec main); every name a
// test makes has an owner that unlinks it.
#include <fcntl.h>
#include <linux/capability.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <climits>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/child_report.h"
#include "impl/core/cleanup.h"
#include "impl/core/deadline.h"
#include "impl/core/needs.h"
#include "impl/core/privilege.h"
#include "impl/core/process.h"
#include "impl/core/shared_memory.h"
#include "impl/core/syscall_matchers.h"
#include "impl/posix_mq/posix_mq.h"

namespace ipcspec {
namespace {

constexpr char kQueuesMax[] = "/proc/sys/fs/mqueue/queues_max";
constexpr char kMsgDefault[] = "/proc/sys/fs/mqueue/msg_default";
constexpr char kMsgsizeDefault[] = "/proc/sys/fs/mqueue/msgsize_default";

// A new queue, owned twice: the name (mq_unlink) and the descriptor (close).
struct Queue {
  PosixMqName name;
  MqDescriptor mqd;
  int fd() const { return mqd.get(); }
};

PosixErrorOr<Queue> MakeQueue(long maxmsg, long msgsize, int extra_flags = 0) {
  Queue q;
  std::string name = UniqueMqName("mq_errors");
  IPCSPEC_ASSIGN_OR_RETURN(
      q.mqd, OpenMq(name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | extra_flags, maxmsg, msgsize));
  q.name = PosixMqName(name);
  return q;
}

// mq_open with O_CREAT (and attr), closing and unlinking whatever it made:
// 0 or -1 with errno.
int TryCreate(const std::string& name, int oflag, mode_t mode, const struct mq_attr* attr) {
  mqd_t q = mq_open(name.c_str(), oflag | O_CREAT, mode, attr);
  if (q == static_cast<mqd_t>(-1)) return -1;
  int saved = errno;
  close(q);
  mq_unlink(name.c_str());
  errno = saved;
  return 0;
}

// The number the next open(2) returns: the lowest free descriptor.
int LowestFreeFd() {
  int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return fd;
}

// One inaccessible page (PROT_NONE), unmapped at scope exit: an address the
// kernel cannot copy from or to.
struct BadPage {
  BadPage() {
    p = mmap(nullptr, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~BadPage() {
    if (p != MAP_FAILED) munmap(p, 4096);
  }
  void* p;
};

// --- EBADF ------------------------------------------------------------------

// man 3 mq_send: "EBADF The descriptor specified in mqdes was invalid or not
// opened for writing."; man 3 mq_receive: "EBADF The descriptor specified in
// mqdes was invalid or not opened for reading."; man 3 mq_getattr and
// mq_notify: "EBADF The message queue descriptor specified in mqdes is
// invalid."; man 3 mq_close: "EBADF The message queue descriptor specified in
// mqdes is invalid." Invalid here: -1, INT_MAX, and a descriptor that was
// closed (mq_close twice; a notification request on a closed descriptor).
TEST(PosixMqErrors, InvalidDescriptorIsEbadfForEveryCall) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  int closed = -1;
  {
    ASSERT_OK_AND_ASSIGN(MqDescriptor second, OpenMq(q.name.get(), O_RDWR | O_CLOEXEC));
    closed = second.get();
    ASSERT_THAT(mq_close(second.release()), SyscallSucceeds());
  }
  for (int bad : {-1, INT_MAX, closed}) {
    std::string what = " (mqdes " + std::to_string(bad) + ")";
    char buf[16];
    struct timespec ts = {0, 0};
    struct mq_attr attr = {};
    struct sigevent ev = {};
    ev.sigev_notify = SIGEV_NONE;
    EXPECT_THAT(mq_send(bad, "x", 1, 0), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_send: \"EBADF The descriptor specified in mqdes was invalid\"" << what;
    EXPECT_THAT(mq_timedsend(bad, "x", 1, 0, &ts), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_send: \"EBADF The descriptor specified in mqdes was invalid\" "
           "(mq_timedsend)"
        << what;
    EXPECT_THAT(mq_receive(bad, buf, sizeof buf, nullptr), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_receive: \"EBADF The descriptor specified in mqdes was invalid\"" << what;
    EXPECT_THAT(mq_timedreceive(bad, buf, sizeof buf, nullptr, &ts), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_receive: \"EBADF The descriptor specified in mqdes was invalid\" "
           "(mq_timedreceive)"
        << what;
    EXPECT_THAT(mq_getattr(bad, &attr), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_getattr: \"EBADF The message queue descriptor specified in mqdes is "
           "invalid.\""
        << what;
    EXPECT_THAT(mq_setattr(bad, &attr, nullptr), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_getattr: \"EBADF The message queue descriptor specified in mqdes is "
           "invalid.\" (mq_setattr)"
        << what;
    EXPECT_THAT(mq_notify(bad, &ev), SyscallFailsWithErrno(EBADF))
        << "man 3 mq_notify: \"EBADF The message queue descriptor specified in mqdes is "
           "invalid.\""
        << what;
  }
  EXPECT_THAT(mq_close(closed), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_close: \"EBADF The message queue descriptor specified in mqdes is invalid.\" "
         "(closed twice)";
}

// On Linux a message queue descriptor is a file descriptor (man 7
// mq_overview, "Linux implementation of message queue descriptors"), but a
// file descriptor of another kind is not a message queue descriptor: the
// calls refuse it with EBADF ("mqdes was invalid"), as the man pages' EBADF
// entries say for an invalid descriptor. (Linux: the kernel checks that the
// file is a queue of the mqueue file system.)
TEST(PosixMqErrors, DescriptorOfAnotherFileIsEbadf) {
  int p[2];
  ASSERT_THAT(pipe2(p, O_CLOEXEC), SyscallSucceeds());
  FileDescriptor r(p[0]), w(p[1]);
  char buf[16];
  struct mq_attr attr = {};
  struct sigevent ev = {};
  ev.sigev_notify = SIGEV_NONE;
  EXPECT_THAT(mq_send(w.get(), "x", 1, 0), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_send: \"EBADF The descriptor specified in mqdes was invalid\" (a pipe)";
  EXPECT_THAT(mq_receive(r.get(), buf, sizeof buf, nullptr), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_receive: \"EBADF The descriptor specified in mqdes was invalid\" (a pipe)";
  EXPECT_THAT(mq_getattr(r.get(), &attr), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_getattr: \"EBADF The message queue descriptor specified in mqdes is "
         "invalid.\" (a pipe)";
  EXPECT_THAT(mq_notify(r.get(), &ev), SyscallFailsWithErrno(EBADF))
      << "man 3 mq_notify: \"EBADF The message queue descriptor specified in mqdes is "
         "invalid.\" (a pipe)";
}

// --- mq_open ----------------------------------------------------------------

// man 3 mq_open: "ENOENT The O_CREAT flag was not specified in oflag, and no
// queue with this name exists."; "EEXIST Both O_CREAT and O_EXCL were
// specified in oflag, but a queue with this name already exists."; O_CREAT
// "Create the message queue if it does not exist." (an existing queue is
// opened as it is: its attributes and messages stay; mq_open neither adds nor
// removes a message).
TEST(PosixMqErrors, MissingAndExistingNames) {
  PosixMqName name(UniqueMqName("names"));
  EXPECT_THAT(mq_open(name.c_str(), O_RDWR), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_open: \"ENOENT The O_CREAT flag was not specified in oflag, and no queue "
         "with this name exists.\"";
  struct mq_attr attr = {0, 4, 16, 0};
  FileDescriptor first(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600, &attr));
  ASSERT_TRUE(first.valid()) << "mq_open(O_CREAT|O_EXCL): " << ErrnoName(errno);
  ASSERT_THAT(mq_send(first.get(), "kept", 4, 1), SyscallSucceeds());
  // Flags without O_CLOEXEC: this call is the one a mutant may single out.
  EXPECT_THAT(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &attr),
              SyscallFailsWithErrno(EEXIST))
      << "man 3 mq_open: \"EEXIST Both O_CREAT and O_EXCL were specified in oflag, but a queue "
         "with this name already exists.\"";
  struct mq_attr other = {0, 8, 32, 0};
  FileDescriptor again(mq_open(name.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600, &other));
  ASSERT_TRUE(again.valid()) << "man 3 mq_open: O_CREAT on an existing queue opens it: "
                             << ErrnoName(errno);
  ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(again.get()));
  EXPECT_EQ(a.mq_maxmsg, 4) << "man 3 mq_open: O_CREAT \"Create the message queue if it does "
                               "not exist\": an existing queue keeps its mq_maxmsg";
  EXPECT_EQ(a.mq_msgsize, 16) << "man 3 mq_open: an existing queue keeps its mq_msgsize";
  EXPECT_EQ(a.mq_curmsgs, 1) << "opening an existing queue neither adds nor removes a message";
}

// man 7 mq_overview: a name is "an initial slash, followed by one or more
// characters, none of which are slashes"; man 3 mq_open: "EINVAL name doesn't
// follow the format in mq_overview(7)." (glibc: no leading slash, so "", "."
// and ".." too). Linux: "/." and "/.." are not queue names the kernel can
// make: EACCES (the kernel refuses the names "." and ".." in its lookup; the
// man page names EACCES only for a second slash).
TEST(PosixMqErrors, NamesThatAreNotQueueNames) {
  struct mq_attr attr = {0, 2, 8, 0};
  for (const char* n : {"", ".", "..", "q"}) {
    EXPECT_THAT(TryCreate(n, O_RDWR | O_EXCL, 0600, &attr), SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_open: \"EINVAL name doesn't follow the format in mq_overview(7).\" (\"" << n
        << "\": no leading slash)";
  }
  for (const char* n : {"/.", "/.."}) {
    EXPECT_THAT(TryCreate(n, O_RDWR | O_EXCL, 0600, &attr), SyscallFailsWithErrno(EACCES))
        << "Linux: mq_open(\"" << n << "\") is EACCES (the kernel's lookup refuses \".\" and "
           "\"..\"; man 7 mq_overview's format excludes no such name)";
  }
}

// man 3 mq_open: "EINVAL O_CREAT was specified in oflag, and attr was not
// NULL, but attr->mq_maxmsg or attr->mq_msqsize was invalid. Both of these
// fields must be greater than zero." (Zero and negative, privileged or not.)
TEST(PosixMqErrors, NonPositiveAttributesAreEinval) {
  const std::vector<std::pair<long, long>> bad = {{0, 16}, {-1, 16}, {4, 0}, {4, -1}, {0, 0}};
  for (const auto& [maxmsg, msgsize] : bad) {
    PosixMqName name(UniqueMqName("attr"));
    struct mq_attr attr = {0, maxmsg, msgsize, 0};
    EXPECT_THAT(TryCreate(name.get(), O_RDWR | O_EXCL, 0600, &attr),
                SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_open: \"Both of these fields must be greater than zero.\" (EINVAL; "
           "mq_maxmsg "
        << maxmsg << ", mq_msgsize " << msgsize << ")";
  }
}

// man 3 mq_open: mode "specifies the permissions to be placed on the new
// queue, as for open(2)"; "The permissions settings are masked against the
// process umask." Bits of mode other than permissions (a file type) do not
// make the queue anything but a queue: the open succeeds, and the queue's
// file is a regular file with the permissions.
TEST(PosixMqErrors, FileTypeBitsInModeAreIgnored) {
  PosixMqName name(UniqueMqName("mode"));
  mode_t old = umask(022);
  Cleanup restore([old] { umask(old); });
  struct mq_attr attr = {0, 2, 8, 0};
  FileDescriptor q(mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666 | S_IFIFO,
                           &attr));
  ASSERT_TRUE(q.valid()) << "man 3 mq_open: mode with S_IFIFO still creates the queue: "
                         << ErrnoName(errno);
  struct stat st;
  ASSERT_THAT(fstat(q.get(), &st), SyscallSucceeds());
  EXPECT_TRUE(S_ISREG(st.st_mode)) << "the queue is a regular file of the mqueue file system, "
                                      "whatever type bits mode had: st_mode "
                                   << std::oct << st.st_mode;
  EXPECT_EQ(st.st_mode & 07777, 0644u)
      << "man 3 mq_open: \"The permissions settings are masked against the process umask.\" "
         "(0666 & ~022)";
}

// man 3 mq_open: "EMFILE The per-process limit on the number of open file and
// message queue descriptors has been reached (see the description of
// RLIMIT_NOFILE in getrlimit(2))."
TEST(PosixMqErrors, OpenAtTheDescriptorLimitIsEmfile) {
  PosixMqName name(UniqueMqName("emfile"));  // the parent unlinks what the child made
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<2>([&](CallRecords<2>& r) {
    const int lowest = LowestFreeFd();
    struct rlimit rl = {static_cast<rlim_t>(lowest), static_cast<rlim_t>(lowest)};
    r[0] = Record("setrlimit(RLIMIT_NOFILE)", lowest < 0 ? -1 : setrlimit(RLIMIT_NOFILE, &rl));
    if (r[0].failed()) return;
    struct mq_attr a = {0, 2, 8, 0};
    r[1] = Record("mq_open", mq_open(name.c_str(), O_RDWR | O_CREAT, 0600, &a));
  }));
  EXPECT_TRUE(calls[1].FailedWith(EMFILE))
      << "man 3 mq_open: \"EMFILE The per-process limit on the number of open file and message "
         "queue descriptors has been reached\" (RLIMIT_NOFILE = the lowest free descriptor): "
      << ToString(calls);
}

// man 3 mq_open: "ENOSPC Insufficient space for the creation of a new message
// queue. This probably occurred because the queues_max limit was
// encountered"; man 7 mq_overview: queues_max is "the system-wide limit on the
// number of message queues that can be created", and "privileged processes
// (CAP_SYS_RESOURCE) can exceed the limit". Set in this test's own IPC
// namespace; the creating child drops CAP_SYS_RESOURCE.
TEST(PosixMqErrors, CreateBeyondQueuesMaxIsEnospc) {
  IPCSPEC_NEEDS(Need::PrivateIpcNamespace(), Need::WritableSysctl(kQueuesMax));
  ASSERT_NO_ERRNO(WriteProcLong(kQueuesMax, 1));
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 8));  // the namespace's one queue
  PosixMqName second(UniqueMqName("second"));
  ASSERT_OK_AND_ASSIGN(auto calls, CallsInChild<2>([&](CallRecords<2>& r) {
    // DropCapability returns the errno of its capset(2).
    r[0] = Record("capset(drop CAP_SYS_RESOURCE)",
                  (errno = DropCapability(CAP_SYS_RESOURCE)) == 0 ? 0 : -1);
    if (r[0].failed()) return;
    struct mq_attr a = {0, 2, 8, 0};
    r[1] = Record("mq_open", mq_open(second.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a));
  }));
  EXPECT_TRUE(calls[1].FailedWith(ENOSPC))
      << "man 3 mq_open: \"ENOSPC Insufficient space for the creation of a new message queue. "
         "This probably occurred because the queues_max limit was encountered\" (queues_max 1, "
         "one queue; child without CAP_SYS_RESOURCE): "
      << ToString(calls);
}

// Opens `n` (O_CREAT | O_EXCL, attr `a` or NULL) in a child whose
// RLIMIT_MSGQUEUE is `limit`: records [0] setrlimit, [1] mq_open.
PosixErrorOr<CallRecords<2>> OpenUnderMsgqueueLimit(rlim_t limit, const PosixMqName& n,
                                                    const struct mq_attr* a) {
  return CallsInChild<2>([limit, &n, a](CallRecords<2>& r) {
    struct rlimit rl = {limit, limit};
    r[0] = Record("setrlimit(RLIMIT_MSGQUEUE)", setrlimit(RLIMIT_MSGQUEUE, &rl));
    if (r[0].failed()) return;
    r[1] = Record("mq_open", mq_open(n.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, a));
  });
}

// man 2 getrlimit: "RLIMIT_MSGQUEUE ... This is a limit on the number of
// bytes that can be allocated for POSIX message queues for the real user ID
// of the calling process. This limit is enforced for mq_open(3). Each message
// queue that the user creates counts (until it is removed) against this
// limit" (at least mq_maxmsg * mq_msgsize bytes). Linux refuses the queue
// with EMFILE (man 3 mq_open names EMFILE only for the descriptor limit), and
// CAP_SYS_RESOURCE does not lift it. A queue of 65536 x 65536 bytes is
// refused whatever the privilege: EINVAL above msg_max without
// CAP_SYS_RESOURCE (man 3 mq_open), EMFILE under the limit with it.
TEST(PosixMqErrors, CreateBeyondRlimitMsgqueueIsEmfile) {
  // The parent unlinks what the children made.
  PosixMqName name(UniqueMqName("rlimit"));
  PosixMqName huge(UniqueMqName("rlimit_huge"));
  struct mq_attr small = {0, 8, 1024, 0};  // 8 KiB of messages
  ASSERT_OK_AND_ASSIGN(auto calls, OpenUnderMsgqueueLimit(4096, name, &small));
  EXPECT_TRUE(calls[1].FailedWith(EMFILE))
      << "man 2 getrlimit: RLIMIT_MSGQUEUE \"is enforced for mq_open(3)\": a queue of 8 x 1024 "
         "bytes under a 4096-byte limit is refused (Linux: EMFILE): "
      << ToString(calls);
  struct mq_attr big = {0, 65536, 65536, 0};
  ASSERT_OK_AND_ASSIGN(auto huge_calls, OpenUnderMsgqueueLimit(4096, huge, &big));
  EXPECT_TRUE(huge_calls[1].FailedWith(EMFILE) || huge_calls[1].FailedWith(EINVAL))
      << "a queue of 65536 x 65536 bytes is refused: EINVAL above msg_max without "
         "CAP_SYS_RESOURCE (man 3 mq_open), EMFILE under RLIMIT_MSGQUEUE with it: "
      << ToString(huge_calls);
}

// man 2 getrlimit: RLIMIT_MSGQUEUE: "Each message queue that the user creates
// counts (until it is removed) against this limit"; a queue made with the
// default attributes (attr NULL: msg_default x msgsize_default, man 7
// mq_overview) counts the same way: under a limit of half its size it is
// refused (Linux: EMFILE).
TEST(PosixMqErrors, DefaultSizedQueueCountsAgainstRlimitMsgqueue) {
  IPCSPEC_NEEDS(Need::SysctlAtLeast(kMsgDefault, 1), Need::SysctlAtLeast(kMsgsizeDefault, 1));
  ASSERT_OK_AND_ASSIGN(long msg_default, ReadProcLong(kMsgDefault));
  ASSERT_OK_AND_ASSIGN(long msgsize_default, ReadProcLong(kMsgsizeDefault));
  PosixMqName name(UniqueMqName("rlimit_defaults"));
  rlim_t half = static_cast<rlim_t>(msg_default * msgsize_default / 2);
  ASSERT_OK_AND_ASSIGN(auto calls, OpenUnderMsgqueueLimit(half, name, nullptr));
  EXPECT_TRUE(calls[1].FailedWith(EMFILE))
      << "man 2 getrlimit: RLIMIT_MSGQUEUE counts a queue made with the default attributes "
         "(attr NULL: "
      << msg_default << " x " << msgsize_default << " bytes) under a limit of half that "
      << "(Linux: EMFILE): " << ToString(calls);
}

// man 3 mq_send: "If the message queue is already full ... If the O_NONBLOCK
// flag is enabled for the message queue description, then the call instead
// fails immediately with the error EAGAIN." The refused message is not
// queued: the queue keeps exactly what it had.
TEST(PosixMqErrors, RefusedSendOnAFullQueueQueuesNothing) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16, O_NONBLOCK));
  ASSERT_THAT(mq_send(q.fd(), "one", 3, 1), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "two", 3, 2), SyscallSucceeds());
  EXPECT_THAT(mq_send(q.fd(), "top", 3, 9), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_send: full and O_NONBLOCK: \"fails immediately with the error EAGAIN\"";
  struct timespec later = {0x7fffffff, 0};
  EXPECT_THAT(mq_timedsend(q.fd(), "top", 3, 9, &later), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_send: mq_timedsend, full and O_NONBLOCK: EAGAIN";
  char buf[16];
  unsigned prio = 0;
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(3));
  EXPECT_EQ(prio, 2u) << "man 3 mq_send: the refused priority-9 message was not queued";
  ASSERT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallSucceedsWithValue(3));
  EXPECT_EQ(prio, 1u);
  EXPECT_THAT(mq_receive(q.fd(), buf, sizeof buf, &prio), SyscallFailsWithErrno(EAGAIN))
      << "man 3 mq_send: the refused messages were not queued (the queue is empty after two "
         "receives)";
}

// man 3 mq_open: "mq_open() creates a new POSIX message queue or opens an
// existing queue"; each call gives its own descriptor (O_RDONLY any number
// of times), and each receives from the one queue.
TEST(PosixMqErrors, OneQueueOpenedReadOnlySeveralTimes) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(4, 16));
  ASSERT_OK_AND_ASSIGN(MqDescriptor r1, OpenMq(q.name.get(), O_RDONLY | O_CLOEXEC));
  ASSERT_OK_AND_ASSIGN(MqDescriptor r2, OpenMq(q.name.get(), O_RDONLY | O_CLOEXEC));
  EXPECT_NE(r1.get(), r2.get()) << "man 3 mq_open: each open gives a descriptor";
  ASSERT_THAT(mq_send(q.fd(), "a", 1, 0), SyscallSucceeds());
  ASSERT_THAT(mq_send(q.fd(), "b", 1, 0), SyscallSucceeds());
  char buf[16];
  ASSERT_THAT(mq_receive(r1.get(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(1))
      << "man 3 mq_open: O_RDONLY \"Open the queue to receive messages only.\" (first)";
  EXPECT_EQ(buf[0], 'a');
  ASSERT_THAT(mq_receive(r2.get(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(1))
      << "man 3 mq_open: O_RDONLY (second descriptor of the same queue)";
  EXPECT_EQ(buf[0], 'b');
}

// POSIX mq_open: "The check for the existence of the message queue and the
// creation of the message queue if it does not exist shall be atomic with
// respect to other processes executing mq_open() naming the same name with
// O_EXCL and O_CREAT set." man 3 mq_open: O_EXCL "If O_CREAT was specified in
// oflag, and a queue with the given name already exists, then fail with the
// error EEXIST." Eight processes race: exactly one creates, seven get EEXIST.
TEST(PosixMqErrors, ExclusiveCreationIsAtomicAcrossProcesses) {
  PosixMqName name(UniqueMqName("race"));
  constexpr int kRacers = 8;
  ASSERT_OK_AND_ASSIGN(auto opens, SharedObject<CallRecords<kRacers>>::Create());
  std::vector<Child> racers;
  for (int i = 0; i < kRacers; ++i) {
    ASSERT_OK_AND_ASSIGN(Child c, Child::Fork([&, i] {
                           struct mq_attr a = {0, 2, 8, 0};
                           (*opens)[i] = Record(
                               "mq_open", mq_open(name.c_str(), O_RDWR | O_CREAT | O_EXCL, 0600, &a));
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
  EXPECT_EQ(created, 1) << "POSIX mq_open: the check and the creation \"shall be atomic\": "
                           "exactly one of "
                        << kRacers << " O_CREAT|O_EXCL opens creates the queue: " << ToString(*opens);
  EXPECT_EQ(eexist, kRacers - 1) << "man 3 mq_open: the others fail EEXIST: " << ToString(*opens);
}

// --- mq_unlink --------------------------------------------------------------

// man 3 mq_unlink: "ENOENT There is no message queue with the given name.";
// "ENAMETOOLONG name was too long." (Linux: NAME_MAX, 255, after the slash.)
TEST(PosixMqErrors, UnlinkOfAMissingOrOverlongNameFails) {
  EXPECT_THAT(mq_unlink(UniqueMqName("missing").c_str()), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_unlink: \"ENOENT There is no message queue with the given name.\"";
  EXPECT_THAT(mq_unlink(("/" + std::string(255, 'u')).c_str()), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_unlink: \"ENOENT There is no message queue with the given name.\" (a "
         "255-character name is not too long)";
  EXPECT_THAT(mq_unlink(("/" + std::string(256, 'u')).c_str()),
              SyscallFailsWithErrno(ENAMETOOLONG))
      << "man 3 mq_unlink: \"ENAMETOOLONG name was too long.\" (256 characters after the slash)";
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 8));
  std::string n = q.name.release();
  ASSERT_THAT(mq_unlink(n.c_str()), SyscallSucceeds());
  EXPECT_THAT(mq_unlink(n.c_str()), SyscallFailsWithErrno(ENOENT))
      << "man 3 mq_unlink: \"ENOENT There is no message queue with the given name.\" (unlinked "
         "twice)";
}

// --- mq_getattr / mq_setattr ------------------------------------------------

// man 3 mq_getattr: "The mq_flags field contains flags associated with the
// open message queue description. This field is initialized when the queue is
// created by mq_open(3). The only flag that can appear in this field is
// O_NONBLOCK."; "The mq_maxmsg and mq_msgsize fields are set when the message
// queue is created"; "The mq_curmsgs field returns the number of messages
// currently held in the queue."
TEST(PosixMqErrors, GetattrReportsFlagsSizesAndCount) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(5, 24, O_NONBLOCK));
  ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
  EXPECT_EQ(a.mq_flags, O_NONBLOCK)
      << "man 3 mq_getattr: mq_flags \"is initialized when the queue is created by mq_open(3). "
         "The only flag that can appear in this field is O_NONBLOCK.\"";
  EXPECT_EQ(a.mq_maxmsg, 5) << "man 3 mq_getattr: mq_maxmsg is \"set when the message queue is "
                               "created\"";
  EXPECT_EQ(a.mq_msgsize, 24) << "man 3 mq_getattr: mq_msgsize is \"set when the message queue "
                                 "is created\"";
  EXPECT_EQ(a.mq_curmsgs, 0) << "man 3 mq_getattr: mq_curmsgs, a new queue holds none";
  for (int i = 1; i <= 3; ++i) {
    ASSERT_THAT(mq_send(q.fd(), "m", 1, 0), SyscallSucceeds());
    ASSERT_OK_AND_ASSIGN(a, GetMqAttr(q.fd()));
    EXPECT_EQ(a.mq_curmsgs, i) << "man 3 mq_getattr: \"The mq_curmsgs field returns the number "
                                  "of messages currently held in the queue.\"";
  }
  ASSERT_OK_AND_ASSIGN(MqDescriptor blocking, OpenMq(q.name.get(), O_RDONLY | O_CLOEXEC));
  ASSERT_OK_AND_ASSIGN(a, GetMqAttr(blocking.get()));
  EXPECT_EQ(a.mq_flags, 0) << "man 3 mq_getattr: mq_flags belongs to the open message queue "
                              "description (a second open without O_NONBLOCK)";
  EXPECT_EQ(a.mq_curmsgs, 3) << "man 3 mq_getattr: mq_curmsgs is the queue's, seen through any "
                                "descriptor";
}

// man 3 mq_getattr: "EINVAL newattr->mq_flags contained set bits other than
// O_NONBLOCK."; "If the oldattr field is not NULL, then the buffer that it
// points to is used to return an mq_attr structure that contains the same
// information that is returned by mq_getattr()." (the attributes before the
// change).
TEST(PosixMqErrors, SetattrRejectsOtherFlagsAndReturnsTheOldAttributes) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(3, 16));
  ASSERT_THAT(mq_send(q.fd(), "x", 1, 0), SyscallSucceeds());
  for (long flags : {static_cast<long>(O_NONBLOCK | O_RDWR), static_cast<long>(O_APPEND),
                     static_cast<long>(O_CREAT)}) {
    struct mq_attr n = {flags, 0, 0, 0};
    EXPECT_THAT(mq_setattr(q.fd(), &n, nullptr), SyscallFailsWithErrno(EINVAL))
        << "man 3 mq_getattr: \"EINVAL newattr->mq_flags contained set bits other than "
           "O_NONBLOCK.\" (mq_flags "
        << flags << ")";
  }
  ASSERT_OK_AND_ASSIGN(struct mq_attr a, GetMqAttr(q.fd()));
  EXPECT_EQ(a.mq_flags, 0) << "a refused mq_setattr changes nothing";
  struct mq_attr n = {O_NONBLOCK, 0, 0, 0};
  struct mq_attr old = {-1, -1, -1, -1};
  ASSERT_THAT(mq_setattr(q.fd(), &n, &old), SyscallSucceeds());
  EXPECT_EQ(old.mq_flags, 0) << "man 3 mq_getattr: oldattr holds what mq_getattr() returned "
                                "before the change (mq_flags 0)";
  EXPECT_EQ(old.mq_maxmsg, 3) << "man 3 mq_getattr: oldattr \"contains the same information that "
                                 "is returned by mq_getattr()\" (mq_maxmsg)";
  EXPECT_EQ(old.mq_msgsize, 16) << "man 3 mq_getattr: oldattr mq_msgsize";
  EXPECT_EQ(old.mq_curmsgs, 1) << "man 3 mq_getattr: oldattr mq_curmsgs";
  ASSERT_OK_AND_ASSIGN(a, GetMqAttr(q.fd()));
  EXPECT_EQ(a.mq_flags, O_NONBLOCK) << "man 3 mq_getattr: mq_setattr set O_NONBLOCK";
}

// --- bad addresses, timeouts, signals ----------------------------------------

// Linux: the message and timeout buffers of mq_timedsend/mq_timedreceive and
// the attribute buffer of mq_getattr are copied by the kernel, and an address
// it cannot reach is EFAULT (POSIX and the man pages list no EFAULT; glibc
// passes the pointers through to mq_timedsend(2), mq_timedreceive(2) and
// mq_getsetattr(2)).
TEST(PosixMqErrors, UnreachableBuffersAreEfault) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  BadPage bad;
  ASSERT_NE(bad.p, MAP_FAILED);
  auto* bad_ts = static_cast<const struct timespec*>(bad.p);
  EXPECT_THAT(mq_send(q.fd(), static_cast<const char*>(bad.p), 16, 0),
              SyscallFailsWithErrno(EFAULT))
      << "Linux: mq_send of a message at an unreadable address is EFAULT";
  EXPECT_THAT(mq_timedsend(q.fd(), "x", 1, 0, bad_ts), SyscallFailsWithErrno(EFAULT))
      << "Linux: mq_timedsend with abs_timeout at an unreadable address is EFAULT";
  char buf[16];
  EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, nullptr, bad_ts),
              SyscallFailsWithErrno(EFAULT))
      << "Linux: mq_timedreceive with abs_timeout at an unreadable address is EFAULT";
  EXPECT_THAT(mq_getattr(q.fd(), static_cast<struct mq_attr*>(bad.p)),
              SyscallFailsWithErrno(EFAULT))
      << "Linux: mq_getattr into an unwritable buffer is EFAULT";
  struct mq_attr a;
  ASSERT_THAT(mq_getattr(q.fd(), &a), SyscallSucceeds());
  EXPECT_EQ(a.mq_curmsgs, 0) << "the failed sends queued nothing";
}

// POSIX mq_timedsend: "Under no circumstance shall the operation fail with a
// timeout if there is sufficient room in the queue to add the message
// immediately."; mq_timedreceive likewise when "a message can be removed from
// the message queue immediately". man 3 mq_send and mq_receive bound the wait
// by abs_timeout only "if the queue is full" / "if no message is available".
TEST(PosixMqErrors, ExpiredTimeoutDoesNotMatterWhenTheCallNeedNotWait) {
  ASSERT_OK_AND_ASSIGN(Queue q, MakeQueue(2, 16));
  struct timespec past = {1, 0};  // 1970
  EXPECT_THAT(mq_timedsend(q.fd(), "now", 3, 4, &past), SyscallSucceeds())
      << "man 3 mq_send: an expired abs_timeout with room in the queue: the message is queued, "
         "no timeout";
  char buf[16];
  unsigned prio = 0;
  EXPECT_THAT(mq_timedreceive(q.fd(), buf, sizeof buf, &prio, &past), SyscallSucceedsWithValue(3))
      << "man 3 mq_receive: an expired abs_timeout with a message waiting: it is received, no "
         "timeout";
  EXPECT_EQ(prio, 4u);
}

// A counter in shared memory that a child's signal handler increments.
std::atomic<int>* g_handled = nullptr;
void CountSignal(int) {
  if (g_handled) g_handled->fetch_add(1);
}

// man 7 signal, "Interruption of system calls and library functions by signal
// handlers": the call "is automatically restarted after the signal handler
// returns if the SA_RESTART flag was used; otherwise the call fails with the
// error EINTR", for the "POSIX message queue interfaces: mq_receive(3),
// mq_timedreceive(3), mq_send(3), and mq_timedsend(3)". man 3 mq_send:
// "EINTR The call was interrupted by a signal handler"; man 3 mq_receive
// likewise. A failed send queues nothing.
TEST(PosixMqErrors, BlockedCallsInterruptedBySignalsFailEintrOrRestart) {
  ASSERT_OK_AND_ASSIGN(Queue full, MakeQueue(1, 16));
  ASSERT_THAT(mq_send(full.fd(), "a", 1, 0), SyscallSucceeds());
  ASSERT_OK_AND_ASSIGN(Queue empty, MakeQueue(1, 16));
  ASSERT_OK_AND_ASSIGN(auto handled, SharedObject<std::atomic<int>>::Create(0));

  ASSERT_OK_AND_ASSIGN(auto rec, SharedObject<CallRecord>::Create());

  // The child installs the handler (SA_RESTART or not), then makes `call`
  // and records it in *rec.
  auto run = [&](bool restart, std::function<CallRecord()> call) {
    *rec = CallRecord{};
    return Child::Fork([&, restart, call] {
      g_handled = handled.get();
      struct sigaction sa = {};
      sa.sa_handler = CountSignal;
      sa.sa_flags = restart ? SA_RESTART : 0;
      sigemptyset(&sa.sa_mask);
      *rec = Record("sigaction(SIGUSR1)", sigaction(SIGUSR1, &sa, nullptr));
      if (!rec->failed()) *rec = call();
      return 0;
    });
  };
  // Priority 3: only the children send with it (a mutant may single them out).
  auto send = [&] { return Record("mq_send", mq_send(full.fd(), "b", 1, 3)); };
  auto receive = [&] {
    char buf[16];
    return Record("mq_receive", mq_receive(empty.fd(), buf, sizeof buf, nullptr));
  };
  struct Case {
    const char* what;
    long nr;
    std::function<CallRecord()> call;
  };
  for (const Case& c : {Case{"mq_send on a full queue", SYS_mq_timedsend, send},
                        Case{"mq_receive on an empty queue", SYS_mq_timedreceive, receive}}) {
    ASSERT_OK_AND_ASSIGN(Child child, run(false, c.call));
    ASSERT_NO_ERRNO(WaitUntilBlocked(child.pid(), {c.nr})) << c.what;
    ASSERT_NO_ERRNO(child.Signal(SIGUSR1));
    ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
    EXPECT_TRUE(st.ExitedWith(0)) << st;
    EXPECT_TRUE(rec->FailedWith(EINTR))
        << "man 7 signal: without SA_RESTART a blocked " << c.what
        << " \"fails with the error EINTR\": " << *rec;
  }
  struct mq_attr a;
  ASSERT_THAT(mq_getattr(full.fd(), &a), SyscallSucceeds());
  EXPECT_EQ(a.mq_curmsgs, 1) << "man 3 mq_send: the interrupted send queued nothing";

  // SA_RESTART: the handler runs, the send goes back to sleep, and completes
  // once a receive makes room.
  handled->store(0);
  ASSERT_OK_AND_ASSIGN(Child child, run(true, send));
  ASSERT_NO_ERRNO(WaitUntilBlocked(child.pid(), {SYS_mq_timedsend}));
  ASSERT_NO_ERRNO(child.Signal(SIGUSR1));
  ASSERT_TRUE(PollUntil([&] { return handled->load() == 1; }, Deadline::Default()))
      << "the child's SIGUSR1 handler did not run";
  ASSERT_NO_ERRNO(WaitUntilBlocked(child.pid(), {SYS_mq_timedsend}))
      << "man 7 signal: with SA_RESTART the send \"is automatically restarted after the signal "
         "handler returns\" (it blocks again)";
  char buf[16];
  ASSERT_THAT(mq_receive(full.fd(), buf, sizeof buf, nullptr), SyscallSucceedsWithValue(1));
  ASSERT_OK_AND_ASSIGN(WaitStatus st, child.Wait());
  EXPECT_TRUE(st.ExitedWith(0)) << st;
  EXPECT_EQ(rec->ret, 0) << "man 7 signal: with SA_RESTART the send is restarted, not "
                            "failed EINTR: "
                         << *rec;
}

}  // namespace
}  // namespace ipcspec
