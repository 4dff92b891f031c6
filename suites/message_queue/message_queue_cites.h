// The MessageQueue suite's citations: the man page sentence each check of
// the model (message_queue_model.h) stands on. System V Kinds (msgtyp
// selection) cite man 2 msgop, the others man 3 mq_send / mq_receive.
#pragma once

#include <string>

#include "impl/api/message_queue.h"

namespace ipcspec {
namespace message_queue_internal {

// System V style: the Kind selects by msgtyp (man 2 msgop).
bool SysvStyle(const MessageQueueCaps& c);

std::string CiteFits(const MessageQueueCaps& c);
std::string CiteFull(const MessageQueueCaps& c);
extern const char* const kCiteSendTimedOut;
extern const char* const kCiteReceiveTimedOut;
extern const char* const kCiteInvalidTimeout;
std::string CiteOversize(const MessageQueueCaps& c);
std::string CiteBadTag(const MessageQueueCaps& c);
std::string CiteEmpty(const MessageQueueCaps& c);
std::string CiteWhich(const MessageQueueCaps& c);
std::string CiteBoundary(const MessageQueueCaps& c);
extern const char* const kCiteE2big;
extern const char* const kCiteTruncate;
extern const char* const kCiteShortBuffer;
std::string CiteCounters(const MessageQueueCaps& c);
std::string CiteBlocks(const MessageQueueCaps& c, bool send);

}  // namespace message_queue_internal
}  // namespace ipcspec
