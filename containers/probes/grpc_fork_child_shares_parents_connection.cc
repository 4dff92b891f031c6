/* grpc_fork_child_shares_parents_connection: after fork() done as gRPC
   documents it, each process's calls get their own replies.
     gRPC's documentation (/usr/include/grpc/impl/codegen/fork.h, gRPC 1.51):
     "gRPC applications should call this before calling fork(). There should
     be no active gRPC function calls between calling grpc_prefork() and
     grpc_postfork_parent()/grpc_postfork_child()", with its "Typical use";
     doc/fork_support.md (the same release): client-side fork support with
     GRPC_ENABLE_FORK_SUPPORT=true and GRPC_POLL_STRATEGY=poll.
   gRPC 1.51 (Debian libgrpc++-dev; a library finding, on every kernel): a
   process makes a call, then grpc_prefork(), fork(), grpc_postfork_parent()
   / grpc_postfork_child(). The child's new channel to the same unix: target
   takes the connection inherited from the parent out of gRPC's global
   subchannel pool, so both processes write HTTP/2 frames on one socket: a
   call gets the other process's reply, or no reply by its deadline
   (DEADLINE_EXCEEDED), or the server rejects the stream (UNKNOWN "Missing
   :path header"). With GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL on the child's
   channel every call gets its own reply (checked with that one change to
   this program: exit 0, 3 of 3 runs; the adapter's test
   ForkWithALocalSubchannelPool holds it).
   Finding: impl/adapters/grpc/divergences.tsv, Rpc.ForkAsDocumented
   (grpc_unary_unix).
     c++ -o grpc_fork_child_shares_parents_connection grpc_fork_child_shares_parents_connection.cc -lgrpc++ -lgrpc -lgpr -labsl_synchronization -lpthread
     ./grpc_fork_child_shares_parents_connection
   No generated code: an echo server on grpc::CallbackGenericService and
   calls through grpc::GenericStub, with bytes "call N from PID" that the
   server sends back. The server is a child process that never forks after
   starting gRPC (it dies with this program: PR_SET_PDEATHSIG); the calls
   run in another child, so this process never touches gRPC and cleans up:
   it kills the server and removes its socket file and temporary directory,
   on SIGALRM too. Every blocking step is bounded by alarm() or a call
   deadline.
   Exit status: 0 as documented, 1 when not, 2 when it cannot set up. */
#include <grpc/fork.h>
#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

struct Seen {
  int done;
  int right;   // the reply is this call's own bytes
  int code;    // grpc::StatusCode
  char reply[96];
  char msg[128];
};

static char dir[] = "/tmp/ipcspec_repro_grpc_XXXXXX";
static char sock[64];
static pid_t server_pid;

static void Cleanup() {
  if (server_pid > 0) {
    kill(server_pid, SIGKILL);
    waitpid(server_pid, NULL, 0);
  }
  unlink(sock);
  rmdir(dir);
}

static void OnAlarm(int) {
  static const char m[] = "SETUP: a step did not finish within the alarm; cleaned up\n";
  if (write(1, m, sizeof m - 1) < 0) {
  }
  Cleanup();  // kill, waitpid, unlink, rmdir: async-signal-safe
  _exit(2);
}

class Echo : public grpc::ServerGenericBidiReactor {
 public:
  Echo() { StartRead(&buf_); }
  void OnReadDone(bool ok) override {
    if (ok) {
      StartWrite(&buf_);
    } else {
      Finish(grpc::Status::OK);
    }
  }
  void OnWriteDone(bool ok) override {
    Finish(ok ? grpc::Status::OK : grpc::Status(grpc::StatusCode::INTERNAL, "write"));
  }
  void OnDone() override { delete this; }

 private:
  grpc::ByteBuffer buf_;
};

class EchoService : public grpc::CallbackGenericService {
  grpc::ServerGenericBidiReactor* CreateReactor(grpc::GenericCallbackServerContext*) override {
    return new Echo;
  }
};

static std::string Text(const grpc::ByteBuffer& b) {
  std::vector<grpc::Slice> slices;
  std::string s;
  if (!b.Dump(&slices).ok()) return s;
  for (auto& x : slices) s.append(reinterpret_cast<const char*>(x.begin()), x.size());
  return s;
}

static void Call(const std::shared_ptr<grpc::Channel>& ch, int n, int ms, Seen* seen) {
  grpc::GenericStub stub(ch);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(ms));
  const std::string req = "call " + std::to_string(n) + " from " + std::to_string(getpid());
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1), reply;
  grpc::CompletionQueue cq;
  grpc::Status status;
  auto rpc = stub.PrepareUnaryCall(&ctx, "/ipcspec.Repro/Echo", request, &cq);
  rpc->StartCall();
  rpc->Finish(&reply, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);  // the call's deadline bounds it
  const std::string got = status.ok() ? Text(reply) : "";
  seen->code = status.error_code();
  seen->right = status.ok() && got == req;
  snprintf(seen->reply, sizeof seen->reply, "%s", status.ok() ? got.c_str() : "-");
  snprintf(seen->msg, sizeof seen->msg, "%s", status.error_message().c_str());
  seen->done = 1;
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
}

