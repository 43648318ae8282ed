// PeerLink: creation, Send/Flush and the outbound side (dial, write, re-dial with backoff).
#include "net/peer_link.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "net/limits.h"
#include "net/tcp.h"

namespace kvlab::net {

absl::StatusOr<std::unique_ptr<PeerLink>> PeerLink::Start(EventLoop& loop, core::NodeId self,
                                                          const PeerEndpoint& listen, Deliver deliver) {
  KV_ASSERT(self != core::kNoNode);
  absl::StatusOr<Listening> listening = ListenTcp(listen.host, listen.port);
  if (!listening.ok()) return listening.status();
  std::unique_ptr<PeerLink> link(new PeerLink(loop, self, listening->fd, listening->port, std::move(deliver)));
  PeerLink* l = link.get();
  absl::StatusOr<EventLoop::WatchId> watch = loop.Watch(listening->fd, EPOLLIN, [l](uint32_t) { l->OnAcceptable(); });
  if (!watch.ok()) return watch.status();
  link->listen_watch_ = *watch;
  return link;
}

absl::StatusOr<PeerEndpoint> ParsePeerEndpoint(std::string_view text) {
  const size_t colon = text.rfind(':');
  int port = 0;
  if (colon == std::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(absl::string_view(text.data() + colon + 1, text.size() - colon - 1), &port) || port <= 0 ||
      port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("bad peer address '", std::string(text), "' (want HOST:PORT)"));
  }
  return PeerEndpoint{std::string(text.substr(0, colon)), port};
}

std::string FormatPeerEndpoint(const PeerEndpoint& endpoint) { return absl::StrCat(endpoint.host, ":", endpoint.port); }

PeerLink::PeerLink(EventLoop& loop, core::NodeId self, int listen_fd, int port, Deliver deliver)
    : loop_(loop),
      self_(self),
      listen_fd_(listen_fd),
      port_(port),
      deliver_(std::move(deliver)),
      alive_(std::make_shared<PeerLink*>(this)) {}

PeerLink::~PeerLink() {
  if (listen_fd_ >= 0) {
    loop_.Unwatch(listen_watch_);
    close(listen_fd_);
  }
  for (auto& [id, peer] : outbound_) {
    if (peer->fd >= 0) {
      loop_.Unwatch(peer->watch);
      close(peer->fd);
    }
  }
  for (auto& [id, conn] : inbound_) {
    loop_.Unwatch(conn->watch);
    close(conn->fd);
  }
}

void PeerLink::AddPeer(core::NodeId id, const PeerEndpoint& endpoint) {
  KV_ASSERT(id != self_ && id != core::kNoNode);
  auto peer = std::make_unique<Outbound>();
  peer->id = id;
  peer->endpoint = endpoint;
  peer->backoff = kPeerReconnectMinDelay;
  Outbound* p = peer.get();
  KV_ASSERT(outbound_.emplace(id, std::move(peer)).second);
  Dial(p);
}

void PeerLink::RemovePeer(core::NodeId id) {
  auto it = outbound_.find(id);
  if (it == outbound_.end()) return;
  if (it->second->fd >= 0) {
    loop_.Unwatch(it->second->watch);
    close(it->second->fd);
  }
  outbound_.erase(it);
  dirty_.erase(std::remove(dirty_.begin(), dirty_.end(), id), dirty_.end());
}

void PeerLink::Send(core::NodeId to, const core::Message& msg) {
  if (to == self_) {  // never re-entrant: the node gets it in the next turn, like any message.
    std::weak_ptr<PeerLink*> alive = alive_;
    loop_.Post([alive, msg] {
      if (auto link = alive.lock()) {
        ++(*link)->stats_.messages_received;
        (*link)->deliver_(msg);
      }
    });
    return;
  }
  auto it = outbound_.find(to);
  if (it == outbound_.end()) {
    ++stats_.messages_dropped;
    return;
  }
  Outbound* peer = it->second.get();
  const std::string frame = core::EncodeMessage(msg);
  // Best effort: a peer that does not drain loses the newest messages, never the node's memory.
  // An empty queue takes any frame, so a message above the queue limit still gets through.
  if (peer->Unsent() > 0 && peer->Unsent() + frame.size() > kMaxPeerQueueBytes) {
    ++stats_.messages_dropped;
    return;
  }
  peer->out.append(frame);
  ++stats_.messages_sent;
  if (!peer->dirty) {
    peer->dirty = true;
    dirty_.push_back(to);
  }
}

void PeerLink::Flush() {
  std::vector<core::NodeId> dirty;
  dirty.swap(dirty_);
  for (core::NodeId id : dirty) {
    Outbound* peer = outbound_.at(id).get();
    peer->dirty = false;
    // Not connected yet: the frames wait; OnConnected writes them.
    if (peer->fd >= 0 && !peer->connecting) WriteOutput(peer);
  }
}

bool PeerLink::Connected(core::NodeId peer) const {
  auto it = outbound_.find(peer);
  return it != outbound_.end() && it->second->fd >= 0 && !it->second->connecting;
}

size_t PeerLink::QueuedBytes(core::NodeId peer) const {
  auto it = outbound_.find(peer);
  return it == outbound_.end() ? 0 : it->second->Unsent();
}

