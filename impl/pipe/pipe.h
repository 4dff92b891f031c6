// Reference byte streams over pipe(2) / pipe2(2).
#pragma once

#include "impl/api/byte_stream.h"

namespace ipcspec {

// pipe2(flags); if shrink_to > 0, F_SETPIPE_SZ to that size afterwards.
PosixErrorOr<ByteStream> OpenPipe(int flags, size_t shrink_to = 0);

// The default pipe capacity on Linux since 2.6.11 (man 7 pipe: "16 pages").
size_t DefaultPipeCapacity();

}  // namespace ipcspec
