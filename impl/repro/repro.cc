#include "impl/repro/repro.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "impl/core/blocked.h"

namespace ipcspec::repro {
namespace {

Session* g_session = nullptr;

// Seconds a step may take before its alarm calls it a hang. Every step is
// meant to return at once; the margin is for a loaded machine.
constexpr int kStepAlarmSeconds = 5;

std::string Indent(const std::string& code, const std::string& pad) {
  std::ostringstream os;
  std::istringstream is(code);
  std::string line;
  while (std::getline(is, line)) os << (line.empty() ? "" : pad) << line << "\n";
  return os.str();
}

std::string CommentText(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/') {
      out += "* /";
      ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

std::string Commented(const std::string& s, size_t max_lines) {
  std::ostringstream os;
  std::istringstream is(CommentText(s));
  std::string line;
  size_t n = 0;
  while (std::getline(is, line)) {
    // The assertion's source text says nothing to the reader of the C file.
    if (line.rfind("RC_", 0) == 0 || line.rfind("Failure: ", 0) == 0 || line.empty()) continue;
    if (++n > max_lines) {
      os << " *   ...\n";
      break;
    }
    os << " *   " << line << "\n";
  }
  return os.str();
}

std::string SafeFileName(const std::string& s) {
  std::string out;
  for (char c : s) out += (isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '-';
  return out;
}

// The fixed part of every reproducer: exit statuses, the alarm, children.
constexpr const char* kRuntime = R"C(
/* What the steps share. */
static const char *step = "setup";    /* what is running, for the messages */
static const char *hang_means = "";   /* what a hang of this step breaks */
static pid_t parent_pid;
static int in_child;
static void teardown(void);

static void say(const char *s) { ssize_t r = write(2, s, strlen(s)); (void)r; }

/* A documented promise is broken: say which, what happened, and exit 1. */
static void broken(const char *promise, const char *fmt, ...) {
  va_list ap;
  fprintf(stderr, "FAIL: %s\n  documented: %s\n  observed:   ", step, promise);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n");
  fflush(stderr);
  if (in_child) _exit(1);
  exit(1);
}

/* The scenario could not be set up: no verdict on the environment. */
static void setup_failed(const char *what) {
  fprintf(stderr, "SETUP FAILED: %s: %s: %s\n", step, what, strerror(errno));
  if (in_child) _exit(2);
  exit(2);
}

/* Every step runs under an alarm: a call that must return and hangs is shown
   as a hang (exit 1), never as a test that waits forever. */
static void on_alarm(int sig) {
  (void)sig;
  say("FAIL (hang): ");
  say(step);
  say(": did not return within the alarm\n  documented: ");
  say(hang_means[0] ? hang_means : "this step returns at once");
  say("\n");
  if (!in_child && getpid() == parent_pid) teardown();
  _exit(1);
}

static void step_alarm(const char *what, const char *hang) {
  step = what;
  hang_means = hang;
  alarm(STEP_ALARM_SECONDS);
}

)C";

// Only for reproducers with forked children.
constexpr const char* kChildRuntime = R"C(
/* Children: each is driven one step at a time through two pipes. */
#define MAX_CHILDREN 16
static int go_fd[MAX_CHILDREN][2], done_fd[MAX_CHILDREN][2];
static pid_t child_pid[MAX_CHILDREN];
static int child_reaped[MAX_CHILDREN];

/* In the child: wait for the parent's word; the parent gone means exit. */
static void child_await(int i) {
  char c;
  for (;;) {
    ssize_t r = read(go_fd[i][0], &c, 1);
    if (r == 1) return;
    if (r < 0 && errno == EINTR) continue;
    _exit(0);
  }
}
static void child_done(int i) {
  char c = 'd';
  if (write(done_fd[i][1], &c, 1) != 1) _exit(3);
}

static void reap(int i, int expect_sig) {
  int st;
  pid_t r;
  while ((r = waitpid(child_pid[i], &st, 0)) < 0 && errno == EINTR) {}
  if (r < 0) setup_failed("waitpid");
  child_reaped[i] = 1;
  if (expect_sig) {
    if (!WIFSIGNALED(st) || WTERMSIG(st) != expect_sig)
      broken("the child is killed by the signal sent to it (man 2 kill)",
             "child %d: wait status 0x%x", i, st);
    return;
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
    fprintf(stderr, "(child %d found the broken promise above)\n", i);
    exit(1);
  }
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
    fprintf(stderr, "SETUP FAILED: %s: child %d ended with wait status 0x%x\n", step, i, st);
    exit(2);
  }
}

/* In the parent: let child i do its next step and wait until it has. */
static void parent_go(int i) {
  char c = 'g';
  if (write(go_fd[i][1], &c, 1) != 1) setup_failed("write(control pipe)");
}
static void parent_await(int i) {
  char c;
  for (;;) {
    ssize_t r = read(done_fd[i][0], &c, 1);
    if (r == 1) return;
    if (r < 0 && errno == EINTR) continue;
    reap(i, 0); /* the child ended instead of finishing the step */
    fprintf(stderr, "SETUP FAILED: %s: child %d exited before its step ended\n", step, i);
    exit(2);
  }
}
)C";

// Only for reproducers with a child step that blocks (ChildStart,
// ChildBlocked): seeing the child asleep in its call, without sleep.
constexpr const char* kChildBlockingRuntime = R"C(
/* In the parent: has child i finished its step (without waiting)? */
static int child_step_done(int i) {
  struct pollfd p;
  p.fd = done_fd[i][0];
  p.events = POLLIN;
  p.revents = 0;
  return poll(&p, 1, 0) > 0;
}
/* In the parent: reap child i, sent SIGKILL in a call that blocks; its
   exit 1 before the signal means its own check failed. */
static void reap_killed(int i) {
  int st;
  pid_t r;
  while ((r = waitpid(child_pid[i], &st, 0)) < 0 && errno == EINTR) {}
  if (r < 0) setup_failed("waitpid");
  child_reaped[i] = 1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
    fprintf(stderr, "(child %d found the broken promise above)\n", i);
    exit(1);
  }
}
/* In the parent: wait until child i sleeps in one of the n system calls
   (state 'S' in /proc/PID/stat and /proc/PID/syscall; the state alone where
   the syscall file cannot be read), polling under the step's alarm; between
   polls it waits for the child's step to end, 1 ms at most. The child ending
   its step instead of blocking breaks `must_block`. */
