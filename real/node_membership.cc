// Membership changes on a real node (issue 12): the MEMBER command, the peer links that follow
// the policy's membership, and the data dir's record of it (data_dir_meta.h).
//
// The policy decides the membership (raft: the latest configuration in its log, Node::Membership);
// the server only follows it at the end of each turn: it dials members it does not know yet and
// closes the links to members removed (never to those --cluster names: a joining node talks to
// them before it has a configuration), and rewrites the data dir's record, so that a restart may
// name the new membership in --cluster.
#include <algorithm>
#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "net/resp_writer.h"
#include "real/data_dir_check.h"
#include "real/kv_commands.h"
#include "real/node_server.h"

namespace kvlab::real {
namespace {

constexpr char kMemberUsage[] = "ERR usage: MEMBER ADD <id> <host:peerport> | MEMBER REMOVE <id> | MEMBER LIST";

std::string MemberIds(const std::vector<core::Member>& members) {
  std::string out;
  for (const core::Member& m : members) absl::StrAppend(&out, out.empty() ? "" : ",", m.id);
  return out;
}

}  // namespace

void NodeServer::Member(net::ReplyToken token, std::vector<std::string>& args) {
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "help" && args.size() == 2) return HelpReply(token, "member");
  if (sub == "list" && args.size() == 2) return MemberList(token);
  const bool add = sub == "add" && args.size() == 4;
  if (!add && !(sub == "remove" && args.size() == 3)) return ReplyError(token, kMemberUsage);
  if (node_->Membership() == nullptr) {
    return ReplyError(token, absl::StrCat("ERR policy ", std::string(options_.policy.info->name),
                                          " has a fixed membership (membership changes: raft)"));
  }
  if (!peers_) {
    return ReplyError(token,
                      "ERR this node was started without --cluster: it has no peer port, so its cluster cannot "
                      "change (restart it with --cluster 1=HOST:PEERPORT)");
  }
  core::NodeId id = 0;
  if (!absl::SimpleAtoi(args[2], &id) || id == core::kNoNode) {
    return ReplyError(token, "ERR member id must be a positive integer");
  }
  core::Command cmd;
  cmd.op = core::Op::kChangeMembers;
  cmd.keys.push_back(add ? "add" : "remove");
  cmd.delta = id;
  if (add) {
    absl::StatusOr<net::PeerEndpoint> endpoint = net::ParsePeerEndpoint(args[3]);
    if (!endpoint.ok()) return ReplyError(token, absl::StrCat("ERR ", endpoint.status().message()));
    cmd.values.push_back(std::move(args[3]));
  }
  if (absl::Status valid = core::ValidateCommand(cmd); !valid.ok()) {
    return ReplyError(token, absl::StrCat("ERR ", valid.message()));
  }
  node_->OnClientRequest(token, std::move(cmd));
}

// MEMBER LIST: this node's view of the membership, one [id, peer address] pair per member.
void NodeServer::MemberList(net::ReplyToken token) {
  std::vector<core::Member> members;
  if (const std::vector<core::Member>* m = node_->Membership(); m != nullptr) {
    members = *m;
  } else {
    for (const auto& [id, address] : record_.members) members.push_back(core::Member{id, address});
  }
  resp_->Reply(token, [&](std::string* out) {
    net::AppendArrayHeader(out, members.size());
    for (const core::Member& m : members) {
      net::AppendArrayHeader(out, 2);
      net::AppendInteger(out, m.id);
      net::AppendBulk(out, AddressOf(m));
    }
  });
}

std::string NodeServer::AddressOf(const core::Member& member) const {
  if (!member.address.empty()) return member.address;
  if (auto it = peer_endpoints_.find(member.id); it != peer_endpoints_.end()) return FormatPeerEndpoint(it->second);
  if (auto it = record_.members.find(member.id); it != record_.members.end()) return it->second;
  return "";
}

void NodeServer::FollowMembership() {
  const std::vector<core::Member>* members = node_->Membership();
  if (members == nullptr || *members == members_seen_) return;
  members_seen_ = *members;
  if (members_seen_.empty()) return;  // a joining node that has no configuration yet.
  if (peers_) UpdatePeerLinks();
  RecordMembership();
}

void NodeServer::UpdatePeerLinks() {
  for (const core::Member& m : members_seen_) {
    if (m.id == options_.id) continue;
    absl::StatusOr<net::PeerEndpoint> endpoint = net::ParsePeerEndpoint(AddressOf(m));
    if (!endpoint.ok()) {
      std::fprintf(stderr, "kvlab node %u: member %u has no usable peer address: %s\n", options_.id, m.id,
                   std::string(endpoint.status().message()).c_str());
      continue;
    }
    if (peers_->HasPeer(m.id) && peers_->EndpointOf(m.id) == *endpoint) continue;
    peers_->RemovePeer(m.id);
    peers_->AddPeer(m.id, *endpoint);
    peer_endpoints_[m.id] = *endpoint;
  }
  std::vector<core::NodeId> gone;
  for (const auto& [id, endpoint] : peer_endpoints_) {
    const bool member = std::any_of(members_seen_.begin(), members_seen_.end(),
                                    [id = id](const core::Member& m) { return m.id == id; });
    if (!member && !options_.peers.contains(id)) gone.push_back(id);
  }
  for (core::NodeId id : gone) {
    peers_->RemovePeer(id);
    peer_endpoints_.erase(id);
  }
}

void NodeServer::RecordMembership() {
  DataDirMeta updated = record_;
  updated.members.clear();
  for (const core::Member& m : members_seen_) updated.members[m.id] = AddressOf(m);
  std::vector<core::NodeId> ids;
  for (const auto& [id, address] : updated.members) ids.push_back(id);
  if (updated.bootstrap.empty() && ids != BootstrapMembers(record_)) updated.bootstrap = BootstrapMembers(record_);
  std::string recorded = "recorded in data dir " + options_.data_dir;
  if (!(updated == record_)) {
    if (absl::Status s = WriteMeta(*disk_, updated); !s.ok()) {
      recorded = absl::StrCat("NOT recorded in the data dir: ", s.message());
    } else {
      record_ = std::move(updated);
    }
  }
  std::fprintf(stderr, "kvlab node %u: membership is now %s (%s)\n", options_.id, MemberIds(members_seen_).c_str(),
               recorded.c_str());
}

}  // namespace kvlab::real
