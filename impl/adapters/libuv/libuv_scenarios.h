// libuv scenarios the interface suites cannot reach: descriptor passing with
// uv_write2 (and the leak audit after its errors), a real signal into a call
// blocked in the loop, and the reader killed under a blocked uv_write.
//
// Each check returns "" when the promise held, else what broke. A Sabotage
// turns the check's own subject into a mutant of it; the selftest
// (:libuv_scenarios_selftest) requires every mutant to be caught, so that no
// check is vacuous.
#pragma once

#include <string>

namespace ipcspec {

enum class Sabotage {
  kNone,
  kSendWrongDescriptor,   // uv_write2 sends another descriptor than asked
  kLeakADescriptor,       // an error path leaves a dup(2) open
  kRawReadGivesEintr,     // the blocked read is a poll(2)+read(2), not libuv
  kWriterIgnoresError,    // the blocked writer reports success whatever happens
  kBindTruncatedPath,     // (below)
  kRawWriteGivesEintr,    // the blocked write is a poll(2), not libuv     // binds the path already cut to sun_path's size
};

// uv_write2 over an ipc pipe (a socketpair) sends a pipe's write end; the
// receiver sees it pending (uv_pipe_pending_count, uv_pipe_pending_type),
// accepts it (uv_accept) and it is the same open file: bytes written through
// it come out of the pipe. Nothing is left open afterwards.
std::string CheckWrite2PassesADescriptor(Sabotage s);

// uv_write2's errors leave no descriptor behind: a handle sent on a pipe not
// made for IPC (ipc = 0), a handle sent to a peer that closed (EPIPE), a
// handle the receiver never accepts before closing, a handle read by a
// receiver that is not an IPC pipe.
std::string CheckWrite2ErrorsLeakNothing(Sabotage s);

// A signal (handler without SA_RESTART) into a read blocked in the loop, on
// both Kinds:
// the read neither fails nor loses or duplicates data; it returns the bytes
// written afterwards.
std::string CheckSignalIntoBlockedRead(Sabotage s);

// The same into a uv_write blocked on a full stream: once the reader drains,
// the write completes and every byte arrives exactly once.
std::string CheckSignalIntoBlockedWrite(Sabotage s);

// The reader is SIGKILLed while a uv_write waits on a full stream: the write
// callback reports UV_EPIPE (and SIGPIPE is raised), at once, never a hang or
// a success.
std::string CheckReaderKilledUnderBlockedWrite(Sabotage s);

// uv_pipe_bind and uv_close on the socket file. Short path: the socket file
// is the path, and uv_close removes it (not documented; the Kinds rely on it).
// A path longer than sun_path: the manual (1.44) says it is truncated ("Paths
// on Unix get truncated to sizeof(sockaddr_un.sun_path) bytes"), and libuv
// 1.44 then leaves the truncated file on disk after uv_close (it unlinks the
// untruncated name). Checked as libuv 1.44 behaves; the check removes what
// libuv leaves. Returns "" when libuv behaves so.
std::string CheckBindPathAndClose(Sabotage s, std::string* observed);

}  // namespace ipcspec
