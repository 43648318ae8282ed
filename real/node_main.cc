#include "real/node_main.h"

#include <cstdio>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/policy/registry.h"
#include "real/node_server.h"

namespace kvlab::real {
namespace {

constexpr int kExitUsage = 2;  // also a data dir that must not be served as is (README: input error).

int Fail(int code, std::string_view what) {
  std::fprintf(stderr, "kvlab %s\n", std::string(what).c_str());
  return code;
}

// The one line a node that cannot start prints (without the status code's name).
std::string StartFailure(const NodeFlags& flags, const absl::Status& status) {
  const std::string msg(status.message());
  if (absl::StrContains(msg, flags.data_dir)) return absl::StrCat("node ", flags.id, ": ", msg);
  std::string line = absl::StrCat("node ", flags.id, " cannot start (data dir ", flags.data_dir, "): ", msg);
  if (status.code() == absl::StatusCode::kDataLoss) {
    absl::StrAppend(&line, " (inspect it with `kvlab wal check ", flags.data_dir, "`; `kvlab wal repair ",
                    flags.data_dir, "` cuts a corrupt log at its last good record, after a backup)");
  }
  return line;
}

}  // namespace

absl::StatusOr<std::map<core::NodeId, PeerAddress>> ParseClusterFlag(const std::string& flag) {
  std::map<core::NodeId, PeerAddress> out;
  for (absl::string_view item : absl::StrSplit(flag, ',', absl::SkipEmpty())) {
    std::vector<std::string> id_addr = absl::StrSplit(item, absl::MaxSplits('=', 1));
    uint32_t id = 0;
    absl::StatusOr<PeerAddress> endpoint =
        id_addr.size() == 2 ? net::ParsePeerEndpoint(id_addr[1]) : absl::InvalidArgumentError("no '='");
    if (!endpoint.ok() || !absl::SimpleAtoi(id_addr[0], &id) || id == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("--cluster: bad item '", std::string(item), "' (want ID=HOST:PORT, e.g. 1=127.0.0.1:7380)"));
    }
    if (!out.emplace(id, *std::move(endpoint)).second) {
      return absl::InvalidArgumentError(absl::StrCat("--cluster: node ", id, " listed twice"));
    }
  }
  return out;
}

absl::StatusOr<core::PolicyChoice> ChoosePolicy(const std::string& policy, const std::vector<std::string>& params,
                                                int nodes) {
  if (!policy.empty()) return core::ParsePolicyChoice(policy, params);
  const core::PolicyInfo& info = nodes > 1 ? core::DefaultReplicatedPolicy() : core::DefaultPolicy();
  return core::ParsePolicyChoice(info.name, params);
}

int RunNode(const NodeFlags& flags) {
  if (flags.data_dir.empty()) return Fail(kExitUsage, "node: --data-dir is required");
  if (flags.id == 0) return Fail(kExitUsage, "node: --id must be >= 1");
  if (flags.durability != "fsync" && flags.durability != "none") {
    return Fail(kExitUsage, absl::StrCat("node: --durability must be fsync or none, not '", flags.durability, "'"));
  }
  if (flags.debug_sync_delay_ms < 0 || flags.debug_sync_delay_ms > kMaxSyncDelay.count()) {
    return Fail(kExitUsage, absl::StrCat("node: --debug-sync-delay-ms must be 0..", kMaxSyncDelay.count()));
  }
  absl::StatusOr<std::map<core::NodeId, PeerAddress>> cluster = ParseClusterFlag(flags.cluster);
  if (!cluster.ok()) return Fail(kExitUsage, absl::StrCat("node: ", cluster.status().message()));
  NodeServerOptions options;
  options.id = flags.id;
  for (const auto& [id, addr] : *cluster) options.members.push_back(id);
  absl::StatusOr<core::PolicyChoice> policy =
      ChoosePolicy(flags.policy, flags.params, std::max<int>(1, static_cast<int>(options.members.size())));
  if (!policy.ok()) return Fail(kExitUsage, absl::StrCat("node: ", policy.status().message()));
  options.policy = *policy;
  options.peers = *cluster;
  if (flags.join && options.members.size() < 2) {
    return Fail(kExitUsage, "node: --join needs --cluster listing this node and the members it joins");
  }
  if (!options.members.empty() && !cluster->contains(flags.id)) {
    return Fail(kExitUsage, absl::StrCat("node: --cluster does not list this node's --id ", flags.id));
  }
  options.fsync = flags.durability == "fsync";
  options.bind = flags.bind;
  options.port = flags.port;
  options.data_dir = flags.data_dir;
  options.requirepass = flags.requirepass;
  options.cluster_token = flags.cluster_token;
  options.join = flags.join;
  options.async_syncs = !flags.debug_inline_sync;
  options.sync_delay = std::chrono::milliseconds(flags.debug_sync_delay_ms);

  absl::StatusOr<std::unique_ptr<NodeServer>> server = NodeServer::Start(options);
  if (!server.ok()) return Fail(kExitUsage, StartFailure(flags, server.status()));
  for (const std::string& note : (*server)->startup_notes())
    std::fprintf(stderr, "kvlab node %u: %s\n", flags.id, note.c_str());
  if (absl::Status s = (*server)->WatchSignals(); !s.ok()) return Fail(kExitUsage, std::string(s.message()));
  const std::string peer_port = (*server)->peer_port() > 0 ? absl::StrCat(", peer port ", (*server)->peer_port()) : "";
  std::printf("kvlab node %u listening on %s:%d (policy %s, durability %s, data dir %s%s)\n", flags.id,
              flags.bind.c_str(), (*server)->port(), options.policy.label().c_str(), flags.durability.c_str(),
              flags.data_dir.c_str(), peer_port.c_str());
  std::fflush(stdout);
  (*server)->Run();
  std::printf("kvlab node %u: shut down cleanly\n", flags.id);
  return 0;
}

}  // namespace kvlab::real
