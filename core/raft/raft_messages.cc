#include "core/raft/raft_messages.h"

#include "absl/status/status.h"
#include "core/assert.h"
#include "core/constants.h"
#include "core/raft/raft_config.h"

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

// Each message lists its fixed-size fields once, in wire order (Wire<M>::Fields); encoding and
// decoding walk the same list, so the two cannot drift apart. Variable-size parts (entries, a
// command, snapshot bytes) follow the fixed fields, with their own limits.
class FieldWriter {
 public:
  explicit FieldWriter(ByteWriter& w) : w_(w) {}
  void operator()(uint64_t v) { w_.U64(v); }
  void operator()(int64_t v) { w_.I64(v); }
  void operator()(bool v) { w_.U8(v ? 1 : 0); }

 private:
  ByteWriter& w_;
};

// Stops reading at the first failure, like a chain of `||`.
class FieldReader {
 public:
  explicit FieldReader(ByteReader& r) : r_(r) {}
  void operator()(uint64_t& v) { ok_ = ok_ && r_.U64(&v); }
  void operator()(int64_t& v) { ok_ = ok_ && r_.I64(&v); }
  void operator()(bool& v) { ok_ = ok_ && Flag(r_, &v); }
  bool ok() const { return ok_; }

 private:
  ByteReader& r_;
  bool ok_ = true;
};

// Wire<M>::Fields(m, f) calls f on each fixed field of m (m const when encoding); kWhat names the
// message in decode errors.
template <typename M>
struct Wire;

template <>
struct Wire<RaftEntry> {
  static constexpr const char* kWhat = "entry header";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.index);
    f(m.now_ms);
  }
};

template <>
struct Wire<RaftVoteRequest> {
  static constexpr const char* kWhat = "vote request";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.pre_vote);
    f(m.last_log_index);
    f(m.last_log_term);
  }
};

template <>
struct Wire<RaftVoteReply> {
  static constexpr const char* kWhat = "vote reply";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.pre_vote);
    f(m.granted);
  }
};

template <>
struct Wire<RaftAppend> {
  static constexpr const char* kWhat = "append header";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.prev_index);
    f(m.prev_term);
    f(m.commit_index);
    f(m.read_seq);
  }
};

template <>
struct Wire<RaftAppendReply> {
  static constexpr const char* kWhat = "append reply";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.success);
    f(m.match_index);
    f(m.conflict_index);
    f(m.conflict_term);
    f(m.read_seq);
  }
};

template <>
struct Wire<RaftSnapshotChunk> {
  static constexpr const char* kWhat = "snapshot chunk";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.last_index);
    f(m.last_term);
    f(m.offset);
    f(m.total_bytes);
    f(m.read_seq);
  }
};

template <>
struct Wire<RaftSnapshotReply> {
  static constexpr const char* kWhat = "snapshot reply";
  template <typename M, typename F>
  static void Fields(M& m, F& f) {
    f(m.term);
    f(m.last_index);
    f(m.next_offset);
    f(m.installed);
    f(m.read_seq);
  }
};

template <typename M>
void EncodeFields(const M& m, ByteWriter& w) {
  FieldWriter f(w);
  Wire<M>::Fields(m, f);
}

template <typename M>
bool DecodeFields(M* m, ByteReader& r) {
  FieldReader f(r);
  Wire<M>::Fields(*m, f);
  return f.ok();
}

// A message made only of fixed fields.
template <typename M>
absl::StatusOr<M> DecodeFixed(ByteReader& r) {
  M m;
  if (!DecodeFields(&m, r)) return Truncated(Wire<M>::kWhat);
  return m;
}

}  // namespace

// The byte after an entry's header: 0 a command, 1 a no-op, 2 a configuration (then its members).
// Older logs hold only 0 and 1 (the former no-op flag), so they decode unchanged.
enum class EntryKind : uint8_t { kCommand = 0, kNoop = 1, kConfig = 2 };

void EncodeRaftEntry(const RaftEntry& e, ByteWriter& w) {
  EncodeFields(e, w);
  KV_ASSERT(!(e.noop && !e.config.empty()));
  const EntryKind kind = e.noop ? EntryKind::kNoop : e.config.empty() ? EntryKind::kCommand : EntryKind::kConfig;
  w.U8(static_cast<uint8_t>(kind));
  if (kind == EntryKind::kConfig) EncodeRaftMembers(e.config, w);
  EncodeCommand(e.command, w);
}

void EncodeRaftMembers(const std::vector<RaftMember>& members, ByteWriter& w) {
  w.VarU64(members.size());
  for (const RaftMember& m : members) {
    w.VarU64(m.id);
    w.Bytes(m.address);
  }
}

bool DecodeRaftMembers(ByteReader& r, std::vector<RaftMember>* out) {
  out->clear();
  uint64_t count;
  if (!r.VarU64(&count) || count > kRaftMaxMembers) return false;
  for (uint64_t i = 0; i < count; ++i) {
    uint64_t id;
    RaftMember m;
    if (!r.VarU64(&id) || id == kNoNode || id > static_cast<uint64_t>(kMaxNodeId)) return false;
    if (!r.Bytes(&m.address, kMaxMemberAddressBytes)) return false;
    m.id = static_cast<NodeId>(id);
    if (!out->empty() && out->back().id >= m.id) return false;
    out->push_back(std::move(m));
  }
  return true;
}

