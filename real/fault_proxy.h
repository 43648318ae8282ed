// The fault proxy of `kvlab cluster --proxy` (in the spirit of Toxiproxy): every directed peer
// link A -> B gets a listening port in the launcher, node A is told that peer B lives there, and
// the proxy forwards A's outbound connection to B's real peer port. A node only writes on its
// outbound connections (net/peer_link.h), so the link A -> B carries exactly A's messages to B.
//
// The proxy cuts the byte stream into the core's frames (core::FrameSize), so its faults act on
// whole messages and never break the framing:
//   - delay + jitter: each frame is held for delay + uniform [0, jitter], in order (a frame never
//     overtakes the one before it, as on one TCP connection);
//   - drop PPM: each frame is discarded with this probability (a lost message: TCP cannot lose
//     bytes silently, but a proxy that knows the framing can lose whole messages);
//   - cut: every frame is discarded (a black-hole partition, as the simulator's); the connection
//     stays open, so the sender does not learn of the cut from a reset;
//   - hold: frames are kept, not delivered, until the hold is lifted (the simulator's `hold`).
// When either side closes, the other is closed too (a node killed behind the proxy looks killed).
// Loopback only: the listening ports are on 127.0.0.1.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "core/rng.h"
#include "core/types.h"
#include "net/event_loop.h"
#include "net/peer_link.h"

namespace kvlab::real {

// Connections accepted on one link at a time (a node keeps one; re-dials overlap briefly).
inline constexpr size_t kMaxProxyConnectionsPerLink = 8;
// Frames waiting in one connection (delayed or held) beyond this close the connection.
inline constexpr size_t kMaxProxyQueuedBytes = 64ull * 1024 * 1024;
inline constexpr core::Nanos kMaxProxyDelay = core::Seconds(60);
inline constexpr uint32_t kPpmScale = 1'000'000;

struct LinkFaults {
  core::Nanos delay = 0;
  core::Nanos jitter = 0;
  uint32_t drop_ppm = 0;
  bool cut = false;
  bool hold = false;
  bool operator==(const LinkFaults&) const = default;
};
// "ok", or e.g. "delay 20ms jitter 5ms drop 1000ppm cut".
std::string DescribeFaults(const LinkFaults& f);

struct LinkStats {
  uint64_t frames_forwarded = 0;
  uint64_t frames_dropped = 0;  // by drop or cut.
  uint64_t connections = 0;
};

class FaultProxy {
 public:
  // `seed`: the drop and jitter draws.
  FaultProxy(net::EventLoop& loop, uint64_t seed);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // Listens on 127.0.0.1:listen_port (0: any free port) for link from -> to, forwarding to
  // `upstream`. The port listened on.
  absl::StatusOr<int> AddLink(core::NodeId from, core::NodeId to, const net::PeerEndpoint& upstream,
                              int listen_port = 0);

  // False if there is no such link. Lifting a hold releases what it kept.
  bool SetFaults(core::NodeId from, core::NodeId to, const LinkFaults& faults);
  const LinkFaults* Faults(core::NodeId from, core::NodeId to) const;
  const LinkStats* Stats(core::NodeId from, core::NodeId to) const;
  // Every link back to no fault.
  void HealAll();

 private:
  struct Conn;
  struct Link;
  using LinkKey = std::pair<core::NodeId, core::NodeId>;

  void OnAccept(Link& link);
  void OnDownstream(uint64_t id);
  void OnUpstream(uint64_t id, uint32_t events);
  void TakeFrames(Conn& c);
  void Release(uint64_t id);
  void Flush(Conn& c);
  void CloseConn(uint64_t id);

  net::EventLoop& loop_;
  core::Rng rng_;
  std::map<LinkKey, std::unique_ptr<Link>> links_;
  std::map<uint64_t, std::unique_ptr<Conn>> conns_;
  uint64_t next_conn_ = 1;
};

}  // namespace kvlab::real
