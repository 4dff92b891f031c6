// Helpers shared by the Boost.Interprocess Kinds: exceptions to PosixError,
// names for the library's named objects, and times in the library's ptime.
//
// Boost.Interprocess reports failures by throwing interprocess_exception
// (boost/interprocess/exceptions.hpp), and "would block" / "timed out" by
// returning false from try_ and timed_ calls. The Kinds turn both into the
// PosixError the interfaces expect: an exception carries the errno of the
// failed system call when the library kept one (get_native_error()), else
// its error_code_t is mapped to the nearest errno (BoostErrno).
#pragma once

#include <time.h>

#include <chrono>
#include <exception>
#include <string>

#include "boost/date_time/posix_time/posix_time_types.hpp"
#include "boost/interprocess/exceptions.hpp"
#include "impl/core/posix_error.h"

namespace ipcspec {
namespace boost_ipc {

// The errno for an interprocess_exception: its native error when set, else
// its error_code_t mapped (size_error: EMSGSIZE, not_found_error: ENOENT,
// already_exists_error: EEXIST, ...). Never 0.
int BoostErrno(const boost::interprocess::interprocess_exception& e);
// "interprocess_exception size_error (native 0): what()".
std::string DescribeBoostException(const boost::interprocess::interprocess_exception& e);

// Runs `f` (a call into the library); an exception becomes a PosixError
// naming `call`. `f` returns a PosixError itself (NoError() on success).
// `call` is a std::string or a string literal; with a literal nothing is
// allocated unless the call fails (for Attach/Detach in forked children).
template <typename Call, typename F>
PosixError Guard(const Call& call, F&& f) {
  try {
    return f();
  } catch (const boost::interprocess::interprocess_exception& e) {
    return PosixError(BoostErrno(e), std::string(call) + " threw " + DescribeBoostException(e));
  } catch (const std::bad_alloc&) {
    return PosixError(ENOMEM, std::string(call) + " threw std::bad_alloc");
  } catch (const std::exception& e) {
    return PosixError(EIO, std::string(call) + " threw " + e.what());
  }
}

// A name for a Boost named object (shared memory, semaphore, mutex, queue).
// Boost adds the leading '/' itself (add_leading_slash) and shm_open()s or
// sem_open()s it in /dev/shm. Unique per process and call.
std::string NewBoostName(const std::string& what);

// An absolute CLOCK_REALTIME time as Boost's ptime (UTC, microseconds: the
// library's timed_ calls take "abs_time" in universal time, and convert it
// back with ptime_to_timespec, dropping what is below a microsecond).
boost::posix_time::ptime ToPtime(const struct timespec& abs);
// Now + d, as a ptime.
boost::posix_time::ptime PtimeIn(std::chrono::nanoseconds d);

}  // namespace boost_ipc
}  // namespace ipcspec