absl::StatusOr<RaftEntry> DecodeRaftEntry(ByteReader& r) {
  RaftEntry e;
  uint8_t kind;
  if (!DecodeFields(&e, r) || !r.U8(&kind) || kind > static_cast<uint8_t>(EntryKind::kConfig)) {
    return Truncated(Wire<RaftEntry>::kWhat);
  }
  e.noop = kind == static_cast<uint8_t>(EntryKind::kNoop);
  // A configuration entry names at least one member.
  if (kind == static_cast<uint8_t>(EntryKind::kConfig) && (!DecodeRaftMembers(r, &e.config) || e.config.empty()))
    return Truncated("configuration");
  absl::StatusOr<Command> cmd = DecodeCommand(r);
  if (!cmd.ok()) return cmd.status();
  e.command = *std::move(cmd);
  return e;
}

void EncodeRaftBody(const RaftVoteRequest& m, ByteWriter& w) { EncodeFields(m, w); }
void EncodeRaftBody(const RaftVoteReply& m, ByteWriter& w) { EncodeFields(m, w); }
void EncodeRaftBody(const RaftAppendReply& m, ByteWriter& w) { EncodeFields(m, w); }
void EncodeRaftBody(const RaftSnapshotReply& m, ByteWriter& w) { EncodeFields(m, w); }

absl::StatusOr<RaftVoteRequest> DecodeRaftVoteRequest(ByteReader& r) { return DecodeFixed<RaftVoteRequest>(r); }
absl::StatusOr<RaftVoteReply> DecodeRaftVoteReply(ByteReader& r) { return DecodeFixed<RaftVoteReply>(r); }
absl::StatusOr<RaftAppendReply> DecodeRaftAppendReply(ByteReader& r) { return DecodeFixed<RaftAppendReply>(r); }
absl::StatusOr<RaftSnapshotReply> DecodeRaftSnapshotReply(ByteReader& r) { return DecodeFixed<RaftSnapshotReply>(r); }

void EncodeRaftBody(const RaftAppend& m, ByteWriter& w) {
  EncodeFields(m, w);
  w.VarU64(m.entries.size());
  for (const RaftEntry& e : m.entries) EncodeRaftEntry(e, w);
}

absl::StatusOr<RaftAppend> DecodeRaftAppend(ByteReader& r) {
  RaftAppend m;
  uint64_t count;
  if (!DecodeFields(&m, r) || !r.VarU64(&count)) return Truncated(Wire<RaftAppend>::kWhat);
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

void EncodeRaftBody(const RaftSnapshotChunk& m, ByteWriter& w) {
  EncodeFields(m, w);
  w.Bytes(m.data);
}

absl::StatusOr<RaftSnapshotChunk> DecodeRaftSnapshotChunk(ByteReader& r) {
  RaftSnapshotChunk m;
  if (!DecodeFields(&m, r) || !r.Bytes(&m.data, kRaftSnapshotChunkBytes))
    return Truncated(Wire<RaftSnapshotChunk>::kWhat);
  if (m.offset > m.total_bytes || m.data.size() > m.total_bytes - m.offset) return Truncated("snapshot chunk range");
  return m;
}

PeerMessage EncodeRaftMessage(const RaftMessage& m) {
  PeerMessage out;
  out.policy = kRaftPolicyTag;
  out.kind = static_cast<uint8_t>(m.index());
  ByteWriter w(&out.payload);
  std::visit([&w](const auto& body) { EncodeRaftBody(body, w); }, m);
  return out;
}

namespace {

// Decodes a whole payload as message type T: trailing bytes are an error too.
template <typename T>
absl::StatusOr<RaftMessage> DecodeWhole(absl::StatusOr<T> (*decode)(ByteReader&), std::string_view payload) {
  ByteReader r(payload);
  absl::StatusOr<T> m = decode(r);
  if (!m.ok()) return m.status();
  if (!r.done()) return absl::DataLossError("raft message: trailing bytes");
  return RaftMessage(*std::move(m));
}

}  // namespace

absl::StatusOr<RaftMessage> DecodeRaftMessage(const PeerMessage& m) {
  if (m.policy != kRaftPolicyTag) return absl::InvalidArgumentError("raft message: another policy's tag");
  switch (m.kind) {
    case 0: return DecodeWhole<RaftVoteRequest>(DecodeRaftVoteRequest, m.payload);
    case 1: return DecodeWhole<RaftVoteReply>(DecodeRaftVoteReply, m.payload);
    case 2: return DecodeWhole<RaftAppend>(DecodeRaftAppend, m.payload);
    case 3: return DecodeWhole<RaftAppendReply>(DecodeRaftAppendReply, m.payload);
    case 4: return DecodeWhole<RaftSnapshotChunk>(DecodeRaftSnapshotChunk, m.payload);
    case 5: return DecodeWhole<RaftSnapshotReply>(DecodeRaftSnapshotReply, m.payload);
    default: return absl::InvalidArgumentError("raft message: unknown kind");
  }
}
static_assert(std::variant_size_v<RaftMessage> == 6, "DecodeRaftMessage lists every kind");

}  // namespace kvlab::core
