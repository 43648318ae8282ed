// MULTI/EXEC/DISCARD/WATCH/UNWATCH on the node daemon, with Redis's semantics: inside MULTI
// commands are queued (+QUEUED); an arity error or unknown command discards the transaction
// (EXEC answers EXECABORT); EXEC sends the queue as one Op::kExec command, applied in one step
// by the policy, with one result per command (a command's own error included) or a null array
// when a watched key changed. A policy without transactions refuses MULTI and WATCH before
// anything is queued.
#include "absl/strings/str_cat.h"
#include "core/constants.h"
#include "net/resp_writer.h"
#include "real/kv_commands.h"
#include "real/node_server.h"
#include "real/txn_session.h"

namespace kvlab::real {
namespace {

std::string ErrorBytes(std::string_view text) {
  std::string out;
  net::AppendError(&out, text);
  return out;
}

// MULTI, DISCARD and WATCH with a wrong number of arguments (EXEC and UNWATCH are handled where they run or queue).
bool TxnArityError(std::string_view n, size_t argc) {
  return ((n == "multi" || n == "discard") && argc != 1) || (n == "watch" && argc < 2);
}

}  // namespace

TxnSession& NodeServer::SessionOf(net::RespConnection& conn) {
  if (!conn.session) conn.session = std::make_shared<TxnSession>();
  return *static_cast<TxnSession*>(conn.session.get());
}

std::string NodeServer::NoTransactionsError(std::string_view what) const {
  return absl::StrCat("ERR ", std::string(what), " is not served by the '", std::string(options_.policy.info->name),
                      "' policy: it cannot apply a transaction atomically");
}

bool NodeServer::TxnCommand(const CommandSpec* spec, net::RespConnection& conn, net::ReplyToken token,
                            std::vector<std::string>& args) {
  TxnSession* s = static_cast<TxnSession*>(conn.session.get());
  const bool queuing = s != nullptr && (s->in_multi || s->refused);
  if (!queuing && (spec == nullptr || spec->kind != CommandKind::kTxn)) return false;
  if (name_ == "quit") return false;  // QUIT is never queued.
  TxnSession& session = SessionOf(conn);
  // Redis checks arity before running a command, and a rejected command inside MULTI discards the
  // transaction (EXEC then answers EXECABORT), MULTI/DISCARD/WATCH included.
  if (session.in_multi && TxnArityError(name_, args.size())) {
    session.failed = true;
    return ReplyError(token, ArityError(name_)), true;
  }
  if (name_ == "multi") return Multi(session, token, args), true;
  if (name_ == "exec") return Exec(session, token, args), true;
  if (name_ == "discard") {
    if (args.size() != 1) return ReplyError(token, ArityError(name_)), true;
    if (!session.in_multi && !session.refused) return ReplyError(token, "ERR DISCARD without MULTI"), true;
    session.EndMulti();
    session.Unwatch();
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
    return true;
  }
  if (name_ == "watch") return Watch(session, token, args), true;
  if (name_ == "unwatch" && !queuing) {
    if (args.size() != 1) return ReplyError(token, ArityError(name_)), true;
    session.Unwatch();
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
    return true;
  }
  Queue(session, token, args);
  return true;
}

void NodeServer::Multi(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() != 1) return ReplyError(token, ArityError("multi"));
  if (s.in_multi || s.refused) return ReplyError(token, "ERR MULTI calls can not be nested");
  if (!options_.policy.info->transactions) {
    s.refused = true;
    return ReplyError(token, NoTransactionsError("MULTI"));
  }
  s.in_multi = true;
  resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
}

void NodeServer::Watch(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() < 2) return ReplyError(token, ArityError("watch"));
  if (s.in_multi || s.refused) return ReplyError(token, "ERR WATCH inside MULTI is not allowed");
  if (!options_.policy.info->transactions) return ReplyError(token, NoTransactionsError("WATCH"));
  const core::KvState* state = node_->AppliedState();
  if (state == nullptr) return ReplyError(token, "TRYAGAIN node not started");
  if (s.watches.keys.size() + args.size() - 1 > kMaxWatchedKeys) {
    return ReplyError(token, absl::StrCat("ERR too many watched keys (at most ", kMaxWatchedKeys, ")"));
  }
  // The replica's applied state: on a follower it may lag, which can only abort an EXEC that
  // could have run (command.h, Op::kExec). The first WATCH's sequence covers the later ones.
  const int64_t now_ms = env_->Now() / core::kNanosPerMilli;
  if (s.watches.keys.empty()) s.watches.watch_seq = state->seq();
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i].size() > core::kMaxKeyBytes) return ReplyError(token, "ERR key too large");
  }
  for (size_t i = 1; i < args.size(); ++i) {
    s.watches.versions.push_back(state->VersionOf(args[i], now_ms));
    s.watches.keys.push_back(std::move(args[i]));
  }
  resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
}

