// Loopback ports for tests that start clusters: a base port whose client ports and peer ports
// (base + kPeerPortOffset + i, as `kvlab cluster` and the tests lay them out) are all free now.
#pragma once

#include <unistd.h>

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

// A base port whose n client ports and n peer ports are all free right now; 0 if none was found.
inline int FreeBasePort(int n) {
  for (int attempt = 0; attempt < 200; ++attempt) {
    absl::StatusOr<net::Listening> l = net::ListenTcp("127.0.0.1", 0);
    KV_ASSERT(l.ok());
    close(l->fd);
    const int base = l->port;
    if (base + kPeerPortOffset + n > 65535) continue;
    bool ok = true;
    for (int i = 0; i < n && ok; ++i) ok = PortFree(base + i) && PortFree(base + kPeerPortOffset + i);
    if (ok) return base;
  }
  return 0;
}

}  // namespace kvlab::real::testing
