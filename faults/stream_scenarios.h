// Fault scenarios for every ByteStream Kind, as suite properties: they run
// with the stream properties in the selftest, so a mutant that only breaks
// under faults is caught too.
#pragma once

#include <vector>

#include "impl/api/byte_stream.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "WriteAllIsExactUnderInjectedFaults": WriteAll in a traced writer whose
//   write calls get EINTR, EAGAIN or genuine short counts at points rapidcheck
//   chooses; the reader gets exactly the bytes, once (a prefix when WriteAll
//   reports the EAGAIN).
// "KilledWriterLeavesAPrefix": the writer is SIGKILLed at the entry of its Nth
//   write; the reader gets a prefix of the data (whole writes only), then EOF.
const std::vector<SuiteProperty<ByteStreamInterface>>& StreamFaultScenarios();

}  // namespace ipcspec
