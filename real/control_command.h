// The line protocol of `kvlab cluster`'s control channel (DIR/control.sock, a Unix socket): one
// command per line, one reply line each, "OK ..." or "ERR <reason>". Nodes are 1-based ids.
//   kill N|leader        SIGKILL the node (leader: the node that leads now, by INFO replication)
//   restart N|all        start a killed node again (all: every killed node) with the same flags
//   pause N|leader       SIGSTOP      resume N|all   SIGCONT
//   status               every node: pid, state (running|paused|killed|exited), client port, role
//                        (and, for pb and chain, the view it is in: view=EPOCH:ID[*],...)
//   leader               the id of the node that leads now
//   link A B delay MS [JITTER_MS] | link A B drop PPM      a fault on the proxied link A -> B
//   cut A B [oneway]     drop every message A -> B (and B -> A unless oneway)
//   hold A B [oneway]    keep the messages A -> B (and B -> A) until released by heal
//   heal [A B]           every link (or both directions of A B) back to no fault; holds release
//   links                the links that have a fault now
//   info                 "policy=raft nodes=3 proxy=yes"
// Link commands need `kvlab cluster --proxy`. Limits: kMaxControlLineBytes per line.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "core/types.h"

namespace kvlab::real {

inline constexpr size_t kMaxControlLineBytes = 256;
inline constexpr size_t kMaxControlConnections = 8;
inline constexpr char kControlSocketName[] = "control.sock";

enum class ControlVerb : uint8_t {
  kKill,
  kRestart,
  kPause,
  kResume,
  kStatus,
  kLeader,
  kLink,
  kCut,
  kHold,
  kHeal,
  kLinks,
  kInfo
};

inline constexpr int kLeaderNode = -1;  // `kill leader`, `pause leader`.
inline constexpr int kAllNodes = -2;    // `restart all`, `resume all`, `heal` without nodes.

struct ControlCommand {
  ControlVerb verb = ControlVerb::kStatus;
  int node = 0;  // kill/restart/pause/resume: an id, kLeaderNode or kAllNodes.
  int a = 0;     // link/cut/hold/heal: the link a -> b (heal: kAllNodes for every link).
  int b = 0;
  bool one_way = false;
  bool set_delay = false;  // link ... delay
  core::Nanos delay = 0;
  core::Nanos jitter = 0;
  bool set_drop = false;  // link ... drop
  uint32_t drop_ppm = 0;
};

// InvalidArgument naming what is wrong ("unknown command 'kil'", "node 7: the cluster has nodes 1..3").
absl::StatusOr<ControlCommand> ParseControlLine(std::string_view line, int nodes);

}  // namespace kvlab::real
