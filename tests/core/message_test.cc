#include "core/message.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "core/bytes.h"
#include "core/constants.h"
#include "core/rng.h"

namespace kvlab::core {
namespace {

std::vector<Message> SampleMessages() {
  std::vector<Message> out;
  Command put = Command::Put("key", std::string("va\0lue", 6));
  put.expire_at_ms = 123;
  for (MessageType t : {MessageType::kClientRequest, MessageType::kForwardRequest}) {
    out.push_back(Message{t, 3, 1, ClientRequest{42, put}});
  }
  for (uint8_t s = 0; s <= kMaxReplyStatus; ++s) {
    ClientReply rep;
    rep.request_id = 1000 + s;
    rep.status = static_cast<ReplyStatus>(s);
    rep.message = s == 0 ? "" : "why";
    rep.result = s == 0 ? Result::Value("v") : Result::Nil();
    for (MessageType t : {MessageType::kClientReply, MessageType::kForwardReply}) {
      out.push_back(Message{t, 1, 7, rep});
    }
  }
  return out;
}

TEST(MessageCodecTest, FrameBodyChecksumIsTheChecksumOfTheBodyAndTellsMessagesApart) {
  std::vector<uint64_t> seen;
  for (const Message& m : SampleMessages()) {
    const std::string frame = EncodeMessage(m);
    const uint64_t digest = FrameBodyChecksum(frame);
    EXPECT_EQ(digest, Checksum64(std::string_view(frame).substr(kMessageHeaderBytes)));
    // Messages that differ only in type have equal bodies; every other pair differs.
    if (m.type == MessageType::kClientRequest || m.type == MessageType::kClientReply) seen.push_back(digest);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(std::adjacent_find(seen.begin(), seen.end()), seen.end());
}

TEST(MessageCodecTest, EveryTypeAndReplyStatusRoundTrips) {
  for (const Message& m : SampleMessages()) {
    const std::string frame = EncodeMessage(m);
    absl::StatusOr<size_t> size = FrameSize(frame);
    ASSERT_TRUE(size.ok());
    EXPECT_EQ(*size, frame.size());
    absl::StatusOr<Message> got = DecodeMessage(frame);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(*got, m);
  }
}

TEST(MessageCodecTest, EveryTruncationFailsCleanly) {
  for (const Message& m : SampleMessages()) {
    const std::string frame = EncodeMessage(m);
    for (size_t n = 0; n < frame.size(); ++n) {
      EXPECT_EQ(DecodeMessage(std::string_view(frame).substr(0, n)).status().code(), absl::StatusCode::kDataLoss) << n;
    }
  }
}

TEST(MessageCodecTest, FlippedBodyBitIsChecksumError) {
  std::string frame = EncodeMessage(SampleMessages()[0]);
  frame[kMessageHeaderBytes + 3] ^= 0x20;
  absl::StatusOr<Message> got = DecodeMessage(frame);
  EXPECT_EQ(got.status().code(), absl::StatusCode::kDataLoss);
}

TEST(MessageCodecTest, UnknownVersionAndTypeAreInvalidArgument) {
  std::string frame = EncodeMessage(SampleMessages()[0]);
  std::string bad_version = frame;
  bad_version[4] = static_cast<char>(kMessageVersion + 1);
  EXPECT_EQ(DecodeMessage(bad_version).status().code(), absl::StatusCode::kInvalidArgument);
  std::string bad_type = frame;
  bad_type[5] = static_cast<char>(kMaxMessageType + 1);
  EXPECT_EQ(DecodeMessage(bad_type).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(MessageCodecTest, OversizedDeclaredLengthIsOutOfRange) {
  std::string frame(8, '\0');
  StoreU32(frame.data(), static_cast<uint32_t>(kMaxMessageBytes));
  EXPECT_EQ(FrameSize(frame).status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_EQ(DecodeMessage(frame).status().code(), absl::StatusCode::kOutOfRange);
}

TEST(MessageCodecTest, TrailingBytesInsideFrameAreRefused) {
  // Re-frame a valid body with one extra byte and a matching checksum.
  const std::string frame = EncodeMessage(SampleMessages()[0]);
  std::string body = frame.substr(kMessageHeaderBytes) + "!";
  std::string bad;
  ByteWriter w(&bad);
  w.U32(static_cast<uint32_t>(body.size() + kMessageHeaderBytes - 4));
  w.U8(kMessageVersion);
  w.U8(static_cast<uint8_t>(MessageType::kClientRequest));
  w.U64(Checksum64(body));
  w.Raw(body);
  EXPECT_EQ(DecodeMessage(bad).status().code(), absl::StatusCode::kDataLoss);
}

TEST(MessageCodecTest, RandomBytesNeverCrash) {
  Rng rng(17);
  const std::string valid = EncodeMessage(SampleMessages()[2]);
  for (int i = 0; i < 20000; ++i) {
    std::string buf = valid;
    // Mutate a few bytes, then fix the header's length so decoding gets past FrameSize.
    for (int k = 0; k < 3; ++k) buf[rng.Uniform(buf.size())] = static_cast<char>(rng.Uniform(256));
    if (rng.Uniform(2) == 0) buf.resize(rng.Uniform(buf.size() + 1));
    (void)FrameSize(buf);
    (void)DecodeMessage(buf);
  }
}

}  // namespace
}  // namespace kvlab::core