void NodeServer::Queue(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args) {
  if (s.refused) return ReplyError(token, NoTransactionsError("MULTI"));
  auto fail = [&](std::string_view text) {
    s.failed = true;
    ReplyError(token, text);
  };
  auto queued = [&](std::string local) {
    s.layout.push_back(std::move(local));
    resp_->Reply(token, [](std::string* out) { net::AppendSimpleString(out, "QUEUED"); });
  };
  if (s.layout.size() >= core::kMaxTxnCommands) {
    return fail(absl::StrCat("ERR too many commands in a transaction (at most ", core::kMaxTxnCommands, ")"));
  }
  if (name_ == "ping" || name_ == "echo" || name_ == "unwatch") {
    const size_t want_min = name_ == "echo" ? 2 : 1, want_max = name_ == "ping" ? 2 : want_min;
    if (args.size() < want_min || args.size() > want_max) return fail(ArityError(name_));
    std::string reply;
    if (name_ == "unwatch") {
      net::AppendOk(&reply);  // runs after EXEC checked the watches: nothing left to do.
    } else if (args.size() == 2) {
      net::AppendBulk(&reply, args[1]);
    } else {
      net::AppendSimpleString(&reply, "PONG");
    }
    return queued(std::move(reply));
  }
  if (!IsKvCommand(name_)) {
    if (IsServerCommand(name_)) {
      return fail(absl::StrCat("ERR '", std::string(name_),
                               "' is not served inside MULTI by kvlab (key-value commands, PING, ECHO "
                               "and UNWATCH are)"));
    }
    return fail(UnknownCommandError(args));
  }
  absl::StatusOr<core::Command> cmd =
      ParseKvCommand(name_, args, env_->Now() / core::kNanosPerMilli, env_->rng().Next());
  if (!cmd.ok()) {
    const std::string text(cmd.status().message());
    if (IsQueuingFatalError(text)) return fail(text);
    return queued(ErrorBytes(text));  // Redis reports it as this command's result in EXEC.
  }
  if (absl::Status valid = core::ValidateCommand(*cmd); !valid.ok()) return fail(absl::StrCat("ERR ", valid.message()));
  const size_t bytes = core::TxnBytes(*cmd);
  if (s.bytes + bytes > core::kMaxTxnBytes) {
    return fail(absl::StrCat("ERR transaction too large (at most ", core::kMaxTxnBytes, " bytes)"));
  }
  s.bytes += bytes;
  s.subs.push_back(*std::move(cmd));
  queued(std::string());
}

void NodeServer::Exec(TxnSession& s, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() != 1) {
    s.EndMulti();  // Redis discards the transaction on EXEC's own arity error (and says so outside MULTI too).
    s.Unwatch();
    return ReplyError(token,
                      "EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command");
  }
  if (s.refused) {
    s.EndMulti();
    return ReplyError(token, "EXECABORT Transaction discarded because MULTI was refused.");
  }
  if (!s.in_multi) return ReplyError(token, "ERR EXEC without MULTI");
  if (s.failed) {
    s.EndMulti();
    s.Unwatch();
    return ReplyError(token, "EXECABORT Transaction discarded because of previous errors.");
  }
  const bool locals = s.has_locals();
  core::Command cmd = std::move(s.watches);
  cmd.op = core::Op::kExec;
  cmd.subs = std::move(s.subs);
  std::vector<std::string> layout = std::move(s.layout);
  s.EndMulti();
  s.Unwatch();
  if (cmd.subs.empty() && cmd.keys.empty()) {  // nothing for the state machine to decide.
    resp_->Reply(token, [&](std::string* out) {
      net::AppendArrayHeader(out, layout.size());
      for (const std::string& local : layout) out->append(local);
    });
    return;
  }
  if (absl::Status valid = core::ValidateCommand(cmd); !valid.ok()) {
    return ReplyError(token, absl::StrCat("EXECABORT ", valid.message()));
  }
  if (locals) exec_layouts_[token] = std::move(layout);
  node_->OnClientRequest(token, std::move(cmd));
}

// EXEC's reply when some queued commands were answered at queue time: the node's results fill
// the other places, in order.
void NodeServer::AppendExecReply(const core::ClientReply& reply, const std::vector<std::string>& layout,
                                 std::string* out) {
  if (reply.status != core::ReplyStatus::kOk || reply.result.kind != core::ResultKind::kResults) {
    return AppendClientReply(reply, out);
  }
  net::AppendArrayHeader(out, layout.size());
  size_t next = 0;
  for (const std::string& local : layout) {
    if (!local.empty()) {
      out->append(local);
    } else if (next < reply.result.results.size()) {
      AppendResult(reply.result.results[next++], out);
    } else {
      net::AppendError(out, "ERR missing result");  // unreachable: one result per sub-command.
    }
  }
}

}  // namespace kvlab::real
