#include "core/kv/kv_state_decoder.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

constexpr size_t kMaxVarintBytes = 10;
constexpr uint64_t kMinEntryBytes = 10;  // as KvState::DecodeSnapshot counts them.

// A varint: kNeedMore when the bytes end inside it (a varint fails on a full 10 bytes only when bad).
bool NeedsMore(const ByteReader& r) { return r.remaining() < kMaxVarintBytes; }

}  // namespace

absl::Status KvStateDecoder::Feed(std::string_view bytes) {
  if (!status_.ok()) return status_;
  pending_.append(bytes);
  ByteReader r(pending_);
  Step step = Step::kDone;
  if (!header_done_) step = DecodeHeader(r);
  while (step == Step::kDone && decoded_ < count_ && r.remaining() > 0) step = DecodeEntry(r);
  if (step == Step::kBad) return status_;
  pending_.erase(0, r.position());
  return absl::OkStatus();
}

KvStateDecoder::Step KvStateDecoder::DecodeHeader(ByteReader& r) {
  ByteReader peek = r;
  uint64_t n;
  if (!peek.VarU64(&n)) {
    if (NeedsMore(r)) return Step::kNeedMore;
    status_ = absl::DataLossError("kv state: bad count");
    return Step::kBad;
  }
  v2_ = n == KvState::kSnapshotV2Marker;
  if (v2_) {
    if (!peek.U64(&state_.seq_) || !peek.U64(&state_.removed_seq_)) return Step::kNeedMore;
    if (!peek.VarU64(&n)) {
      if (NeedsMore(peek)) return Step::kNeedMore;
      status_ = absl::DataLossError("kv state: truncated header");
      return Step::kBad;
    }
  }
  if (n > total_bytes_ / kMinEntryBytes) {
    status_ = absl::DataLossError("kv state: bad count");
    return Step::kBad;
  }
  count_ = n;
  state_.map_.reserve(n);
  header_done_ = true;
  r = peek;
  return Step::kDone;
}

KvStateDecoder::Step KvStateDecoder::DecodeEntry(ByteReader& r) {
  ByteReader peek = r;
  std::string_view fields[2];
  const size_t limits[2] = {kMaxKeyBytes, kMaxValueBytes};
  for (int f = 0; f < 2; ++f) {
    uint64_t n;
    if (!peek.VarU64(&n)) {
      if (NeedsMore(peek)) return Step::kNeedMore;
      n = UINT64_MAX;  // bad: reported below.
    }
    if (n > limits[f]) {
      status_ = absl::DataLossError(absl::StrCat("kv state: truncated entry ", decoded_));
      return Step::kBad;
    }
    if (!peek.Raw(&fields[f], n)) return Step::kNeedMore;
  }
  int64_t expire_at_ms = 0;
  uint64_t version = 0;
  if (!peek.I64(&expire_at_ms) || (v2_ && !peek.U64(&version))) return Step::kNeedMore;
  if (last_ != nullptr && !(last_->key() < fields[0])) {
    status_ = absl::DataLossError(absl::StrCat("kv state: key out of order at entry ", decoded_));
    return Step::kBad;
  }
  KvEntryPtr e = KvEntry::Make(fields[0], fields[1], expire_at_ms, version);
  last_ = e.get();
  state_.map_.insert(std::move(e));
  ++decoded_;
  r = peek;
  return Step::kDone;
}

absl::StatusOr<KvState> KvStateDecoder::Finish() {
  if (!status_.ok()) return status_;
  if (!header_done_) return absl::DataLossError("kv state: truncated header");
  if (decoded_ < count_) return absl::DataLossError(absl::StrCat("kv state: truncated entry ", decoded_));
  if (!pending_.empty()) return absl::DataLossError("kv state: trailing bytes");
  status_ = absl::FailedPreconditionError("kv state decoder: finished");
  return std::move(state_);
}

}  // namespace kvlab::core
