// The Rpc suite: properties every RPC Kind must have.
#pragma once

#include <vector>

#include "impl/api/rpc.h"
#include "suites/common/suite.h"

namespace ipcspec {

// "RepliesMatchRequests": with 1-4 concurrent client processes, every reply
//   is the reply to its own request.
// "ServerDeathGivesAnError": a server killed during a call gives the client an
//   error, promptly: never a hang and never a reply.
// "MalformedRequestsGetErrorReplies": a malformed or truncated request gets an
//   error reply, and the server keeps serving.
const std::vector<SuiteProperty<RpcInterface>>& RpcProperties();

}  // namespace ipcspec
