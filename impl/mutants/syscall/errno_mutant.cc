// errno_mutant SYSCALL CONDITION ERRNO -- COMMAND [ARG...]
//
// A syscall mutant for the table tests (suites/selftest/tables): runs
// COMMAND under a seccomp filter that makes SYSCALL return -1 with ERRNO
// instead of running, when CONDITION holds. A table test that checks this
// call's result must then fail; one that still passes checks nothing about
// it. The table tests call the kernel directly, so a broken environment is
// made by the kernel itself, not by a wrapper the test could bypass.
//
//   SYSCALL    an x86_64 system call name from the list below (msgctl, ...)
//   CONDITION  "-" (every call), or argN=VALUE[,argM=VALUE...]: only calls
//              whose argument N (0-based) equals VALUE (decimal or 0x hex,
//              compared as 64 bits)
//   ERRNO      an errno name (EINVAL) or a number; 0 skips the call and
//              returns 0: a call that should have failed "succeeds"
//
// Exit: COMMAND's; 2 for a usage error (unknown name, bad condition).
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <string>
#include <vector>

namespace {

struct Named {
  const char* name;
  long value;
};

#define SYS(n) {#n, __NR_##n}
const Named kSyscalls[] = {
    SYS(msgget), SYS(msgsnd), SYS(msgrcv), SYS(msgctl), SYS(semget), SYS(semop),
    SYS(semtimedop), SYS(semctl), SYS(shmget), SYS(shmat), SYS(shmdt), SYS(shmctl),
    SYS(mq_open), SYS(mq_unlink), SYS(mq_timedsend), SYS(mq_timedreceive), SYS(mq_notify),
    SYS(mq_getsetattr), SYS(socket), SYS(socketpair), SYS(bind), SYS(listen), SYS(accept),
    SYS(accept4), SYS(connect), SYS(shutdown), SYS(getsockname), SYS(getpeername), SYS(sendto),
    SYS(recvfrom), SYS(sendmsg), SYS(recvmsg), SYS(sendmmsg), SYS(recvmmsg), SYS(setsockopt),
    SYS(getsockopt), SYS(read), SYS(write), SYS(readv), SYS(writev), SYS(pread64),
    SYS(pwrite64), SYS(preadv), SYS(pwritev), SYS(lseek), SYS(close), SYS(open), SYS(openat),
    SYS(unlink), SYS(unlinkat), SYS(link), SYS(linkat), SYS(rename), SYS(ftruncate), SYS(fstat),
    SYS(newfstatat), SYS(statx), SYS(fchmod), SYS(fchown), SYS(mmap), SYS(munmap),
    SYS(mprotect), SYS(mremap), SYS(msync), SYS(madvise), SYS(pipe), SYS(pipe2), SYS(splice), SYS(tee), SYS(vmsplice),
    SYS(fcntl), SYS(ioctl), SYS(poll), SYS(ppoll), SYS(select), SYS(pselect6),
    SYS(epoll_create1), SYS(epoll_ctl), SYS(epoll_wait), SYS(epoll_pwait), SYS(eventfd2),
    SYS(futex), SYS(kill), SYS(tgkill), SYS(rt_sigqueueinfo), SYS(signalfd4), SYS(flock),
    SYS(dup), SYS(dup2), SYS(dup3), SYS(memfd_create), SYS(mknodat), SYS(unshare),
    SYS(rt_sigaction), SYS(rt_sigprocmask), SYS(rt_sigtimedwait), SYS(mount), SYS(umount2),
    SYS(setrlimit), SYS(prlimit64), SYS(setresuid), SYS(setresgid), SYS(wait4), SYS(waitid),
    SYS(pidfd_open), SYS(getdents64), SYS(mkdir), SYS(mkdirat), SYS(chmod), SYS(fchmodat),
    SYS(set_robust_list), SYS(get_robust_list), SYS(rt_tgsigqueueinfo),
    SYS(rt_sigpending), SYS(rt_sigsuspend),
    SYS(set_robust_list), SYS(get_robust_list), SYS(rt_tgsigqueueinfo), SYS(setitimer),
    SYS(nanosleep),
};
#undef SYS

#define E(n) {#n, n}
const Named kErrnos[] = {
    E(EPERM),  E(ENOENT),  E(ESRCH),     E(EINTR),        E(EIO),          E(EBADF),
    E(EAGAIN), E(ENOMEM),  E(EACCES),    E(EFAULT),       E(EBUSY),        E(EEXIST),
    E(EINVAL), E(ENFILE),  E(EMFILE),    E(EFBIG),        E(ENOSPC),       E(ESPIPE),
    E(EPIPE),  E(ERANGE),  E(E2BIG),     E(ENAMETOOLONG), E(ENOSYS),       E(ENOMSG),
    E(EIDRM),  E(ENOTSOCK), E(EMSGSIZE), E(EOPNOTSUPP),   E(EADDRINUSE),   E(ECONNREFUSED),
    E(ECONNRESET), E(ENOTCONN), E(EISCONN), E(ETIMEDOUT), E(EOVERFLOW),    E(EDEADLK),
    E(ENOTDIR), E(EISDIR),  E(ENXIO),    E(ENOTTY),       E(EPROTOTYPE),   E(EDESTADDRREQ),
    E(EAFNOSUPPORT), E(EALREADY), E(EINPROGRESS), E(ENOBUFS), E(ETXTBSY),  E(ENODEV),
    E(ENOPROTOOPT), E(EPROTONOSUPPORT), E(ESOCKTNOSUPPORT), E(EADDRNOTAVAIL), E(ENOTEMPTY),
    E(ELOOP), E(EROFS), E(EXDEV), E(ECHILD), E(ENOLCK), E(ENOTRECOVERABLE), E(EOWNERDEAD),
};
#undef E

bool Lookup(const Named* table, size_t n, const char* name, long* out) {
  for (size_t i = 0; i < n; ++i) {
    if (strcmp(table[i].name, name) == 0) {
      *out = table[i].value;
      return true;
    }
  }
  return false;
}

int Usage(const char* why) {
  fprintf(stderr,
          "errno_mutant: %s\nusage: errno_mutant SYSCALL (-|argN=VALUE[,argM=VALUE...]) "
          "ERRNO -- COMMAND [ARG...]\nsyscalls:",
          why);
  for (const Named& s : kSyscalls) fprintf(stderr, " %s", s.name);
  fprintf(stderr, "\n");
  return 2;
}

bool ParseNumber(const char* s, unsigned long long* out) {
  char* end = nullptr;
  errno = 0;
  *out = strtoull(s, &end, 0);
  return errno == 0 && end != s && *end == '\0';
}

struct Condition {
  int arg;
  uint64_t value;
};

// "argN=VALUE[,...]": false when malformed.
bool ParseConditions(const char* text, std::vector<Condition>* out) {
  if (strcmp(text, "-") == 0) return true;
  std::string all(text);
  size_t start = 0;
  while (start <= all.size()) {
    size_t comma = all.find(',', start);
    std::string one = all.substr(start, comma == std::string::npos ? std::string::npos
                                                                    : comma - start);
    unsigned long long arg = 0, value = 0;
    size_t eq = one.find('=');
    if (one.compare(0, 3, "arg") != 0 || eq == std::string::npos ||
        !ParseNumber(one.substr(3, eq - 3).c_str(), &arg) || arg > 5 ||
        !ParseNumber(one.substr(eq + 1).c_str(), &value)) {
      return false;
    }
    out->push_back({static_cast<int>(arg), value});
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return !out->empty();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 6 || strcmp(argv[4], "--") != 0) return Usage("wrong arguments");
  long nr = 0, err = 0;
  if (!Lookup(kSyscalls, sizeof kSyscalls / sizeof kSyscalls[0], argv[1], &nr)) {
    return Usage((std::string("unknown system call ") + argv[1]).c_str());
  }
  std::vector<Condition> conds;
  if (!ParseConditions(argv[2], &conds)) {
    return Usage((std::string("bad condition ") + argv[2]).c_str());
  }
  // The test binary's own isolation (impl/core/sandbox.cc) makes a mount
  // namespace and mounts in it: an unconditional mutant of these calls would
  // break the isolation, not the test, and the binary's mounts (a tmpfs on
  // /tmp and /dev/shm) would land in the caller's namespace. Such a row must
  // name argument values that only the test's own call has.
  static const char* const kIsolation[] = {"unshare", "mount", "umount2", "setns"};
  for (const char* name : kIsolation) {
    if (strcmp(argv[1], name) == 0 && conds.empty()) {
      return Usage((std::string(argv[1]) +
                    " is the test framework's isolation: give a condition that only the "
                    "test's own call meets (e.g. unshare arg0=1073741824 for CLONE_NEWNET)")
                       .c_str());
    }
  }
  // And whatever the mutant breaks, the command's mounts stay in a mount
  // namespace of its own where this process may make one (root): a broken
  // test must not change the machine.
  if (unshare(CLONE_NEWNS) == 0) {
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      fprintf(stderr, "errno_mutant: mount(/, MS_REC|MS_PRIVATE): %s\n", strerror(errno));
      return 2;
    }
  }
  unsigned long long number = 0;
  if (ParseNumber(argv[3], &number) && number < 4096) {
    err = static_cast<long>(number);
  } else if (!Lookup(kErrnos, sizeof kErrnos / sizeof kErrnos[0], argv[3], &err)) {
    return Usage((std::string("unknown errno ") + argv[3]).c_str());
  }

