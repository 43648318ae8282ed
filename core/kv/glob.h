// Redis's glob-style pattern matching (KEYS, SCAN MATCH): '*', '?', '[abc]', '[^a-z]' and '\'
// escapes, with the same results as Redis's stringmatchlen (util.c), case-sensitive.
#pragma once

#include <string>

namespace kvlab::core {

// Abusive patterns ("*****...") stop recursing at this depth (Redis's own guard), as no match.
inline constexpr int kMaxGlobNesting = 1000;

// True if `text` matches `pattern`. Both are NUL-terminated std::strings (the matcher may read
// the terminator, as Redis's does); embedded NULs are ordinary bytes.
bool GlobMatch(const std::string& pattern, const std::string& text);

}  // namespace kvlab::core
