#include "core/versioned/register_messages.h"

#include "core/constants.h"

namespace kvlab::core {
namespace {

void Body(const RegQuery& m, ByteWriter& w) {
  w.U64(m.op);
  w.Bytes(m.key);
}
void Body(const RegQueryReply& m, ByteWriter& w) {
  w.U64(m.op);
  w.Bytes(m.key);
  EncodeVersionedEntry(m.entry, w);
}
void Body(const RegStore& m, ByteWriter& w) {
  w.U64(m.op);
  w.Bytes(m.key);
  EncodeVersionedEntry(m.entry, w);
}
void Body(const RegStoreAck& m, ByteWriter& w) {
  w.U64(m.op);
  w.Bytes(m.key);
}

bool Head(ByteReader& r, uint64_t* op, std::string* key) { return r.U64(op) && r.Bytes(key, kMaxKeyBytes); }

template <typename T>
bool Decode(ByteReader& r, T* m) {
  if (!Head(r, &m->op, &m->key)) return false;
  if constexpr (std::is_same_v<T, RegQueryReply> || std::is_same_v<T, RegStore>) {
    return DecodeVersionedEntry(r, &m->entry);
  }
  return true;
}

template <typename T>
absl::StatusOr<RegisterMessage> DecodeWhole(std::string_view payload) {
  ByteReader r(payload);
  T m;
  if (!Decode(r, &m) || !r.done()) return absl::DataLossError("register message: truncated or bad payload");
  return RegisterMessage(std::move(m));
}

}  // namespace

PeerMessage EncodeRegisterMessage(uint8_t tag, const RegisterMessage& m) {
  PeerMessage out;
  out.policy = tag;
  out.kind = static_cast<uint8_t>(m.index());
  ByteWriter w(&out.payload);
  std::visit([&w](const auto& body) { Body(body, w); }, m);
  return out;
}

absl::StatusOr<RegisterMessage> DecodeRegisterMessage(uint8_t tag, const PeerMessage& m) {
  if (m.policy != tag) return absl::InvalidArgumentError("register message: another policy's tag");
  switch (m.kind) {
    case 0: return DecodeWhole<RegQuery>(m.payload);
    case 1: return DecodeWhole<RegQueryReply>(m.payload);
    case 2: return DecodeWhole<RegStore>(m.payload);
    case 3: return DecodeWhole<RegStoreAck>(m.payload);
    default: return absl::InvalidArgumentError("register message: unknown kind");
  }
}
static_assert(std::variant_size_v<RegisterMessage> == kRegisterMessageKinds, "the decoder lists every kind");

}  // namespace kvlab::core
