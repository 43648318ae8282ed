#include "real/node_server.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "net/resp_writer.h"
#include "net/tcp.h"
#include "real/command_table.h"
#include "real/cycle_clock.h"
#include "real/data_dir_check.h"
#include "real/data_dir_layout.h"
#include "real/kv_commands.h"
#include "real/recovery_report.h"

namespace kvlab::real {

absl::StatusOr<std::unique_ptr<NodeServer>> NodeServer::Start(const NodeServerOptions& options) {
  std::unique_ptr<NodeServer> s(new NodeServer(options));
  absl::StatusOr<std::unique_ptr<net::EventLoop>> loop = net::EventLoop::Create();
  if (!loop.ok()) return loop.status();
  s->loop_ = *std::move(loop);
  if (absl::Status st = s->OpenDataDir(); !st.ok()) return st;
  // Real-world randomness need not replay: seed from the node id and the clock.
  const uint64_t seed =
      (static_cast<uint64_t>(options.id) << 48) ^ static_cast<uint64_t>(net::EventLoop::MonotonicNow());
  s->env_ = std::make_unique<RealEnv>(options.id, *s->loop_, *s->disk_, seed);
  if (absl::Status st = s->WatchSyncs(); !st.ok()) return st;
  if (absl::Status st = s->StartNode(); !st.ok()) return st;

  net::RaiseFileLimit();  // 1000+ clients need more than the usual 1024 descriptors.
  net::RespServerOptions resp_options;
  resp_options.host = options.bind;
  resp_options.port = options.port;
  resp_options.max_bulk_bytes = options.max_bulk_bytes;
  absl::StatusOr<std::unique_ptr<net::RespServer>> resp = net::RespServer::Start(*s->loop_, *s, resp_options);
  if (!resp.ok()) return resp.status();
  s->resp_ = *std::move(resp);
  NodeServer* self = s.get();
  s->loop_->AddEndOfTurnHook([self] { self->EndOfTurn(); });
  s->started_at_ = net::EventLoop::MonotonicNow();
  return s;
}

// Takes the data dir's lock (nothing reads or writes the policy's files before the check).
absl::Status NodeServer::OpenDataDir() {
  PosixDiskOptions disk_options;
  // The logs are synced on every write turn: preallocated, their fdatasync has no metadata to
  // write. (Without fsync there is no fdatasync to shorten.) Both readers stop at a zero tail.
  if (options_.fsync && !options_.policy.info->log_file.empty()) {
    disk_options.preallocate.emplace_back(options_.policy.info->log_file);
  }
  disk_options.async_syncs = options_.async_syncs;
  disk_options.sync_delay = options_.sync_delay;
  absl::StatusOr<std::unique_ptr<PosixDisk>> disk = PosixDisk::Open(options_.data_dir, std::move(disk_options));
  if (!disk.ok()) return disk.status();
  disk_ = *std::move(disk);
  return absl::OkStatus();
}

// Compares the data dir's record with the options, or records them (data_dir_check.h).
absl::Status NodeServer::CheckDataDirRecord() {
  std::map<core::NodeId, std::string> members;
  for (core::NodeId id : options_.members.empty() ? std::vector<core::NodeId>{options_.id} : options_.members) {
    auto peer = options_.peers.find(id);
    members[id] = peer == options_.peers.end() ? "" : absl::StrCat(peer->second.host, ":", peer->second.port);
  }
  DataDirMeta flags =
      MetaOfFlags(std::string(options_.policy.info->name), options_.id, std::move(members), options_.cluster_token);
  flags.joined = options_.join;
  absl::StatusOr<DataDirCheck> check = CheckDataDir(*disk_, options_.data_dir, flags, options_.cluster_token);
  if (!check.ok()) return check.status();
  startup_notes_ = std::move(check->notes);
  record_ = std::move(check->record);
  return absl::OkStatus();
}

// Creates the policy's node (which validates the configuration before anything is recorded),
// checks the data dir, then recovers the node, noting what recovery found.
absl::Status NodeServer::StartNode() {
  core::NodeConfig config;
  config.self = options_.id;
  config.members = options_.members.empty() ? std::vector<core::NodeId>{options_.id} : options_.members;
  config.fsync = options_.fsync;
  config.join = options_.join;
  absl::StatusOr<std::unique_ptr<core::Node>> node = core::MakeNode(options_.policy, config, *env_);
  if (!node.ok()) return node.status();
  node_ = *std::move(node);
  if (absl::Status st = CheckDataDirRecord(); !st.ok()) return st;
  // The node starts from the membership it was bootstrapped with (or joins with none), whichever
  // --cluster lists: a policy with membership changes takes later ones from its log.
  core::NodeConfig recorded = config;
  recorded.members = BootstrapMembers(record_);
  recorded.join = record_.joined;
  if (recorded.members != config.members || recorded.join != config.join) {
    absl::StatusOr<std::unique_ptr<core::Node>> again = core::MakeNode(options_.policy, recorded, *env_);
    if (!again.ok()) return again.status();
    node_ = *std::move(again);
  }
  env_->set_node(node_.get());
  env_->set_reply_sink([this](core::ReplyHandle handle, const core::ClientReply& reply) {
    if (!exec_layouts_.empty()) {
      if (auto it = exec_layouts_.find(handle); it != exec_layouts_.end()) {
        const std::vector<std::string> layout = std::move(it->second);
        exec_layouts_.erase(it);
        resp_->Reply(handle, [&](std::string* out) { AppendExecReply(reply, layout, out); });
        return;
      }
    }
    resp_->Reply(handle, [&](std::string* out) { AppendClientReply(reply, out); });
  });
  if (absl::Status st = StartPeers(); !st.ok()) return st;
  const PolicyFiles* files = FilesOf(options_.policy.info->name);
  RecoveryFacts facts;
  if (files != nullptr) {
    facts.dir = options_.data_dir;
    facts.files = *files;
    facts.log_before = InspectLogFile(absl::StrCat(options_.data_dir, "/", files->log));
  }
  if (absl::Status st = node_->Start(); !st.ok()) return st;
  if (files != nullptr) {
    facts.info = node_->Info();
    facts.keys = node_->KeyCount();
    for (std::string& line : RecoveryLines(facts)) startup_notes_.push_back(std::move(line));
  }
  return absl::OkStatus();
}

absl::Status NodeServer::StartPeers() {
  peer_endpoints_ = options_.peers;
  // One node: messages have nowhere to go, unless its membership may grow.
  if (options_.peers.empty() || (options_.peers.size() == 1 && node_->Membership() == nullptr)) {
    return absl::OkStatus();
  }
  auto self_entry = options_.peers.find(options_.id);
  if (self_entry == options_.peers.end()) {
    return absl::InvalidArgumentError(absl::StrCat("--cluster does not list node ", options_.id));
  }
  absl::StatusOr<std::unique_ptr<net::PeerLink>> link = net::PeerLink::Start(
      *loop_, options_.id, self_entry->second, [this](core::Message msg) { OnPeerMessage(std::move(msg)); });
  if (!link.ok()) {
    return absl::Status(link.status().code(), absl::StrCat("peer port: ", link.status().message()));
  }
  peers_ = *std::move(link);
  peers_->set_on_peer_closed([this](core::NodeId peer) { node_->OnPeerLost(peer); });
  for (const auto& [id, endpoint] : options_.peers) {
    if (id != options_.id) peers_->AddPeer(id, endpoint);
  }
  env_->set_send_sink([this](core::NodeId to, core::Message msg) {
    if (!peers_->HasPeer(to) && to != options_.id) FollowMembership();  // a member added this turn.
    peers_->Send(to, msg);
  });
  return absl::OkStatus();
}

void NodeServer::OnPeerMessage(core::Message msg) { node_->OnMessage(msg); }

absl::Status NodeServer::WatchSyncs() {
  if (disk_->sync_event_fd() < 0) return absl::OkStatus();  // inline syncs: EndOfTurn posts them.
  absl::StatusOr<net::EventLoop::WatchId> w =
      loop_->Watch(disk_->sync_event_fd(), EPOLLIN, [this](uint32_t) { DeliverSyncsDone(); });
  if (!w.ok()) return w.status();
  sync_watch_ = *w;
  return absl::OkStatus();
}

void NodeServer::DeliverSyncsDone() {
  for (SyncDone& done : disk_->TakeSyncsDone()) node_->OnSyncDone(done.token, std::move(done.status));
}

void NodeServer::DrainSyncs() {
  // No new input arrives: each round's EndTurn starts at most one more sync (for writes the
  // completions themselves caused), so a few rounds settle it; the bound keeps a stop finite.
  constexpr int kMaxDrainRounds = 16;
  for (int round = 0; round < kMaxDrainRounds && disk_->syncs_outstanding() > 0; ++round) {
    disk_->WaitForSyncs();
    DeliverSyncsDone();
    EndOfTurn();
  }
}

NodeServer::~NodeServer() {
  if (sync_watch_) loop_->Unwatch(*sync_watch_);
  resp_.reset();  // before the loop it is registered on.
  peers_.reset();
  if (signal_fd_ >= 0) close(signal_fd_);
}

void NodeServer::EndOfTurn() {
  node_->EndTurn();
  FollowMembership();
  // After EndTurn: in fsync mode the turn is synced already; in none mode this hands the turn's
  // appends to the OS before their replies leave, so a process crash loses no acknowledged write.
  if (absl::Status s = disk_->FlushBuffers(); !s.ok()) {
    if (disk_errors_++ == 0)
      std::fprintf(stderr, "kvlab node: write to data dir failed: %s\n", std::string(s.message()).c_str());
  }
  resp_->Flush();
  if (peers_) peers_->Flush();  // after EndTurn: the messages it released.
  // Completions no eventfd announces (inline syncs, errors) are the next turn's input.
  if (disk_->has_syncs_ready() && !sync_delivery_posted_) {
    sync_delivery_posted_ = true;
    loop_->Post([this] {
      sync_delivery_posted_ = false;
      DeliverSyncsDone();
    });
  }
}

void NodeServer::Run() {
  loop_->Run();
  DrainSyncs();
}

void NodeServer::Shutdown() {
  resp_->StopAccepting();
  loop_->Stop();
}

absl::Status NodeServer::WatchSignals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  if (sigprocmask(SIG_BLOCK, &mask, nullptr) != 0) return absl::InternalError("sigprocmask failed");
  signal(SIGPIPE, SIG_IGN);
  signal_fd_ = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
  if (signal_fd_ < 0) return absl::InternalError("signalfd failed");
  absl::StatusOr<net::EventLoop::WatchId> w = loop_->Watch(signal_fd_, EPOLLIN, [this](uint32_t) {
    signalfd_siginfo info;
    while (read(signal_fd_, &info, sizeof(info)) == sizeof(info)) {
    }
    Shutdown();
  });
  return w.ok() ? absl::OkStatus() : w.status();
}

