// KvStateDecoder: a state's encoding fed in pieces of any size decodes to what DecodeSnapshot
// makes of the whole, and the same bad bytes are refused.
#include "core/kv/kv_state_decoder.h"

#include <gtest/gtest.h>

#include <string>

#include "core/rng.h"

namespace kvlab::core {
namespace {

std::string Encoded(const KvState& s) {
  std::string out;
  ByteWriter w(&out);
  s.EncodeSnapshot(w);
  return out;
}

KvState Sample() {
  KvState s;
  for (int i = 0; i < 300; ++i) {
    Command put = Command::Put("key" + std::to_string(1000 + i), std::string(i * 37 % 3000, 'v'));
    if (i % 7 == 0) put.expire_at_ms = 5'000 + i;
    s.Apply(put, 0);
  }
  return s;
}

// Feeds `bytes` cut at random points (1 byte to 8 KiB apart) and finishes.
absl::StatusOr<KvState> DecodeInPieces(std::string_view bytes, uint64_t seed) {
  Rng rng(seed);
  KvStateDecoder d(bytes.size());
  for (size_t at = 0; at < bytes.size();) {
    const size_t n = std::min<size_t>(bytes.size() - at, 1 + rng.Next() % (seed % 2 == 0 ? 16 : 8192));
    if (absl::Status s = d.Feed(bytes.substr(at, n)); !s.ok()) return s;
    at += n;
  }
  return d.Finish();
}

TEST(KvStateDecoderTest, AnyCuttingDecodesToTheWholeDecoding) {
  const KvState s = Sample();
  const std::string bytes = Encoded(s);
  for (uint64_t seed = 1; seed <= 20; ++seed) {
    absl::StatusOr<KvState> d = DecodeInPieces(bytes, seed);
    ASSERT_TRUE(d.ok()) << seed << ": " << d.status();
    EXPECT_TRUE(*d == s) << seed;
  }
  absl::StatusOr<KvState> empty = DecodeInPieces(Encoded(KvState()), 3);
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->size(), 0u);
}

TEST(KvStateDecoderTest, BadBytesAreRefusedAsDecodeSnapshotRefusesThem) {
  const std::string bytes = Encoded(Sample());
  EXPECT_FALSE(DecodeInPieces(bytes.substr(0, bytes.size() - 1), 1).ok()) << "truncated";
  EXPECT_FALSE(DecodeInPieces(bytes.substr(0, 5), 2).ok()) << "truncated header";
  EXPECT_FALSE(DecodeInPieces(bytes + "x", 3).ok()) << "trailing bytes";
  // Two states' entries concatenated under one header with a doubled count: keys out of order.
  KvState a;
  a.Apply(Command::Put("b", "1"), 0);
  a.Apply(Command::Put("a", "2"), 0);
  std::string swapped = Encoded(a);
  const size_t first = swapped.find('a') - 1, second = swapped.find('b') - 1;  // each entry's length byte.
  ASSERT_LT(first, second - 0) << "a precedes b";
  const size_t entry = second - first;
  swapped = swapped.substr(0, first) + swapped.substr(second, entry) + swapped.substr(first, entry);
  ByteReader r(swapped);
  EXPECT_FALSE(KvState::DecodeSnapshot(r).ok());
  EXPECT_FALSE(DecodeInPieces(swapped, 4).ok()) << "keys out of order";
}

}  // namespace
}  // namespace kvlab::core
