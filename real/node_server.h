// The `kvlab node` daemon: one core::Node (a replication policy) served over RESP2 on an epoll
// loop, with its state in a POSIX data directory.
//
// A turn of the loop: read every ready client, hand its requests to the node; then EndTurn
// (group commit: it starts one sync covering the turn's writes), hand buffered appends to the OS,
// and write every connection's replies in one send each. The sync runs on the data dir's sync
// thread; its completion wakes the loop (an eventfd) and is handed to the node as a turn's input
// (Node::OnSyncDone), which releases the replies and messages that waited for it. Meanwhile the
// loop goes on serving heartbeats, reads and other clients.
// Server-side commands (PING, INFO, CONFIG GET, CLIENT, HELLO, AUTH, ...) are answered here;
// key-value commands become core::Commands (see kv_commands.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "core/policy/registry.h"
#include "net/event_loop.h"
#include "net/peer_link.h"
#include "net/resp_server.h"
#include "real/command_table.h"
#include "real/data_dir_meta.h"
#include "real/posix_disk.h"
#include "real/real_env.h"
#include "real/txn_session.h"

namespace kvlab::real {

// True if `name` (lowercase) is a command the server answers itself (server_commands.cc).
bool IsServerCommand(std::string_view name);
// CLIENT LIST's and CLIENT INFO's line for one connection (server_admin.cc).
std::string ClientLine(const net::RespConnection& conn);

struct NodeServerOptions {
  core::NodeId id = 1;
  core::PolicyChoice policy;          // REQUIRES: set.
  std::vector<core::NodeId> members;  // sorted, self included; empty = {id}.
  // Peer addresses (--cluster), self included: this node listens for peers on its own entry and
  // dials the others. Empty: a one-node cluster, no peer port.
  std::map<core::NodeId, net::PeerEndpoint> peers;
  bool fsync = true;  // --durability fsync|none
  std::string bind = "127.0.0.1";
  int port = 6380;  // 0: any free port.
  std::string data_dir;
  std::string requirepass;    // empty: no AUTH needed.
  std::string cluster_token;  // salts the cluster id recorded at bootstrap (data_dir_meta.h).
  bool join = false;          // a new member of a running raft cluster (kvlab node --join).
  size_t max_bulk_bytes = net::kDefaultMaxBulkBytes;
  // Syncs run on a sync thread (false: on the loop, as a blocking fdatasync; for before/after
  // measurements only: kvlab node --debug-inline-sync).
  bool async_syncs = true;
  // Test/debug only (kvlab node --debug-sync-delay-ms): each sync takes this much longer.
  std::chrono::nanoseconds sync_delay{0};
};

class NodeServer final : public net::RespHandler {
 public:
  // Opens the data directory, checks it against the options (FailedPrecondition naming both
  // configurations when it was bootstrapped with another policy, id or membership: see
  // data_dir_check.h), recovers the node (DataLoss for a corrupt WAL, naming file and offset) and
  // starts listening. Nothing is served until Run().
  static absl::StatusOr<std::unique_ptr<NodeServer>> Start(const NodeServerOptions& options);
  ~NodeServer() override;

  // What start-up did, one fact a line, for the node's log: bootstrap or adoption of the data dir,
  // moved peers, and what recovery found (snapshot, records replayed, keys, a torn tail cut).
  const std::vector<std::string>& startup_notes() const { return startup_notes_; }

  int port() const { return resp_->port(); }
  // The peer port (0 without peers).
  int peer_port() const { return peers_ ? peers_->port() : 0; }
  // Serves until Shutdown() (SHUTDOWN command, or SIGTERM/SIGINT when WatchSignals() was called).
  // Before it returns, the syncs in flight finish and the replies held for them are written.
  void Run();
  // Stops accepting clients and ends Run() after the current turn.
  void Shutdown();
  // Turns SIGTERM and SIGINT into Shutdown() (blocks them and reads them from a signalfd).
  absl::Status WatchSignals();
  // A message from a peer, delivered on the loop; the turn's EndTurn follows as for requests.
  void OnPeerMessage(core::Message msg);

  void OnRequest(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) override;

