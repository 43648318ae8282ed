// Administrative commands the node server answers itself (issue 12): CLIENT LIST/KILL, CONFIG
// SET/HELP, COMMAND (from the command table), TIME and the HELP texts.
#include <sys/time.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/kv/kv_state.h"
#include "net/resp_writer.h"
#include "real/command_table.h"
#include "real/kv_commands.h"
#include "real/node_server.h"

namespace kvlab::real {
namespace {

const std::vector<std::string_view>& HelpLines(std::string_view name) {
  static const std::vector<std::string_view> client = {
      "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ID",
      "    Return the ID of the current connection.",
      "GETNAME",
      "    Return the name of the current connection.",
      "SETNAME <name>",
      "    Assign the name <name> to the current connection.",
      "INFO",
      "    Return information about the current client connection.",
      "LIST [TYPE normal] [ID <id> [<id> ...]]",
      "    Return information about client connections.",
      "KILL <ip:port>",
      "    Kill connection made from <ip:port>.",
      "KILL <option> <value> [<option> <value> [...]]",
      "    Options: ID <id>, ADDR <ip:port>, SKIPME (YES|NO).",
      "SETINFO <LIB-NAME|LIB-VER> <value>",
      "    Accepted and ignored.",
      "NO-EVICT (ON|OFF)",
      "    Accepted: kvlab never evicts clients.",
      "NO-TOUCH (ON|OFF)",
      "    Accepted: kvlab keeps no access times.",
      "HELP",
      "    Print this help."};
  static const std::vector<std::string_view> config = {
      "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "GET <pattern>",
      "    Return parameters matching the glob-like <pattern> and their values.",
      "SET <directive> <value> [<directive> <value> ...]",
      "    Set a settable parameter (requirepass, save, appendonly yes, timeout 0, maxmemory 0).",
      "RESETSTAT",
      "    Reset the statistics reported by INFO commandstats.",
      "HELP",
      "    Print this help."};
  static const std::vector<std::string_view> object = {
      "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "ENCODING <key>",
      "    Return the kind of internal representation used in order to store the value",
      "    associated with a <key> (int, embstr or raw; from the value alone).",
      "HELP",
      "    Print this help."};
  static const std::vector<std::string_view> memory = {
      "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:", "USAGE <key> [SAMPLES <count>]",
      "    Return an estimate of the bytes <key> and its value take.", "HELP", "    Print this help."};
  static const std::vector<std::string_view> command = {
      "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
      "(no subcommand)",
      "    Return details about all served commands.",
      "COUNT",
      "    Return the number of served commands.",
      "DOCS [<command-name> ...]",
      "    Return documentary information about commands.",
      "INFO [<command-name> ...]",
      "    Return details about the given commands (all when none).",
      "LIST",
      "    Return the names of the served commands.",
      "HELP",
      "    Print this help."};
  static const std::vector<std::string_view> member = {
      "MEMBER <subcommand> [<arg> ...]. Subcommands are (raft; other policies have a fixed membership):",
      "ADD <id> <host:peerport>",
      "    Add a member (started with kvlab node --join); replies once the change is committed.",
      "REMOVE <id>",
      "    Remove a member; a leader that removes itself steps down once the change commits.",
      "LIST",
      "    Return this node's view of the members, as [id, peer address] pairs.",
      "HELP",
      "    Print this help."};
  if (name == "member") return member;
  if (name == "client") return client;
  if (name == "config") return config;
  if (name == "object") return object;
  if (name == "memory") return memory;
  return command;
}

// COMMAND INFO's entry: name, arity, flags, first key, last key, step, ACL categories, tips,
// key specs, subcommands (Redis 7's ten fields).
void AppendCommandInfo(const CommandSpec& spec, std::string* out) {
  net::AppendArrayHeader(out, 10);
  net::AppendBulk(out, spec.name);
  net::AppendInteger(out, spec.arity);
  std::vector<std::string> flags = absl::StrSplit(std::string(spec.flags), ' ', absl::SkipEmpty());
  net::AppendArrayHeader(out, flags.size());
  for (const std::string& f : flags) net::AppendSimpleString(out, f);
  net::AppendInteger(out, spec.first_key);
  net::AppendInteger(out, spec.last_key);
  net::AppendInteger(out, spec.step);
  const bool write = spec.flags.find("write") != std::string_view::npos;
  const std::string group = spec.group == "generic" ? "keyspace" : std::string(spec.group);
  net::AppendArrayHeader(out, 2);
  net::AppendSimpleString(out, absl::StrCat("@", group));
  net::AppendSimpleString(out, write ? "@write" : "@read");
  net::AppendArrayHeader(out, 0);
  net::AppendArrayHeader(out, 0);
  net::AppendArrayHeader(out, 0);
}

void AppendCommandDocs(const CommandSpec& spec, std::string* out) {
  net::AppendBulk(out, spec.name);
  net::AppendArrayHeader(out, 4);
  net::AppendBulk(out, "summary");
  net::AppendBulk(out, spec.summary);
  net::AppendBulk(out, "group");
  net::AppendBulk(out, spec.group);
}

}  // namespace

std::string ClientLine(const net::RespConnection& conn) {
  return absl::StrCat("id=", conn.id(), " addr=", conn.peer(), " name=", conn.name,
                      " db=0 sub=0 psub=0 multi=-1 flags=N user=default resp=2");
}

void NodeServer::HelpReply(net::ReplyToken token, std::string_view name) {
  const std::vector<std::string_view>& lines = HelpLines(name);
  resp_->Reply(token, [&](std::string* out) {
    net::AppendArrayHeader(out, lines.size());
    for (std::string_view line : lines) net::AppendSimpleString(out, line);
  });
}

void NodeServer::ClientList(net::ReplyToken token, std::vector<std::string>& args) {
  // CLIENT LIST [TYPE normal] [ID id ...]: every client connection is of type normal.
  std::vector<uint64_t> ids;
  for (size_t i = 2; i < args.size(); ++i) {
    const std::string opt = absl::AsciiStrToLower(args[i]);
    if (opt == "type" && i + 1 < args.size()) {
      const std::string type = absl::AsciiStrToLower(args[++i]);
      if (type != "normal" && type != "master" && type != "replica" && type != "slave" && type != "pubsub") {
        return ReplyError(token, absl::StrCat("ERR Unknown client type '", args[i], "'"));
      }
      if (type != "normal") ids.push_back(0);  // no client of that type: match none
    } else if (opt == "id" && i + 1 < args.size()) {
      for (++i; i < args.size(); ++i) {
        int64_t id;
        if (!core::ParseRedisInt(args[i], &id) || id < 1) return ReplyError(token, "ERR Invalid client ID");
        ids.push_back(static_cast<uint64_t>(id));
      }
    } else {
      return ReplyError(token, "ERR syntax error");
    }
  }
  std::string text;
  for (const net::RespConnection* c : resp_->Connections()) {
    if (!ids.empty() && std::find(ids.begin(), ids.end(), c->id()) == ids.end()) continue;
    absl::StrAppend(&text, ClientLine(*c), "\n");
  }
  resp_->Reply(token, [&](std::string* out) { net::AppendBulk(out, text); });
}

// CLIENT KILL addr (old form: OK or an error) or CLIENT KILL [ID id] [ADDR addr] [SKIPME yes|no]
// (new form: the number killed).
void NodeServer::ClientKill(net::RespConnection& conn, net::ReplyToken token, std::vector<std::string>& args) {
  if (args.size() < 3) return ReplyError(token, ArityError("client|kill"));
  const bool old_form = args.size() == 3;
  std::string addr;
  int64_t id = 0;
  bool skipme = true;
  if (old_form) {
    addr = args[2];
  } else {
    if (args.size() % 2 != 0) return ReplyError(token, "ERR syntax error");
    for (size_t i = 2; i < args.size(); i += 2) {
      const std::string opt = absl::AsciiStrToLower(args[i]), val = absl::AsciiStrToLower(args[i + 1]);
      if (opt == "id") {
        if (!core::ParseRedisInt(args[i + 1], &id) || id < 1)
          return ReplyError(token, "ERR client-id should be greater than 0");
      } else if (opt == "addr") {
        addr = args[i + 1];
      } else if (opt == "skipme" && (val == "yes" || val == "no")) {
        skipme = val == "yes";
      } else {
        return ReplyError(token, "ERR syntax error");
      }
    }
  }
  std::vector<uint32_t> victims;
  for (const net::RespConnection* c : resp_->Connections()) {
    if ((id != 0 && c->id() != static_cast<uint64_t>(id)) || (!addr.empty() && c->peer() != addr)) continue;
    if (!old_form && skipme && c->id() == conn.id()) continue;
    victims.push_back(c->id());
  }
  for (uint32_t v : victims) resp_->Kill(v);
  if (old_form) {
    if (victims.empty()) return ReplyError(token, "ERR No such client");
    return resp_->Reply(token, [](std::string* out) { net::AppendOk(out); }), void();
  }
  resp_->Reply(token, [&](std::string* out) { net::AppendInteger(out, static_cast<int64_t>(victims.size())); });
}

std::vector<std::pair<std::string, std::string>> NodeServer::ConfigValues() const {
  return {
      {"save", ""},
      {"appendonly", "yes"},
      {"appendfsync", options_.fsync ? "always" : "no"},
      {"databases", "1"},
      {"maxmemory", "0"},
      {"maxmemory-policy", "noeviction"},
      {"maxclients", absl::StrCat(net::kDefaultMaxClients)},
      {"timeout", "0"},
      {"port", absl::StrCat(port())},
      {"bind", options_.bind},
      {"dir", options_.data_dir},
      {"proto-max-bulk-len", absl::StrCat(options_.max_bulk_bytes)},
      {"requirepass", requirepass_},
      {"cluster-enabled", "no"},
  };
}

// CONFIG SET: requirepass changes the password for new authentications; `save`, `appendonly
// yes`, `timeout 0`, `maxmemory 0` and `maxmemory-policy noeviction` are what kvlab does anyway
// (accepted, nothing changes); every other known parameter is immutable, an unknown one an
// error, as Redis words them. All pairs are checked before any is applied.
void NodeServer::ConfigSet(net::ReplyToken token, std::vector<std::string>& args) {
  const std::vector<std::pair<std::string, std::string>> known = ConfigValues();
  std::string new_pass = requirepass_;
  for (size_t i = 2; i + 1 < args.size(); i += 2) {
    const std::string param = absl::AsciiStrToLower(args[i]), value = absl::AsciiStrToLower(args[i + 1]);
    auto is = [&](std::string_view p, std::string_view v) { return param == p && value == v; };
    if (param == "requirepass") {
      new_pass = args[i + 1];
    } else if (param == "save" || is("appendonly", "yes") || is("timeout", "0") || is("maxmemory", "0") ||
               is("maxmemory-policy", "noeviction")) {
      continue;
    } else if (std::any_of(known.begin(), known.end(), [&](const auto& kv) { return kv.first == param; })) {
      return ReplyError(token, absl::StrCat("ERR CONFIG SET failed (possibly related to argument '", args[i],
                                            "') - kvlab cannot change it at run time (see kvlab node --help)"));
    } else {
      return ReplyError(token,
                        absl::StrCat("ERR Unknown option or number of arguments for CONFIG SET - '", args[i], "'"));
    }
  }
  requirepass_ = new_pass;
  resp_->Reply(token, [](std::string* out) { net::AppendOk(out); });
}

void NodeServer::CommandCmd(net::ReplyToken token, std::vector<std::string>& args) {
  const std::string sub = args.size() > 1 ? absl::AsciiStrToLower(args[1]) : "";
  const std::vector<CommandSpec>& table = CommandTable();
  auto wanted = [&](std::vector<const CommandSpec*>* specs, bool keep_unknown) {
    if (args.size() <= 2) {
      for (const CommandSpec& s : table) specs->push_back(&s);
      return;
    }
    for (size_t i = 2; i < args.size(); ++i) {
      const CommandSpec* s = FindCommand(absl::AsciiStrToLower(args[i]));
      if (s != nullptr || keep_unknown) specs->push_back(s);
    }
  };
  std::vector<const CommandSpec*> specs;
  if (sub.empty() || sub == "info") {
    wanted(&specs, /*keep_unknown=*/true);
    return resp_->Reply(token,
                        [&](std::string* out) {
                          net::AppendArrayHeader(out, specs.size());
                          for (const CommandSpec* s : specs)
                            s == nullptr ? net::AppendNilArray(out) : AppendCommandInfo(*s, out);
                        }),
           void();
  }
  if (sub == "docs") {
    wanted(&specs, /*keep_unknown=*/false);
    return resp_->Reply(token,
                        [&](std::string* out) {
                          net::AppendArrayHeader(out, specs.size() * 2);
                          for (const CommandSpec* s : specs) AppendCommandDocs(*s, out);
                        }),
           void();
  }
  if (sub == "count" && args.size() == 2) {
    return resp_->Reply(token, [&](std::string* out) { net::AppendInteger(out, static_cast<int64_t>(table.size())); }),
           void();
  }
  if (sub == "list" && args.size() == 2) {
    return resp_->Reply(token,
                        [&](std::string* out) {
                          net::AppendArrayHeader(out, table.size());
                          for (const CommandSpec& s : table) net::AppendBulk(out, s.name);
                        }),
           void();
  }
  if (sub == "help" && args.size() == 2) return HelpReply(token, "command");
  ReplyError(token, absl::StrCat("ERR unknown subcommand or wrong number of arguments for '", args[1],
                                 "'. Try COMMAND HELP."));
}

void NodeServer::Time(net::ReplyToken token) {
  timeval tv{};
  gettimeofday(&tv, nullptr);  // the wall clock, as Redis's TIME (the node's own clock is monotonic)
  resp_->Reply(token, [&](std::string* out) {
    net::AppendArrayHeader(out, 2);
    net::AppendBulk(out, absl::StrCat(tv.tv_sec));
    net::AppendBulk(out, absl::StrCat(tv.tv_usec));
  });
}

}  // namespace kvlab::real