static void wait_blocked(int i, const long *calls, int n, const char *must_block) {
  char path[64], buf[512];
  for (;;) {
    struct pollfd p;
    int fd, k, asleep = 0, known = 0, in_call = 0;
    ssize_t r;
    if (child_step_done(i)) {
      char c;
      ssize_t got = read(done_fd[i][0], &c, 1);
      if (got == 1) broken(must_block, "child %d's call returned instead of blocking", i);
      reap(i, 0); /* it ended: its own check failed (exit 1) or it could not set up */
      fprintf(stderr, "SETUP FAILED: %s: child %d exited during its step\n", step, i);
      exit(2);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)child_pid[i]);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      r = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (r > 0) {
        char *e;
        buf[r] = 0;
        e = strrchr(buf, ')');
        asleep = e != NULL && e[1] == ' ' && e[2] == 'S';
      }
    }
    snprintf(path, sizeof path, "/proc/%d/syscall", (int)child_pid[i]);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      r = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (r > 0) {
        long nr;
        buf[r] = 0;
        if (sscanf(buf, "%ld", &nr) == 1) {
          known = 1;
          for (k = 0; k < n; k++) in_call = in_call || nr == calls[k];
        } else if (strncmp(buf, "running", 7) == 0) {
          known = 1;
        }
      }
    }
    if (asleep && (!known || in_call)) return;
    p.fd = done_fd[i][0];
    p.events = POLLIN;
    p.revents = 0;
    (void)poll(&p, 1, 1);
  }
}
)C";

// Only for reproducers with children blocked in a call (Recording::ForkBlocked).
constexpr const char* kBlockedRuntime = R"C(
/* Children blocked in a call: each makes its call and checks what it
   returned, then exits. The parent sees one blocked without sleeping: it
   reads /proc/PID/stat (state S, asleep) and /proc/PID/syscall (the number
   of the call it sleeps in), under the step's alarm. */
#define MAX_BLOCKED 8
static pid_t blocked_pid[MAX_BLOCKED];
static int blocked_reaped[MAX_BLOCKED];
static int sig_ack[2] = {-1, -1};  /* a child's handler: "I ran" */

static void on_test_signal(int sig) {
  char c = (char)sig;
  ssize_t r = write(sig_ack[1], &c, 1);
  (void)r;
}
/* In a blocked child: the handler the property installs, with or without
   SA_RESTART (man 7 signal, "Interruption of system calls and library
   functions by signal handlers"). */
