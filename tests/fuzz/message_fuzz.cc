// libFuzzer target: DecodeMessage must turn any byte string into a Message or a Status, never a
// crash; whatever decodes must re-encode to a frame that decodes to the same Message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/assert.h"
#include "core/message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  (void)kvlab::core::FrameSize(bytes);
  absl::StatusOr<kvlab::core::Message> msg = kvlab::core::DecodeMessage(bytes);
  if (!msg.ok()) return 0;
  const std::string again = kvlab::core::EncodeMessage(*msg);
  absl::StatusOr<kvlab::core::Message> round = kvlab::core::DecodeMessage(again);
  KV_ASSERT(round.ok());
  KV_ASSERT(*round == *msg);
  return 0;
}
