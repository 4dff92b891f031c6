// popen(3) / pclose(3): documented semantics.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "impl/core/blocked.h"
#include "impl/core/cleanup.h"
#include "impl/core/syscall_matchers.h"

namespace ipcspec {
namespace {

// Owns a popen stream: pclose()s it (reaping the child) at scope end.
class Popen {
 public:
  Popen(const std::string& cmd, const char* type) : f_(popen(cmd.c_str(), type)) {}
  ~Popen() {
    if (f_) pclose(f_);
  }
  FILE* get() const { return f_; }
  int Close() {
    int st = pclose(f_);
    f_ = nullptr;
    return st;
  }

 private:
  FILE* f_;
};

std::string ReadAll(FILE* f) {
  std::string s;
  char buf[256];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) s.append(buf, n);
  return s;
}

std::string TempPath(const std::string& name) {
  const char* t = std::getenv("TEST_TMPDIR");
  return std::string(t && *t ? t : "/tmp") + "/ipcspec-popen-" + std::to_string(getpid()) + "-" + name;
}

std::set<pid_t> Children() {
  std::set<pid_t> out;
  DIR* d = opendir("/proc");
  while (struct dirent* e = d ? readdir(d) : nullptr) {
    pid_t pid = std::atoi(e->d_name);
    if (pid <= 0) continue;
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string s;
    std::getline(in, s);
    size_t rp = s.rfind(')');
    if (rp == std::string::npos) continue;
    char state;
    long ppid;
    if (sscanf(s.c_str() + rp + 2, "%c %ld", &state, &ppid) == 2 && ppid == getpid()) {
      out.insert(pid);
    }
  }
  if (d) closedir(d);
  return out;
}

// The one child that appeared since `before`.
pid_t NewChild(const std::set<pid_t>& before) {
  for (pid_t p : Children()) {
    if (!before.count(p)) return p;
  }
  return -1;
}

ino_t PipeInode(int fd) {
  struct stat st;
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

// fd numbers of `pid` that refer to pipe:[ino].
std::set<int> FdsOnPipe(pid_t pid, ino_t ino) {
  std::set<int> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/fd";
  std::string want = "pipe:[" + std::to_string(ino) + "]";
  DIR* d = opendir(dir.c_str());
  while (struct dirent* e = d ? readdir(d) : nullptr) {
    if (e->d_name[0] == '.') continue;
    char buf[128];
    ssize_t n = readlink((dir + "/" + e->d_name).c_str(), buf, sizeof buf - 1);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)) == want) out.insert(std::atoi(e->d_name));
  }
  if (d) closedir(d);
  return out;
}

// man 3 popen: "reading from the stream reads the command's standard output".
TEST(Popen, ReadModeReadsTheCommandsStandardOutput) {
  Popen p("printf 'ipc\\nspec'", "r");
  ASSERT_NE(p.get(), nullptr) << strerror(errno);
  EXPECT_EQ(ReadAll(p.get()), "ipc\nspec")
      << "man 3 popen: \"reading from the stream reads the command's standard output\"";
  int st = p.Close();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "pclose status " << st;
}

// man 3 popen: "Writing to such a stream writes to the standard input of the
// command". wc -c prints only at end of file, so its output also shows that
// the child saw EOF when the parent closed the stream.
TEST(Popen, WriteModeFeedsStandardInputAndTheChildSeesEofOnClose) {
  std::string out = TempPath("wc");
  Cleanup rm([&] { unlink(out.c_str()); });
  Popen p("wc -c > " + out, "w");
  ASSERT_NE(p.get(), nullptr) << strerror(errno);
  std::string data(1234, 'x');
  ASSERT_EQ(fwrite(data.data(), 1, data.size(), p.get()), data.size());
  int st = p.Close();
  ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "pclose status " << st;
  std::ifstream in(out);
  long count = -1;
  in >> count;
  EXPECT_EQ(count, 1234) << "man 3 popen: \"Writing to such a stream writes to the standard "
                            "input of the command\"; wc -c prints its count only after it "
                            "reads end of file, which comes when pclose closes the stream";
}

