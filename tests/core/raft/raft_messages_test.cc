// Codec of the raft peer messages (raft's PeerMessage payloads, inside core/message.h frames):
// round trips, every truncation of every message, and counts that lie about the remaining bytes.
#include "core/raft/raft_messages.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/message.h"

namespace kvlab::core {
namespace {

std::vector<RaftMessage> RaftSamples() {
  RaftEntry e;
  e.term = 3;
  e.index = 9;
  e.now_ms = 1234;
  e.command = Command::Put("k", "v");
  RaftEntry noop;
  noop.term = 3;
  noop.index = 10;
  noop.noop = true;
  RaftEntry config;
  config.term = 3;
  config.index = 11;
  config.config = {RaftMember{1, ""}, RaftMember{4, "127.0.0.4:7383"}};
  return {
      RaftVoteRequest{4, true, 9, 3},
      RaftVoteReply{4, false, true},
      RaftAppend{3, 8, 2, 7, 5, {e, noop, config}},
      RaftAppendReply{3, false, 0, 4, 2, 5},
      RaftSnapshotChunk{3, 100, 2, 10, 30, 6, "0123456789"},
      RaftSnapshotReply{3, 100, 20, false, 6},
  };
}

Message Framed(const RaftMessage& m) {
  Message msg;
  msg.type = MessageType::kPeer;
  msg.from = 1;
  msg.to = 2;
  msg.body = EncodeRaftMessage(m);
  return msg;
}

TEST(RaftMessagesTest, EveryRaftMessageRoundTripsThroughAFrame) {
  for (const RaftMessage& m : RaftSamples()) {
    absl::StatusOr<Message> frame = DecodeMessage(EncodeMessage(Framed(m)));
    ASSERT_TRUE(frame.ok()) << frame.status();
    ASSERT_EQ(frame->type, MessageType::kPeer);
    absl::StatusOr<RaftMessage> got = DecodeRaftMessage(std::get<PeerMessage>(frame->body));
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, m);
  }
}

TEST(RaftMessagesTest, EveryTruncationOfEveryBodyIsDataLoss) {
  for (const RaftMessage& m : RaftSamples()) {
    const PeerMessage whole = EncodeRaftMessage(m);
    for (size_t n = 0; n < whole.payload.size(); ++n) {
      PeerMessage cut = whole;
      cut.payload.resize(n);
      EXPECT_EQ(DecodeRaftMessage(cut).status().code(), absl::StatusCode::kDataLoss) << "kind " << int(whole.kind);
    }
    PeerMessage longer = whole;
    longer.payload.push_back('\0');
    EXPECT_EQ(DecodeRaftMessage(longer).status().code(), absl::StatusCode::kDataLoss) << "trailing byte";
  }
}

TEST(RaftMessagesTest, EveryTruncationOfEveryFrameIsDataLoss) {
  for (const RaftMessage& m : RaftSamples()) {
    const std::string frame = EncodeMessage(Framed(m));
    for (size_t n = 0; n < frame.size(); ++n) {
      EXPECT_EQ(DecodeMessage(std::string_view(frame).substr(0, n)).status().code(), absl::StatusCode::kDataLoss);
    }
  }
}

TEST(RaftMessagesTest, AnotherPolicysTagOrAnUnknownKindIsRefused) {
  PeerMessage m = EncodeRaftMessage(RaftVoteReply{4, false, true});
  m.policy = kRaftPolicyTag + 1;
  EXPECT_EQ(DecodeRaftMessage(m).status().code(), absl::StatusCode::kInvalidArgument);
  m.policy = kRaftPolicyTag;
  m.kind = 6;
  EXPECT_EQ(DecodeRaftMessage(m).status().code(), absl::StatusCode::kInvalidArgument);
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

// A configuration entry's members must be valid ids in increasing order, at most kRaftMaxMembers;
// an entry kind beyond the three known ones is refused.
TEST(RaftMessagesTest, BadConfigurationEntriesAreRefused) {
  auto encoded = [](uint8_t kind, std::vector<uint64_t> ids) {
    std::string body;
    ByteWriter w(&body);
    w.U64(1);  // term
    w.U64(5);  // index
    w.I64(0);  // now_ms
    w.U8(kind);
    w.VarU64(ids.size());
    for (uint64_t id : ids) {
      w.VarU64(id);
      w.Bytes("");
    }
    EncodeCommand(Command{}, w);
    return body;
  };
  for (const auto& [kind, ids] : std::vector<std::pair<uint8_t, std::vector<uint64_t>>>{
           {2, {2, 1}}, {2, {1, 1}}, {2, {0}}, {2, {}}, {2, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10}}, {3, {1}}}) {
    const std::string body = encoded(kind, ids);
    ByteReader r(body);
    EXPECT_EQ(DecodeRaftEntry(r).status().code(), absl::StatusCode::kDataLoss) << int{kind} << " " << ids.size();
  }
  const std::string good = encoded(2, {1, 2, 3});
  ByteReader r(good);
  absl::StatusOr<RaftEntry> e = DecodeRaftEntry(r);
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(e->config.size(), 3u);
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
