// Entry point of `kvlab node` (app/ only wires flags to it; `kvlab cluster` is cluster_launcher.h).
// It returns the process exit code (DESIGN.md: 0 ok, 1 a check failed / data lost,
// 2 usage or configuration error) after printing a one-line reason on failure.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/policy/registry.h"
#include "core/types.h"
#include "net/peer_link.h"

namespace kvlab::real {

struct NodeFlags {
  core::NodeId id = 1;
  int port = 6380;
  std::string data_dir;
  std::string policy;               // NAME[:param=value...]; empty: the default for the cluster's size.
  std::vector<std::string> params;  // --param policy.name=value
  std::string cluster;              // "1=HOST:PEERPORT,2=HOST:PEERPORT", empty: a one-node cluster.
  std::string durability = "fsync";
  std::string bind = "127.0.0.1";
  std::string requirepass;
  std::string cluster_token;  // salts the cluster id recorded at bootstrap.
  // A new member of a running raft cluster: it starts with no configuration and learns one once a
  // member runs MEMBER ADD for it. --cluster lists it and the members it joins.
  bool join = false;
  int debug_sync_delay_ms = 0;     // debug only: each sync takes this much longer (a slow disk).
  bool debug_inline_sync = false;  // debug only: syncs block the event loop (the old behaviour).
};

using PeerAddress = net::PeerEndpoint;

// Parses --cluster. InvalidArgument (with the offending item) on a malformed list or duplicates.
absl::StatusOr<std::map<core::NodeId, PeerAddress>> ParseClusterFlag(const std::string& flag);

// --policy (NAME[:param=value...]) plus --param flags; an empty --policy means the registry's
// default for a cluster of `nodes`. InvalidArgument with a one-line reason.
absl::StatusOr<core::PolicyChoice> ChoosePolicy(const std::string& policy, const std::vector<std::string>& params,
                                                int nodes);

// Serves until SIGTERM/SIGINT or SHUTDOWN. Prints "kvlab node N listening on HOST:PORT" on stdout
// once ready (tests and the cluster launcher wait for that line).
int RunNode(const NodeFlags& flags);

}  // namespace kvlab::real
