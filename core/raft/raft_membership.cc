// Membership changes, one server at a time (thesis §4.1). A configuration entry holds the whole
// new membership; every server uses the latest one in its log as soon as it is appended,
// committed or not, and falls back to an earlier one when a truncation removes it. Because two
// configurations that differ by one server share a majority, no two leaders can be elected in one
// term across a change. The leader accepts a change only when the previous one is committed and
// an entry of its own term is (the fix to the single-server algorithm Ongaro published in 2015:
// without it, a new leader could act on a configuration that a change it never saw superseded).
// A leader that removes itself keeps leading until the change is committed (it does not count
// itself in the new majority), then steps down; a server outside its configuration never stands
// for election.
#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/raft/raft_node.h"

namespace kvlab::core {

namespace {

// Leads a snapshot that records its configuration. An older snapshot starts with KvState's own
// encoding, whose first varint is a count or KvState's v2 marker, never this value.
constexpr uint64_t kSnapshotConfigMarker = 0xC0F1'6000'0000'0001ull;

std::vector<RaftMember> MembersOf(const std::vector<NodeId>& ids) {
  std::vector<RaftMember> out;
  for (NodeId id : ids) out.push_back(RaftMember{id, ""});
  return out;
}

}  // namespace

bool RaftNode::IsMember(NodeId id) const {
  return std::any_of(members_.begin(), members_.end(), [id](const RaftMember& m) { return m.id == id; });
}

void RaftNode::ProposeMembershipChange(Request req) {
  auto refuse = [&](std::string why) {
    ClientReply reply;
    reply.result = Result::Error(std::move(why));
    SendReply(req.origin, std::move(reply));
  };
  if (commit_ < noop_index_ || config_index_ > commit_) {
    return ReplyError(req.origin, ReplyStatus::kTryAgain, "TRYAGAIN a membership change is in progress");
  }
  const NodeId id = static_cast<NodeId>(req.cmd.delta);
  std::vector<RaftMember> next = members_;
  auto it = std::find_if(next.begin(), next.end(), [id](const RaftMember& m) { return m.id == id; });
  if (req.cmd.keys[0] == "add") {
    if (it != next.end()) return refuse(absl::StrCat("ERR node ", id, " is already a member"));
    if (next.size() >= kRaftMaxMembers)
      return refuse(absl::StrCat("ERR a cluster has at most ", kRaftMaxMembers, " members"));
    next.push_back(RaftMember{id, req.cmd.values[0]});
    std::sort(next.begin(), next.end(), [](const RaftMember& a, const RaftMember& b) { return a.id < b.id; });
  } else {
    if (it == next.end()) return refuse(absl::StrCat("ERR node ", id, " is not a member"));
    if (next.size() == 1) return refuse("ERR the last member cannot be removed");
    next.erase(it);
  }
  RaftEntry e;
  e.config = std::move(next);
  const uint64_t index = Propose(std::move(e));
  proposals_[index] = Proposal{std::move(req.origin), hard_.term};
}

void RaftNode::UseConfiguration(std::vector<RaftMember> members, uint64_t index) {
  KV_ASSERT(members.size() <= kRaftMaxMembers);
  if (index > config_index_ || members != members_) ++membership_changes_;
  members_ = std::move(members);
  config_index_ = index;
  std::vector<Peer> peers;
  const Nanos now = env_.Now();
  for (const RaftMember& m : members_) {
    if (m.id == config_.self) continue;
    if (Peer* old = FindPeer(m.id)) {
      peers.push_back(std::move(*old));
      continue;
    }
    Peer p;
    p.id = m.id;
    // A new member is known to hold nothing: replicate from the start (or send the snapshot).
    // Starting from the end, as after an election, would never send it the entries below: its
    // heartbeat acks at match 0 succeed and do not move `next` back.
    p.next = 1;
    p.last_progress = p.last_ack = now;
    peers.push_back(std::move(p));
  }
  peers_ = std::move(peers);
}

uint64_t RaftNode::ConfigIndexAt(uint64_t index) const {
  for (uint64_t i = std::min(index, log_.last_index()); i > log_.base_index(); --i) {
    if (!log_.At(i).config.empty()) return i;
  }
  return 0;
}

const std::vector<RaftMember>& RaftNode::ConfigurationAt(uint64_t index) const {
  const uint64_t at = ConfigIndexAt(index);
  return at == 0 ? base_members_ : log_.At(at).config;
}

void RaftNode::RecomputeConfiguration() {
  const uint64_t at = ConfigIndexAt(log_.last_index());
  if (at != config_index_ || (at == 0 && members_ != base_members_)) UseConfiguration(ConfigurationAt(at), at);
}

void RaftNode::NoteConfigurationCommitted(const RaftEntry& e) {
  if (IsMember(config_.self) || e.index != config_index_) return;
  // Removed: stop leading (the change is committed, the others elect among themselves) and stop
  // standing for election.
  if (role_ == RaftRole::kLeader) BecomeFollower(hard_.term, kNoNode);
}

void RaftNode::EncodeSnapshotConfig(const std::vector<RaftMember>& members, ByteWriter& w) {
  w.VarU64(kSnapshotConfigMarker);
  EncodeRaftMembers(members, w);
}

absl::Status RaftNode::DecodeSnapshotConfig(ByteReader& r, const std::vector<RaftMember>& fallback,
                                            std::vector<RaftMember>* members) {
  ByteReader peek = r;
  uint64_t marker;
  if (peek.VarU64(&marker) && marker == kSnapshotConfigMarker) {
    r = peek;
    if (!DecodeRaftMembers(r, members)) return absl::DataLossError("raft snapshot: bad configuration");
  } else {
    *members = fallback;
  }
  return absl::OkStatus();
}

absl::Status RaftNode::DecodeSnapshotData(std::string_view data, const std::vector<RaftMember>& fallback,
                                          std::vector<RaftMember>* members, KvState* state) {
  ByteReader r(data);
  if (absl::Status s = DecodeSnapshotConfig(r, fallback, members); !s.ok()) return s;
  absl::StatusOr<KvState> decoded = KvState::DecodeSnapshot(r);
  if (!decoded.ok()) return decoded.status();
  if (!r.done()) return absl::DataLossError("raft snapshot: trailing bytes");
  *state = *std::move(decoded);
  return absl::OkStatus();
}

std::vector<RaftMember> BootstrapMembers(const NodeConfig& config) {
  return config.join ? std::vector<RaftMember>{} : MembersOf(config.members);
}

}  // namespace kvlab::core
