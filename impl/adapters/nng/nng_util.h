// Helpers shared by the nng Kinds.
#pragma once

#include <string>

#include "impl/core/posix_error.h"

namespace ipcspec {

// An nng error (NNG_EAGAIN, NNG_ETIMEDOUT, ..., NNG_ESYSERR + errno) as the
// errno that says the same, with nng_strerror in the text.
PosixError NngError(int rv, const std::string& call);
int NngErrno(int rv);

// A path for an ipc:// socket: under $TEST_TMPDIR (or /tmp), unique in this
// process, short enough for sun_path.
std::string NngIpcPath(const char* stem);

}  // namespace ipcspec
