// The D-Bus Rpc Kind's object, shared with the scenario tests.
#pragma once

#include <systemd/sd-bus.h>

#include <cstdint>
#include <vector>

#include "impl/api/rpc.h"
#include "impl/core/deadline.h"
#include "impl/core/posix_error.h"

namespace ipcspec {

inline constexpr const char* kDbusRpcName = "org.ipcspec.Rpc";
inline constexpr const char* kDbusRpcPath = "/org/ipcspec/Rpc";
inline constexpr const char* kDbusRpcInterface = "org.ipcspec.Rpc";

// "Echo", "Sum", "Hold"; nullptr for a number with no method.
const char* DbusRpcMethodName(uint32_t method);

// One sd_bus_call of the Rpc object's method with `args` as its `ay`, with
// the deadline as the call's timeout. UnknownMethod and InvalidArgs replies
// are statuses (kRpcNoSuchMethod, kRpcMalformed); a NoReply before the
// deadline (the callee disconnected) is ECONNRESET; other errors as sd-bus
// returned them, with the D-Bus error's name and message.
PosixErrorOr<RpcReply> DbusRpcCall(sd_bus* bus, uint32_t method, const std::vector<uint8_t>& args,
                                   const Deadline& deadline);

}  // namespace ipcspec