// man 3 popen: "The pclose() function waits for the associated process to
// terminate and returns the exit status of the command as returned by
// wait4(2)."
TEST(Popen, PcloseReturnsTheCommandsWaitStatus) {
  {
    Popen p("exit 3", "r");
    ASSERT_NE(p.get(), nullptr);
    int st = p.Close();
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 3)
        << "pclose returned " << st << "; man 3 popen: pclose \"returns the exit status of the "
        << "command as returned by wait4(2)\"";
  }
  {
    Popen p("kill -TERM $$", "r");
    ASSERT_NE(p.get(), nullptr);
    int st = p.Close();
    EXPECT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM)
        << "pclose returned " << st << " for a shell killed by SIGTERM (man 3 popen, wait4(2))";
  }
}

// man 3 popen, BUGS: "Failure to execute the shell is indistinguishable from
// the shell's failure to execute command, or an immediate exit of the
// command. The only hint is an exit status of 127."
TEST(Popen, ACommandThatCannotRunReportsExitStatus127) {
  Popen p("/nonexistent/ipcspec-no-such-command 2>/dev/null", "r");
  ASSERT_NE(p.get(), nullptr) << "popen does not fail for a command that cannot run";
  EXPECT_EQ(ReadAll(p.get()), "");
  int st = p.Close();
  EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 127)
      << "pclose returned " << st << "; man 3 popen: \"The only hint is an exit status of 127\"";
}

// man 3 popen, ERRORS: "If the type argument is invalid, and this condition is
// detected, errno is set to EINVAL."
TEST(Popen, AnInvalidTypeGivesEinval) {
  errno = 0;
  FILE* f = popen("true", "x");
  if (f != nullptr) pclose(f);
  EXPECT_EQ(f, nullptr) << "man 3 popen: an invalid type is an error";
  EXPECT_EQ(errno, EINVAL) << "man 3 popen: \"errno is set to EINVAL\"";
}

// man 3 popen: "the letter 'e', which causes the close-on-exec flag
// (FD_CLOEXEC) to be set on the underlying file descriptor" (glibc >= 2.9).
TEST(Popen, TheEFlagSetsCloseOnExec) {
  Popen plain("true", "r"), cloexec("true", "re");
  ASSERT_NE(plain.get(), nullptr);
  ASSERT_NE(cloexec.get(), nullptr);
  EXPECT_EQ(fcntl(fileno(cloexec.get()), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
      << "man 3 popen: 'e' sets FD_CLOEXEC on the underlying file descriptor";
  EXPECT_EQ(fcntl(fileno(plain.get()), F_GETFD) & FD_CLOEXEC, 0);
}

// The child of a popen holds its end of its own pipe as stdin and nothing
// else of it, and none of the pipes of earlier popen streams: POSIX (popen,
// "The popen() function shall ensure that any streams from previous popen()
// calls that remain open in the parent process are closed in the new child
// process"). A child holding a write end would never see EOF.
TEST(Popen, NoPopenPipeLeaksIntoAChild) {
  auto before = Children();
  Popen first("exec cat", "w");
  ASSERT_NE(first.get(), nullptr);
  pid_t first_pid = NewChild(before);
  ASSERT_GT(first_pid, 0);
  // Seen blocked reading stdin: the exec is done and its fd table final.
  ASSERT_NO_ERRNO(WaitUntilBlocked(first_pid, {SYS_read}));

  before = Children();
  Popen second("exec cat", "w");
  ASSERT_NE(second.get(), nullptr);
  pid_t second_pid = NewChild(before);
  ASSERT_GT(second_pid, 0);
  ASSERT_NO_ERRNO(WaitUntilBlocked(second_pid, {SYS_read}));

  ino_t first_pipe = PipeInode(fileno(first.get()));
  ino_t second_pipe = PipeInode(fileno(second.get()));
  EXPECT_EQ(FdsOnPipe(first_pid, first_pipe), std::set<int>{0})
      << "the first child holds its pipe only as stdin (a copy of the write end would keep "
         "it from ever seeing EOF)";
  EXPECT_EQ(FdsOnPipe(second_pid, second_pipe), std::set<int>{0})
      << "the second child holds its pipe only as stdin";
  EXPECT_TRUE(FdsOnPipe(second_pid, first_pipe).empty())
      << "POSIX popen: \"any streams from previous popen() calls that remain open in the "
         "parent process are closed in the new child process\"";
  EXPECT_EQ(second.Close(), 0);
  EXPECT_EQ(first.Close(), 0);
}

}  // namespace
}  // namespace ipcspec
