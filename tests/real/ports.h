// Loopback ports for tests that start clusters: a base port whose client ports and peer ports
// (base + kPeerPortOffset + i, as `kvlab cluster` and the tests lay them out) are all free now.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <random>

#include "absl/status/statusor.h"
#include "core/assert.h"
#include "net/tcp.h"
#include "real/cluster_launcher.h"

namespace kvlab::real::testing {

inline constexpr int kPeerPortOffset = real::kPeerPortOffset;  // as `kvlab cluster` lays them out.

inline bool PortFree(int port) {
  absl::StatusOr<net::Listening> l = net::ListenTcp("127.0.0.1", port);
  if (!l.ok()) return false;
  close(l->fd);
  return true;
}

// Cluster tests pick their ports below the kernel's ephemeral range (Linux's default
// ip_local_port_range starts at 32768). A port in that range can be taken between the check and
// the node's bind by any outgoing connection's local port (CI saw a peer port lost that way);
// below it, only another listener can take it, and bases are spread at random to make that rare.
inline constexpr int kLowestBasePort = 20000;   // above scripts/check-slurm's fixed 16817-16818.
inline constexpr int kHighestPortUsed = 32767;  // base + kProxyPortOffset + n * n stays at or below.

// A base port whose n client ports and n peer ports are all free right now; 0 if none was found.
inline int FreeBasePort(int n) {
  static std::mt19937 rng(static_cast<uint32_t>(getpid()) * 2654435761u ^
                          static_cast<uint32_t>(std::random_device{}()));
  const int highest_base = kHighestPortUsed - real::kProxyPortOffset - n * n;
  KV_ASSERT(highest_base > kLowestBasePort);
  std::uniform_int_distribution<int> pick(kLowestBasePort, highest_base);
  for (int attempt = 0; attempt < 200; ++attempt) {
    const int base = pick(rng);
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) ok = PortFree(base + i) && PortFree(base + kPeerPortOffset + i);
    if (ok) return base;
  }
  return 0;
}

}  // namespace kvlab::real::testing
