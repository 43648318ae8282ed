#include "core/pb/pb_messages.h"

#include "core/bytes.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

constexpr uint8_t kInstall = 1, kInstallAck = 2, kReplicate = 3, kAck = 4;
constexpr uint64_t kMaxEntriesPerMessage = 4096;

absl::Status Bad() { return absl::DataLossError("pb message: malformed"); }

}  // namespace

PeerMessage EncodePbMessage(const PbMessage& m, uint8_t tag) {
  PeerMessage p{tag, 0, {}};
  ByteWriter w(&p.payload);
  if (const auto* i = std::get_if<PbInstall>(&m)) {
    p.kind = kInstall;
    w.VarU64(i->epoch);
    w.VarU64(i->lsn);
    w.Bytes(i->state);
  } else if (const auto* a = std::get_if<PbInstallAck>(&m)) {
    p.kind = kInstallAck;
    w.VarU64(a->epoch);
    w.VarU64(a->lsn);
  } else if (const auto* r = std::get_if<PbReplicate>(&m)) {
    p.kind = kReplicate;
    w.VarU64(r->epoch);
    w.VarU64(r->entries.size());
    for (const PbEntry& e : r->entries) {
      w.VarU64(e.lsn);
      w.I64(e.now_ms);
      EncodeCommand(e.command, w);
    }
  } else {
    const auto& k = std::get<PbAck>(m);
    p.kind = kAck;
    w.VarU64(k.epoch);
    w.VarU64(k.lsn);
  }
  return p;
}

absl::StatusOr<PbMessage> DecodePbMessage(const PeerMessage& m, uint8_t tag) {
  if (m.policy != tag) return Bad();
  ByteReader r(m.payload);
  uint64_t epoch = 0, lsn = 0;
  if (!r.VarU64(&epoch)) return Bad();
  PbMessage out;
  switch (m.kind) {
    case kInstall: {
      PbInstall i{epoch, 0, {}};
      if (!r.VarU64(&i.lsn) || !r.Bytes(&i.state, kMaxMessageBytes)) return Bad();
      out = std::move(i);
      break;
    }
    case kInstallAck:
    case kAck:
      if (!r.VarU64(&lsn)) return Bad();
      if (m.kind == kAck) {
        out = PbAck{epoch, lsn};
      } else {
        out = PbInstallAck{epoch, lsn};
      }
      break;
    case kReplicate: {
      PbReplicate rep{epoch, {}};
      uint64_t n = 0;
      if (!r.VarU64(&n) || n > kMaxEntriesPerMessage) return Bad();
      for (uint64_t i = 0; i < n; ++i) {
        PbEntry e;
        if (!r.VarU64(&e.lsn) || !r.I64(&e.now_ms)) return Bad();
        absl::StatusOr<Command> cmd = DecodeCommand(r);
        if (!cmd.ok()) return Bad();
        e.command = *std::move(cmd);
        rep.entries.push_back(std::move(e));
      }
      out = std::move(rep);
      break;
    }
    default: return Bad();
  }
  if (!r.done()) return Bad();
  return out;
}

}  // namespace kvlab::core
