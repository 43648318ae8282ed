// Codec of the raft peer messages inside core/message.h frames: round trips, truncations and
// counts that lie about the remaining bytes.
#include "core/raft/raft_messages.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "core/message.h"

namespace kvlab::core {
namespace {

std::vector<Message> RaftSamples() {
  RaftEntry e;
  e.term = 3;
  e.index = 9;
  e.now_ms = 1234;
  e.command = Command::Put("k", "v");
  RaftEntry noop;
  noop.term = 3;
  noop.index = 10;
  noop.noop = true;
  return {
      Message{MessageType::kRaftVoteRequest, 1, 2, RaftVoteRequest{4, true, 9, 3}},
      Message{MessageType::kRaftVoteReply, 2, 1, RaftVoteReply{4, false, true}},
      Message{MessageType::kRaftAppend, 1, 3, RaftAppend{3, 8, 2, 7, 5, {e, noop}}},
      Message{MessageType::kRaftAppendReply, 3, 1, RaftAppendReply{3, false, 0, 4, 2, 5}},
      Message{MessageType::kRaftSnapshotChunk, 1, 2, RaftSnapshotChunk{3, 100, 2, 10, 30, 6, "0123456789"}},
      Message{MessageType::kRaftSnapshotReply, 2, 1, RaftSnapshotReply{3, 100, 20, false, 6}},
  };
}

TEST(RaftMessagesTest, EveryRaftMessageRoundTrips) {
  for (const Message& m : RaftSamples()) {
    absl::StatusOr<Message> got = DecodeMessage(EncodeMessage(m));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, m);
  }
}

TEST(RaftMessagesTest, EveryTruncationIsDataLoss) {
  for (const Message& m : RaftSamples()) {
    const std::string frame = EncodeMessage(m);
    for (size_t n = 0; n < frame.size(); ++n) {
      EXPECT_EQ(DecodeMessage(std::string_view(frame).substr(0, n)).status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(RaftMessagesTest, EntryCountAboveRemainingBytesIsRefused) {
  std::string body;
  ByteWriter w(&body);
  for (int i = 0; i < 5; ++i) w.U64(1);
  w.VarU64(400);  // 400 entries announced, none present.
  ByteReader r(body);
  EXPECT_EQ(DecodeRaftAppend(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RaftMessagesTest, FlagOtherThanZeroOrOneIsRefused) {
  std::string body;
  ByteWriter w(&body);
  w.U64(1);
  w.U8(2);  // pre_vote must be 0 or 1, so that decode-encode round trips exactly.
  w.U64(0);
  w.U64(0);
  ByteReader r(body);
  EXPECT_EQ(DecodeRaftVoteRequest(r).status().code(), absl::StatusCode::kDataLoss);
}

TEST(RaftMessagesTest, SnapshotChunkBeyondDeclaredTotalIsRefused) {
  RaftSnapshotChunk c{1, 5, 1, 25, 30, 0, "0123456789"};  // 25 + 10 > 30.
  std::string body;
  ByteWriter w(&body);
  EncodeRaftBody(c, w);
  ByteReader r(body);
  EXPECT_EQ(DecodeRaftSnapshotChunk(r).status().code(), absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace kvlab::core
