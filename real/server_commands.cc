// Server-side commands of the node daemon: answered by the server itself, never by the core.
#include <fnmatch.h>
#include <unistd.h>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "net/resp_writer.h"
#include "real/kv_commands.h"
#include "real/node_server.h"

namespace kvlab::real {
namespace {

// The Redis version clients are told (some check it before using a command).
constexpr char kRedisVersion[] = "7.0.0";
constexpr char kKvlabVersion[] = "0.1.0";

bool ValidClientName(std::string_view name) {
  for (char c : name) {
    if (c < '!' || c > '~') return false;  // Redis: no spaces, newlines or special characters.
  }
  return true;
}

// The fdatasync latencies, in the style of Redis's INFO latencystats
// (count=N,p50=..,p90=..,p99=..,p99.9=..,max=.., microseconds).
std::string SyncLatencyInfo(const workloads::Histogram& h) {
  const auto us = [](int64_t ns) { return absl::StrFormat("%.1f", static_cast<double>(ns) / 1000.0); };
  return absl::StrCat("count=", h.count(), ",p50=", us(h.ValueAtPercentile(50)), ",p90=", us(h.ValueAtPercentile(90)),
                      ",p99=", us(h.ValueAtPercentile(99)), ",p99.9=", us(h.ValueAtPercentile(99.9)),
                      ",max=", us(h.max()));
}

}  // namespace

bool IsServerCommand(std::string_view n) {
  const CommandSpec* spec = FindCommand(n);
  return spec != nullptr && spec->kind == CommandKind::kServer;
}

bool NodeServer::ServerCommand(std::string_view name, net::RespConnection& conn, net::ReplyToken token,
                               std::vector<std::string>& args) {
  const size_t argc = args.size();
  if (name == "ping") {
    if (argc > 2) return ReplyError(token, ArityError(name)), true;
    resp_->Reply(token, [&](std::string* out) {
      argc == 2 ? net::AppendBulk(out, args[1]) : net::AppendSimpleString(out, "PONG");
    });
  } else if (name == "echo") {
    if (argc != 2) return ReplyError(token, ArityError(name)), true;
    resp_->Reply(token, [&](std::string* out) { net::AppendBulk(out, args[1]); });
  } else if (name == "quit") {
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
    conn.CloseAfterReplies();
  } else if (name == "shutdown") {
    // Like Redis, no reply on success: the connection closes as the server exits.
    conn.CloseAfterReplies();
    resp_->Reply(token, [](std::string*) {});
    Shutdown();
  } else if (name == "select") {
    int64_t db = 0;
    if (argc != 2) return ReplyError(token, ArityError(name)), true;
    auto [p, ec] = std::from_chars(args[1].data(), args[1].data() + args[1].size(), db);
    if (ec != std::errc() || p != args[1].data() + args[1].size()) {
      ReplyError(token, "ERR value is not an integer or out of range");
    } else if (db != 0) {
      ReplyError(token, "ERR DB index is out of range");
    } else {
      resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
    }
  } else if (name == "hello") {
    Hello(conn, token, args);
  } else if (name == "auth") {
    Auth(conn, token, args);
  } else if (name == "client") {
    Client(conn, token, args);
  } else if (name == "config") {
    Config(token, args);
  } else if (name == "command") {
    CommandCmd(token, args);
  } else if (name == "info") {
    Info(token, args);
  } else if (name == "member") {
    Member(token, args);
  } else if (name == "time") {
    Time(token);
  } else if (name == "object" || name == "memory") {
    HelpReply(token, name);  // their other subcommands are reads (Dispatch)
  } else {
    return false;
  }
  return true;
}

void NodeServer::Hello(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) {
  size_t i = 1;
  if (args.size() > 1) {
    if (args[1] != "2") return ReplyError(token, "NOPROTO unsupported protocol version");
    i = 2;
  }
  for (; i < args.size(); ++i) {
    const std::string opt = absl::AsciiStrToLower(args[i]);
    if (opt == "auth" && i + 2 < args.size()) {
      if (requirepass_.empty() || args[i + 2] != requirepass_) {
        return ReplyError(token, "WRONGPASS invalid username-password pair or user is disabled.");
      }
      conn.authenticated = true;
      i += 2;
    } else if (opt == "setname" && i + 1 < args.size()) {
      conn.name = args[++i];
    } else {
      return ReplyError(token, absl::StrCat("ERR Syntax error in HELLO option '", args[i], "'"));
    }
  }
  if (!requirepass_.empty() && !conn.authenticated) {
    return ReplyError(token,
                      "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
                      "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
                      "select the RESP protocol version at the same time");
  }
  resp_->Reply(token, [&](std::string* out) {
    net::AppendArrayHeader(out, 14);
    net::AppendBulk(out, "server");
    net::AppendBulk(out, "redis");
    net::AppendBulk(out, "version");
    net::AppendBulk(out, kRedisVersion);
    net::AppendBulk(out, "proto");
    net::AppendInteger(out, 2);
    net::AppendBulk(out, "id");
    net::AppendInteger(out, conn.id());
    net::AppendBulk(out, "mode");
    net::AppendBulk(out, "standalone");
    net::AppendBulk(out, "role");
    net::AppendBulk(out, "master");
    net::AppendBulk(out, "modules");
    net::AppendArrayHeader(out, 0);
  });
}

void NodeServer::Auth(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() != 2 && args.size() != 3) return ReplyError(token, ArityError("auth"));
  if (requirepass_.empty()) {
    return ReplyError(token,
                      "ERR AUTH <password> called without any password configured for the default user. "
                      "Are you sure your configuration is correct?");
  }
  const bool user_ok = args.size() == 2 || args[1] == "default";
  if (!user_ok || args.back() != requirepass_) {
    return ReplyError(token, "WRONGPASS invalid username-password pair or user is disabled.");
  }
  conn.authenticated = true;
  resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
}

