#include "workloads/history.h"

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "workloads/history_fast.h"

namespace kvlab::workloads {
namespace {

using nlohmann::json;

// The optional event order: both seqs or neither, positive, the invocation before the completion.
absl::Status ParseSeqs(const json& j, HistoryOp& op) {
  for (auto [field, out] : {std::pair{"invoke_seq", &op.invoke_seq}, std::pair{"complete_seq", &op.complete_seq}}) {
    auto it = j.find(field);
    if (it == j.end()) continue;
    if (!it->is_number_unsigned() || it->get<uint64_t>() == 0) {
      return absl::InvalidArgumentError(absl::StrCat("\"", field, "\" must be a positive integer"));
    }
    *out = it->get<uint64_t>();
  }
  if ((op.invoke_seq == 0) != (op.complete_seq == 0)) {
    return absl::InvalidArgumentError("\"invoke_seq\" and \"complete_seq\" come together");
  }
  if (op.invoke_seq != 0 && op.complete_seq <= op.invoke_seq) {
    return absl::InvalidArgumentError("\"complete_seq\" must be > invoke_seq");
  }
  return absl::OkStatus();
}

absl::StatusOr<HistoryOp> FromJson(const json& j) {
  if (!j.is_object()) return absl::InvalidArgumentError("not a JSON object");
  HistoryOp op;
  auto need = [&](const char* field) -> absl::StatusOr<const json*> {
    auto it = j.find(field);
    if (it == j.end()) return absl::InvalidArgumentError(absl::StrCat("missing \"", field, "\""));
    return &*it;
  };
  auto bad = [](const char* field, const char* want) {
    return absl::InvalidArgumentError(absl::StrCat("\"", field, "\" must be ", want));
  };
  for (const auto& [name, value] : j.items()) {
    static const char* const kKnown[] = {"client",      "op",     "key",        "value",       "invoke_ns",
                                         "complete_ns", "result", "invoke_seq", "complete_seq"};
    if (std::find(std::begin(kKnown), std::end(kKnown), name) == std::end(kKnown)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown field \"", name, "\""));
    }
  }
  auto client = need("client");
  if (!client.ok()) return client.status();
  if (!(*client)->is_number_integer()) return bad("client", "an integer");
  op.client = (*client)->get<int>();
  for (auto [field, out] : {std::pair{"op", &op.op}, std::pair{"key", &op.key}}) {
    auto v = need(field);
    if (!v.ok()) return v.status();
    if (!(*v)->is_string()) return bad(field, "a string");
    *out = (*v)->get<std::string>();
  }
  if (auto it = j.find("value"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad("value", "a string or null");
    op.value = it->get<std::string>();
  }
  for (auto [field, out] : {std::pair{"invoke_ns", &op.invoke_ns}, std::pair{"complete_ns", &op.complete_ns}}) {
    auto v = need(field);
    if (!v.ok()) return v.status();
    if (!(*v)->is_number_integer()) return bad(field, "an integer");
    *out = (*v)->get<int64_t>();
  }
  if (op.complete_ns < op.invoke_ns) return bad("complete_ns", ">= invoke_ns");
  if (absl::Status seqs = ParseSeqs(j, op); !seqs.ok()) return seqs;
  auto result = need("result");
  if (!result.ok()) return result.status();
  const std::string r = (*result)->is_string() ? (*result)->get<std::string>() : "";
  if (r == "ok") {
    op.result = OpResult::kOk;
  } else if (r == "fail") {
    op.result = OpResult::kFail;
  } else if (r == "unknown") {
    op.result = OpResult::kUnknown;
  } else {
    return bad("result", "\"ok\", \"fail\" or \"unknown\"");
  }
  return op;
}

}  // namespace

const char* OpResultName(OpResult r) {
  switch (r) {
    case OpResult::kOk: return "ok";
    case OpResult::kFail: return "fail";
    case OpResult::kUnknown: return "unknown";
  }
  return "?";
}

