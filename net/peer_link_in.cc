// PeerLink, inbound side: accept peers' connections, cut the byte stream into frames with
// core::FrameSize, decode them and hand the messages to the node. A bad frame (or a message not
// addressed to this node) closes that connection only; the peer re-dials.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/constants.h"
#include "net/limits.h"
#include "net/peer_link.h"

namespace kvlab::net {
namespace {

constexpr int kMaxAcceptsPerTurn = 64;
// An idle connection's input buffer above this size is released (after a large snapshot chunk).
constexpr size_t kKeepInputBytes = 1024 * 1024;

std::string AddressName(const sockaddr_in& addr) {
  char ip[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return absl::StrCat(ip, ":", ntohs(addr.sin_port));
}

// Rejects a stream that is not kvlab frames (an HTTP probe, a RESP client on the wrong port) as
// soon as the version and type bytes are in, before waiting for the length it seems to declare.
// Layout per core/message.h: u32 length | u8 version | u8 type | ...
absl::Status CheckHeader(std::string_view have) {
  if (have.size() >= 5 && static_cast<uint8_t>(have[4]) != core::kMessageVersion) {
    return absl::InvalidArgumentError(absl::StrCat("frame: unknown version ", static_cast<uint8_t>(have[4])));
  }
  if (have.size() >= 6 && (have[5] == 0 || static_cast<uint8_t>(have[5]) > core::kMaxMessageType)) {
    return absl::InvalidArgumentError(absl::StrCat("frame: unknown type ", static_cast<uint8_t>(have[5])));
  }
  return absl::OkStatus();
}

}  // namespace

void PeerLink::OnAcceptable() {
  for (int i = 0; i < kMaxAcceptsPerTurn; ++i) {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or out of descriptors: retried next turn.
    if (inbound_.size() >= kMaxPeerInboundConnections) {
      close(fd);
      ++stats_.inbound_refused;
      continue;
    }
    auto conn = std::make_unique<Inbound>();
    conn->id = next_inbound_id_++;
    conn->fd = fd;
    conn->name = AddressName(addr);
    const uint64_t id = conn->id;
    absl::StatusOr<EventLoop::WatchId> watch =
        loop_.Watch(fd, EPOLLIN, [this, id](uint32_t events) { OnInboundEvent(id, events); });
    if (!watch.ok()) {
      close(fd);
      continue;
    }
    conn->watch = *watch;
    inbound_.emplace(id, std::move(conn));
    ++stats_.inbound_accepted;
  }
}

void PeerLink::OnInboundEvent(uint64_t id, uint32_t events) {
  auto it = inbound_.find(id);
  if (it == inbound_.end()) return;  // closed earlier in this turn.
  Inbound* conn = it->second.get();
  if (!(events & EPOLLIN)) {
    if (events & (EPOLLERR | EPOLLHUP)) CloseInbound(conn, "");
    return;
  }
  for (int i = 0; i < kMaxReadsPerTurn; ++i) {
    // Ask for more of a large frame at once, but grow the buffer only as bytes really arrive:
    // a declared length alone never makes the node allocate.
    size_t want = kReadChunkBytes;
    const std::string_view have = conn->in.Readable();
    if (absl::StatusOr<size_t> size = core::FrameSize(have); size.ok() && *size > have.size()) {
      want = std::clamp(*size - have.size(), kReadChunkBytes, kMaxPeerReadBytes);
    }
    const ssize_t n = read(conn->fd, conn->in.PrepareAppend(want), want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) return CloseInbound(conn, "");  // the peer closed or reset: it will re-dial.
    conn->in.CommitAppend(static_cast<size_t>(n));
    if (!DeliverFrames(conn)) return;
    if (static_cast<size_t>(n) < want) break;  // the socket is drained.
  }
}

bool PeerLink::DeliverFrames(Inbound* conn) {
  for (;;) {
    const std::string_view have = conn->in.Readable();
    if (have.size() < 4) break;
    absl::StatusOr<size_t> size = core::FrameSize(have);
    if (!size.ok()) {
      CloseInbound(conn, std::string(size.status().message()));
      return false;
    }
    if (absl::Status header = CheckHeader(have); !header.ok()) {
      CloseInbound(conn, std::string(header.message()));
      return false;
    }
    if (have.size() < *size) break;
    absl::StatusOr<core::Message> msg = core::DecodeMessage(have.substr(0, *size));
    if (!msg.ok()) {
      CloseInbound(conn, std::string(msg.status().message()));
      return false;
    }
    if (msg->to != self_) {  // a misconfigured cluster: this is not the node the sender meant.
      CloseInbound(conn, absl::StrCat("message for node ", msg->to, " from node ", msg->from));
      return false;
    }
    conn->in.Consume(*size);
    ++stats_.messages_received;
    deliver_(*std::move(msg));
  }
  conn->in.ShrinkIfEmpty(kKeepInputBytes);
  return true;
}

void PeerLink::CloseInbound(Inbound* conn, const std::string& reason) {
  if (!reason.empty()) {
    ++stats_.bad_frames;
    std::fprintf(stderr, "kvlab node %u: closing peer connection from %s: %s\n", self_, conn->name.c_str(),
                 reason.c_str());
  }
  loop_.Unwatch(conn->watch);
  close(conn->fd);
  inbound_.erase(conn->id);  // the loop's callback only holds the id, so this is safe mid-turn.
}

}  // namespace kvlab::net