static void install_handler(int sig, int restart) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_test_signal;
  sa.sa_flags = restart ? SA_RESTART : 0;
  sigemptyset(&sa.sa_mask);
  if (sigaction(sig, &sa, NULL) != 0) setup_failed("sigaction");
}

/* 1 when pid is asleep in one of the calls nrs[0..n), 0 when not (yet). Where
   /proc/PID/syscall cannot be read (gVisor has none) the state alone counts. */
static int seen_blocked(pid_t pid, const long *nrs, int n) {
  char path[64], buf[512];
  const char *p;
  ssize_t k;
  long nr;
  int fd, i;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  if ((fd = open(path, O_RDONLY)) < 0) return 0;
  k = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (k <= 0) return 0;
  buf[k] = 0;
  p = strrchr(buf, ')');
  if (p == NULL || p[1] != ' ' || p[2] != 'S') return 0;
  snprintf(path, sizeof path, "/proc/%d/syscall", (int)pid);
  if ((fd = open(path, O_RDONLY)) < 0) return 1;
  k = read(fd, buf, sizeof buf - 1);
  close(fd);
  if (k <= 0) return 1;
  buf[k] = 0;
  if (buf[0] < '0' || buf[0] > '9') return 0; /* "running": in user space */
  nr = strtol(buf, NULL, 10);
  for (i = 0; i < n; ++i)
    if (nr == nrs[i]) return 1;
  return 0;
}

/* A blocked child ended (wait status st) before the parent acted. */
static void blocked_ended_early(int i, int st, const char *blocks) {
  blocked_reaped[i] = 1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
    fprintf(stderr, "(blocked child %d found the broken promise above)\n", i);
    exit(1);
  }
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
    broken(blocks, "blocked child %d: its call returned before the parent acted: it never "
           "blocked", i);
  fprintf(stderr, "SETUP FAILED: %s: blocked child %d ended with wait status 0x%x\n", step, i, st);
  exit(2);
}

/* Waits, without sleeping, until blocked child i sleeps in one of nrs. */
static void await_blocked(int i, const long *nrs, int n, const char *blocks) {
  for (;;) {
    int st;
    pid_t r;
    if (seen_blocked(blocked_pid[i], nrs, n)) return;
    r = waitpid(blocked_pid[i], &st, WNOHANG);
    if (r == blocked_pid[i]) blocked_ended_early(i, st, blocks);
    if (r < 0) setup_failed("waitpid");
    sched_yield();
  }
}

/* Waits for blocked child i to return from its call and exit. */
static void await_child(int i) {
  int st;
  pid_t r;
  while ((r = waitpid(blocked_pid[i], &st, 0)) < 0 && errno == EINTR) {}
  if (r < 0) setup_failed("waitpid");
  blocked_reaped[i] = 1;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 0) return;
  if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {
    fprintf(stderr, "(blocked child %d found the broken promise above)\n", i);
    exit(1);
  }
  fprintf(stderr, "SETUP FAILED: %s: blocked child %d ended with wait status 0x%x\n", step, i, st);
  exit(2);
}

/* Waits until blocked child i's handler has run (it writes sig_ack). */
static void await_handler(int i) {
  char c;
  for (;;) {
    ssize_t r = read(sig_ack[0], &c, 1);
    if (r == 1) return;
    if (r < 0 && errno == EINTR) continue;
    fprintf(stderr, "SETUP FAILED: %s: blocked child %d's handler never said it ran\n", step, i);
    exit(2);
  }
}
)C";

}  // namespace

