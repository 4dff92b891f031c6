// The tcp_loopback Kind (tcp_loopback.cc) as C: what OpenTcpLoopback does,
// on 127.0.0.1 only, with the ends named rfd (the accepted socket, which
// reads) and wfd (the client, which writes), as in the other ByteStream
// Kinds' C. Only models whose reproducers follow TCP's delayed delivery and
// EPIPE use it (the readiness models: suites/readiness); the Kind itself
// says why it does not print itself for the others. No Kind is registered
// here: linking this does not add the inet Kinds to a binary.
#pragma once

#include "impl/api/kind.h"

namespace ipcspec {

// SO_SNDBUF and SO_RCVBUF of both sockets (fixed: no autotuning).
constexpr int kTcpLoopbackBufferBytes = 65536;

CSnippet TcpLoopbackC();

}  // namespace ipcspec
