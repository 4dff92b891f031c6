// The ByteStream suite: properties every byte stream Kind must have.
#pragma once

#include <vector>

#include "impl/api/byte_stream.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "ModelSequences": random sequences of writes, reads, closes and forked
//   writers against a byte-deque model.
// "ConcurrentWritersAreAtomic": writes of at most the atomic size from several
//   processes at once land whole.
const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamProperties();

}  // namespace ipcspec
