// The ByteStream fault properties: the fault scenarios for every ByteStream
// Kind, as suite properties built on the fault primitives of faults/ (the
// ptrace injector). //faults:stream_faults_test runs them against every Kind;
// the selftest (suites/selftest/byte_stream) runs them with the ByteStream
// properties, so a mutant that only breaks under faults is caught too.
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
// "FullStreamBlocksUntilDrained": a write to a full stream blocks until a
//   reader drains it.
// "ReadBlocksUntilDataOrEof": a read of an empty stream blocks until data or
//   the last writer's close.
const std::vector<SuiteProperty<ByteStreamInterface>>& ByteStreamFaultProperties();

}  // namespace ipcspec
