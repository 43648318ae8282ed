#include "core/kv/glob.h"

#include <utility>

namespace kvlab::core {
namespace {

// A port of Redis 7's stringmatchlen_impl (nocase off). `p` and `s` point into NUL-terminated
// buffers, so p[1] and *p past the end read the terminator, as in Redis.
bool Match(const char* p, long plen, const char* s, long slen, bool* skip_longer, int nesting);

bool MatchClass(const char*& p, long& plen, char c) {
  ++p, --plen;
  const bool negate = p[0] == '^';
  if (negate) ++p, --plen;
  bool match = false;
  while (true) {
    if (p[0] == '\\' && plen >= 2) {
      ++p, --plen;
      if (p[0] == c) match = true;
    } else if (p[0] == ']') {
      break;
    } else if (plen == 0) {
      --p, ++plen;
      break;
    } else if (plen >= 3 && p[1] == '-') {
      int start = p[0], end = p[2];
      if (start > end) std::swap(start, end);
      p += 2, plen -= 2;
      if (c >= start && c <= end) match = true;
    } else if (p[0] == c) {
      match = true;
    }
    ++p, --plen;
  }
  return negate ? !match : match;
}

bool Match(const char* p, long plen, const char* s, long slen, bool* skip_longer, int nesting) {
  if (nesting > kMaxGlobNesting) return false;
  while (plen > 0 && slen > 0) {
    switch (p[0]) {
      case '*':
        while (plen > 0 && p[1] == '*') ++p, --plen;
        if (plen == 1) return true;
        while (slen > 0) {
          if (Match(p + 1, plen - 1, s, slen, skip_longer, nesting + 1)) return true;
          if (*skip_longer) return false;
          ++s, --slen;
        }
        // No match for the rest anywhere in the rest of the string: longer matches of an
        // earlier '*' cannot help either (Redis's early exit).
        *skip_longer = true;
        return false;
      case '?': ++s, --slen; break;
      case '[':
        if (!MatchClass(p, plen, s[0])) return false;
        ++s, --slen;
        break;
      case '\\':
        if (plen >= 2) ++p, --plen;
        [[fallthrough]];
      default:
        if (p[0] != s[0]) return false;
        ++s, --slen;
        break;
    }
    ++p, --plen;
    if (slen == 0) {
      while (*p == '*') ++p, --plen;
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(const std::string& pattern, const std::string& text) {
  bool skip_longer = false;
  return Match(pattern.c_str(), static_cast<long>(pattern.size()), text.c_str(), static_cast<long>(text.size()),
               &skip_longer, 0);
}

}  // namespace kvlab::core
