// std::string_view hashed by Abseil's string hash, for hash containers keyed by views. Debian's
// Abseil has its own absl::string_view (not std::string_view), so absl::Hash<std::string_view>
// falls back to std::hash, slower on the keys and 100-byte values histories and states carry.
#pragma once

#include <cstddef>
#include <string_view>

#include "absl/hash/hash.h"
#include "absl/strings/string_view.h"

namespace kvlab::core {

struct StringViewHash {
  size_t operator()(std::string_view v) const {
    return absl::Hash<absl::string_view>{}(absl::string_view(v.data(), v.size()));
  }
};

}  // namespace kvlab::core
