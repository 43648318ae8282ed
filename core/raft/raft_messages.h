// Raft's peer messages (RequestVote incl. PreVote, AppendEntries, InstallSnapshot and their
// replies) and the log entry they carry, with their codec. They travel as core::PeerMessage with
// raft's policy tag: the kind names the message, the payload is its encoding below. The sender's
// and receiver's ids travel in the frame.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "core/bytes.h"
#include "core/kv/command.h"
#include "core/message.h"

namespace kvlab::core {

// One member of a raft configuration (core/types.h).
using RaftMember = Member;

struct RaftEntry {
  uint64_t term = 0;
  uint64_t index = 0;
  int64_t now_ms = 0;  // the leader's clock at proposal: every replica applies with it (expiry).
  bool noop = false;   // a new leader's first entry (§5.4.2, §6.4); carries no command.
  // Non-empty: a configuration entry (thesis §4.1, one server added or removed), the whole new
  // membership sorted by id; it carries no command. A server uses the latest configuration in
  // its log, committed or not.
  std::vector<RaftMember> config;
  Command command;
  bool operator==(const RaftEntry&) const = default;
};

// RequestVote (§5.2) or, with pre_vote, the PreVote probe (§9.6) for term `term`.
struct RaftVoteRequest {
  uint64_t term = 0;
  bool pre_vote = false;
  uint64_t last_log_index = 0;
  uint64_t last_log_term = 0;
  bool operator==(const RaftVoteRequest&) const = default;
};

struct RaftVoteReply {
  uint64_t term = 0;  // a granted pre-vote echoes the probed term; otherwise the voter's term.
  bool pre_vote = false;
  bool granted = false;
  bool operator==(const RaftVoteReply&) const = default;
};

// AppendEntries (§5.3); with no entries, a heartbeat. `read_seq` is echoed by the reply so the
// leader can confirm leadership for ReadIndex rounds (§6.4).
struct RaftAppend {
  uint64_t term = 0;
  uint64_t prev_index = 0;
  uint64_t prev_term = 0;
  uint64_t commit_index = 0;
  uint64_t read_seq = 0;
  std::vector<RaftEntry> entries;
  bool operator==(const RaftAppend&) const = default;
};

struct RaftAppendReply {
  uint64_t term = 0;
  bool success = false;
  uint64_t match_index = 0;     // success: the follower's log matches the leader's up to here.
  uint64_t conflict_index = 0;  // failure: where the leader should retry (fast back-tracking).
  uint64_t conflict_term = 0;   // failure: term of the follower's entry at prev_index, 0 if none.
  uint64_t read_seq = 0;
  bool operator==(const RaftAppendReply&) const = default;
};

// One chunk of InstallSnapshot (§7): the KvState encoding covering the log up to last_index.
struct RaftSnapshotChunk {
  uint64_t term = 0;
  uint64_t last_index = 0;
  uint64_t last_term = 0;
  uint64_t offset = 0;
  uint64_t total_bytes = 0;
  uint64_t read_seq = 0;
  std::string data;
  bool operator==(const RaftSnapshotChunk&) const = default;
};

struct RaftSnapshotReply {
  uint64_t term = 0;
  uint64_t last_index = 0;   // the snapshot this reply is about.
  uint64_t next_offset = 0;  // the byte the follower expects next.
  bool installed = false;    // the whole snapshot is installed and durable.
  uint64_t read_seq = 0;
  bool operator==(const RaftSnapshotReply&) const = default;
};

// The raft policy's tag in PeerMessage::policy (unique among policies: the registry checks).
inline constexpr uint8_t kRaftPolicyTag = 2;

// One of raft's messages; PeerMessage::kind is its index in this variant.
using RaftMessage =
    std::variant<RaftVoteRequest, RaftVoteReply, RaftAppend, RaftAppendReply, RaftSnapshotChunk, RaftSnapshotReply>;

// The message as raft's PeerMessage (kind + payload), and back. Decoding never crashes: DataLoss
// for a payload that is not a whole valid message of its kind, InvalidArgument for another
// policy's tag or an unknown kind.
PeerMessage EncodeRaftMessage(const RaftMessage& m);
absl::StatusOr<RaftMessage> DecodeRaftMessage(const PeerMessage& m);

// A membership (a configuration entry's, or a snapshot's): count, then id and address each.
// Decoding refuses more than kRaftMaxMembers, an invalid id, an address over
// kMaxMemberAddressBytes, or ids not strictly increasing; it may yield none (a joiner's snapshot).
void EncodeRaftMembers(const std::vector<RaftMember>& members, ByteWriter& w);
bool DecodeRaftMembers(ByteReader& r, std::vector<RaftMember>* out);

void EncodeRaftEntry(const RaftEntry& e, ByteWriter& w);
absl::StatusOr<RaftEntry> DecodeRaftEntry(ByteReader& r);

// Body codecs (used by the two above). Decoders return DataLoss on truncation, bad flags or limits
// exceeded; every count is checked against the remaining bytes before anything is allocated.
void EncodeRaftBody(const RaftVoteRequest& m, ByteWriter& w);
void EncodeRaftBody(const RaftVoteReply& m, ByteWriter& w);
void EncodeRaftBody(const RaftAppend& m, ByteWriter& w);
void EncodeRaftBody(const RaftAppendReply& m, ByteWriter& w);
void EncodeRaftBody(const RaftSnapshotChunk& m, ByteWriter& w);
void EncodeRaftBody(const RaftSnapshotReply& m, ByteWriter& w);
absl::StatusOr<RaftVoteRequest> DecodeRaftVoteRequest(ByteReader& r);
absl::StatusOr<RaftVoteReply> DecodeRaftVoteReply(ByteReader& r);
absl::StatusOr<RaftAppend> DecodeRaftAppend(ByteReader& r);
absl::StatusOr<RaftAppendReply> DecodeRaftAppendReply(ByteReader& r);
absl::StatusOr<RaftSnapshotChunk> DecodeRaftSnapshotChunk(ByteReader& r);
absl::StatusOr<RaftSnapshotReply> DecodeRaftSnapshotReply(ByteReader& r);

}  // namespace kvlab::core