void NodeServer::Client(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() < 2) return ReplyError(token, ArityError("client"));
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "setname" && args.size() == 3) {
    if (!ValidClientName(args[2])) {
      return ReplyError(token, "ERR Client names cannot contain spaces, newlines or special characters.");
    }
    conn.name = args[2];
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
  } else if (sub == "getname" && args.size() == 2) {
    resp_->Reply(token,
                 [&](std::string* out) { conn.name.empty() ? net::AppendNil(out) : net::AppendBulk(out, conn.name); });
  } else if (sub == "id" && args.size() == 2) {
    resp_->Reply(token, [&](std::string* out) { net::AppendInteger(out, conn.id()); });
  } else if (sub == "setinfo" && args.size() == 4) {
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
  } else if (sub == "info" && args.size() == 2) {
    const std::string line = absl::StrCat(ClientLine(conn), "\n");
    resp_->Reply(token, [&](std::string* out) { net::AppendBulk(out, line); });
  } else if (sub == "list") {
    ClientList(token, args);
  } else if (sub == "kill") {
    ClientKill(conn, token, args);
  } else if ((sub == "no-evict" || sub == "no-touch") && args.size() == 3) {
    const std::string mode = absl::AsciiStrToLower(args[2]);
    if (mode != "on" && mode != "off") return ReplyError(token, "ERR syntax error");
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });  // kvlab never evicts nor tracks access
  } else if (sub == "help" && args.size() == 2) {
    HelpReply(token, "client");
  } else {
    ReplyError(token, absl::StrCat("ERR unknown subcommand or wrong number of arguments for '", args[1],
                                   "'. Try CLIENT HELP."));
  }
}