std::string Lit(const std::string& s) {
  std::string out = "\"";
  char last = 0;
  for (unsigned char c : s) {
    // "??" followed by one of =/'()!<>- is a trigraph: "?\?" is not.
    if (c == '?' && last == '?') {
      out += "\\?";  // and so on for "???": no two '?' side by side
      continue;
    }
    last = static_cast<char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20 || c >= 0x7f) {
          char b[8];
          std::snprintf(b, sizeof b, "\\%03o", c);
          out += b;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

void Recording::Helper(const std::string& name, const std::string& code) {
  for (const auto& h : helpers_) {
    if (h.first == name) return;
  }
  helpers_.emplace_back(name, code);
}

void Recording::Prologue(const std::string& code) { prologue_ += code; }

void Recording::Step(const std::string& title, const std::string& code, const std::string& hang) {
  steps_.push_back({Item::Type::kStep, -1, 0, title, code, hang});
}
void Recording::Fork(int idx, const std::string& title, const std::string& child_setup) {
  steps_.push_back({Item::Type::kFork, idx, 0, title, child_setup, ""});
}
void Recording::ChildStep(int idx, const std::string& title, const std::string& code,
                          const std::string& hang) {
  steps_.push_back({Item::Type::kChildStep, idx, 0, title, code, hang});
}
void Recording::ChildExit(int idx, const std::string& title) {
  steps_.push_back({Item::Type::kChildExit, idx, 0, title, "", ""});
}
void Recording::Kill(int idx, int sig, const std::string& title) {
  steps_.push_back({Item::Type::kKill, idx, sig, title, "", ""});
}
void Recording::ChildStart(int idx, const std::string& title, const std::string& code,
                           const std::string& hang) {
  Include("<poll.h>");
  steps_.push_back({Item::Type::kChildStart, idx, 0, title, code, hang});
}
void Recording::ChildBlocked(int idx, const std::string& title,
                             const std::vector<std::string>& syscalls,
                             const std::string& must_block) {
  Include("<poll.h>");
  Include("<sys/syscall.h>");
  std::string calls;
  for (const auto& c : syscalls) calls += (calls.empty() ? "" : ", ") + c;
  // code: the calls' list; hang: the promise that the call blocks.
  steps_.push_back({Item::Type::kChildBlocked, idx, 0, title, calls, must_block});
}
void Recording::ChildAwait(int idx, const std::string& title, const std::string& hang) {
  steps_.push_back({Item::Type::kChildAwait, idx, 0, title, "", hang});
}

void Recording::ForkBlocked(int b, const std::string& title, const std::string& child_code,
                            const std::vector<long>& syscalls, const std::string& blocks,
                            const std::string& woken) {
  Item it{Item::Type::kStep, -1, 0, title, child_code, woken};
  it.blocked = b;
  it.syscalls = syscalls;
  it.blocks = blocks;
  it.btype = Item::BType::kFork;
  steps_.push_back(std::move(it));
}
void Recording::AwaitBlocked(int b, const std::string& title, const std::vector<long>& syscalls,
                             const std::string& blocks) {
  Item it{Item::Type::kStep, -1, 0, title, "", ""};
  it.blocked = b;
  it.syscalls = syscalls;
  it.blocks = blocks;
  it.btype = Item::BType::kAwaitBlocked;
  steps_.push_back(std::move(it));
}
void Recording::SignalBlocked(int b, int sig, const std::string& title) {
  Item it{Item::Type::kStep, -1, sig, title, "", ""};
  it.blocked = b;
  it.btype = Item::BType::kSignal;
  steps_.push_back(std::move(it));
}
void Recording::AwaitChild(int b, const std::string& title, const std::string& woken) {
  Item it{Item::Type::kStep, -1, 0, title, "", woken};
  it.blocked = b;
  it.btype = Item::BType::kAwaitChild;
  steps_.push_back(std::move(it));
}
void Recording::KillBlocked(int b, int sig, const std::string& title) {
  Item it{Item::Type::kStep, -1, sig, title, "", ""};
  it.blocked = b;
  it.btype = Item::BType::kKill;
  steps_.push_back(std::move(it));
}

namespace {

// The C array of system call numbers: SYS_read where the name is known.
std::string SyscallArray(const std::vector<long>& nrs) {
  std::string out = "{";
  for (size_t i = 0; i < nrs.size(); ++i) {
    std::string name = SyscallName(nrs[i]);
    out += (i ? ", " : "") +
           (name.rfind("syscall ", 0) == 0 ? std::to_string(nrs[i]) + "L" : "SYS_" + name);
  }
  return out + (nrs.empty() ? "-1}" : "}");
}

}  // namespace

std::string Recording::RenderBlocked(const Item& s, const std::string& title) const {
  std::ostringstream os;
  const std::string c = std::to_string(s.blocked);
  const std::string nrs = SyscallArray(s.syscalls);
  const std::string n = std::to_string(s.syscalls.size());
  switch (s.btype) {
    case Item::BType::kFork:
      os << "  step_alarm(" << Lit(title) << ", " << Lit(s.blocks) << ");\n"
         << "  if (sig_ack[0] < 0 && pipe(sig_ack) != 0) setup_failed(\"pipe\");\n"
         << "  blocked_pid[" << c << "] = fork();\n"
         << "  if (blocked_pid[" << c << "] < 0) setup_failed(\"fork\");\n"
         << "  if (blocked_pid[" << c << "] == 0) {\n"
         << "    in_child = 1;\n"
         << "    prctl(PR_SET_PDEATHSIG, SIGKILL);  /* never outlive the parent */\n"
         << "    if (getppid() != parent_pid) _exit(0);\n"
         << "    step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
         << Indent(s.code, "    ") << "    alarm(0);\n"
         << "    _exit(0);\n"
         << "  }\n"
         << "  {\n"
         << "    static const long nrs[] = " << nrs << ";\n"
         << "    await_blocked(" << c << ", nrs, " << (s.syscalls.empty() ? "0" : n) << ", "
         << Lit(s.blocks) << ");\n"
         << "  }\n"
         << "  alarm(0);\n";
      break;
    case Item::BType::kAwaitBlocked:
      os << "  step_alarm(" << Lit(title) << ", " << Lit(s.blocks) << ");\n"
         << "  {\n"
         << "    static const long nrs[] = " << nrs << ";\n"
         << "    await_blocked(" << c << ", nrs, " << (s.syscalls.empty() ? "0" : n) << ", "
         << Lit(s.blocks) << ");\n"
         << "  }\n"
         << "  alarm(0);\n";
      break;
    case Item::BType::kSignal:
      os << "  step_alarm(" << Lit(title) << ", \"a handled signal's handler runs\");\n"
         << "  if (kill(blocked_pid[" << c << "], " << s.sig << ") != 0) setup_failed(\"kill\");\n"
         << "  await_handler(" << c << ");\n"
         << "  alarm(0);\n";
      break;
    case Item::BType::kAwaitChild:
      // The child's own alarm (started with its call) reports a hang first.
      os << "  step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
         << "  alarm(2 * STEP_ALARM_SECONDS);\n"
         << "  await_child(" << c << ");\n"
         << "  alarm(0);\n";
      break;
    case Item::BType::kKill:
      os << "  step_alarm(" << Lit(title) << ", \"a killed child ends\");\n"
         << "  if (kill(blocked_pid[" << c << "], " << s.sig << ") != 0) setup_failed(\"kill\");\n"
         << "  {\n"
         << "    int st;\n"
         << "    pid_t r;\n"
         << "    while ((r = waitpid(blocked_pid[" << c << "], &st, 0)) < 0 && errno == EINTR) {}\n"
         << "    if (r < 0) setup_failed(\"waitpid\");\n"
         << "    blocked_reaped[" << c << "] = 1;\n"
         << "    if (WIFEXITED(st) && WEXITSTATUS(st) == 1) {\n"
         << "      fprintf(stderr, \"(blocked child " << c << " found the broken promise above)\\n\");\n"
         << "      exit(1);\n"
         << "    }\n"
         << "    if (!WIFSIGNALED(st) || WTERMSIG(st) != " << s.sig << ")\n"
         << "      broken(\"the child is killed by the signal sent to it (man 2 kill)\",\n"
         << "             \"blocked child " << c << ": wait status 0x%x\", st);\n"
         << "  }\n"
         << "  alarm(0);\n";
      break;
    case Item::BType::kNone:
      break;
  }
  return os.str();
}

std::string Recording::Render(const Header& h, const CSnippet& kind) const {
  std::ostringstream os;
  std::string libs;
  std::set<std::string> all_libs = libs_;
  {
    std::istringstream ls(kind.libs);
    std::string l;
    while (ls >> l) all_libs.insert(l);
  }
  for (const auto& l : all_libs) libs += " " + l;
  os << "/* A standalone reproducer, generated by ipcspec (impl/repro) from the shrunk\n"
     << " * counterexample of a property. It needs no ipcspec file:\n"
     << " *\n"
     << " *   cc -o repro repro.c" << libs << " && ./repro\n"
     << " *\n"
     << " * Exit status: 0 the environment behaves as documented in these steps;\n"
     << " * 1 a documented promise is broken (or a step hung past its alarm): the\n"
     << " * message names the promise and what happened; 2 it could not set up.\n"
     << " *\n"
     << " * Test:     " << CommentText(h.test) << "\n"
     << " * Kind:     " << CommentText(h.kind) << " (" << CommentText(h.kind_description) << ")\n"
     << " * Property: " << CommentText(h.property) << "\n"
     << " * Checks:   " << CommentText(h.cites) << "\n";
  if (!h.rerun.empty()) os << " * Found by: " << CommentText(h.rerun) << "\n";
  if (!h.failure.empty()) {
    os << " *\n * What ipcspec saw:\n" << Commented(h.failure, 16);
  }
  os << " */\n";
  os << "#define _GNU_SOURCE\n";
  os << "#pragma GCC diagnostic ignored \"-Wunused-function\"  /* not every helper is used */\n";
  std::set<std::string> inc = {"<errno.h>",    "<fcntl.h>",    "<signal.h>",    "<stdarg.h>",
                               "<stdint.h>",   "<stdio.h>",    "<stdlib.h>",    "<string.h>",
                               "<sys/types.h>", "<sys/wait.h>", "<unistd.h>"};
  inc.insert(includes_.begin(), includes_.end());
  for (const auto& st : steps_) {
    if (st.blocked >= 0) inc.insert({"<sched.h>", "<sys/prctl.h>", "<sys/syscall.h>"});
  }
  for (const auto& i : inc) os << "#include " << i << "\n";
  if (!kind.includes.empty()) os << kind.includes << (kind.includes.back() == '\n' ? "" : "\n");
  os << "\n#define STEP_ALARM_SECONDS " << kStepAlarmSeconds << "\n";
  os << kRuntime;
  bool children = false;
  for (const auto& st : steps_) children = children || st.idx >= 0;
  if (children) os << kChildRuntime;
  int max_blocked = -1;
  for (const auto& st : steps_) max_blocked = std::max(max_blocked, st.blocked);
  if (max_blocked >= 0) os << kBlockedRuntime;
  bool child_blocking = false;
  for (const auto& st : steps_) {
    child_blocking = child_blocking || st.type == Item::Type::kChildStart ||
                     st.type == Item::Type::kChildBlocked;
  }
  if (child_blocking) os << kChildBlockingRuntime;
  os << "\n";
  os << "/* The " << CommentText(h.kind) << ": " << CommentText(h.kind_description) << ". */\n"
     << kind.globals << (kind.globals.empty() || kind.globals.back() == '\n' ? "" : "\n");
  os << "\nstatic void teardown(void) {\n"
     << Indent(kind.teardown, "  ") << "}\n";
  for (const auto& hp : helpers_) os << "\n" << hp.second << (hp.second.back() == '\n' ? "" : "\n");

  // Which children exist, and their steps (rendered inside the fork).
  int max_child = -1;
  for (const auto& s : steps_) max_child = std::max(max_child, s.idx);
  std::map<int, size_t> step_no;
  {
    size_t n = 0;
    for (size_t i = 0; i < steps_.size(); ++i) step_no[static_cast<int>(i)] = ++n;
  }

  os << "\nint main(void) {\n"
     << "  struct sigaction sa;\n"
     << "  memset(&sa, 0, sizeof sa);\n"
     << "  sa.sa_handler = on_alarm;\n"
     << "  sigaction(SIGALRM, &sa, NULL);\n"
     << "  parent_pid = getpid();\n"
     << "  setvbuf(stdout, NULL, _IONBF, 0);\n\n"
     << "  atexit(teardown);  /* also after a failure: nothing outlives the run */\n"
     << "  step_alarm(\"setup: " << CommentText(h.kind) << "\", \"\");\n"
     << Indent(kind.setup, "  ") << "  alarm(0);\n";
  if (!prologue_.empty()) os << Indent(prologue_, "  ");
  for (size_t i = 0; i < steps_.size(); ++i) {
    const Item& s = steps_[i];
    const std::string num = std::to_string(step_no[static_cast<int>(i)]);
    const std::string title = "step " + num + ": " + s.title;
    os << "\n  /* " << CommentText(title) << " */\n";
    if (s.btype != Item::BType::kNone) {
      os << RenderBlocked(s, title);
      continue;
    }
    switch (s.type) {
      case Item::Type::kStep:
        os << "  step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
           << Indent(s.code, "  ") << "  alarm(0);\n";
        break;
      case Item::Type::kFork: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", \"\");\n"
           << "  if (pipe(go_fd[" << c << "]) != 0 || pipe(done_fd[" << c
           << "]) != 0) setup_failed(\"pipe\");\n"
           << "  child_pid[" << c << "] = fork();\n"
           << "  if (child_pid[" << c << "] < 0) setup_failed(\"fork\");\n"
           << "  if (child_pid[" << c << "] == 0) {\n"
           << "    in_child = 1;\n"
           << "    alarm(0);\n"
           << "    close(go_fd[" << c << "][1]);\n"
           << "    close(done_fd[" << c << "][0]);\n";
        for (int j = 0; j < s.idx; ++j) {
          os << "    close(go_fd[" << j << "][1]);  /* child " << j << "'s control pipes */\n"
             << "    close(done_fd[" << j << "][0]);\n";
        }
        os << Indent(s.code, "    ");
        // The fork is done when the child has set up (dropped what it must
        // not hold): only then may the parent go on, as in the property.
        os << "    child_done(" << c << ");  /* set up */\n";
        bool exited = false;
        for (size_t k = i + 1; k < steps_.size(); ++k) {
          const Item& t = steps_[k];
          if (t.idx != s.idx) continue;
          const std::string tt =
              "step " + std::to_string(step_no[static_cast<int>(k)]) + ": " + t.title;
          if (t.type == Item::Type::kChildStep || t.type == Item::Type::kChildStart) {
            os << "    /* " << CommentText(tt) << " */\n"
               << "    child_await(" << c << ");\n"
               << "    step_alarm(" << Lit(tt) << ", " << Lit(t.hang) << ");\n"
               << Indent(t.code, "    ") << "    alarm(0);\n"
               << "    child_done(" << c << ");\n";
          } else if (t.type == Item::Type::kChildExit) {
            os << "    /* " << CommentText(tt) << " */\n"
               << "    child_await(" << c << ");\n"
               << "    _exit(0);\n";
            exited = true;
            break;
          } else if (t.type == Item::Type::kKill) {
            break;
          }
        }
        if (!exited) os << "    child_await(" << c << ");  /* until the parent ends */\n    _exit(0);\n";
        os << "  }\n"
           << "  close(go_fd[" << c << "][0]);\n"
           << "  close(done_fd[" << c << "][1]);\n"
           << "  parent_await(" << c << ");  /* the child has set up */\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kChildStep: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
           << "  parent_go(" << c << ");\n"
           << "  parent_await(" << c << ");\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kChildExit: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", \"the child exits when told to\");\n"
           << "  parent_go(" << c << ");\n"
           << "  reap(" << c << ", 0);\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kChildStart: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
           << "  parent_go(" << c << ");  /* the child's call is to block: no wait here */\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kChildBlocked: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", " << Lit("the child goes to sleep in its call")
           << ");\n"
           << "  {\n"
           << "    static const long calls[] = {" << s.code << "};\n"
           << "    wait_blocked(" << c << ", calls, (int)(sizeof calls / sizeof calls[0]),\n"
           << "                 " << Lit(s.hang) << ");\n"
           << "  }\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kChildAwait: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", " << Lit(s.hang) << ");\n"
           << "  alarm(STEP_ALARM_SECONDS + 1);  /* the child's own alarm reports a hang first */\n"
           << "  parent_await(" << c << ");\n"
           << "  alarm(0);\n";
        break;
      }
      case Item::Type::kKill: {
        const std::string c = std::to_string(s.idx);
        os << "  step_alarm(" << Lit(title) << ", \"a killed child ends\");\n"
           << "  if (kill(child_pid[" << c << "], " << s.sig << ") != 0) setup_failed(\"kill\");\n"
           << "  reap(" << c << ", " << s.sig << ");\n"
           << "  alarm(0);\n";
        break;
      }
    }
  }
  os << "\n  /* The end: children still running are told to exit (their control\n"
     << "     pipe closes) and reaped. */\n"
     << "  step_alarm(\"the end: reaping the children\", \"a child exits when its parent is done\");\n";
  // A child still in a step that blocks (ChildStart with no ChildAwait
  // after it: the case ended with it asleep, as in the property) is ended
  // with SIGKILL; the others are told to exit.
  std::set<int> pending;
  for (const auto& st : steps_) {
    if (st.type == Item::Type::kChildStart) pending.insert(st.idx);
    if (st.type == Item::Type::kChildAwait || st.type == Item::Type::kKill) pending.erase(st.idx);
  }
  for (int c = 0; c <= max_child; ++c) {
    if (pending.count(c) != 0) {
      os << "  if (!child_reaped[" << c << "]) {  /* still asleep in its call: SIGKILL */\n"
         << "    kill(child_pid[" << c << "], SIGKILL);\n"
         << "    reap_killed(" << c << ");\n"
         << "  }\n";
      continue;
    }
    os << "  if (!child_reaped[" << c << "]) {\n"
       << "    close(go_fd[" << c << "][1]);\n"
       << "    reap(" << c << ", 0);\n"
       << "  }\n";
  }
  for (int c = 0; c <= max_blocked; ++c) {
    os << "  if (!blocked_reaped[" << c << "] && blocked_pid[" << c << "] > 0) {\n"
       << "    kill(blocked_pid[" << c << "], SIGKILL);\n"
       << "    while (waitpid(blocked_pid[" << c << "], NULL, 0) < 0 && errno == EINTR) {}\n"
       << "  }\n";
  }
  os << "  alarm(0);\n"
     << "  printf(\"OK: " << steps_.size()
     << " step(s): the environment behaves as documented\\n\");\n"
     << "  return 0;\n"
     << "}\n";
  return os.str();
}

