#include "net/resp_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "net/resp_writer.h"
#include "net/tcp.h"

namespace kvlab::net {
namespace {

constexpr int kMaxAcceptsPerTurn = 256;
// A connection's idle buffers above this size are released (after a one-off large value).
constexpr size_t kKeepBufferBytes = 1024 * 1024;

ReplyToken MakeToken(uint32_t conn, uint32_t seq) { return (static_cast<uint64_t>(conn) << 32) | seq; }

std::string PeerName(const sockaddr_in& addr) {
  char ip[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &addr.sin_addr, ip, sizeof(ip));
  return absl::StrCat(ip, ":", ntohs(addr.sin_port));
}

}  // namespace

absl::StatusOr<std::unique_ptr<RespServer>> RespServer::Start(EventLoop& loop, RespHandler& handler,
                                                              const RespServerOptions& options) {
  absl::StatusOr<Listening> listening = ListenTcp(options.host, options.port);
  if (!listening.ok()) return listening.status();
  std::unique_ptr<RespServer> server(new RespServer(loop, handler, options, listening->fd, listening->port));
  RespServer* s = server.get();
  absl::StatusOr<EventLoop::WatchId> watch = loop.Watch(listening->fd, EPOLLIN, [s](uint32_t) { s->OnAcceptable(); });
  if (!watch.ok()) return watch.status();
  server->listen_watch_ = *watch;
  return server;
}

RespServer::~RespServer() {
  StopAccepting();
  for (auto& [id, conn] : connections_) {
    loop_.Unwatch(conn->watch_);
    close(conn->fd_);
  }
}

std::vector<const RespConnection*> RespServer::Connections() const {
  std::vector<const RespConnection*> out;
  out.reserve(connections_.size());
  for (const auto& [id, conn] : connections_) out.push_back(conn.get());
  std::sort(out.begin(), out.end(), [](const RespConnection* a, const RespConnection* b) { return a->id() < b->id(); });
  return out;
}

bool RespServer::Kill(uint32_t id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return false;
  it->second->CloseAfterReplies();
  MarkDirty(it->second.get());
  return true;
}

void RespServer::StopAccepting() {
  if (listen_fd_ < 0) return;
  loop_.Unwatch(listen_watch_);
  close(listen_fd_);
  listen_fd_ = -1;
}

void RespServer::OnAcceptable() {
  for (int i = 0; i < kMaxAcceptsPerTurn && listen_fd_ >= 0; ++i) {
    sockaddr_in addr{};
    socklen_t len = sizeof(addr);
    const int fd = accept4(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or EMFILE and the like: try again next turn.
    ++stats_.total_connections_received;
    if (connections_.size() >= options_.max_clients) {
      static constexpr char kFull[] = "-ERR max number of clients reached\r\n";
      (void)!send(fd, kFull, sizeof(kFull) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
      close(fd);
      ++stats_.rejected_connections;
      continue;
    }
    SetNoDelay(fd);
    const uint32_t id = next_conn_id_++;
    auto conn = std::unique_ptr<RespConnection>(new RespConnection(id, fd, PeerName(addr), options_.max_bulk_bytes));
    RespConnection* c = conn.get();
    absl::StatusOr<EventLoop::WatchId> watch = loop_.Watch(fd, EPOLLIN, [this, c](uint32_t ev) { OnEvent(c, ev); });
    if (!watch.ok()) {
      close(fd);
      continue;
    }
    c->watch_ = *watch;
    connections_.emplace(id, std::move(conn));
  }
}

void RespServer::OnEvent(RespConnection* conn, uint32_t events) {
  if (events & EPOLLOUT) {
    if (!WriteOutput(conn)) return;
  }
  if (events & EPOLLIN) {
    ReadInput(conn);
  } else if (events & (EPOLLERR | EPOLLHUP)) {
    Close(conn);
  }
}

void RespServer::ReadInput(RespConnection* conn) {
  for (int i = 0; i < kMaxReadsPerTurn && !conn->read_closed_ && !conn->throttled_; ++i) {
    const size_t want = std::max(kReadChunkBytes, conn->parser_.PendingBulkBytes() -
                                                      std::min(conn->parser_.PendingBulkBytes(), conn->in_.size()));
    const ssize_t n = read(conn->fd_, conn->in_.PrepareAppend(want), want);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {  // EOF or a reset: answer what was asked if the client still listens, then close.
      conn->read_closed_ = conn->closing_ = true;
      if (n < 0 || (conn->slots_.empty() && conn->Unsent() == 0)) {
        Close(conn);
        return;
      }
      UpdateInterest(conn);
      MarkDirty(conn);
      return;
    }
    conn->in_.CommitAppend(static_cast<size_t>(n));
    stats_.total_net_input_bytes += static_cast<uint64_t>(n);
    ProcessInput(conn);
    if (static_cast<size_t>(n) < want) break;  // the socket is drained.
  }
}

bool RespServer::OverLimits(const RespConnection* conn) const {
  return conn->slots_.size() >= kMaxInflightPerConnection || conn->Unsent() >= kOutputHighWaterBytes;
}

void RespServer::ProcessInput(RespConnection* conn) {
  while (!conn->read_closed_) {
    if (OverLimits(conn)) {
      conn->throttled_ = true;
      UpdateInterest(conn);
      MarkDirty(conn);  // Flush lifts the throttle once replies drain.
      return;
    }
    size_t consumed = 0;
    const RespRequestParser::State state = conn->parser_.Parse(conn->in_.Readable(), &consumed);
    conn->in_.Consume(consumed);
    if (state == RespRequestParser::State::kNeedMore) break;
    if (state == RespRequestParser::State::kError) {
      ProtocolError(conn);
      return;
    }
    Dispatch(conn);
  }
  if (conn->parser_.Idle()) conn->in_.ShrinkIfEmpty(kKeepBufferBytes);
}

void RespServer::Dispatch(RespConnection* conn) {
  ++stats_.total_commands_processed;
  const ReplyToken token = MakeToken(conn->id_, conn->next_seq_++);
  conn->slots_.push_back();
  dispatching_ = conn;
  handler_.OnRequest(*conn, token, conn->parser_.args());
  dispatching_ = nullptr;
}

void RespServer::ProtocolError(RespConnection* conn) {
  ++stats_.protocol_errors;
  conn->next_seq_++;
  ReplySlot& slot = conn->slots_.push_back();
  slot.ready = true;
  AppendError(&slot.bytes, absl::StrCat("ERR ", conn->parser_.error()));
  conn->CloseAfterReplies();
  UpdateInterest(conn);
  DrainReadySlots(conn);
}

bool RespServer::Reply(ReplyToken token, absl::FunctionRef<void(std::string*)> write) {
  const auto conn_id = static_cast<uint32_t>(token >> 32);
  RespConnection* conn = dispatching_;  // most replies answer the request being dispatched.
  if (conn == nullptr || conn->id_ != conn_id) {
    auto it = connections_.find(conn_id);
    if (it == connections_.end()) return false;
    conn = it->second.get();
  }
  const uint32_t index = static_cast<uint32_t>(token) - conn->head_seq_;  // wraps like the sequence.
  KV_ASSERT(index < conn->slots_.size());
  ReplySlot& slot = conn->slots_[index];
  KV_ASSERT(!slot.ready);  // exactly one reply per request.
  if (index == 0) {
    write(&conn->out_);  // the common in-order case: straight into the output buffer.
    conn->slots_.pop_front();
    ++conn->head_seq_;
  } else {
    write(&slot.bytes);
    slot.ready = true;
  }
  DrainReadySlots(conn);
  return true;
}

void RespServer::DrainReadySlots(RespConnection* conn) {
  while (!conn->slots_.empty() && conn->slots_.front().ready) {
    conn->out_.append(conn->slots_.front().bytes);
    conn->slots_.pop_front();
    ++conn->head_seq_;
  }
  MarkDirty(conn);
}

void RespServer::MarkDirty(RespConnection* conn) {
  if (conn->dirty_) return;
  conn->dirty_ = true;
  dirty_.push_back(conn->id_);
}

void RespServer::Flush() {
  std::vector<uint32_t> dirty;
  dirty.swap(dirty_);
  for (uint32_t id : dirty) {
    auto it = connections_.find(id);
    if (it == connections_.end()) continue;
    RespConnection* conn = it->second.get();
    conn->dirty_ = false;
    if (!WriteOutput(conn)) continue;
    if (conn->closing_ && conn->slots_.empty() && conn->Unsent() == 0) {
      Close(conn);
      continue;
    }
    if (conn->throttled_ && !OverLimits(conn)) {
      conn->throttled_ = false;
      UpdateInterest(conn);
      // Requests already buffered get no new readiness event: parse them in the next turn.
      loop_.Post([this, id] {
        auto found = connections_.find(id);
        if (found != connections_.end()) ProcessInput(found->second.get());
      });
    }
  }
  closed_.clear();
}

bool RespServer::WriteOutput(RespConnection* conn) {
  while (conn->Unsent() > 0) {
    const ssize_t n = send(conn->fd_, conn->out_.data() + conn->out_pos_, conn->Unsent(), MSG_NOSIGNAL);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    if (n <= 0) {
      Close(conn);
      return false;
    }
    conn->out_pos_ += static_cast<size_t>(n);
    stats_.total_net_output_bytes += static_cast<uint64_t>(n);
  }
  if (conn->Unsent() == 0) {
    conn->out_pos_ = 0;
    if (conn->out_.capacity() > kKeepBufferBytes) {
      std::string().swap(conn->out_);
    } else {
      conn->out_.clear();
    }
  } else if (conn->Unsent() > kMaxOutputBufferBytes) {
    Close(conn);  // the client does not read its replies.
    return false;
  } else if (conn->out_pos_ > conn->out_.size() / 2) {
    conn->out_.erase(0, conn->out_pos_);
    conn->out_pos_ = 0;
  }
  const bool want_write = conn->Unsent() > 0;
  if (want_write != conn->want_write_) {
    conn->want_write_ = want_write;
    UpdateInterest(conn);
  }
  return true;
}

void RespServer::UpdateInterest(RespConnection* conn) {
  uint32_t events = 0;
  if (!conn->read_closed_ && !conn->throttled_) events |= EPOLLIN;
  if (conn->want_write_) events |= EPOLLOUT;
  loop_.Modify(conn->watch_, events);
}

void RespServer::Close(RespConnection* conn) {
  auto it = connections_.find(conn->id_);
  KV_ASSERT(it != connections_.end());
  if (dispatching_ == conn) dispatching_ = nullptr;  // replies to it now find no connection.
  loop_.Unwatch(conn->watch_);
  close(conn->fd_);
  closed_.push_back(std::move(it->second));  // callbacks of this turn may still hold `conn`.
  connections_.erase(it);
}

}  // namespace kvlab::net
