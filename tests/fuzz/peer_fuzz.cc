// libFuzzer target: every policy's peer-message decoder, fed directly (no frame checksum to pass).
// Input: byte 0 picks the policy (registry order), byte 1 is the message kind, the rest the payload.
// Decoding must give a message or a Status, never a crash; a message that decodes must re-encode
// to bytes that decode to the same message again.
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/assert.h"
#include "core/policy/registry.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const auto& policies = kvlab::core::Policies();
  const kvlab::core::PolicyInfo& policy = *policies[data[0] % policies.size()];
  if (policy.reencode_peer == nullptr) return 0;
  kvlab::core::PeerMessage m;
  m.policy = policy.tag;
  m.kind = data[1];
  m.payload.assign(reinterpret_cast<const char*>(data + 2), size - 2);
  absl::StatusOr<kvlab::core::PeerMessage> once = policy.reencode_peer(m);
  if (!once.ok()) return 0;
  absl::StatusOr<kvlab::core::PeerMessage> twice = policy.reencode_peer(*once);
  KV_ASSERT(twice.ok());
  KV_ASSERT(*twice == *once);
  return 0;
}
