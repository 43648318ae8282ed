// `kvlab cluster`: N local `kvlab node` processes on one machine, for trying kvlab out and for
// tests. Node i (1-based) serves clients on base_port + i - 1, talks to its peers on
// base_port + kPeerPortOffset + i - 1, and keeps its data in data_dir/node-i.
//
// The launcher forwards every node's stderr to its own, and SIGTERM/SIGINT to every node. When a
// node fails to start or dies, it says which, how, and the node's last stderr line (a node that
// refuses its data dir says why there). When fewer nodes are left than the cluster needs to serve
// (the policy's PolicyInfo::max_faulty: for raft, a majority), it stops the others and exits non-zero.
#pragma once

#include <string>
#include <vector>

namespace kvlab::real {

inline constexpr int kPeerPortOffset = 1000;  // peer port = client port + this.
inline constexpr int kMaxClusterNodes = 99;

struct ClusterFlags {
  int nodes = 3;
  std::string policy;  // NAME[:param=value...]; empty: the registry's default for --nodes.
  std::vector<std::string> params;
  int base_port = 6380;
  std::string data_dir = "kvlab-data";
  std::string durability = "fsync";
};

// Returns the exit code: the worst node's (0 after a clean stop), at least 1 when the cluster
// could no longer serve, 2 for bad flags (printed as one line).
int RunCluster(const ClusterFlags& flags);

}  // namespace kvlab::real
