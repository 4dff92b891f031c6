#include "suites/message_queue/message_queue_cites.h"

namespace ipcspec {
namespace message_queue_internal {

bool SysvStyle(const MessageQueueCaps& c) { return c.type_selection; }

std::string CiteFits(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"If sufficient space is available in the queue, msgsnd() "
                        "succeeds immediately.\""
                      : "man 3 mq_send: \"mq_send() adds the message pointed to by msg_ptr to the "
                        "message queue\" (it blocks only when \"the number of messages on the "
                        "queue equals the queue's mq_maxmsg attribute\")";
}
std::string CiteFull(const MessageQueueCaps& c) {
  return SysvStyle(c)
             ? "man 2 msgop: \"A message queue is considered to be full if ... the total number "
               "of bytes in the queue [would] exceed ... msg_qbytes ... [or] the total number of "
               "messages in the queue [would] exceed ... msg_qbytes\"; \"If IPC_NOWAIT is "
               "specified in msgflg, then the call instead fails with the error EAGAIN.\""
             : "man 3 mq_send: \"If the message queue is already full (i.e., the number of "
               "messages on the queue equals the queue's mq_maxmsg attribute) ... If the "
               "O_NONBLOCK flag is enabled for the message queue description, then the call "
               "instead fails immediately with the error EAGAIN.\"";
}
const char* const kCiteSendTimedOut =
    "man 3 mq_send: \"ETIMEDOUT The call timed out before a message could be transferred.\"; "
    "\"If the message queue is full, and the timeout has already expired by the time of the "
    "call, mq_timedsend() returns immediately.\"";
const char* const kCiteReceiveTimedOut =
    "man 3 mq_receive: \"ETIMEDOUT The call timed out before a message could be "
    "transferred.\"; \"If no message is available, and the timeout has already expired by the "
    "time of the call, mq_timedreceive() returns immediately.\"";
const char* const kCiteInvalidTimeout =
    "man 3 mq_send / mq_receive: \"EINVAL The call would have blocked, and abs_timeout was "
    "invalid, either because tv_sec was less than zero, or because tv_nsec was less than zero "
    "or greater than 1000 million.\"";
std::string CiteOversize(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"EINVAL ... invalid msgsz value (less than 0 or greater "
                        "than the system value MSGMAX)\""
                      : "man 3 mq_send: \"EMSGSIZE msg_len was greater than the mq_msgsize "
                        "attribute of the message queue.\"";
}
std::string CiteBadTag(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"EINVAL Invalid msqid value, or nonpositive mtype value\""
                      : "man 7 mq_overview: \"Message priorities range from 0 (low) to "
                        "sysconf(_SC_MQ_PRIO_MAX) - 1 (high).\" (Linux: EINVAL beyond)";
}
std::string CiteEmpty(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"IPC_NOWAIT Return immediately if no message of the "
                        "requested type is in the queue. The system call fails with errno set "
                        "to ENOMSG.\""
                      : "man 3 mq_receive: \"If the queue is empty ... If the O_NONBLOCK flag "
                        "is enabled for the message queue description, then the call instead "
                        "fails immediately with the error EAGAIN.\"";
}
std::string CiteWhich(const MessageQueueCaps& c) {
  return SysvStyle(c)
             ? "man 2 msgop: \"If msgtyp is 0, then the first message in the queue is read. If "
               "msgtyp is greater than 0, then the first message in the queue of type msgtyp is "
               "read, unless MSG_EXCEPT was specified in msgflg, in which case the first message "
               "in the queue of type not equal to msgtyp will be read. If msgtyp is less than 0, "
               "then the first message in the queue with the lowest type less than or equal to "
               "the absolute value of msgtyp will be read.\""
             : "man 3 mq_receive: \"mq_receive() removes the oldest message with the highest "
               "priority from the message queue\"; man 7 mq_overview: \"messages are always "
               "delivered to the receiving process highest priority first\"";
}
std::string CiteBoundary(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgop: \"msgrcv() returns the number of bytes actually copied "
                        "into the mtext array\" (a message is received whole, with its mtype)"
                      : "man 3 mq_receive: \"On success, mq_receive() and mq_timedreceive() "
                        "return the number of bytes in the received message\"";
}
const char* const kCiteE2big =
    "man 2 msgop: \"If the message text has length greater than msgsz, then ... if MSG_NOERROR "
    "is not specified, then the message isn't removed from the queue and the system call fails "
    "returning -1 with errno set to E2BIG.\"";
const char* const kCiteTruncate =
    "man 2 msgop: \"If MSG_NOERROR is specified, then the message text will be truncated (and "
    "the truncated part will be lost)\"";
const char* const kCiteShortBuffer =
    "man 3 mq_receive: \"EMSGSIZE msg_len was less than the mq_msgsize attribute of the message "
    "queue.\"";
std::string CiteCounters(const MessageQueueCaps& c) {
  return SysvStyle(c) ? "man 2 msgctl: \"msg_cbytes Number of bytes in all messages currently on "
                        "the message queue\", \"msg_qnum Number of messages currently on the "
                        "message queue\", \"msg_qbytes Maximum number of bytes of message text "
                        "allowed on the message queue\""
                      : "man 3 mq_getattr: \"The mq_curmsgs field returns the number of messages "
                        "currently held in the queue.\"; \"The mq_maxmsg and mq_msgsize fields "
                        "are set when the message queue is created by mq_open(3).\"";
}
std::string CiteBlocks(const MessageQueueCaps& c, bool send) {
  if (SysvStyle(c)) {
    return send ? "man 2 msgop: \"If insufficient space is available in the queue, then the "
                  "default behavior of msgsnd() is to block until space becomes available.\""
                : "man 2 msgop: \"If no message of the requested type is available and IPC_NOWAIT "
                  "isn't specified in msgflg, the calling process is blocked until ... A message "
                  "of the desired type is placed in the queue.\"";
  }
  return send ? "man 3 mq_send: \"If the message queue is already full ... mq_send() blocks until "
                "sufficient space becomes available to allow the message to be queued\""
              : "man 3 mq_receive: \"If the queue is empty, then, by default, mq_receive() blocks "
                "until a message becomes available\"";
}

}  // namespace message_queue_internal
}  // namespace ipcspec