 private:
  explicit NodeServer(const NodeServerOptions& options) : options_(options), requirepass_(options.requirepass) {}
  void EndOfTurn();
  // Hands the finished syncs to the node (a turn's input; the end-of-turn hook follows).
  void DeliverSyncsDone();
  // After the loop stopped: waits for the syncs in flight and delivers them, turn by turn.
  void DrainSyncs();
  absl::Status WatchSyncs();
  absl::Status StartPeers();
  absl::Status OpenDataDir();
  absl::Status CheckDataDirRecord();
  absl::Status StartNode();
  void ReplyError(net::ReplyToken token, std::string_view text);
  void HandleRequest(const CommandSpec* spec, net::RespConnection& conn, net::ReplyToken token,
                     std::vector<std::string>& args);
  void Dispatch(const CommandSpec& spec, net::RespConnection& conn, net::ReplyToken token,
                std::vector<std::string>& args);
  // Server-side commands (server_commands.cc). False if `name` is not one of them.
  bool ServerCommand(std::string_view name, net::RespConnection& conn, net::ReplyToken token,
                     std::vector<std::string>& args);
  // Transactions (txn_commands.cc). TxnCommand: false if the request is not MULTI, EXEC,
  // DISCARD, WATCH, UNWATCH nor one to queue inside MULTI.
  bool TxnCommand(const CommandSpec* spec, net::RespConnection& conn, net::ReplyToken token,
                  std::vector<std::string>& args);
  TxnSession& SessionOf(net::RespConnection& conn);
  std::string NoTransactionsError(std::string_view what) const;
  void Multi(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args);
  void Exec(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args);
  void Watch(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args);
  void Queue(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args);
  static void AppendExecReply(const core::ClientReply& reply, const std::vector<std::string>& layout, std::string* out);
  void Hello(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args);
  void Auth(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args);
  void Client(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args);
  void ClientList(net::ReplyToken token, std::vector<std::string>& args);
  void ClientKill(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args);
  void Config(net::ReplyToken token, std::vector<std::string>& args);
  void ConfigSet(net::ReplyToken token, std::vector<std::string>& args);
  // CONFIG GET's parameters and values (settable ones reflect CONFIG SET).
  std::vector<std::pair<std::string, std::string>> ConfigValues() const;
  void Time(net::ReplyToken token);
  void HelpReply(net::ReplyToken token, std::string_view name);
  void CommandCmd(net::ReplyToken token, std::vector<std::string>& args);
  void Info(net::ReplyToken token, std::vector<std::string>& args);
  std::string InfoText(std::string_view section);
  // INFO's sections added for issue 12 (server_info.cc).
  using InfoFields = std::vector<std::pair<std::string, std::string>>;
  InfoFields MemoryInfo() const;
  InfoFields CpuInfo() const;
  InfoFields CommandStatsInfo() const;
  InfoFields ReplicationInfo() const;
  InfoFields KeyspaceInfo() const;
  // Membership changes (node_membership.cc).
  void Member(net::ReplyToken token, std::vector<std::string>& args);
  void MemberList(net::ReplyToken token);
  // A member's peer address: the one its configuration names, else the one --cluster or the
  // record gave ("" if none).
  std::string AddressOf(const core::Member& member) const;
  // At the end of a turn (and before a message to an unknown peer): follows the node's membership.
  void FollowMembership();
  void UpdatePeerLinks();
  void RecordMembership();  // logs the membership; rewrites the data dir's record if it changed.

  const NodeServerOptions options_;
  std::unique_ptr<net::EventLoop> loop_;
  std::unique_ptr<PosixDisk> disk_;
  std::unique_ptr<RealEnv> env_;
  std::unique_ptr<core::Node> node_;
  std::unique_ptr<net::RespServer> resp_;
  std::unique_ptr<net::PeerLink> peers_;  // null in a one-node cluster.
  int signal_fd_ = -1;
  std::optional<net::EventLoop::WatchId> sync_watch_;  // the sync thread's eventfd.
  bool sync_delivery_posted_ = false;                  // inline completions: a task in the next turn takes them.
  core::Nanos started_at_ = 0;
  // The current command's lower-case name: its table entry's, or unknown_name_ (a lower-case copy
  // of a name the table does not know, reused: no allocation per request).
  std::string_view name_;
  std::string unknown_name_;
  uint64_t disk_errors_ = 0;
  std::vector<std::string> startup_notes_;
  DataDirMeta record_;                                        // the data dir's record (data_dir_meta.h)
  std::vector<core::Member> members_seen_;                    // the node's membership at the last turn's end
  std::map<core::NodeId, net::PeerEndpoint> peer_endpoints_;  // who the peer links dial (self included)
  struct CommandStats {
    uint64_t calls = 0;
    uint64_t ticks = 0;  // CycleClock time dispatching it on the loop (not waiting for replication)
  };
  // Per served command, indexed like CommandTable() (a request's counters are found by its spec's
  // place in the table, not by a lookup of its name); commands never called have calls == 0.
  std::vector<CommandStats> command_stats_ = std::vector<CommandStats>(CommandTable().size());
  std::string requirepass_;  // --requirepass, then CONFIG SET requirepass
  // EXECs in flight whose replies mix the node's results with replies known at queue time.
  absl::flat_hash_map<net::ReplyToken, std::vector<std::string>> exec_layouts_;
};

}  // namespace kvlab::real
