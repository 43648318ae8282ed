#include "workloads/history_fast.h"

#include <cstdint>
#include <limits>

namespace kvlab::workloads {
namespace {

// Integers with more digits than this are left to the general parser (no overflow to reason about).
constexpr int kMaxFastDigits = 18;

enum Field : uint32_t {
  kClient = 1u << 0,
  kOp = 1u << 1,
  kKey = 1u << 2,
  kValue = 1u << 3,
  kInvokeNs = 1u << 4,
  kCompleteNs = 1u << 5,
  kResult = 1u << 6,
  kInvokeSeq = 1u << 7,
  kCompleteSeq = 1u << 8,
};
constexpr uint32_t kRequired = kClient | kOp | kKey | kInvokeNs | kCompleteNs | kResult;

// By length first: one comparison of a few bytes per field instead of a chain of string compares.
Field FieldNamed(std::string_view name) {
  switch (name.size()) {
    case 2: return name == "op" ? kOp : Field{0};
    case 3: return name == "key" ? kKey : Field{0};
    case 5: return name == "value" ? kValue : Field{0};
    case 6: return name == "client" ? kClient : name == "result" ? kResult : Field{0};
    case 9: return name == "invoke_ns" ? kInvokeNs : Field{0};
    case 10: return name == "invoke_seq" ? kInvokeSeq : Field{0};
    case 11: return name == "complete_ns" ? kCompleteNs : Field{0};
    case 12: return name == "complete_seq" ? kCompleteSeq : Field{0};
    default: return Field{0};
  }
}

class LineParser {
 public:
  explicit LineParser(std::string_view line) : s_(line) {}

  void SkipSpace() {
    while (at_ < s_.size() && (s_[at_] == ' ' || s_[at_] == '\t' || s_[at_] == '\r' || s_[at_] == '\n')) ++at_;
  }
  bool Eat(char c) {
    SkipSpace();
    if (at_ >= s_.size() || s_[at_] != c) return false;
    ++at_;
    return true;
  }
  bool AtEnd() {
    SkipSpace();
    return at_ == s_.size();
  }
  bool EatNull() {
    SkipSpace();
    if (s_.substr(at_, 4) != "null") return false;
    at_ += 4;
    return true;
  }

  // A string of printable ASCII with the simple escapes; false for anything else (\u, control
  // characters, non-ASCII bytes: the general parser validates UTF-8).
  bool String(std::string* out) {
    if (!Eat('"')) return false;
    out->clear();
    while (at_ < s_.size()) {
      const size_t run = at_;
      while (at_ < s_.size() && s_[at_] != '"' && s_[at_] != '\\' && Plain(s_[at_])) ++at_;
      out->append(s_.data() + run, at_ - run);
      if (at_ >= s_.size() || !Plain(s_[at_])) return false;  // '"' and '\\' are plain.
      if (s_[at_++] == '"') return true;
      if (at_ >= s_.size()) return false;
      const char e = Unescape(s_[at_++]);
      if (e == 0) return false;
      out->push_back(e);
    }
    return false;
  }

  // A field name: a string without escapes, as a view into the line (false otherwise).
  bool Name(std::string_view* out) {
    if (!Eat('"')) return false;
    const size_t end = s_.find('"', at_);
    if (end == std::string_view::npos) return false;
    *out = s_.substr(at_, end - at_);
    at_ = end + 1;
    return out->find('\\') == std::string_view::npos;
  }

  // An integer without fraction or exponent, at most kMaxFastDigits digits.
  bool Integer(int64_t* out, bool* negative) {
    SkipSpace();
    *negative = at_ < s_.size() && s_[at_] == '-';
    if (*negative) ++at_;
    const size_t first = at_;
    int64_t v = 0;
    while (at_ < s_.size() && s_[at_] >= '0' && s_[at_] <= '9') {
      if (at_ - first == kMaxFastDigits) return false;  // before the product could overflow.
      v = v * 10 + (s_[at_++] - '0');
    }
    const size_t digits = at_ - first;
    if (digits == 0 || digits > kMaxFastDigits || (digits > 1 && s_[first] == '0')) return false;
    if (at_ < s_.size() && (s_[at_] == '.' || s_[at_] == 'e' || s_[at_] == 'E')) return false;
    *out = *negative ? -v : v;
    return true;
  }

 private:
  static bool Plain(char c) { return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x80; }
  static char Unescape(char c) {
    switch (c) {
      case '"': return '"';
      case '\\': return '\\';
      case '/': return '/';
      case 'b': return '\b';
      case 'f': return '\f';
      case 'n': return '\n';
      case 'r': return '\r';
      case 't': return '\t';
      default: return 0;  // \u and invalid escapes: the general parser's business.
    }
  }

  std::string_view s_;
  size_t at_ = 0;
};

bool ParseResult(const std::string& r, OpResult* out) {
  if (r == "ok")
    *out = OpResult::kOk;
  else if (r == "fail")
    *out = OpResult::kFail;
  else if (r == "unknown")
    *out = OpResult::kUnknown;
  else
    return false;
  return true;
}

// One "name": value pair into *op; false for anything the fast path does not accept.
bool ParseField(LineParser& p, Field field, HistoryOp* op, std::string& scratch) {
  int64_t n = 0;
  bool negative = false;
  switch (field) {
    case kOp: return p.String(&op->op);
    case kKey: return p.String(&op->key);
    case kValue:
      if (p.EatNull()) {
        op->value.reset();
        return true;
      }
      op->value.emplace();
      return p.String(&*op->value);
    case kResult: return p.String(&scratch) && ParseResult(scratch, &op->result);
    case kClient:
      if (!p.Integer(&n, &negative) || n < std::numeric_limits<int>::min() || n > std::numeric_limits<int>::max()) {
        return false;
      }
      op->client = static_cast<int>(n);
      return true;
    case kInvokeNs: return p.Integer(&op->invoke_ns, &negative);
    case kCompleteNs: return p.Integer(&op->complete_ns, &negative);
    case kInvokeSeq:
    case kCompleteSeq:
      if (!p.Integer(&n, &negative) || negative || n == 0) return false;
      (field == kInvokeSeq ? op->invoke_seq : op->complete_seq) = static_cast<uint64_t>(n);
      return true;
  }
  return false;
}

}  // namespace

bool ParseHistoryLineFast(std::string_view line, HistoryOp* op) {
  *op = HistoryOp{};
  LineParser p(line);
  if (!p.Eat('{')) return false;
  uint32_t seen = 0;
  std::string_view name;
  std::string scratch;
  if (!p.Eat('}')) {
    do {
      if (!p.Name(&name) || !p.Eat(':')) return false;
      const Field field = FieldNamed(name);
      if (field == 0 || (seen & field) != 0) return false;  // unknown or repeated: the general parser words it.
      seen |= field;
      if (!ParseField(p, field, op, scratch)) return false;
    } while (p.Eat(','));
    if (!p.Eat('}')) return false;
  }
  if (!p.AtEnd() || (seen & kRequired) != kRequired) return false;
  if (op->complete_ns < op->invoke_ns) return false;
  if (((seen & kInvokeSeq) != 0) != ((seen & kCompleteSeq) != 0)) return false;
  return op->invoke_seq == 0 || op->complete_seq > op->invoke_seq;
}

}  // namespace kvlab::workloads
