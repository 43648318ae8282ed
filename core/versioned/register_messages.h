// The peer messages of the leaderless register policies (`abd`, `quorum`): a coordinator queries
// replicas for a key's entry and stores an entry at replicas; each message carries the
// coordinator's operation id, which the answer echoes (an answer to an operation the coordinator
// no longer runs is dropped). They travel as core::PeerMessage with the policy's own tag; the kind
// is the index in RegisterMessage.
#pragma once

#include <cstdint>
#include <string>
#include <variant>

#include "absl/status/statusor.h"
#include "core/message.h"
#include "core/versioned/version.h"

namespace kvlab::core {

struct RegQuery {
  uint64_t op = 0;
  std::string key;
  bool operator==(const RegQuery&) const = default;
};

// A key never written answers a tombstone at the zero version.
struct RegQueryReply {
  uint64_t op = 0;
  std::string key;
  VersionedEntry entry;
  bool operator==(const RegQueryReply&) const = default;
};

struct RegStore {
  uint64_t op = 0;
  std::string key;
  VersionedEntry entry;
  bool operator==(const RegStore&) const = default;
};

// Sent once the replica's WAL sync covers the entry (or a newer one for the key).
struct RegStoreAck {
  uint64_t op = 0;
  std::string key;
  bool operator==(const RegStoreAck&) const = default;
};

using RegisterMessage = std::variant<RegQuery, RegQueryReply, RegStore, RegStoreAck>;
inline constexpr uint8_t kRegisterMessageKinds = 4;

PeerMessage EncodeRegisterMessage(uint8_t tag, const RegisterMessage& m);
// DataLoss for a payload that is not one whole message of its kind; InvalidArgument for another
// tag or an unknown kind. Never crashes.
absl::StatusOr<RegisterMessage> DecodeRegisterMessage(uint8_t tag, const PeerMessage& m);

}  // namespace kvlab::core