static std::string Show(const char* what, const Seen& s) {
  static const char* names[] = {"OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED",
                                "NOT_FOUND", "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
                                "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED",
                                "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"};
  std::string r = std::string(what) + ": ";
  if (!s.done) return r + "never finished";
  r += s.code >= 0 && s.code <= 16 ? names[s.code] : std::to_string(s.code);
  if (s.code == 0) r += std::string(s.right ? " (its own reply)" : " (ANOTHER call's reply: \"") +
                        (s.right ? "" : std::string(s.reply) + "\")");
  else if (s.msg[0]) r += std::string(" \"") + s.msg + "\"";
  return r;
}

int main() {
  alarm(40);
  if (!mkdtemp(dir)) {
    perror("SETUP: mkdtemp");
    return 2;
  }
  snprintf(sock, sizeof sock, "%s/s", dir);
  signal(SIGALRM, OnAlarm);
  const std::string target = std::string("unix:") + sock;
  int ready[2];
  if (pipe(ready) != 0) return 2;
  pid_t parent = getpid();
  server_pid = fork();
  if (server_pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(2);
    signal(SIGALRM, SIG_DFL);
    alarm(40);
    close(ready[0]);
    EchoService service;
    grpc::ServerBuilder b;
    b.AddListeningPort(target, grpc::InsecureServerCredentials());
    b.RegisterCallbackGenericService(&service);
    std::unique_ptr<grpc::Server> server = b.BuildAndStart();
    if (!server || write(ready[1], "r", 1) != 1) _exit(2);
    server->Wait();  // until killed
    _exit(0);
  }
  close(ready[1]);
  char c;
  if (server_pid < 0 || read(ready[0], &c, 1) != 1) {
    printf("SETUP: the gRPC server did not start on %s\n", target.c_str());
    Cleanup();
    return 2;
  }
  Seen* seen = static_cast<Seen*>(
      mmap(NULL, 4 * sizeof(Seen), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
  if (seen == MAP_FAILED) {
    Cleanup();
    return 2;
  }
  memset(seen, 0, 4 * sizeof(Seen));
  pid_t user = fork();
  if (user == 0) {
    signal(SIGALRM, SIG_DFL);
    alarm(30);
    setenv("GRPC_ENABLE_FORK_SUPPORT", "true", 1);
    setenv("GRPC_POLL_STRATEGY", "poll", 1);
    auto ch = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
    Call(ch, 1, 5000, &seen[0]);
    grpc_prefork();
    pid_t kid = fork();
    if (kid == 0) {
      grpc_postfork_child();
      alarm(20);
      auto mine = grpc::CreateChannel(target, grpc::InsecureChannelCredentials());
      Call(mine, 2, 1000, &seen[1]);
      Call(mine, 3, 1000, &seen[2]);
      _exit(0);
    }
    grpc_postfork_parent();
    if (kid < 0) _exit(2);
    Call(ch, 4, 1000, &seen[3]);
    int ws = 0;
    waitpid(kid, &ws, 0);
    _exit(WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? 0 : 3);
  }
  int ws = 0;
  if (user < 0 || waitpid(user, &ws, 0) != user) {
    Cleanup();
    return 2;
  }
  const std::string calls = Show("the parent's call before fork", seen[0]) + "; " +
                            Show("the child's first call on a new channel", seen[1]) + "; " +
                            Show("the child's second call", seen[2]) + "; " +
                            Show("the parent's call after fork", seen[3]);
  int rc;
  if (!seen[0].done || !seen[0].right) {
    printf("SETUP: the call before fork failed: %s\n", calls.c_str());
    rc = 2;
  } else if (seen[1].right && seen[2].right && seen[3].right && WIFEXITED(ws) && WEXITSTATUS(ws) == 0) {
    printf("as documented: after grpc_prefork/fork/grpc_postfork_*, every call got its own reply: %s\n",
           calls.c_str());
    rc = 0;
  } else {
    printf("grpc/impl/codegen/fork.h says \"gRPC applications should call this [grpc_prefork] before calling "
           "fork()\" with grpc_postfork_parent()/grpc_postfork_child() after it (and doc/fork_support.md: "
           "GRPC_ENABLE_FORK_SUPPORT=true, GRPC_POLL_STRATEGY=poll); got: the parent's and the child's calls "
           "interfere: %s%s\n",
           calls.c_str(), WIFEXITED(ws) && WEXITSTATUS(ws) == 0 ? "" : " (the forking process did not end well)");
    rc = 1;
  }
  Cleanup();
  return rc;
}
