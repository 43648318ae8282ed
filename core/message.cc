#include "core/message.h"

#include "absl/strings/str_cat.h"
#include "core/bytes.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

void EncodeRequest(const ClientRequest& req, ByteWriter& w) {
  w.U64(req.request_id);
  EncodeCommand(req.command, w);
}

void EncodeReply(const ClientReply& rep, ByteWriter& w) {
  w.U64(rep.request_id);
  w.U8(static_cast<uint8_t>(rep.status));
  w.Bytes(rep.message);
  EncodeResult(rep.result, w);
}

absl::StatusOr<ClientRequest> DecodeRequest(ByteReader& r) {
  ClientRequest req;
  if (!r.U64(&req.request_id)) return absl::DataLossError("request: truncated id");
  absl::StatusOr<Command> cmd = DecodeCommand(r);
  if (!cmd.ok()) return cmd.status();
  req.command = *std::move(cmd);
  return req;
}

absl::StatusOr<ClientReply> DecodeReply(ByteReader& r) {
  ClientReply rep;
  uint8_t status;
  if (!r.U64(&rep.request_id)) return absl::DataLossError("reply: truncated id");
  if (!r.U8(&status) || status > kMaxReplyStatus) return absl::DataLossError("reply: bad status");
  rep.status = static_cast<ReplyStatus>(status);
  if (!r.Bytes(&rep.message, kMaxKeyBytes)) return absl::DataLossError("reply: bad message text");
  absl::StatusOr<Result> res = DecodeResult(r);
  if (!res.ok()) return res.status();
  rep.result = *std::move(res);
  return rep;
}

template <typename T>
absl::Status Assign(absl::StatusOr<T> decoded, MessageBody* body) {
  if (!decoded.ok()) return decoded.status();
  *body = *std::move(decoded);
  return absl::OkStatus();
}

void EncodePeer(const PeerMessage& m, ByteWriter& w) {
  w.U8(m.policy);
  w.U8(m.kind);
  w.Raw(m.payload);  // the rest of the body: the frame's length bounds it.
}

absl::StatusOr<PeerMessage> DecodePeer(ByteReader& r) {
  PeerMessage m;
  std::string_view payload;
  if (!r.U8(&m.policy) || !r.U8(&m.kind)) return absl::DataLossError("peer message: truncated header");
  r.Raw(&payload, r.remaining());
  m.payload = std::string(payload);
  return m;
}

}  // namespace

void EncodeMessageInto(const Message& msg, std::string* frame) {
  // One buffer: leave room for the header, write the body after it, then fill the header in.
  frame->assign(kMessageHeaderBytes, '\0');
  ByteWriter w(frame);
  w.U32(msg.from);
  w.U32(msg.to);
  if (const auto* req = std::get_if<ClientRequest>(&msg.body)) {
    EncodeRequest(*req, w);
  } else if (const auto* rep = std::get_if<ClientReply>(&msg.body)) {
    EncodeReply(*rep, w);
  } else {
    EncodePeer(std::get<PeerMessage>(msg.body), w);
  }
  char* header = frame->data();
  StoreU32(header, static_cast<uint32_t>(frame->size() - 4));
  header[4] = static_cast<char>(kMessageVersion);
  header[5] = static_cast<char>(static_cast<uint8_t>(msg.type));
  StoreU64(header + kMessageHeaderOffsetOfChecksum, Checksum64(std::string_view(*frame).substr(kMessageHeaderBytes)));
}

std::string EncodeMessage(const Message& msg) {
  std::string frame;
  EncodeMessageInto(msg, &frame);
  return frame;
}

absl::StatusOr<size_t> FrameSize(std::string_view prefix) {
  if (prefix.size() < 4) return absl::DataLossError("frame: fewer than 4 bytes");
  const uint64_t declared = LoadU32(prefix.data());
  if (declared + 4 > kMaxMessageBytes) {
    return absl::OutOfRangeError(absl::StrCat("frame: declared length ", declared, " above limit ", kMaxMessageBytes));
  }
  if (declared + 4 < kMessageHeaderBytes) return absl::DataLossError("frame: declared length below header size");
  return static_cast<size_t>(declared + 4);
}

absl::StatusOr<Message> DecodeMessage(std::string_view frame) {
  absl::StatusOr<size_t> size = FrameSize(frame);
  if (!size.ok()) return size.status();
  if (*size != frame.size()) {
    return absl::DataLossError(absl::StrCat("frame: declares ", *size, " bytes, got ", frame.size()));
  }
  ByteReader r(frame);
  uint32_t len = 0;  // FrameSize checked the header is there: these reads succeed.
  uint8_t version = 0, type = 0;
  uint64_t checksum = 0;
  r.U32(&len);
  r.U8(&version);
  r.U8(&type);
  r.U64(&checksum);
  if (version != kMessageVersion) return absl::InvalidArgumentError(absl::StrCat("frame: unknown version ", version));
  if (type == 0 || type > kMaxMessageType)
    return absl::InvalidArgumentError(absl::StrCat("frame: unknown type ", type));
  const std::string_view body = frame.substr(kMessageHeaderBytes);
  if (Checksum64(body) != checksum) return absl::DataLossError("frame: checksum mismatch");

  ByteReader b(body);
  Message msg;
  msg.type = static_cast<MessageType>(type);
  if (!b.U32(&msg.from) || !b.U32(&msg.to)) return absl::DataLossError("frame: truncated addresses");
  absl::Status decoded;
  switch (msg.type) {
    case MessageType::kClientRequest:
    case MessageType::kForwardRequest: decoded = Assign(DecodeRequest(b), &msg.body); break;
    case MessageType::kClientReply:
    case MessageType::kForwardReply: decoded = Assign(DecodeReply(b), &msg.body); break;
    case MessageType::kPeer: decoded = Assign(DecodePeer(b), &msg.body); break;
  }
  if (!decoded.ok()) return decoded;
  if (!b.done()) return absl::DataLossError("frame: trailing bytes after body");
  return msg;
}

}  // namespace kvlab::core