Recording* Active() { return g_session == nullptr ? nullptr : g_session->recording(); }

Session::Session(Recording::Header header, CSnippet kind)
    : header_(std::move(header)), kind_(std::move(kind)), previous_(g_session) {
  g_session = this;
}
Session::~Session() { g_session = previous_; }
Session* Session::Current() { return g_session; }

void Session::BeginCase() {
  // A Kind that cannot print itself records nothing: no cost.
  if (kind_.empty()) return;
  static const bool off = [] {
    const char* m = std::getenv("IPCSPEC_REPRO");
    return m != nullptr && std::string(m) == "off";
  }();
  if (off) return;
  current_ = std::make_unique<Recording>();
}

void Session::EndCase(bool failed) {
  if (!current_) return;
  if (failed) {
    last_failing_ = std::move(current_);
  } else if (current_->unprintable().empty() &&
             (!last_passing_ || current_->steps() >= last_passing_->steps())) {
    // On demand (IPCSPEC_REPRO=always), the longest printable passing case.
    last_passing_ = std::move(current_);
  } else {
    current_.reset();
  }
}

std::string OutputDir() {
  for (const char* v : {"IPCSPEC_REPRO_DIR", "TEST_UNDECLARED_OUTPUTS_DIR", "TEST_TMPDIR"}) {
    const char* d = std::getenv(v);
    if (d != nullptr && *d != '\0') return d;
  }
  return "/tmp";
}

