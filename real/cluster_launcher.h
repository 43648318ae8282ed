// `kvlab cluster`: N local `kvlab node` processes on one machine, for trying kvlab out and for
// tests. Node i (1-based) serves clients on base_port + i - 1, talks to its peers on
// base_port + kPeerPortOffset + i - 1, and keeps its data in data_dir/node-i.
//
// The launcher forwards every node's stderr to its own, and SIGTERM/SIGINT to every node. When a
// node fails to start or dies, it says which, how, and the node's last stderr line (a node that
// refuses its data dir says why there). When fewer nodes are left than the cluster needs to serve
// (the policy's PolicyInfo::max_faulty: for raft, a majority), it stops the others and exits non-zero.
//
// The control channel (real/control_command.h): a Unix socket at data_dir/control.sock through
// which a nemesis (`kvlab bench --cluster DIR`, a test, `socat`) kills, restarts, pauses and
// resumes nodes and, with --proxy, puts faults on peer links (real/fault_proxy.h). A node killed
// or paused that way is not an unexpected exit: the launcher keeps running, waiting for `restart`.
// With --proxy, node i reaches peer j through the proxy port base_port + kProxyPortOffset +
// (i-1)*nodes + (j-1) (fixed, so a node restarted later finds the same membership record).
#pragma once

#include <string>
#include <vector>

namespace kvlab::real {

inline constexpr int kPeerPortOffset = 1000;  // peer port = client port + this.
inline constexpr int kMaxClusterNodes = 99;
inline constexpr int kProxyPortOffset = 2000;  // proxy ports from client base port + this.
inline constexpr int kMaxProxyNodes = 9;       // nodes * nodes proxy ports must stay few.

struct ClusterFlags {
  int nodes = 3;
  std::string policy;  // NAME[:param=value...]; empty: the registry's default for --nodes.
  std::vector<std::string> params;
  int base_port = 6380;
  std::string data_dir = "kvlab-data";
  std::string durability = "fsync";
  bool proxy = false;       // peer traffic through the launcher's fault proxy.
  uint64_t proxy_seed = 1;  // the proxy's drop and jitter draws.
};

// Returns the exit code: the worst node's (0 after a clean stop), at least 1 when the cluster
// could no longer serve, 2 for bad flags (printed as one line).
int RunCluster(const ClusterFlags& flags);

}  // namespace kvlab::real
