#include "net/resp_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::net {
namespace {

// Parses a decimal integer the way Redis's string2ll does: optional '-', digits, nothing else.
bool ParseInt(std::string_view s, int64_t* out) {
  // Fast path for what clients send almost always: a short non-negative count or length.
  if (!s.empty() && s.size() <= 9) {
    int64_t v = 0;
    size_t i = 0;
    for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) v = v * 10 + (s[i] - '0');
    if (i == s.size()) {
      *out = v;
      return true;
    }
  }
  if (s.empty() || s.size() > 20) return false;
  const char* end = s.data() + s.size();
  auto [p, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && p == end && !(s[0] == '-' && s.size() == 1);
}

// The header clients send almost always, "<mark><1 to 9 digits>\r\n" at `at`, read in one pass:
// true with its value and the position after its LF. Anything else (incomplete, signed, longer,
// malformed) is false, and the general path reads, or refuses, it exactly as before.
bool ScanShortHeader(std::string_view in, size_t at, int64_t* value, size_t* after) {
  constexpr size_t kMaxDigits = 9;
  const size_t first = at + 1;
  const size_t limit = std::min(in.size(), first + kMaxDigits);
  int64_t v = 0;
  size_t i = first;
  for (; i < limit && in[i] >= '0' && in[i] <= '9'; ++i) v = v * 10 + (in[i] - '0');
  if (i == first || i + 1 >= in.size() || in[i] != '\r' || in[i + 1] != '\n') return false;
  *value = v;
  *after = i + 2;
  return true;
}

bool IsSpace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char Unescape(char c) {
  switch (c) {
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'b': return '\b';
    case 'a': return '\a';
    default: return c;
  }
}

// Reads one quoted or bare argument starting at line[*i] (not a space). False: unbalanced quotes.
bool SplitOneArg(std::string_view line, size_t* i, std::string* cur) {
  const size_t n = line.size();
  size_t p = *i;
  const char quote = (line[p] == '"' || line[p] == '\'') ? line[p] : 0;
  if (quote == 0) {
    while (p < n && !IsSpace(line[p])) cur->push_back(line[p++]);
    *i = p;
    return true;
  }
  ++p;
  for (;;) {
    if (p >= n) return false;  // closing quote missing.
    const char c = line[p];
    if (c == quote) {
      ++p;
      if (p < n && !IsSpace(line[p])) return false;  // closing quote must be followed by a space.
      *i = p;
      return true;
    }
    if (quote == '"' && c == '\\' && p + 3 < n && line[p + 1] == 'x' && HexValue(line[p + 2]) >= 0 &&
        HexValue(line[p + 3]) >= 0) {
      cur->push_back(static_cast<char>(HexValue(line[p + 2]) * 16 + HexValue(line[p + 3])));
      p += 4;
    } else if (quote == '"' && c == '\\' && p + 1 < n) {
      cur->push_back(Unescape(line[p + 1]));
      p += 2;
    } else if (quote == '\'' && c == '\\' && p + 1 < n && line[p + 1] == '\'') {
      cur->push_back('\'');
      p += 2;
    } else {
      cur->push_back(c);
      ++p;
    }
  }
}

}  // namespace

bool SplitInlineArgs(std::string_view line, std::vector<std::string>* args) {
  size_t i = 0;
  for (;;) {
    while (i < line.size() && IsSpace(line[i])) ++i;
    if (i >= line.size()) return true;
    std::string cur;
    if (!SplitOneArg(line, &i, &cur)) return false;
    args->push_back(std::move(cur));
  }
}

RespRequestParser::RespRequestParser(size_t max_bulk_bytes) : max_bulk_bytes_(max_bulk_bytes) {
  KV_ASSERT(max_bulk_bytes_ <= kMaxRequestBytes);
}

RespRequestParser::State RespRequestParser::Fail(std::string error) {
  error_ = absl::StrCat("Protocol error: ", error);
  return State::kError;
}