void NodeServer::ReplyError(net::ReplyToken token, std::string_view text) {
  resp_->Reply(token, [&](std::string* out) { net::AppendError(out, text); });
}

void NodeServer::OnRequest(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) {
  const CommandSpec* spec = FindCommand(args[0]);  // once per request: the handlers take it from here.
  if (spec != nullptr) {
    name_ = spec->name;
  } else {
    unknown_name_.assign(args[0]);
    absl::AsciiStrToLower(&unknown_name_);
    name_ = unknown_name_;
  }
  if (!requirepass_.empty() && !conn.authenticated && name_ != "auth" && name_ != "hello" && name_ != "quit") {
    return ReplyError(token, "NOAUTH Authentication required.");
  }
  const uint64_t started = CycleClock::Now();
  HandleRequest(spec, conn, token, args);
  if (spec != nullptr) {
    CommandStats& stats = command_stats_[spec - CommandTable().data()];
    ++stats.calls;
    stats.ticks += CycleClock::Now() - started;
  }
}

// Redis's order: a transaction being queued takes the command; else an unknown command or a
// wrong number of arguments is refused (from the command table) before any handler runs.
void NodeServer::HandleRequest(const CommandSpec* spec, net::RespConnection& conn, net::ReplyToken token,
                               std::vector<std::string>& args) {
  if (TxnCommand(spec, conn, token, args)) return;
  if (spec == nullptr) return ReplyError(token, UnknownCommandError(args));
  if (!ArityOk(*spec, args.size())) return ReplyError(token, ArityError(name_));
  Dispatch(*spec, conn, token, args);
}

void NodeServer::Dispatch(const CommandSpec& spec, net::RespConnection& conn, net::ReplyToken token,
                          std::vector<std::string>& args) {
  // OBJECT HELP and MEMORY HELP are text the server answers; their other subcommands are reads.
  const bool help = args.size() == 2 && absl::EqualsIgnoreCase(args[1], "help");
  if (spec.kind == CommandKind::kKv && !help) {
    absl::StatusOr<core::Command> cmd =
        ParseKvCommand(&spec, args, env_->Now() / core::kNanosPerMilli, env_->rng().Next());
    if (!cmd.ok()) return ReplyError(token, std::string(cmd.status().message()));
    if (absl::Status valid = core::ValidateCommand(*cmd); !valid.ok()) {
      return ReplyError(token, absl::StrCat("ERR ", valid.message()));
    }
    node_->OnClientRequest(token, *std::move(cmd));
    return;
  }
  if (!ServerCommand(name_, conn, token, args)) ReplyError(token, UnknownCommandError(args));
}

}  // namespace kvlab::real
