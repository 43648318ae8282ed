#include "real/control_command.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "real/fault_proxy.h"

namespace kvlab::real {
namespace {

absl::Status Bad(const std::string& why) { return absl::InvalidArgumentError(why); }

// A node id in 1..nodes, or one of the words allowed (leader, all).
absl::StatusOr<int> ParseNode(const std::string& word, int nodes, bool leader_ok, bool all_ok) {
  if (leader_ok && word == "leader") return kLeaderNode;
  if (all_ok && word == "all") return kAllNodes;
  int id = 0;
  if (!absl::SimpleAtoi(word, &id)) {
    return Bad(
        absl::StrCat("'", word, "' is not a node id", leader_ok ? " or 'leader'" : "", all_ok ? " or 'all'" : ""));
  }
  if (id < 1 || id > nodes) return Bad(absl::StrCat("node ", id, ": the cluster has nodes 1..", nodes));
  return id;
}

absl::StatusOr<core::Nanos> ParseMillis(const std::string& word, const char* what) {
  int64_t ms = 0;
  if (!absl::SimpleAtoi(word, &ms) || ms < 0 || ms > kMaxProxyDelay / core::kNanosPerMilli) {
    return Bad(absl::StrCat(what, " '", word, "': milliseconds in 0..", kMaxProxyDelay / core::kNanosPerMilli));
  }
  return core::Millis(ms);
}

absl::Status ParseLinkFault(const std::vector<std::string>& w, ControlCommand& c) {
  if (w.size() >= 5 && w[3] == "delay" && w.size() <= 6) {
    absl::StatusOr<core::Nanos> d = ParseMillis(w[4], "delay");
    if (!d.ok()) return d.status();
    absl::StatusOr<core::Nanos> j = w.size() == 6 ? ParseMillis(w[5], "jitter") : absl::StatusOr<core::Nanos>(0);
    if (!j.ok()) return j.status();
    c.set_delay = true;
    c.delay = *d;
    c.jitter = *j;
    return absl::OkStatus();
  }
  if (w.size() == 5 && w[3] == "drop") {
    uint32_t ppm = 0;
    if (!absl::SimpleAtoi(w[4], &ppm) || ppm > kPpmScale)
      return Bad(absl::StrCat("drop '", w[4], "': ppm in 0..1000000"));
    c.set_drop = true;
    c.drop_ppm = ppm;
    return absl::OkStatus();
  }
  return Bad("usage: link A B delay MS [JITTER_MS] | link A B drop PPM");
}

// `cut|hold|heal|link A B ...`: the two nodes, distinct.
absl::Status ParsePair(const std::vector<std::string>& w, int nodes, ControlCommand& c) {
  if (w.size() < 3) return Bad(absl::StrCat("usage: ", w[0], " A B ..."));
  absl::StatusOr<int> a = ParseNode(w[1], nodes, false, false);
  if (!a.ok()) return a.status();
  absl::StatusOr<int> b = ParseNode(w[2], nodes, false, false);
  if (!b.ok()) return b.status();
  if (*a == *b) return Bad(absl::StrCat("a link joins two different nodes, not ", *a, " and itself"));
  c.a = *a;
  c.b = *b;
  return absl::OkStatus();
}

absl::StatusOr<ControlCommand> ParseWords(const std::vector<std::string>& w, int nodes) {
  ControlCommand c;
  const std::string& verb = w[0];
  struct NodeVerb {
    const char* name;
    ControlVerb verb;
    bool leader_ok, all_ok;
  };
  static const NodeVerb kNodeVerbs[] = {{"kill", ControlVerb::kKill, true, false},
                                        {"restart", ControlVerb::kRestart, false, true},
                                        {"pause", ControlVerb::kPause, true, false},
                                        {"resume", ControlVerb::kResume, false, true}};
  for (const NodeVerb& v : kNodeVerbs) {
    if (verb != v.name) continue;
    if (w.size() != 2)
      return Bad(absl::StrCat("usage: ", v.name, " N", v.leader_ok ? "|leader" : "", v.all_ok ? "|all" : ""));
    absl::StatusOr<int> node = ParseNode(w[1], nodes, v.leader_ok, v.all_ok);
    if (!node.ok()) return node.status();
    c.verb = v.verb;
    c.node = *node;
    return c;
  }
  static const std::pair<const char*, ControlVerb> kPlainVerbs[] = {{"status", ControlVerb::kStatus},
                                                                    {"leader", ControlVerb::kLeader},
                                                                    {"links", ControlVerb::kLinks},
                                                                    {"info", ControlVerb::kInfo}};
  for (const auto& [name, v] : kPlainVerbs) {
    if (verb != name) continue;
    if (w.size() != 1) return Bad(absl::StrCat("usage: ", verb));
    c.verb = v;
    return c;
  }
  if (verb == "heal" && w.size() == 1) {
    c.verb = ControlVerb::kHeal;
    c.a = c.b = kAllNodes;
    return c;
  }
  if (verb == "heal" || verb == "cut" || verb == "hold" || verb == "link") {
    if (absl::Status s = ParsePair(w, nodes, c); !s.ok()) return s;
    if (verb == "link") {
      c.verb = ControlVerb::kLink;
      if (absl::Status s = ParseLinkFault(w, c); !s.ok()) return s;
      return c;
    }
    c.verb = verb == "heal" ? ControlVerb::kHeal : verb == "cut" ? ControlVerb::kCut : ControlVerb::kHold;
    if (w.size() == 4 && w[3] == "oneway" && verb != "heal") {
      c.one_way = true;
    } else if (w.size() != 3) {
      return Bad(absl::StrCat("usage: ", verb, " A B", verb != "heal" ? " [oneway]" : ""));
    }
    return c;
  }
  return Bad(absl::StrCat("unknown command '", verb,
                          "' (kill, restart, pause, resume, status, leader, info, link, cut, hold, heal, links)"));
}

}  // namespace

absl::StatusOr<ControlCommand> ParseControlLine(std::string_view line, int nodes) {
  if (line.size() > kMaxControlLineBytes) {
    return Bad(absl::StrCat("line longer than ", kMaxControlLineBytes, " bytes"));
  }
  std::vector<std::string> words = absl::StrSplit(std::string(line), ' ', absl::SkipWhitespace());
  if (words.empty()) return Bad("empty command");
  return ParseWords(words, nodes);
}

}  // namespace kvlab::real
