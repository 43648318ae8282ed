// KvStateDecoder: decodes a KvState encoding (KvState::EncodeSnapshot's bytes) fed in pieces of
// any size, such as InstallSnapshot's chunks as they arrive, so that no turn decodes a whole
// state (issue 17). An entry split across pieces waits, its bytes kept, for the rest. The checks
// and the result are DecodeSnapshot's on the whole.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/kv/kv_state.h"

namespace kvlab::core {

class KvStateDecoder {
 public:
  // `total_bytes`: the whole encoding's announced size, which bounds the set's reservation (an
  // entry takes at least 10 bytes) whatever count the bytes claim.
  explicit KvStateDecoder(uint64_t total_bytes) : total_bytes_(total_bytes) {}

  // Decodes every whole entry `bytes` completes. DataLoss on a bad header or entry (too long,
  // out of order); after an error every call returns it.
  absl::Status Feed(std::string_view bytes);
  // The state, once every entry arrived and no byte is left over; DataLoss otherwise.
  absl::StatusOr<KvState> Finish();

 private:
  enum class Step { kDone, kNeedMore, kBad };
  Step DecodeHeader(ByteReader& r);
  Step DecodeEntry(ByteReader& r);

  uint64_t total_bytes_;
  std::string pending_;  // fed bytes not decoded yet: the head of a split entry (or header).
  bool header_done_ = false;
  bool v2_ = false;
  uint64_t count_ = 0;             // entries the header announced.
  uint64_t decoded_ = 0;           // entries decoded so far.
  const KvEntry* last_ = nullptr;  // the last entry decoded (keys must ascend).
  KvState state_;
  absl::Status status_;
};

}  // namespace kvlab::core
