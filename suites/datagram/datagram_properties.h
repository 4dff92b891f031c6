// The Datagram suite: properties every message-channel Kind must have.
#pragma once

#include <vector>

#include "impl/api/datagram.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "ModelSequences": random sends and receives in both directions against a
//   per-direction list of messages (boundaries, order, loss, duplication,
//   truncation, EAGAIN).
// "TruncationReportsTheRealLength": a receive into a short buffer gets a
//   prefix and the real length, and the next receive gets the next message.
const std::vector<SuiteProperty<DatagramInterface>>& DatagramProperties();

}  // namespace ipcspec