void PeerLink::Dial(Outbound* peer) {
  KV_ASSERT(peer->fd < 0);
  absl::StatusOr<int> fd = StartConnectTcp(peer->endpoint.host, peer->endpoint.port);
  if (!fd.ok()) {
    Disconnect(peer, std::string(fd.status().message()));
    return;
  }
  const core::NodeId id = peer->id;
  absl::StatusOr<EventLoop::WatchId> watch =
      loop_.Watch(*fd, EPOLLOUT, [this, id](uint32_t events) { OnOutboundEvent(id, events); });
  if (!watch.ok()) {
    close(*fd);
    Disconnect(peer, std::string(watch.status().message()));
    return;
  }
  peer->fd = *fd;
  peer->watch = *watch;
  peer->connecting = true;
  peer->want_write = true;
}

void PeerLink::OnOutboundEvent(core::NodeId id, uint32_t events) {
  auto it = outbound_.find(id);
  if (it == outbound_.end()) return;  // removed earlier in this turn.
  Outbound* peer = it->second.get();
  if (peer->fd < 0) return;  // disconnected earlier in this turn.
  if (peer->connecting) {
    const int err = ConnectError(peer->fd);
    if (err != 0) return Disconnect(peer, absl::StrCat("connect: ", std::strerror(err)), err == ECONNREFUSED);
    OnConnected(peer);
    return;
  }
  if (events & EPOLLIN) {
    // Peers never write on our outbound connection: readable means EOF, a reset or noise.
    char buf[4096];
    const ssize_t n = read(peer->fd, buf, sizeof(buf));
    if (n == 0) return Disconnect(peer, "closed by peer", /*peer_closed=*/true);
    if (n < 0 && errno != EAGAIN && errno != EINTR) return Disconnect(peer, std::strerror(errno), errno == ECONNRESET);
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    return Disconnect(peer, "connection error");
  }
  if (events & EPOLLOUT) WriteOutput(peer);
}

void PeerLink::OnConnected(Outbound* peer) {
  peer->connecting = false;
  peer->backoff = kPeerReconnectMinDelay;
  ++stats_.connects;
  if (peer->down_logged) {
    std::fprintf(stderr, "kvlab node %u: peer %u at %s:%d connected\n", self_, peer->id, peer->endpoint.host.c_str(),
                 peer->endpoint.port);
    peer->down_logged = false;
  }
  peer->want_write = false;
  UpdateInterest(peer);
  WriteOutput(peer);  // the frames queued while the peer was down.
}

bool PeerLink::WriteOutput(Outbound* peer) {
  while (peer->Unsent() > 0) {
    const ssize_t n = send(peer->fd, peer->out.data() + peer->out_pos, peer->Unsent(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      Disconnect(peer, n < 0 ? std::strerror(errno) : "send returned 0");
      return false;
    }
    peer->out_pos += static_cast<size_t>(n);
  }
  if (peer->Unsent() == 0) {
    peer->out.clear();
    peer->out_pos = 0;
    if (peer->out.capacity() > kReadChunkBytes * 16) std::string().swap(peer->out);
  } else if (peer->out_pos > peer->out.size() / 2) {
    peer->out.erase(0, peer->out_pos);
    peer->out_pos = 0;
  }
  const bool want_write = peer->Unsent() > 0;
  if (want_write != peer->want_write) {
    peer->want_write = want_write;
    UpdateInterest(peer);
  }
  return true;
}

void PeerLink::UpdateInterest(Outbound* peer) {
  loop_.Modify(peer->watch, EPOLLIN | (peer->want_write ? EPOLLOUT : 0u));
}

void PeerLink::Disconnect(Outbound* peer, const std::string& reason, bool peer_closed) {
  const bool was_connected = peer->fd >= 0 && !peer->connecting;
  if (peer->fd >= 0) {
    loop_.Unwatch(peer->watch);
    close(peer->fd);
    peer->fd = -1;
  }
  // A partly written frame cannot be resumed on a new connection: what was queued is lost, as
  // the bytes in the dead socket's buffers are (best effort).
  if (was_connected) {
    peer->out.clear();
    peer->out_pos = 0;
  }
  peer->connecting = false;
  peer->want_write = false;
  ++stats_.disconnects;
  if (!peer->down_logged) {
    std::fprintf(stderr, "kvlab node %u: peer %u at %s:%d unreachable (%s); retrying\n", self_, peer->id,
                 peer->endpoint.host.c_str(), peer->endpoint.port, reason.c_str());
    peer->down_logged = true;
  }
  ScheduleRedial(peer);
  // Last: the handler may send, which touches this link's state.
  if (peer_closed && on_peer_closed_) on_peer_closed_(peer->id);
}

void PeerLink::ScheduleRedial(Outbound* peer) {
  const core::Nanos delay = peer->backoff;
  peer->backoff = std::min(peer->backoff * 2, kPeerReconnectMaxDelay);
  std::weak_ptr<PeerLink*> alive = alive_;
  const core::NodeId id = peer->id;
  loop_.AddTimer(delay, [alive, id] {
    if (auto link = alive.lock()) {
      auto it = (*link)->outbound_.find(id);  // the peer may have been removed meanwhile.
      if (it != (*link)->outbound_.end() && it->second->fd < 0 && !it->second->connecting)
        (*link)->Dial(it->second.get());
    }
  });
}

}  // namespace kvlab::net
