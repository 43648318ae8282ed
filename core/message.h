// Messages between endpoints (nodes and, in the simulator, clients) and their versioned binary
// codec. A frame is: u32 length of what follows | u8 version | u8 type | u64 XXH3 of body | body.
// The body starts with the sender's and receiver's ids. Client messages (requests, replies and
// their forwarded forms) are defined here, for every policy; a policy's own peer messages travel
// as a PeerMessage: the policy's tag, its message kind and its own encoding, which only the policy
// decodes. The seam names no policy.
// Decoding any byte string yields a Message or an absl::Status error, never a crash.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"
#include "core/bytes.h"
#include "core/constants.h"
#include "core/kv/command.h"
#include "core/types.h"

namespace kvlab::core {

// Why a request did not produce a result. Clients retry kTryAgain elsewhere or later.
enum class ReplyStatus : uint8_t {
  kOk = 0,        // `result` holds the outcome.
  kTryAgain = 1,  // no leader / not serving right now; not applied. (-TRYAGAIN)
  kBusy = 2,      // overloaded; not applied. (-BUSY)
  kInvalid = 3,   // the command broke a limit; not applied. (-ERR)
  kUnknown = 4,   // the outcome is unknown (e.g. leadership lost after proposing).
};
inline constexpr uint8_t kMaxReplyStatus = 4;

// A client's request, as sent by a simulated client to a node, or forwarded between nodes.
struct ClientRequest {
  uint64_t request_id = 0;  // unique per sender; echoed in the reply.
  Command command;
  bool operator==(const ClientRequest&) const = default;
};

struct ClientReply {
  uint64_t request_id = 0;
  ReplyStatus status = ReplyStatus::kOk;
  std::string message;  // human-readable reason when status != kOk.
  Result result;
  bool operator==(const ClientReply&) const = default;
};

// A replication policy's own message between nodes. `policy` is the sender's PolicyInfo::tag: a
// node drops messages of another policy (a misconfigured cluster), and a policy decodes only its
// own kinds. The payload is the policy's encoding; its decoder must turn any bytes into a message
// or an error, never a crash (the peer fuzz target feeds every policy's decoder directly).
struct PeerMessage {
  uint8_t policy = 0;
  uint8_t kind = 0;
  std::string payload;
  bool operator==(const PeerMessage&) const = default;
};

enum class MessageType : uint8_t {
  kClientRequest = 1,   // client -> node
  kClientReply = 2,     // node -> client
  kForwardRequest = 3,  // node -> node serving the request (e.g. raft leader)
  kForwardReply = 4,    // back to the node that accepted the request
  kPeer = 5,            // a policy's own message (PeerMessage)
};
inline constexpr uint8_t kMaxMessageType = 5;

using MessageBody = std::variant<ClientRequest, ClientReply, PeerMessage>;

struct Message {
  MessageType type = MessageType::kClientRequest;
  NodeId from = kNoNode;
  NodeId to = kNoNode;
  MessageBody body;
  bool operator==(const Message&) const = default;
};

// Encodes a whole frame (header + body).
std::string EncodeMessage(const Message& msg);
// The same frame, written over `*frame` (its capacity is reused: no allocation once warm).
void EncodeMessageInto(const Message& msg, std::string* frame);

// The body checksum carried in the header of a frame made by EncodeMessage(Into): a digest of
// the message's contents without hashing the frame again. REQUIRES: a whole encoded frame.
inline uint64_t FrameBodyChecksum(std::string_view frame) {
  return LoadU64(frame.data() + kMessageHeaderOffsetOfChecksum);
}

// Decodes exactly one whole frame. Errors: DataLoss (checksum, truncation, bad fields),
// InvalidArgument (unknown version or type), OutOfRange (frame above kMaxMessageBytes).
absl::StatusOr<Message> DecodeMessage(std::string_view frame);

// For stream framing: how many bytes the frame at the start of `prefix` occupies, once at least
// 4 bytes are there; OutOfRange if it declares more than kMaxMessageBytes.
absl::StatusOr<size_t> FrameSize(std::string_view prefix);

}  // namespace kvlab::core
