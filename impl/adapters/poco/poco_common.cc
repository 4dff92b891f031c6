#include "impl/adapters/poco/poco_common.h"

#include <sys/ipc.h>
#include <sys/sem.h>
#include <unistd.h>

#include <atomic>

namespace ipcspec {
namespace poco {

std::string DescribePocoException(const Poco::Exception& e, int err) {
  return std::string(e.className()) + ": " + e.displayText() + " (errno " +
         (err != 0 ? ErrnoName(err) : std::string("0")) + ")";
}

std::string NewPocoName(const std::string& what) {
  static std::atomic<unsigned> counter{0};
  return "ipcspec_poco_" + what + "_" + std::to_string(getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

std::string MutexFile(const std::string& name) { return "/tmp/" + name + ".mutex"; }
std::string EventFile(const std::string& name) { return "/tmp/" + name + ".event"; }

long PocoKey(const std::string& file) { return static_cast<long>(ftok(file.c_str(), 'p')); }

int PocoSemId(const std::string& file) {
  key_t key = ftok(file.c_str(), 'p');
  if (key == -1) return -1;
  return semget(key, 1, 0);
}

void RemovePocoObject(const std::string& file) {
  const int saved = errno;
  int id = PocoSemId(file);
  if (id >= 0) semctl(id, 0, IPC_RMID);
  unlink(file.c_str());
  errno = saved;
}

}  // namespace poco
}  // namespace ipcspec
