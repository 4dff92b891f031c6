// Reference byte streams over FIFOs (mkfifo(3), man 7 fifo).
#pragma once

#include <string>

#include "impl/api/byte_stream.h"

namespace ipcspec {

// A fresh directory for FIFOs: $TEST_TMPDIR (or /tmp)/ipcspec-fifo.XXXXXX.
// The Cleanup removes it (and anything left in it).
PosixErrorOr<std::pair<std::string, std::shared_ptr<Cleanup>>> MakeFifoDir();

// mkfifo in a fresh directory, then opens both ends without blocking (the
// read end first with O_NONBLOCK, then the write end). With nonblocking
// false, O_NONBLOCK is cleared on both ends afterwards. The path is removed
// by the stream's cleanup.
PosixErrorOr<ByteStream> OpenFifo(bool nonblocking);

}  // namespace ipcspec
