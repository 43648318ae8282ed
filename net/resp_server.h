// A RESP2 server on the event loop: accepts TCP clients, parses their requests, hands each one to
// a RespHandler and writes the replies back in request order (pipelining), even when the handler
// answers them later and out of order (e.g. after a group-commit fsync).
//
// Per connection: an input buffer and incremental parser, a ring of reply slots (one per request
// still waiting, in request order) and an output buffer that is written once per turn (Flush).
// Backpressure: a connection with too many unanswered requests or unsent reply bytes is not read
// until it drains; past kMaxOutputBufferBytes it is closed. A protocol error is answered with
// "-ERR Protocol error: ..." and closes that connection only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/functional/function_ref.h"
#include "absl/status/statusor.h"
#include "net/buffer.h"
#include "net/event_loop.h"
#include "net/resp_parser.h"
#include "net/slot_ring.h"

namespace kvlab::net {

// Identifies one request's reply slot: connection id in the high 32 bits, the request's sequence
// number on that connection in the low 32 bits.
using ReplyToken = uint64_t;

inline constexpr size_t kDefaultMaxClients = 10'000;  // Redis's maxclients default.

class RespServer;

// One client connection, as the handler sees it: identity plus per-connection session state.
class RespConnection {
 public:
  uint32_t id() const { return id_; }                // CLIENT ID: 1-based, never reused.
  const std::string& peer() const { return peer_; }  // "ip:port"
  // Closes the connection after every reply queued so far is written; later requests are ignored.
  void CloseAfterReplies() { read_closed_ = closing_ = true; }

  std::string name;            // CLIENT SETNAME
  bool authenticated = false;  // AUTH
  // The handler's own per-connection state (e.g. a transaction being queued); freed with the
  // connection. Type-erased so that net/ knows nothing of it.
  std::shared_ptr<void> session;

 private:
  friend class RespServer;
  RespConnection(uint32_t id, int fd, std::string peer, size_t max_bulk_bytes)
      : id_(id), fd_(fd), peer_(std::move(peer)), parser_(max_bulk_bytes) {}
  size_t Unsent() const { return out_.size() - out_pos_; }

  const uint32_t id_;
  const int fd_;
  const std::string peer_;
  EventLoop::WatchId watch_ = 0;
  RespRequestParser parser_;
  InputBuffer in_;
  std::string out_;
  size_t out_pos_ = 0;
  SlotRing slots_;  // requests [head_seq_, next_seq_) still waiting for their replies.
  uint32_t head_seq_ = 0;
  uint32_t next_seq_ = 0;
  bool read_closed_ = false;  // EOF, QUIT or protocol error: parse nothing more.
  bool closing_ = false;      // close once slots_ and out_ are empty.
  bool throttled_ = false;    // not read until replies drain.
  bool dirty_ = false;        // listed for the next Flush.
  bool want_write_ = false;   // EPOLLOUT is watched (the socket buffer was full).
};

class RespHandler {
 public:
  virtual ~RespHandler() = default;
  // One complete request (args non-empty; args[0] is the command name as sent). The handler must
  // call RespServer::Reply(token, ...) exactly once, now or later. It may take the strings.
  virtual void OnRequest(RespConnection& conn, ReplyToken token, std::vector<std::string>& args) = 0;
};

struct RespServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port (see RespServer::port()).
  size_t max_bulk_bytes = kDefaultMaxBulkBytes;
  size_t max_clients = kDefaultMaxClients;
};

struct RespServerStats {
  uint64_t total_connections_received = 0;
  uint64_t rejected_connections = 0;
  uint64_t total_commands_processed = 0;
  uint64_t total_net_input_bytes = 0;
  uint64_t total_net_output_bytes = 0;
  uint64_t protocol_errors = 0;
};

class RespServer {
 public:
  // Listens and starts accepting on `loop`. `handler` must outlive the server.
  static absl::StatusOr<std::unique_ptr<RespServer>> Start(EventLoop& loop, RespHandler& handler,
                                                           const RespServerOptions& options);
  ~RespServer();
  RespServer(const RespServer&) = delete;
  RespServer& operator=(const RespServer&) = delete;

  int port() const { return port_; }

  // Answers the request `token`: `write` appends the RESP bytes of the reply to the string it is
  // given. Returns false (and does not call `write`) if the connection has gone away.
  bool Reply(ReplyToken token, absl::FunctionRef<void(std::string*)> write);
  // Writes every connection's buffered replies and resumes throttled connections. Call once at
  // the end of every turn, after the node released the turn's replies.
  void Flush();
  // Closes the listening socket (shutdown: no new clients).
  void StopAccepting();

  size_t connected_clients() const { return connections_.size(); }
  // Every connection, in id order (CLIENT LIST).
  std::vector<const RespConnection*> Connections() const;
  // Closes connection `id` once the replies queued on it are written (CLIENT KILL). False if there
  // is no such connection.
  bool Kill(uint32_t id);
  const RespServerStats& stats() const { return stats_; }

 private:
  RespServer(EventLoop& loop, RespHandler& handler, const RespServerOptions& options, int listen_fd, int port)
      : loop_(loop), handler_(handler), options_(options), listen_fd_(listen_fd), port_(port) {}

  void OnAcceptable();
  void OnEvent(RespConnection* conn, uint32_t events);
  void ReadInput(RespConnection* conn);
  void ProcessInput(RespConnection* conn);
  void Dispatch(RespConnection* conn);
  void ProtocolError(RespConnection* conn);
  void DrainReadySlots(RespConnection* conn);
  bool WriteOutput(RespConnection* conn);  // false if the connection was closed.
  void UpdateInterest(RespConnection* conn);
  void MarkDirty(RespConnection* conn);
  bool OverLimits(const RespConnection* conn) const;
  void Close(RespConnection* conn);

  EventLoop& loop_;
  RespHandler& handler_;
  const RespServerOptions options_;
  int listen_fd_;
  EventLoop::WatchId listen_watch_ = 0;
  const int port_;
  uint32_t next_conn_id_ = 1;
  absl::flat_hash_map<uint32_t, std::unique_ptr<RespConnection>> connections_;
  RespConnection* dispatching_ = nullptr;                // the connection whose request OnRequest handles.
  std::vector<uint32_t> dirty_;                          // connections to visit in Flush.
  std::vector<std::unique_ptr<RespConnection>> closed_;  // destroyed at the end of Flush.
  RespServerStats stats_;
};

}  // namespace kvlab::net
