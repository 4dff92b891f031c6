// bazel run //faults:orphans -- [--reap] [--match REGEX] [--all-users]
//                                [--shm-dir DIR] [--mqueue-dir DIR] [--key-dir DIR]...
//
// Lists orphaned IPC objects (see impl/inject/orphans.h); with --reap, removes
// exactly what it listed. Other users' objects are left out unless
// --all-users is given. Exit status: 0 done, 1 something could not be
// removed, 2 bad usage.
#include <cstdio>
#include <cstring>
#include <string>

#include "impl/inject/orphans.h"

namespace {

int Usage(const char* why) {
  if (why) std::fprintf(stderr, "orphans: %s\n", why);
  std::fprintf(stderr,
               "usage: orphans [--reap] [--match REGEX] [--all-users] [--shm-dir DIR] "
               "[--mqueue-dir DIR] [--key-dir DIR]...\n"
               "  Lists SysV objects whose creator is dead and that nobody holds, the empty\n"
               "  files in the key directories (default /tmp; each --key-dir replaces it) whose\n"
               "  ftok(3) key is such an object's (POCO's /tmp/NAME.mutex and .event), and POSIX\n"
               "  shm, named semaphore and message queue names. --reap removes what is listed.\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  ipcspec::OrphanQuery q;
  bool reap = false;
  bool key_dir_given = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    if (a == "--reap") {
      reap = true;
    } else if (a == "--all-users") {
      q.all_users = true;
    } else if (a == "--match") {
      if (!value(q.match)) return Usage("--match needs a regular expression");
    } else if (a == "--shm-dir") {
      if (!value(q.shm_dir)) return Usage("--shm-dir needs a directory");
    } else if (a == "--mqueue-dir") {
      if (!value(q.mqueue_dir)) return Usage("--mqueue-dir needs a directory");
    } else if (a == "--key-dir") {
      std::string dir;
      if (!value(dir)) return Usage("--key-dir needs a directory");
      if (!key_dir_given) q.key_dirs.clear();
      key_dir_given = true;
      q.key_dirs.push_back(dir);
    } else if (a == "-h" || a == "--help") {
      Usage(nullptr);
      return 0;
    } else {
      return Usage(("unknown argument '" + a + "'").c_str());
    }
  }
  auto found = ipcspec::FindOrphans(q);
  if (!found.ok()) {
    std::fprintf(stderr, "orphans: %s\n", found.error().ToString().c_str());
    return 2;
  }
  std::fputs(ipcspec::FormatOrphans(found.value()).c_str(), stdout);
  std::printf("%zu orphan(s)%s\n", found.value().size(),
              q.all_users ? "" : " of this user (--all-users for everyone's)");
  if (!reap) return 0;
  auto errors = ipcspec::ReapOrphans(found.value());
  for (const auto& e : errors) std::fprintf(stderr, "orphans: %s\n", e.c_str());
  std::printf("removed %zu of %zu\n", found.value().size() - errors.size(), found.value().size());
  return errors.empty() ? 0 : 1;
}