void NodeServer::Config(net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() < 2) return ReplyError(token, ArityError("config"));
  const std::string sub = absl::AsciiStrToLower(args[1]);
  if (sub == "resetstat" && args.size() == 2) {
    command_stats_.assign(command_stats_.size(), CommandStats{});
    resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
    return;
  }
  if (sub == "help" && args.size() == 2) return HelpReply(token, "config");
  if (sub == "set" && args.size() >= 4 && args.size() % 2 == 0) return ConfigSet(token, args);
  if (sub != "get" || args.size() < 3) {
    return ReplyError(token, absl::StrCat("ERR unknown subcommand or wrong number of arguments for '", args[1],
                                          "'. Try CONFIG HELP."));
  }
  const std::vector<std::pair<std::string, std::string>> config = ConfigValues();
  std::vector<const std::pair<std::string, std::string>*> hits;
  for (const auto& kv : config) {
    for (size_t i = 2; i < args.size(); ++i) {
      const std::string pattern = absl::AsciiStrToLower(args[i]);
      if (fnmatch(pattern.c_str(), kv.first.c_str(), 0) == 0) {
        hits.push_back(&kv);
        break;
      }
    }
  }
  resp_->Reply(token, [&](std::string* out) {
    net::AppendArrayHeader(out, hits.size() * 2);
    for (const auto* kv : hits) {
      net::AppendBulk(out, kv->first);
      net::AppendBulk(out, kv->second);
    }
  });
}

void NodeServer::Info(net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() > 2) return ReplyError(token, "ERR syntax error");
  const std::string section = args.size() == 2 ? absl::AsciiStrToLower(args[1]) : "default";
  const std::string text = InfoText(section);
  resp_->Reply(token, [&](std::string* out) { net::AppendBulk(out, text); });
}

// INFO [section]: Redis's default sections (commandstats only with "all", "everything" or by name).
std::string NodeServer::InfoText(std::string_view section) {
  const bool all = section == "all" || section == "everything";
  const bool defaults = all || section == "default";
  std::string text;
  auto add = [&](std::string_view name, const InfoFields& fields, bool in_default = true) {
    std::string lower = absl::AsciiStrToLower(std::string(name));
    if (!(all || (defaults && in_default) || section == lower)) return;
    if (!text.empty()) text += "\r\n";
    absl::StrAppend(&text, "# ", std::string(name), "\r\n");
    for (const auto& [k, v] : fields) absl::StrAppend(&text, k, ":", v, "\r\n");
  };
  const net::RespServerStats& st = resp_->stats();
  const int64_t uptime_s = (net::EventLoop::MonotonicNow() - started_at_) / core::kNanosPerSecond;
  add("Server", {{"redis_version", kRedisVersion},
                 {"kvlab_version", kKvlabVersion},
                 {"redis_mode", "standalone"},
                 {"os", "Linux"},
                 {"multiplexing_api", "epoll"},
                 {"process_id", absl::StrCat(getpid())},
                 {"tcp_port", absl::StrCat(port())},
                 {"uptime_in_seconds", absl::StrCat(uptime_s)},
                 {"uptime_in_days", absl::StrCat(uptime_s / 86400)},
                 {"executable", "kvlab"}});
  add("Clients", {{"connected_clients", absl::StrCat(resp_->connected_clients())},
                  {"maxclients", absl::StrCat(net::kDefaultMaxClients)},
                  {"blocked_clients", "0"}});
  add("Memory", MemoryInfo());
  add("Persistence", {{"loading", "0"},
                      {"aof_enabled", "1"},
                      {"durability", options_.fsync ? "fsync" : "none"},
                      {"data_dir", options_.data_dir},
                      {"fsyncs", absl::StrCat(disk_->fsyncs())},
                      {"kvlab_fsync_latency_us", SyncLatencyInfo(disk_->sync_latency())},
                      {"syncs_in_flight", absl::StrCat(disk_->syncs_outstanding())},
                      {"disk_errors", absl::StrCat(disk_errors_)}});
  add("Stats", {{"total_connections_received", absl::StrCat(st.total_connections_received)},
                {"total_commands_processed", absl::StrCat(st.total_commands_processed)},
                {"total_net_input_bytes", absl::StrCat(st.total_net_input_bytes)},
                {"total_net_output_bytes", absl::StrCat(st.total_net_output_bytes)},
                {"rejected_connections", absl::StrCat(st.rejected_connections)},
                {"total_protocol_errors", absl::StrCat(st.protocol_errors)},
                {"event_loop_turns", absl::StrCat(loop_->turns())}});
  add("Replication", ReplicationInfo());
  add("CPU", CpuInfo());
  add("Commandstats", CommandStatsInfo(), /*in_default=*/false);
  add("Keyspace", KeyspaceInfo());
  return text;
}

}  // namespace kvlab::real
