#include "core/view/view.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/bytes.h"
#include "core/raft/raft_config.h"

namespace kvlab::core {

const ViewMember* View::Find(NodeId id) const {
  for (const ViewMember& m : members) {
    if (m.id == id) return &m;
  }
  return nullptr;
}

bool View::Admits(NodeId id, uint64_t nonce) const {
  const ViewMember* m = Find(id);
  return m != nullptr && m->nonce == nonce;
}

NodeId View::Successor(NodeId id) const {
  for (size_t i = 0; i + 1 < members.size(); ++i) {
    if (members[i].id == id) return members[i + 1].id;
  }
  return kNoNode;
}

NodeId View::Predecessor(NodeId id) const {
  for (size_t i = 1; i < members.size(); ++i) {
    if (members[i].id == id) return members[i - 1].id;
  }
  return kNoNode;
}

std::string EncodeView(const View& v) {
  std::string out;
  ByteWriter w(&out);
  w.VarU64(v.epoch);
  w.VarU64(v.members.size());
  for (const ViewMember& m : v.members) {
    w.VarU64(m.id);
    w.U64(m.nonce);
    w.U8(m.synced ? 1 : 0);
  }
  return out;
}

absl::StatusOr<View> DecodeView(std::string_view bytes) {
  ByteReader r(bytes);
  View v;
  uint64_t n = 0;
  if (!r.VarU64(&v.epoch) || !r.VarU64(&n) || n > kRaftMaxMembers) return absl::DataLossError("view: bad header");
  for (uint64_t i = 0; i < n; ++i) {
    ViewMember m;
    uint64_t id = 0;
    uint8_t synced = 0;
    if (!r.VarU64(&id) || !r.U64(&m.nonce) || !r.U8(&synced) || id == kNoNode || id > UINT32_MAX || synced > 1) {
      return absl::DataLossError("view: bad member");
    }
    m.id = static_cast<NodeId>(id);
    m.synced = synced == 1;
    v.members.push_back(m);
  }
  if (!r.done()) return absl::DataLossError("view: trailing bytes");
  return v;
}

std::string ViewKey(uint64_t epoch) { return absl::StrFormat("view/%020d", epoch); }
std::string ReadyKey(uint64_t epoch) { return absl::StrFormat("ready/%020d", epoch); }

std::string DescribeView(const View& v) {
  std::string out = absl::StrCat(v.epoch, ":");
  for (size_t i = 0; i < v.members.size(); ++i) {
    absl::StrAppend(&out, i == 0 ? "" : ",", v.members[i].id, v.members[i].synced ? "*" : "");
  }
  return out;
}

}  // namespace kvlab::core
