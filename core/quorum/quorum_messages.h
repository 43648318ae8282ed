// The `quorum` policy's peer messages: the register messages (core/versioned/register_messages.h,
// kinds 0..3) for reads, writes and repairs, and two of its own for anti-entropy (kinds 4, 5):
//   QuorumDigest: the sender's (key, version) list for the keys in [from, to] it shares with the
//     receiver; the receiver pushes what it holds newer (or the sender lacks) as RegStore with op 0,
//     and asks for what the sender holds newer with a QuorumWant.
//   QuorumWant: keys the sender of the digest should push.
// And one for the sloppy quorum (kind 6):
//   QuorumHint: a coordinator's store sent to a stand-in for an unreachable replica of the key; the
//     stand-in keeps it durably as a hint (not as its own data) and acks it as RegStoreAck once
//     synced, then hands it off to the key's replicas (core/quorum/hints.h).
// A digest is bounded by kQuorumDigestMaxBytes (the anti-entropy bytes per interval).
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/message.h"
#include "core/versioned/register_messages.h"

namespace kvlab::core {

inline constexpr uint8_t kQuorumPolicyTag = 14;
inline constexpr size_t kQuorumDigestMaxBytes = 64 * 1024;  // per anti-entropy round, per peer.

struct QuorumDigest {
  std::string from;  // key range covered, inclusive; `to` empty: to the end of the key space.
  std::string to;
  std::vector<std::pair<std::string, Version>> entries;
  bool operator==(const QuorumDigest&) const = default;
};

struct QuorumWant {
  std::vector<std::string> keys;
  bool operator==(const QuorumWant&) const = default;
};

struct QuorumHint {
  uint64_t op = 0;
  std::string key;
  VersionedEntry entry;
  bool operator==(const QuorumHint&) const = default;
};

using QuorumMessage =
    std::variant<RegQuery, RegQueryReply, RegStore, RegStoreAck, QuorumDigest, QuorumWant, QuorumHint>;

PeerMessage EncodeQuorumMessage(const QuorumMessage& m);
absl::StatusOr<QuorumMessage> DecodeQuorumMessage(const PeerMessage& m);

}  // namespace kvlab::core
