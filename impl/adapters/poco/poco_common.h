// Helpers shared by the POCO Kinds: exceptions to PosixError, names for the
// library's named objects, and the System V semaphore behind a POCO name.
//
// POCO (Debian libpoco-dev 1.11.0, libPocoFoundation) reports failures by
// throwing Poco::Exception subclasses (Poco/Exception.h): SystemException,
// ReadFileException, WriteFileException, ... None of them carries the errno
// of the failed system call (their code() is 0), so Guard() reads errno as
// the catch begins: the library throws right after the failed call
// (Foundation/src/NamedMutex_UNIX.cpp, PipeImpl_POSIX.cpp, ...), and building
// the exception allocates, which does not change errno on success. "Would
// block" is a `false` from tryLock(); the adapter names it EBUSY.
//
// On Linux, NamedMutex and NamedEvent are System V semaphores
// (NamedMutex_UNIX.cpp, NamedEvent_UNIX.cpp): the constructor creates the
// file /tmp/NAME.mutex (or /tmp/NAME.event) and semget()s the key
// ftok(file, 'p'), creating the set with IPC_CREAT|IPC_EXCL and SETVAL 1 (0
// for an event) or opening the existing one.
#pragma once

#include <cerrno>
#include <exception>
#include <string>

#include "Poco/Exception.h"
#include "impl/core/posix_error.h"

namespace ipcspec {
namespace poco {

// "SystemException: cannot lock named mutex: NAME (errno EIDRM)".
std::string DescribePocoException(const Poco::Exception& e, int err);

// Runs `f` (a call into the library, returning a PosixError); an exception
// becomes a PosixError naming `call`, with the errno read at the catch (EIO
// when it is 0). `call` is a string literal or std::string.
template <typename Call, typename F>
PosixError Guard(const Call& call, F&& f) {
  try {
    return f();
  } catch (const Poco::Exception& e) {
    const int err = errno;
    return PosixError(err != 0 ? err : EIO,
                      std::string(call) + " threw " + DescribePocoException(e, err));
  } catch (const std::bad_alloc&) {
    return PosixError(ENOMEM, std::string(call) + " threw std::bad_alloc");
  } catch (const std::exception& e) {
    const int err = errno;
    return PosixError(err != 0 ? err : EIO, std::string(call) + " threw " + e.what());
  }
}

// A name for a POCO named object: "ipcspec_poco_WHAT_PID_N", unique per
// process and call (a valid file name: POCO puts it under /tmp).
std::string NewPocoName(const std::string& what);

// The file POCO keys a NamedMutex / NamedEvent by on Linux:
// "/tmp/" + name + ".mutex" / ".event" (getFileName() in the .cpp files).
std::string MutexFile(const std::string& name);
std::string EventFile(const std::string& name);

// The key POCO 1.11 uses: ftok(file, 'p'). -1 with errno when the file is gone.
long PocoKey(const std::string& file);
// The System V semaphore set POCO made for `file` (semget(key, 1, 0)), or -1
// with errno (ENOENT: none).
int PocoSemId(const std::string& file);
// Removes the set (IPC_RMID) if there is one, and the file: what POCO never
// removes itself (NamedEvent), or leaves when its creator dies.
void RemovePocoObject(const std::string& file);

}  // namespace poco
}  // namespace ipcspec
