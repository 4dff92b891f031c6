#include "impl/adapters/boost_interprocess/boost_common.h"

#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "boost/date_time/gregorian/gregorian_types.hpp"

namespace ipcspec {
namespace boost_ipc {

namespace bi = boost::interprocess;

int BoostErrno(const bi::interprocess_exception& e) {
  if (e.get_native_error() != 0) return e.get_native_error();
  switch (e.get_error_code()) {
    case bi::security_error: return EACCES;
    case bi::read_only_error: return EROFS;
    case bi::io_error: return EIO;
    case bi::path_error: return ENAMETOOLONG;
    case bi::not_found_error: return ENOENT;
    case bi::not_such_file_or_directory: return ENOENT;
    case bi::busy_error: return EBUSY;
    case bi::already_exists_error: return EEXIST;
    case bi::not_empty_error: return ENOTEMPTY;
    case bi::is_directory_error: return EISDIR;
    case bi::out_of_space_error: return ENOSPC;
    case bi::out_of_memory_error: return ENOMEM;
    case bi::out_of_resource_error: return EAGAIN;
    case bi::lock_error: return EDEADLK;
    case bi::sem_error: return EINVAL;
    case bi::mode_error: return EINVAL;
    case bi::size_error: return EMSGSIZE;
    case bi::corrupted_error: return EBADMSG;
    case bi::invalid_argument: return EINVAL;
    case bi::timeout_when_locking_error: return ETIMEDOUT;
    case bi::timeout_when_waiting_error: return ETIMEDOUT;
    case bi::owner_dead_error: return EOWNERDEAD;
    default: return EIO;
  }
}

std::string DescribeBoostException(const bi::interprocess_exception& e) {
  return "interprocess_exception (error_code_t " + std::to_string(e.get_error_code()) +
         ", native error " + std::to_string(e.get_native_error()) + "): " + e.what();
}

std::string NewBoostName(const std::string& what) {
  static std::atomic<unsigned> counter{0};
  return "ipcspec_boost_" + what + "_" + std::to_string(getpid()) + "_" +
         std::to_string(counter.fetch_add(1));
}

boost::posix_time::ptime ToPtime(const struct timespec& abs) {
  const boost::posix_time::ptime epoch(boost::gregorian::date(1970, 1, 1));
  return epoch + boost::posix_time::seconds(static_cast<long>(abs.tv_sec)) +
         boost::posix_time::microseconds(static_cast<long>(abs.tv_nsec / 1000));
}

boost::posix_time::ptime PtimeIn(std::chrono::nanoseconds d) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  long long ns = d.count() > 0 ? d.count() : 0;
  now.tv_sec += static_cast<time_t>(ns / 1000000000);
  now.tv_nsec += static_cast<long>(ns % 1000000000);
  if (now.tv_nsec >= 1000000000) {
    now.tv_sec += 1;
    now.tv_nsec -= 1000000000;
  }
  return ToPtime(now);
}

}  // namespace boost_ipc
}  // namespace ipcspec