HistorySequence HistorySequence::After(const std::vector<HistoryOp>& ops) {
  HistorySequence s;
  for (const HistoryOp& op : ops) s.last_ = std::max({s.last_, op.invoke_seq, op.complete_seq});
  return s;
}

uint64_t HistorySequence::Next() {
  KV_ASSERT(last_ < UINT64_MAX);
  return ++last_;
}

void HistorySequence::Invoke(HistoryOp& op, core::Nanos now) {
  op.invoke_ns = now;
  op.invoke_seq = Next();
}

void HistorySequence::Complete(HistoryOp& op, core::Nanos now) {
  KV_ASSERT(op.invoke_seq != 0 && op.invoke_seq <= last_);
  KV_ASSERT(now >= op.invoke_ns);  // the runtime's clock is monotonic.
  op.complete_ns = now;
  op.complete_seq = Next();
}

std::string ToJsonLine(const HistoryOp& op) {
  // Field order fixed as in DESIGN.md (nlohmann's ordered_json keeps insertion order).
  nlohmann::ordered_json j;
  j["client"] = op.client;
  j["op"] = op.op;
  j["key"] = op.key;
  j["value"] = op.value ? nlohmann::ordered_json(*op.value) : nlohmann::ordered_json(nullptr);
  j["invoke_ns"] = op.invoke_ns;
  j["complete_ns"] = op.complete_ns;
  j["result"] = OpResultName(op.result);
  if (op.invoke_seq != 0) {  // absent in hand-written histories: keep their lines as they were.
    j["invoke_seq"] = op.invoke_seq;
    j["complete_seq"] = op.complete_seq;
  }
  // Values are arbitrary bytes: replace invalid UTF-8 rather than throw.
  return j.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

void WriteHistory(const std::vector<HistoryOp>& ops, std::ostream& out) {
  for (const HistoryOp& op : ops) out << ToJsonLine(op) << '\n';
}

absl::Status WriteHistoryFile(const std::vector<HistoryOp>& ops, const std::string& path) {
  std::ofstream out(path);
  if (!out) return absl::UnavailableError(absl::StrCat("cannot write history file '", path, "'"));
  WriteHistory(ops, out);
  out.close();
  if (!out) return absl::DataLossError(absl::StrCat("error writing history file '", path, "'"));
  return absl::OkStatus();
}

absl::StatusOr<HistoryOp> ParseHistoryLine(std::string_view line, int number) {
  HistoryOp op;
  if (ParseHistoryLineFast(line, &op)) return op;
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  absl::StatusOr<HistoryOp> parsed = j.is_discarded() ? absl::InvalidArgumentError("not valid JSON") : FromJson(j);
  if (!parsed.ok()) return absl::InvalidArgumentError(absl::StrCat("line ", number, ": ", parsed.status().message()));
  return parsed;
}

bool IsBlankLine(std::string_view line) { return line.find_first_not_of(" \t\r") == std::string_view::npos; }

absl::StatusOr<std::vector<HistoryOp>> ParseHistory(const std::string& text) {
  std::vector<HistoryOp> ops;
  std::string_view rest = text;
  for (int number = 1; !rest.empty(); ++number) {
    const size_t end = rest.find('\n');
    const std::string_view line = rest.substr(0, end);
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end + 1);
    if (IsBlankLine(line)) continue;
    absl::StatusOr<HistoryOp> op = ParseHistoryLine(line, number);
    if (!op.ok()) return op.status();
    ops.push_back(*std::move(op));
  }
  return ops;
}

absl::StatusOr<std::vector<HistoryOp>> ReadHistoryFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot open history file '", path, "'"));
  std::stringstream buffer;
  buffer << in.rdbuf();
  absl::StatusOr<std::vector<HistoryOp>> ops = ParseHistory(buffer.str());
  if (!ops.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ops.status().message()));
  }
  return ops;
}

}  // namespace kvlab::workloads
