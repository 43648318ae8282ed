#include "real/fault_proxy.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <deque>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/message.h"
#include "net/buffer.h"
#include "net/tcp.h"

namespace kvlab::real {

namespace {
constexpr size_t kReadChunk = 64 * 1024;
constexpr int kMaxReadsPerWakeup = 16;  // then the loop serves the other links.
}  // namespace

std::string DescribeFaults(const LinkFaults& f) {
  std::string s;
  auto add = [&s](const std::string& part) { absl::StrAppend(&s, s.empty() ? "" : " ", part); };
  if (f.delay > 0 || f.jitter > 0) {
    add(absl::StrCat("delay ", f.delay / core::kNanosPerMilli, "ms jitter ", f.jitter / core::kNanosPerMilli, "ms"));
  }
  if (f.drop_ppm > 0) add(absl::StrCat("drop ", f.drop_ppm, "ppm"));
  if (f.cut) add("cut");
  if (f.hold) add("hold");
  return s.empty() ? "ok" : s;
}

struct FaultProxy::Link {
  LinkKey key;
  net::PeerEndpoint upstream;
  int listen_fd = -1;
  net::EventLoop::WatchId watch = 0;
  LinkFaults faults;
  LinkStats stats;
  size_t open = 0;  // connections now.
};

struct FaultProxy::Conn {
  Link* link = nullptr;
  int down_fd = -1;  // from the sending node.
  int up_fd = -1;    // to the receiving node's peer port.
  net::EventLoop::WatchId down_watch = 0;
  net::EventLoop::WatchId up_watch = 0;
  bool connected = false;
  net::InputBuffer in;
  std::deque<std::pair<core::Nanos, std::string>> pending;  // (due, frame), due non-decreasing.
  std::string out;                                          // released, not yet written.
  size_t queued = 0;                                        // bytes in pending and out.
  core::Nanos last_due = 0;
  core::Nanos timer_at = 0;  // the armed release timer's deadline, 0 if none.
};

FaultProxy::FaultProxy(net::EventLoop& loop, uint64_t seed) : loop_(loop), rng_(core::Rng::Derive(seed, "proxy")) {}

FaultProxy::~FaultProxy() {
  std::vector<uint64_t> ids;
  for (const auto& [id, c] : conns_) ids.push_back(id);
  for (uint64_t id : ids) CloseConn(id);
  for (auto& [key, link] : links_) {
    loop_.Unwatch(link->watch);
    close(link->listen_fd);
  }
}

absl::StatusOr<int> FaultProxy::AddLink(core::NodeId from, core::NodeId to, const net::PeerEndpoint& upstream,
                                        int listen_port) {
  absl::StatusOr<net::Listening> listening = net::ListenTcp("127.0.0.1", listen_port);
  if (!listening.ok()) return listening.status();
  auto link = std::make_unique<Link>();
  link->key = {from, to};
  link->upstream = upstream;
  link->listen_fd = listening->fd;
  Link* l = link.get();
  absl::StatusOr<net::EventLoop::WatchId> watch =
      loop_.Watch(l->listen_fd, EPOLLIN, [this, l](uint32_t) { OnAccept(*l); });
  if (!watch.ok()) {
    close(l->listen_fd);
    return watch.status();
  }
  l->watch = *watch;
  links_[{from, to}] = std::move(link);
  return listening->port;
}

bool FaultProxy::SetFaults(core::NodeId from, core::NodeId to, const LinkFaults& faults) {
  auto it = links_.find({from, to});
  if (it == links_.end()) return false;
  const bool released = it->second->faults.hold && !faults.hold;
  it->second->faults = faults;
  if (released) {
    std::vector<uint64_t> ids;
    for (const auto& [id, c] : conns_) {
      if (c->link == it->second.get()) ids.push_back(id);
    }
    for (uint64_t id : ids) Release(id);
  }
  return true;
}

const LinkFaults* FaultProxy::Faults(core::NodeId from, core::NodeId to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? nullptr : &it->second->faults;
}

const LinkStats* FaultProxy::Stats(core::NodeId from, core::NodeId to) const {
  auto it = links_.find({from, to});
  return it == links_.end() ? nullptr : &it->second->stats;
}

void FaultProxy::HealAll() {
  std::vector<LinkKey> keys;
  for (const auto& [key, link] : links_) keys.push_back(key);
  for (const LinkKey& k : keys) SetFaults(k.first, k.second, LinkFaults{});
}

void FaultProxy::OnAccept(Link& link) {
  for (;;) {
    const int fd = accept4(link.listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    if (link.open >= kMaxProxyConnectionsPerLink) {
      close(fd);
      continue;
    }
    absl::StatusOr<int> up = net::StartConnectTcp(link.upstream.host, link.upstream.port);
    if (!up.ok()) {  // the receiving node's port is closed: so is the sender's connection.
      close(fd);
      continue;
    }
    const uint64_t id = next_conn_++;
    auto c = std::make_unique<Conn>();
    c->link = &link;
    c->down_fd = fd;
    c->up_fd = *up;
    net::SetNoDelay(fd);
    absl::StatusOr<net::EventLoop::WatchId> dw = loop_.Watch(fd, EPOLLIN, [this, id](uint32_t) { OnDownstream(id); });
    absl::StatusOr<net::EventLoop::WatchId> uw =
        loop_.Watch(*up, EPOLLOUT, [this, id](uint32_t events) { OnUpstream(id, events); });
    c->down_watch = dw.ok() ? *dw : 0;
    c->up_watch = uw.ok() ? *uw : 0;
    conns_[id] = std::move(c);
    ++link.open;
    ++link.stats.connections;
    if (!dw.ok() || !uw.ok()) CloseConn(id);
  }
}

void FaultProxy::OnDownstream(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
    char* space = c.in.PrepareAppend(kReadChunk);
    const ssize_t n = read(c.down_fd, space, kReadChunk);
    if (n > 0) {
      c.in.CommitAppend(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    return CloseConn(id);  // the sender closed (or failed): so does the receiver's side.
  }
  TakeFrames(c);
  if (c.queued > kMaxProxyQueuedBytes) return CloseConn(id);
  Release(id);
}

// Moves every whole frame of the input into `pending` (or drops it), due after the link's delay.
void FaultProxy::TakeFrames(Conn& c) {
  const core::Nanos now = net::EventLoop::MonotonicNow();
  for (;;) {
    const std::string_view have = c.in.Readable();
    if (have.size() < 4) return;
    absl::StatusOr<size_t> size = core::FrameSize(have);
    if (!size.ok()) {  // not a peer stream: pass the bytes on unframed rather than judge them.
      c.out.append(have.data(), have.size());
      c.queued += have.size();
      c.in.Consume(have.size());
      return;
    }
    if (*size > have.size()) return;
    const LinkFaults& f = c.link->faults;
    if (f.cut || (f.drop_ppm > 0 && rng_.ChancePpm(f.drop_ppm))) {
      ++c.link->stats.frames_dropped;
    } else {
      const core::Nanos jitter = f.jitter > 0 ? rng_.UniformRange(0, f.jitter) : 0;
      c.last_due = std::max(c.last_due, now + f.delay + jitter);
      c.pending.emplace_back(c.last_due, std::string(have.substr(0, *size)));
      c.queued += *size;
      ++c.link->stats.frames_forwarded;
    }
    c.in.Consume(*size);
  }
}

// Moves the frames that are due (and not held) to `out`, writes, and arms a timer for the next.
void FaultProxy::Release(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  const core::Nanos now = net::EventLoop::MonotonicNow();
  while (!c.link->faults.hold && !c.pending.empty() && c.pending.front().first <= now) {
    c.out += c.pending.front().second;
    c.pending.pop_front();
  }
  Flush(c);
  if (c.link->faults.hold || c.pending.empty()) return;
  const core::Nanos due = c.pending.front().first;
  if (c.timer_at != 0 && c.timer_at <= due) return;
  c.timer_at = due;
  loop_.AddTimer(due - now, [this, id] {
    auto found = conns_.find(id);
    if (found == conns_.end()) return;
    found->second->timer_at = 0;
    Release(id);
  });
}

void FaultProxy::Flush(Conn& c) {
  if (!c.connected) return;
  while (!c.out.empty()) {
    const ssize_t n = write(c.up_fd, c.out.data(), c.out.size());
    if (n <= 0) break;
    c.out.erase(0, static_cast<size_t>(n));
    c.queued -= static_cast<size_t>(n);
  }
  loop_.Modify(c.up_watch, c.out.empty() ? EPOLLIN : (EPOLLIN | EPOLLOUT));
}

void FaultProxy::OnUpstream(uint64_t id, uint32_t events) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (!c.connected) {
    if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) == 0) return;
    if (net::ConnectError(c.up_fd) != 0) return CloseConn(id);
    c.connected = true;
    net::SetNoDelay(c.up_fd);
    return Flush(c);
  }
  if (events & (EPOLLIN | EPOLLERR | EPOLLHUP)) {
    char sink[512];  // a receiver never writes on an inbound peer connection: only EOF matters.
    const ssize_t n = read(c.up_fd, sink, sizeof(sink));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) return CloseConn(id);
  }
  if (events & EPOLLOUT) Flush(c);
}

void FaultProxy::CloseConn(uint64_t id) {
  auto it = conns_.find(id);
  if (it == conns_.end()) return;
  Conn& c = *it->second;
  if (c.down_watch != 0) loop_.Unwatch(c.down_watch);
  if (c.up_watch != 0) loop_.Unwatch(c.up_watch);
  close(c.down_fd);
  close(c.up_fd);
  --c.link->open;
  conns_.erase(it);
}

}  // namespace kvlab::real
