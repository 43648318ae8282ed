#include "net/resp_reply.h"

#include <charconv>

namespace kvlab::net {
namespace {

enum class Step { kDone, kMore, kBad };

struct Reader {
  std::string_view in;
  size_t pos = 0;
  size_t max_bulk_bytes;

  // Reads up to CRLF; kMore if it has not arrived.
  Step Line(std::string_view* line) {
    const size_t cr = in.find("\r\n", pos);
    if (cr == std::string_view::npos) return Step::kMore;
    *line = in.substr(pos, cr - pos);
    pos = cr + 2;
    return Step::kDone;
  }

  static bool Int(std::string_view s, int64_t* v) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), *v);
    return !s.empty() && ec == std::errc() && p == s.data() + s.size();
  }

  Step Value(RespValue* out, int depth) {
    if (pos >= in.size()) return Step::kMore;
    const char type = in[pos++];
    std::string_view line;
    if (Step s = Line(&line); s != Step::kDone) return s;
    switch (type) {
      case '+':
        out->type = RespValue::Type::kSimple;
        out->str.assign(line);
        return Step::kDone;
      case '-':
        out->type = RespValue::Type::kError;
        out->str.assign(line);
        return Step::kDone;
      case ':': out->type = RespValue::Type::kInteger; return Int(line, &out->integer) ? Step::kDone : Step::kBad;
      case '$': return Bulk(line, out);
      case '*': return Array(line, out, depth);
      default: return Step::kBad;
    }
  }

  Step Bulk(std::string_view line, RespValue* out) {
    int64_t len = 0;
    if (!Int(line, &len) || len < -1 || (len >= 0 && static_cast<uint64_t>(len) > max_bulk_bytes)) return Step::kBad;
    if (len == -1) {
      out->type = RespValue::Type::kNil;
      return Step::kDone;
    }
    const size_t n = static_cast<size_t>(len);
    if (in.size() - pos < n + 2) return Step::kMore;
    if (in[pos + n] != '\r' || in[pos + n + 1] != '\n') return Step::kBad;
    out->type = RespValue::Type::kBulk;
    out->str.assign(in.substr(pos, n));
    pos += n + 2;
    return Step::kDone;
  }

  Step Array(std::string_view line, RespValue* out, int depth) {
    int64_t count = 0;
    if (!Int(line, &count) || count < -1 || depth >= kMaxReplyDepth) return Step::kBad;
    if (count == -1) {
      out->type = RespValue::Type::kNilArray;
      return Step::kDone;
    }
    // Every element takes at least 3 bytes: a larger count than the buffer allows is incomplete,
    // and must not be reserved up front (a hostile count would allocate gigabytes).
    if (static_cast<uint64_t>(count) > (in.size() - pos) / 3 + 1) return Step::kMore;
    out->type = RespValue::Type::kArray;
    out->elements.clear();
    out->elements.resize(static_cast<size_t>(count));
    for (RespValue& e : out->elements) {
      if (Step s = Value(&e, depth + 1); s != Step::kDone) return s;
    }
    return Step::kDone;
  }
};

}  // namespace

absl::Status ParseReply(std::string_view in, size_t* consumed, RespValue* out, size_t max_bulk_bytes) {
  *consumed = 0;
  Reader r{in, 0, max_bulk_bytes};
  RespValue v;
  switch (r.Value(&v, 0)) {
    case Step::kDone:
      *consumed = r.pos;
      *out = std::move(v);
      return absl::OkStatus();
    case Step::kMore: return absl::OkStatus();
    case Step::kBad: break;
  }
  return absl::InvalidArgumentError("RESP protocol error in reply");
}

}  // namespace kvlab::net
