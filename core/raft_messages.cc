#include "core/raft_messages.h"

#include "absl/status/status.h"
#include "core/raft_config.h"

namespace kvlab::core {
namespace {

// term + index + now_ms + noop flag + the smallest command (op byte and two empty counts).
constexpr size_t kMinEntryBytes = 8 + 8 + 8 + 1 + 1;

bool Flag(ByteReader& r, bool* out) {
  uint8_t b;
  if (!r.U8(&b) || b > 1) return false;
  *out = b == 1;
  return true;
}

absl::Status Truncated(const char* what) {
  return absl::DataLossError(std::string("raft message: truncated or bad ") + what);
}

}  // namespace

void EncodeRaftEntry(const RaftEntry& e, ByteWriter& w) {
  w.U64(e.term);
  w.U64(e.index);
  w.I64(e.now_ms);
  w.U8(e.noop ? 1 : 0);
  EncodeCommand(e.command, w);
}

absl::StatusOr<RaftEntry> DecodeRaftEntry(ByteReader& r) {
  RaftEntry e;
  if (!r.U64(&e.term) || !r.U64(&e.index) || !r.I64(&e.now_ms) || !Flag(r, &e.noop)) {
    return Truncated("entry header");
  }
  absl::StatusOr<Command> cmd = DecodeCommand(r);
  if (!cmd.ok()) return cmd.status();
  e.command = *std::move(cmd);
  return e;
}

void EncodeRaftBody(const RaftVoteRequest& m, ByteWriter& w) {
  w.U64(m.term);
  w.U8(m.pre_vote ? 1 : 0);
  w.U64(m.last_log_index);
  w.U64(m.last_log_term);
}

absl::StatusOr<RaftVoteRequest> DecodeRaftVoteRequest(ByteReader& r) {
  RaftVoteRequest m;
  if (!r.U64(&m.term) || !Flag(r, &m.pre_vote) || !r.U64(&m.last_log_index) || !r.U64(&m.last_log_term)) {
    return Truncated("vote request");
  }
  return m;
}

void EncodeRaftBody(const RaftVoteReply& m, ByteWriter& w) {
  w.U64(m.term);
  w.U8(m.pre_vote ? 1 : 0);
  w.U8(m.granted ? 1 : 0);
}

absl::StatusOr<RaftVoteReply> DecodeRaftVoteReply(ByteReader& r) {
  RaftVoteReply m;
  if (!r.U64(&m.term) || !Flag(r, &m.pre_vote) || !Flag(r, &m.granted)) return Truncated("vote reply");
  return m;
}

void EncodeRaftBody(const RaftAppend& m, ByteWriter& w) {
  w.U64(m.term);
  w.U64(m.prev_index);
  w.U64(m.prev_term);
  w.U64(m.commit_index);
  w.U64(m.read_seq);
  w.VarU64(m.entries.size());
  for (const RaftEntry& e : m.entries) EncodeRaftEntry(e, w);
}

absl::StatusOr<RaftAppend> DecodeRaftAppend(ByteReader& r) {
  RaftAppend m;
  uint64_t count;
  if (!r.U64(&m.term) || !r.U64(&m.prev_index) || !r.U64(&m.prev_term) || !r.U64(&m.commit_index) ||
      !r.U64(&m.read_seq) || !r.VarU64(&count)) {
    return Truncated("append header");
  }
  if (count > kRaftMaxEntriesPerAppend || count > r.remaining() / kMinEntryBytes) {
    return Truncated("append entry count");
  }
  m.entries.reserve(count);
  for (uint64_t i = 0; i < count; ++i) {
    absl::StatusOr<RaftEntry> e = DecodeRaftEntry(r);
    if (!e.ok()) return e.status();
    m.entries.push_back(*std::move(e));
  }
  return m;
}

void EncodeRaftBody(const RaftAppendReply& m, ByteWriter& w) {
  w.U64(m.term);
  w.U8(m.success ? 1 : 0);
  w.U64(m.match_index);
  w.U64(m.conflict_index);
  w.U64(m.conflict_term);
  w.U64(m.read_seq);
}

absl::StatusOr<RaftAppendReply> DecodeRaftAppendReply(ByteReader& r) {
  RaftAppendReply m;
  if (!r.U64(&m.term) || !Flag(r, &m.success) || !r.U64(&m.match_index) || !r.U64(&m.conflict_index) ||
      !r.U64(&m.conflict_term) || !r.U64(&m.read_seq)) {
    return Truncated("append reply");
  }
  return m;
}

void EncodeRaftBody(const RaftSnapshotChunk& m, ByteWriter& w) {
  w.U64(m.term);
  w.U64(m.last_index);
  w.U64(m.last_term);
  w.U64(m.offset);
  w.U64(m.total_bytes);
  w.U64(m.read_seq);
  w.Bytes(m.data);
}

absl::StatusOr<RaftSnapshotChunk> DecodeRaftSnapshotChunk(ByteReader& r) {
  RaftSnapshotChunk m;
  if (!r.U64(&m.term) || !r.U64(&m.last_index) || !r.U64(&m.last_term) || !r.U64(&m.offset) ||
      !r.U64(&m.total_bytes) || !r.U64(&m.read_seq) || !r.Bytes(&m.data, kRaftSnapshotChunkBytes)) {
    return Truncated("snapshot chunk");
  }
  if (m.offset > m.total_bytes || m.data.size() > m.total_bytes - m.offset) return Truncated("snapshot chunk range");
  return m;
}

void EncodeRaftBody(const RaftSnapshotReply& m, ByteWriter& w) {
  w.U64(m.term);
  w.U64(m.last_index);
  w.U64(m.next_offset);
  w.U8(m.installed ? 1 : 0);
  w.U64(m.read_seq);
}

absl::StatusOr<RaftSnapshotReply> DecodeRaftSnapshotReply(ByteReader& r) {
  RaftSnapshotReply m;
  if (!r.U64(&m.term) || !r.U64(&m.last_index) || !r.U64(&m.next_offset) || !Flag(r, &m.installed) ||
      !r.U64(&m.read_seq)) {
    return Truncated("snapshot reply");
  }
  return m;
}

}  // namespace kvlab::core
