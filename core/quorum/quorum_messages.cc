#include "core/quorum/quorum_messages.h"

#include "core/constants.h"

namespace kvlab::core {
namespace {

void Body(const QuorumDigest& m, ByteWriter& w) {
  w.Bytes(m.from);
  w.Bytes(m.to);
  w.VarU64(m.entries.size());
  for (const auto& [key, v] : m.entries) {
    w.Bytes(key);
    w.U64(v.stamp);
    w.U32(v.node);
  }
}

void Body(const QuorumWant& m, ByteWriter& w) {
  w.VarU64(m.keys.size());
  for (const std::string& k : m.keys) w.Bytes(k);
}

void Body(const QuorumHint& m, ByteWriter& w) {
  w.U64(m.op);
  w.Bytes(m.key);
  EncodeVersionedEntry(m.entry, w);
}

bool Decode(ByteReader& r, QuorumHint* m) {
  return r.U64(&m->op) && r.Bytes(&m->key, kMaxKeyBytes) && DecodeVersionedEntry(r, &m->entry);
}

bool Decode(ByteReader& r, QuorumDigest* m) {
  uint64_t n = 0;
  if (!r.Bytes(&m->from, kMaxKeyBytes) || !r.Bytes(&m->to, kMaxKeyBytes) || !r.VarU64(&n) || n > r.remaining()) {
    return false;
  }
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    Version v;
    if (!r.Bytes(&key, kMaxKeyBytes) || !r.U64(&v.stamp) || !r.U32(&v.node)) return false;
    m->entries.emplace_back(std::move(key), v);
  }
  return true;
}

bool Decode(ByteReader& r, QuorumWant* m) {
  uint64_t n = 0;
  if (!r.VarU64(&n) || n > r.remaining()) return false;
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    if (!r.Bytes(&key, kMaxKeyBytes)) return false;
    m->keys.push_back(std::move(key));
  }
  return true;
}

template <typename T>
absl::StatusOr<QuorumMessage> DecodeWhole(std::string_view payload) {
  ByteReader r(payload);
  T m;
  if (!Decode(r, &m) || !r.done()) return absl::DataLossError("quorum message: truncated or bad payload");
  return QuorumMessage(std::move(m));
}

}  // namespace

PeerMessage EncodeQuorumMessage(const QuorumMessage& m) {
  if (m.index() < kRegisterMessageKinds) {
    return std::visit(
        [](const auto& body) -> PeerMessage {
          using T = std::decay_t<decltype(body)>;
          if constexpr (std::is_same_v<T, QuorumDigest> || std::is_same_v<T, QuorumWant> ||
                        std::is_same_v<T, QuorumHint>) {
            return PeerMessage{};  // unreachable: the index says a register message.
          } else {
            return EncodeRegisterMessage(kQuorumPolicyTag, RegisterMessage(body));
          }
        },
        m);
  }
  PeerMessage out;
  out.policy = kQuorumPolicyTag;
  out.kind = static_cast<uint8_t>(m.index());
  ByteWriter w(&out.payload);
  if (const auto* d = std::get_if<QuorumDigest>(&m)) Body(*d, w);
  if (const auto* want = std::get_if<QuorumWant>(&m)) Body(*want, w);
  if (const auto* hint = std::get_if<QuorumHint>(&m)) Body(*hint, w);
  return out;
}

absl::StatusOr<QuorumMessage> DecodeQuorumMessage(const PeerMessage& m) {
  if (m.policy != kQuorumPolicyTag) return absl::InvalidArgumentError("quorum message: another policy's tag");
  if (m.kind < kRegisterMessageKinds) {
    absl::StatusOr<RegisterMessage> reg = DecodeRegisterMessage(kQuorumPolicyTag, m);
    if (!reg.ok()) return reg.status();
    return std::visit([](auto& body) { return QuorumMessage(std::move(body)); }, *reg);
  }
  switch (m.kind) {
    case 4: return DecodeWhole<QuorumDigest>(m.payload);
    case 5: return DecodeWhole<QuorumWant>(m.payload);
    case 6: return DecodeWhole<QuorumHint>(m.payload);
    default: return absl::InvalidArgumentError("quorum message: unknown kind");
  }
}

}  // namespace kvlab::core