std::string Session::Finish(bool passed, const std::string& failure_message) {
  const char* mode = std::getenv("IPCSPEC_REPRO");
  const bool always = mode != nullptr && std::string(mode) == "always";
  if (mode != nullptr && std::string(mode) == "off") return "";
  if (passed && !always) return "";
  if (kind_.empty()) {
    return "Reproducer: none: the Kind " + header_.kind + " cannot print itself as C (" +
           (kind_.why_not.empty() ? "it has no C setup" : kind_.why_not) +
           "); replay the case with the RC_PARAMS line of the failure";
  }
  const Recording* r = passed ? last_passing_.get() : last_failing_.get();
  if (r == nullptr || r->empty()) {
    return "Reproducer: none: the property " + header_.property +
           " does not print its steps as C (impl/repro covers it for the models listed in "
           "the README, \"Reproducers\")";
  }
  if (!r->unprintable().empty()) {
    return "Reproducer: none: a step of this counterexample does not print itself as C (" +
           r->unprintable() + "); replay the case with the RC_PARAMS line";
  }
  Recording::Header h = header_;
  if (!passed) {
    h.failure = failure_message;
  } else {
    h.failure = "(nothing: generated on demand, IPCSPEC_REPRO=always, from the longest case "
                "run, which passed here)";
  }
  const std::string path = OutputDir() + "/repro-" + SafeFileName(header_.test) + ".c";
  const std::string text = r->Render(h, kind_);
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr || std::fwrite(text.data(), 1, text.size(), f) != text.size()) {
    if (f != nullptr) std::fclose(f);
    return "Reproducer: could not write " + path;
  }
  std::fclose(f);
  std::string libs = kind_.libs;
  return "Reproducer (standalone C, " + std::to_string(r->steps()) + " step(s)): " + path +
         "\n  cc -o repro " + path + (libs.empty() ? "" : " " + libs) +
         " && ./repro   (exit 0: as documented; 1: the promise is broken)";
}

}  // namespace ipcspec::repro