  // arch check; nr check; each condition (low then high 32 bits); the
  // mutation; everything else allowed.
  std::vector<sock_filter> f;
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)));
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)));
  std::vector<size_t> to_allow;  // jumps whose false branch goes to ALLOW
  to_allow.push_back(f.size());
  f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 0));
  for (const Condition& c : conds) {
    const unsigned lo = offsetof(struct seccomp_data, args) + 8 * c.arg;
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo));
    to_allow.push_back(f.size());
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(c.value), 0, 0));
    f.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, lo + 4));
    to_allow.push_back(f.size());
    f.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(c.value >> 32), 0, 0));
  }
  f.push_back(BPF_STMT(BPF_RET | BPF_K,
                       SECCOMP_RET_ERRNO | (static_cast<unsigned>(err) & SECCOMP_RET_DATA)));
  const size_t allow = f.size();
  f.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
  for (size_t j : to_allow) {
    const size_t skip = allow - (j + 1);
    if (skip > 255) return Usage("too many conditions");
    f[j].jf = static_cast<unsigned char>(skip);
  }
  struct sock_fprog prog = {static_cast<unsigned short>(f.size()), f.data()};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
      prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
    fprintf(stderr, "errno_mutant: seccomp: %s\n", strerror(errno));
    return 2;
  }
  execv(argv[5], argv + 5);
  fprintf(stderr, "errno_mutant: exec %s: %s\n", argv[5], strerror(errno));
  return 2;
}
