// The blocking calls of the EINTR table beyond the first fourteen: each makes
// a child block in one interface named by man 7 signal, "Interruption of
// system calls and library functions by signal handlers" (and "... by stop
// signals"), and lets the parent end the wait.
#pragma once

#include <memory>

#include "faults/eintr/eintr_table.h"

namespace ipcspec::eintr {

std::unique_ptr<BlockingCall> PipeReadv();
std::unique_ptr<BlockingCall> PipeWritevFull();

// ioctl(2) on a slow device: none that blocks can be had here.
std::unique_ptr<BlockingCall> SlowIoctl();

// The child waits for a grandchild that exits only when Complete() says so.
enum class WaitVia { kWait, kWait3, kWait4, kWaitid, kWaitpid };
std::unique_ptr<BlockingCall> WaitForChild(WaitVia via);

// AF_UNIX stream sockets. `timeout`: SO_RCVTIMEO (input) or SO_SNDTIMEO
// (output) of 60 s set on the socket that blocks.
enum class SockVia { kRecv, kRecvfrom, kRecvmsg, kRecvmmsg, kRecvmmsgTimeoutArg, kSend, kSendto, kSendmsg };
std::unique_ptr<BlockingCall> Accept(bool timeout);
std::unique_ptr<BlockingCall> ConnectFullBacklog(bool timeout);
std::unique_ptr<BlockingCall> SocketRecvVia(SockVia via, bool timeout);
std::unique_ptr<BlockingCall> SocketSendFull(SockVia via, bool timeout);

// flock(2) LOCK_EX, fcntl(2) F_SETLKW or F_OFD_SETLKW on a lock the parent holds.
enum class LockVia { kFlock, kSetlkw, kOfdSetlkw };
std::unique_ptr<BlockingCall> FileLock(LockVia via);

// POSIX message queues: a receive on an empty queue, a send to a full one.
std::unique_ptr<BlockingCall> MqReceive(bool timed);
std::unique_ptr<BlockingCall> MqSendFull(bool timed);

// futex(2) on a word in shared memory.
enum class FutexVia { kWait, kWaitTimeout, kWaitBitset, kWaitBitsetAbsTimeout };
std::unique_ptr<BlockingCall> Futex(FutexVia via);

std::unique_ptr<BlockingCall> GetRandom();

// Process-shared pthread objects in shared memory.
std::unique_ptr<BlockingCall> PthreadMutexLock(bool timed);
std::unique_ptr<BlockingCall> PthreadCondWait(bool timed);

std::unique_ptr<BlockingCall> SemWait(bool timed);
std::unique_ptr<BlockingCall> InotifyRead();

enum class SigWaitVia { kSigsuspend, kSigtimedwait, kSigwaitinfo };
std::unique_ptr<BlockingCall> WaitForSignal(SigWaitVia via);

enum class MuxVia { kEpollWait, kEpollPwait, kPpoll, kSelect, kPselect };
std::unique_ptr<BlockingCall> Multiplex(MuxVia via);

// semop(2) (timed false) or semtimedop(2) decrementing a zero semaphore.
std::unique_ptr<BlockingCall> SemOp(bool timed);

enum class SleepVia { kNanosleep, kClockNanosleep, kUsleep, kSleep };
std::unique_ptr<BlockingCall> Sleep(SleepVia via);

std::unique_ptr<BlockingCall> IoGetevents();

}  // namespace ipcspec::eintr
