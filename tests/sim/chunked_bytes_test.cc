#include "sim/chunked_bytes.h"

#include <gtest/gtest.h>

#include <string>

#include "core/rng.h"

namespace kvlab::sim {
namespace {

TEST(ChunkedBytesTest, MatchesAStringAcrossAppendsTruncatesAndFlipsSpanningChunks) {
  ChunkedBytes bytes;
  std::string model;
  core::Rng rng(11);
  for (int step = 0; step < 200; ++step) {
    const uint64_t action = rng.Uniform(10);
    if (action < 7) {
      // Appends up to 1.5 chunks, so some cross one or two chunk boundaries.
      const std::string piece(rng.Uniform(kChunkBytes + kChunkBytes / 2), static_cast<char>('a' + step % 26));
      bytes.Append(piece);
      model += piece;
    } else if (action < 9) {
      const size_t n = rng.Uniform(model.size() + 1);
      bytes.Truncate(n);
      model.resize(n);
    } else if (!model.empty()) {
      const size_t i = rng.Uniform(model.size());
      bytes[i] ^= 1;
      model[i] ^= 1;
    }
    ASSERT_EQ(bytes.size(), model.size());
  }
  EXPECT_EQ(bytes.ToString(), model);
  const size_t offset = model.size() / 3;
  EXPECT_EQ(bytes.Copy(offset, model.size() - offset), model.substr(offset));
}

TEST(ChunkedBytesTest, TruncateToAChunkBoundaryThenAppendContinuesThere) {
  ChunkedBytes bytes;
  bytes.Append(std::string(2 * kChunkBytes + 5, 'x'));
  bytes.Truncate(kChunkBytes);
  bytes.Append("yz");
  EXPECT_EQ(bytes.size(), kChunkBytes + 2);
  EXPECT_EQ(bytes.Copy(kChunkBytes - 1, 3), "xyz");
  bytes.Assign("fresh");
  EXPECT_EQ(bytes.ToString(), "fresh");
}

}  // namespace
}  // namespace kvlab::sim
