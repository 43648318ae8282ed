// Node-to-node transport: core::Messages in the core's frames (EncodeMessage, FrameSize,
// DecodeMessage) over TCP, on the node's event loop.
//
// Each node keeps one outbound connection per peer and only writes on it; it accepts inbound
// connections from its peers on its peer port and only reads from them. Delivery is best effort,
// as core::Env::Send promises: messages for a peer that is down wait in a bounded queue
// (kMaxPeerQueueBytes; newer messages are dropped beyond), bytes in flight when a connection
// breaks are lost, and a broken connection is re-dialled with exponential backoff between
// kPeerReconnectMinDelay and kPeerReconnectMaxDelay. A bad frame on an inbound connection closes
// that connection only, with a logged reason.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/btree_map.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/message.h"
#include "core/types.h"
#include "net/buffer.h"
#include "net/event_loop.h"

namespace kvlab::net {

struct PeerEndpoint {
  std::string host;  // dotted IPv4 or "localhost".
  int port = 0;
  bool operator==(const PeerEndpoint&) const = default;
};

// "HOST:PORT" -> endpoint; InvalidArgument (naming `text`) unless HOST is non-empty and PORT is
// in 1..65535.
absl::StatusOr<PeerEndpoint> ParsePeerEndpoint(std::string_view text);
std::string FormatPeerEndpoint(const PeerEndpoint& endpoint);

struct PeerLinkStats {
  uint64_t messages_sent = 0;      // queued on an outbound link.
  uint64_t messages_dropped = 0;   // refused by Send: unknown peer or queue full.
  uint64_t messages_received = 0;  // delivered to the node.
  uint64_t bad_frames = 0;         // inbound connections closed for a bad frame.
  uint64_t connects = 0;           // outbound connections established.
  uint64_t disconnects = 0;        // outbound connections lost or refused.
  uint64_t inbound_accepted = 0;
  uint64_t inbound_refused = 0;  // above kMaxPeerInboundConnections.
};

class PeerLink {
 public:
  // Receives every message that arrives for this node, on the loop (never from inside Send).
  using Deliver = absl::AnyInvocable<void(core::Message)>;
  // Told, on the loop, that a peer's process closed our connection to it or refused a dial (its
  // port is closed): it exited or was killed, as opposed to merely going silent.
  using PeerClosed = absl::AnyInvocable<void(core::NodeId)>;

  // Listens on `listen` (port 0: any free port, see port()) for peers. `deliver` must stay valid
  // while the link lives.
  static absl::StatusOr<std::unique_ptr<PeerLink>> Start(EventLoop& loop, core::NodeId self, const PeerEndpoint& listen,
                                                         Deliver deliver);
  ~PeerLink();
  PeerLink(const PeerLink&) = delete;
  PeerLink& operator=(const PeerLink&) = delete;

  int port() const { return port_; }
  core::NodeId self() const { return self_; }

  // Adds the outbound link to peer `id` (not self) and starts dialling it. REQUIRES: id is new.
  void AddPeer(core::NodeId id, const PeerEndpoint& endpoint);
  // Closes and forgets the outbound link to `id` (a member removed from the cluster); its queued
  // frames are dropped. No-op if there is none.
  void RemovePeer(core::NodeId id);
  bool HasPeer(core::NodeId id) const { return outbound_.contains(id); }
  // The endpoint the link to `id` dials; REQUIRES: HasPeer(id).
  const PeerEndpoint& EndpointOf(core::NodeId id) const { return outbound_.at(id)->endpoint; }
  // Queues `msg` for `to` (best effort; self-addressed messages are delivered in the next turn).
  // Bytes leave in Flush.
  void Send(core::NodeId to, const core::Message& msg);
  // Writes every link's queued frames (one send per link). Call at the end of every turn.
  void Flush();

  // Optional; set before the loop runs. See PeerClosed.
  void set_on_peer_closed(PeerClosed on_closed) { on_peer_closed_ = std::move(on_closed); }

  bool Connected(core::NodeId peer) const;
  size_t QueuedBytes(core::NodeId peer) const;
  size_t inbound_connections() const { return inbound_.size(); }
  const PeerLinkStats& stats() const { return stats_; }

 private:
  // The link to one peer: dialled, written, re-dialled after a failure.
  struct Outbound {
    core::NodeId id = core::kNoNode;
    PeerEndpoint endpoint;
    int fd = -1;
    EventLoop::WatchId watch = 0;
    bool connecting = false;   // connect() in progress; connected when fd >= 0 and not this.
    bool want_write = false;   // EPOLLOUT is watched (the socket buffer was full).
    bool dirty = false;        // has unsent frames; listed for Flush.
    bool down_logged = false;  // the failure was logged; log again only after a success.
    std::string out;           // queued frames; out[out_pos..] is unsent.
    size_t out_pos = 0;
    core::Nanos backoff = 0;  // the next re-dial delay.
    size_t Unsent() const { return out.size() - out_pos; }
  };
  // A connection accepted from some peer: frames are read, decoded and delivered.
  struct Inbound {
    uint64_t id = 0;
    int fd = -1;
    std::string name;  // "ip:port" for logs.
    EventLoop::WatchId watch = 0;
    InputBuffer in;
  };

  PeerLink(EventLoop& loop, core::NodeId self, int listen_fd, int port, Deliver deliver);

  // Outbound side (peer_link_out.cc).
  void Dial(Outbound* peer);
  void OnOutboundEvent(core::NodeId id, uint32_t events);
  void OnConnected(Outbound* peer);
  bool WriteOutput(Outbound* peer);  // false if the connection broke.
  void UpdateInterest(Outbound* peer);
  // `peer_closed`: the peer's end closed or refused the connection (EOF, RST, ECONNREFUSED).
  void Disconnect(Outbound* peer, const std::string& reason, bool peer_closed = false);
  void ScheduleRedial(Outbound* peer);

  // Inbound side (peer_link_in.cc).
  void OnAcceptable();
  void OnInboundEvent(uint64_t id, uint32_t events);
  // Decodes and delivers every whole frame buffered; false if the connection was closed.
  bool DeliverFrames(Inbound* conn);
  void CloseInbound(Inbound* conn, const std::string& reason);

  EventLoop& loop_;
  const core::NodeId self_;
  int listen_fd_;
  EventLoop::WatchId listen_watch_ = 0;
  const int port_;
  Deliver deliver_;
  PeerClosed on_peer_closed_;
  // Timers cannot be cancelled: they hold a weak reference and do nothing once the link is gone.
  std::shared_ptr<PeerLink*> alive_;
  absl::btree_map<core::NodeId, std::unique_ptr<Outbound>> outbound_;
  std::vector<core::NodeId> dirty_;  // outbound links with frames to write in Flush.
  absl::btree_map<uint64_t, std::unique_ptr<Inbound>> inbound_;
  uint64_t next_inbound_id_ = 1;
  PeerLinkStats stats_;
};

}  // namespace kvlab::net