RespRequestParser::State RespRequestParser::Parse(std::string_view in, size_t* consumed) {
  KV_ASSERT(error_.empty());
  size_t pos = 0;
  State state = State::kNeedMore;
  while (state == State::kNeedMore) {
    if (remaining_args_ < 0) {
      args_.clear();
      if (pos == in.size()) break;
      const size_t before = pos;
      state = in[pos] == '*' ? ParseMultibulkHeader(in, &pos) : ParseInline(in, &pos);
      if (state == State::kNeedMore && pos == before) break;  // header incomplete.
      continue;
    }
    if (remaining_args_ == 0) {
      remaining_args_ = -1;
      state = State::kRequest;
      break;
    }
    if (bulk_len_ < 0) {
      const size_t before = pos;
      state = ParseBulkHeader(in, &pos);
      if (state != State::kNeedMore || pos == before) break;
    }
    const size_t need = static_cast<size_t>(bulk_len_) + 2;  // the bytes and their CRLF.
    if (in.size() - pos < need) break;
    args_.emplace_back(in.data() + pos, static_cast<size_t>(bulk_len_));
    pos += need;
    bulk_len_ = -1;
    --remaining_args_;
  }
  *consumed = pos;
  return state;
}

RespRequestParser::State RespRequestParser::ParseInline(std::string_view in, size_t* pos) {
  const size_t nl = in.find('\n', *pos);
  if (nl == std::string_view::npos) {
    if (in.size() - *pos > kMaxInlineBytes) return Fail("too big inline request");
    return State::kNeedMore;
  }
  std::string_view line = in.substr(*pos, nl - *pos);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() > kMaxInlineBytes) return Fail("too big inline request");
  *pos = nl + 1;
  if (!SplitInlineArgs(line, &args_)) return Fail("unbalanced quotes in request");
  // An empty line is skipped, as Redis does (clients send bare newlines as keep-alives).
  return args_.empty() ? State::kNeedMore : State::kRequest;
}

RespRequestParser::State RespRequestParser::ParseMultibulkHeader(std::string_view in, size_t* pos) {
  int64_t count = 0;
  size_t after = 0;
  if (!ScanShortHeader(in, *pos, &count, &after)) {
    const size_t cr = in.find('\r', *pos);
    if (cr == std::string_view::npos) {
      if (in.size() - *pos > kMaxInlineBytes) return Fail("too big mbulk count string");
      return State::kNeedMore;
    }
    if (cr - *pos > kMaxInlineBytes) return Fail("too big mbulk count string");
    if (cr + 1 >= in.size()) return State::kNeedMore;  // the '\n' has not arrived.
    if (!ParseInt(in.substr(*pos + 1, cr - *pos - 1), &count)) return Fail("invalid multibulk length");
    after = cr + 2;
  }
  if (count > static_cast<int64_t>(kMaxMultibulkCount)) return Fail("invalid multibulk length");
  *pos = after;
  if (count <= 0) return State::kNeedMore;  // `*0` / `*-1`: an empty request, ignored as Redis does.
  remaining_args_ = count;
  request_bytes_ = 0;
  args_.reserve(static_cast<size_t>(count < 64 ? count : 64));
  return State::kNeedMore;
}

RespRequestParser::State RespRequestParser::ParseBulkHeader(std::string_view in, size_t* pos) {
  if (*pos == in.size()) return State::kNeedMore;
  int64_t len = 0;
  size_t after = 0;
  if (in[*pos] != '$' || !ScanShortHeader(in, *pos, &len, &after)) {
    const size_t cr = in.find('\r', *pos);
    if (cr == std::string_view::npos) {
      if (in.size() - *pos > kMaxInlineBytes) return Fail("too big bulk count string");
      return State::kNeedMore;
    }
    if (cr - *pos > kMaxInlineBytes) return Fail("too big bulk count string");
    if (cr + 1 >= in.size()) return State::kNeedMore;
    if (in[*pos] != '$') return Fail(absl::StrCat("expected '$', got '", std::string(1, in[*pos]), "'"));
    if (!ParseInt(in.substr(*pos + 1, cr - *pos - 1), &len) || len < 0) return Fail("invalid bulk length");
    after = cr + 2;
  }
  if (static_cast<uint64_t>(len) > max_bulk_bytes_) return Fail("invalid bulk length");
  request_bytes_ += static_cast<size_t>(len);
  if (request_bytes_ > kMaxRequestBytes) return Fail("request exceeds client-query-buffer-limit");
  *pos = after;
  bulk_len_ = len;
  return State::kNeedMore;
}

}  // namespace kvlab::net
