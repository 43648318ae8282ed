// The `pb` policy's peer messages (the view service's heartbeat and lease travel under the same
// tag, kinds 200/201: core/view/view_service.h). Every message carries the sender's view epoch;
// a receiver acts only on its own epoch (fencing: nothing from an older view is accepted).
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/kv/command.h"
#include "core/message.h"

namespace kvlab::core {

inline constexpr uint8_t kPbPolicyTag = 6;

struct PbEntry {
  uint64_t lsn = 0;
  int64_t now_ms = 0;  // the primary's clock when it applied the write (expiry).
  Command command;
  bool operator==(const PbEntry&) const = default;
};
// Primary -> backup: the whole state as of `lsn` (state transfer at the start of an epoch).
struct PbInstall {
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  std::string state;  // KvState snapshot encoding.
  bool operator==(const PbInstall&) const = default;
};
// Backup -> primary: installed, durably.
struct PbInstallAck {
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  bool operator==(const PbInstallAck&) const = default;
};
// Primary -> backup: writes in LSN order.
struct PbReplicate {
  uint64_t epoch = 0;
  std::vector<PbEntry> entries;
  bool operator==(const PbReplicate&) const = default;
};
// Backup -> primary: every write up to `lsn` is durable here.
struct PbAck {
  uint64_t epoch = 0;
  uint64_t lsn = 0;
  bool operator==(const PbAck&) const = default;
};

using PbMessage = std::variant<PbInstall, PbInstallAck, PbReplicate, PbAck>;

// `tag`: the policy running the node (pb, or chain: core/chain).
PeerMessage EncodePbMessage(const PbMessage& m, uint8_t tag = kPbPolicyTag);
// DataLoss for anything that is not one well-formed message of this kind under `tag`.
absl::StatusOr<PbMessage> DecodePbMessage(const PeerMessage& m, uint8_t tag = kPbPolicyTag);

}  // namespace kvlab::core
