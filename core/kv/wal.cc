#include "core/kv/wal.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "core/bytes.h"
#include "core/constants.h"

namespace kvlab::core {
namespace {

static_assert(kWalRecordHeaderBytes == 4 + 4 + 8);
static_assert(kMaxWalRecordBytes < (1ull << 32), "record lengths are 32-bit");
// The record buffer a writer keeps between appends; larger ones are released after use.
constexpr size_t kMaxRetainedRecordBytes = 64 * 1024;

absl::Status Corrupt(std::string_view file, uint64_t offset, std::string_view why) {
  return absl::DataLossError(
      absl::StrCat("wal: corrupt record at offset ", offset, " of file '", std::string(file), "': ", std::string(why)));
}

bool AllZero(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(), [](char c) { return c == 0; });
}

// A crash cuts a write at disk-sector boundaries: the sectors it did not reach keep their old
// bytes, which are zeros in a preallocated file (real/posix_disk.h) or past the old end of file.
constexpr uint64_t kSectorBytes = 512;

// True if some file-aligned sector overlapping [begin, end) of `data` is all zeros.
bool HasZeroSector(std::string_view data, uint64_t begin, uint64_t end) {
  for (uint64_t s = begin / kSectorBytes * kSectorBytes; s < end && s < data.size(); s += kSectorBytes) {
    if (AllZero(data.substr(s, kSectorBytes))) return true;
  }
  return false;
}

// A record at `offset` that fails its checks is the torn last write, not corruption, when only
// zeros follow `record_end` and one of its sectors is all zeros: a flipped bit never zeroes a
// sector. (etcd's WAL tells a torn entry from a corrupt one the same way.)
bool TornLastWrite(std::string_view data, uint64_t offset, uint64_t record_end) {
  const uint64_t end = std::min<uint64_t>(record_end, data.size());
  return AllZero(data.substr(end)) && HasZeroSector(data, offset, end);
}

// Outcome of looking at the bytes from `offset` on.
enum class Parse { kRecord, kTorn, kEnd };

// Parses the record at `offset`. On kRecord sets *payload and *next.
absl::StatusOr<Parse> ParseRecord(std::string_view data, std::string_view file, uint64_t offset,
                                  std::string_view* payload, uint64_t* next) {
  const std::string_view rest = data.substr(offset);
  if (rest.empty()) return Parse::kEnd;
  // Some filesystems leave a zero-filled tail after a crash: that is a torn write too.
  if (rest.size() < kWalRecordHeaderBytes || AllZero(rest)) return Parse::kTorn;
  const uint32_t length = LoadU32(rest.data());
  const uint32_t length_check = LoadU32(rest.data() + 4);
  const uint64_t checksum = LoadU64(rest.data() + 8);
  if (length_check != ~length) {
    // The length cannot be trusted: torn only if the cut falls inside the header itself and
    // nothing was written after it.
    if (TornLastWrite(data, offset, offset + kWalRecordHeaderBytes)) return Parse::kTorn;
    return Corrupt(file, offset, "length check mismatch");
  }
  if (length > kMaxWalRecordBytes) return Corrupt(file, offset, absl::StrCat("length ", length, " above limit"));
  if (rest.size() - kWalRecordHeaderBytes < length) return Parse::kTorn;  // runs past EOF.
  *payload = rest.substr(kWalRecordHeaderBytes, length);
  *next = offset + kWalRecordHeaderBytes + length;
  if (Checksum64(*payload) != checksum) {
    if (TornLastWrite(data, offset, *next)) return Parse::kTorn;
    return Corrupt(file, offset, "checksum mismatch");
  }
  return Parse::kRecord;
}

}  // namespace

std::string EncodeWalRecord(std::string_view payload) {
  KV_ASSERT(payload.size() <= kMaxWalRecordBytes);
  std::string out;
  out.reserve(kWalRecordHeaderBytes + payload.size());
  ByteWriter w(&out);
  const auto length = static_cast<uint32_t>(payload.size());
  w.U32(length);
  w.U32(~length);
  w.U64(Checksum64(payload));
  w.Raw(payload);
  return out;
}

absl::Status WalWriter::Append(std::string_view payload) {
  if (!broken_.ok()) return broken_;
  if (payload.size() > kMaxWalRecordBytes) {  // refused before it is copied.
    return absl::InvalidArgumentError(
        absl::StrCat("wal: record of ", payload.size(), " bytes above limit ", kMaxWalRecordBytes));
  }
  return AppendEncoded([payload](std::string* out) { out->append(payload); });
}

absl::Status WalWriter::AppendRecordBuffer() {
  if (!broken_.ok()) return broken_;
  KV_ASSERT(record_.size() >= kWalRecordHeaderBytes);
  const size_t payload_bytes = record_.size() - kWalRecordHeaderBytes;
  if (payload_bytes > kMaxWalRecordBytes) {
    std::string().swap(record_);
    return absl::InvalidArgumentError(
        absl::StrCat("wal: record of ", payload_bytes, " bytes above limit ", kMaxWalRecordBytes));
  }
  // Same bytes as EncodeWalRecord, written in place.
  const auto length = static_cast<uint32_t>(payload_bytes);
  StoreU32(record_.data(), length);
  StoreU32(record_.data() + 4, ~length);
  StoreU64(record_.data() + 8, Checksum64(std::string_view(record_).substr(kWalRecordHeaderBytes)));
  if (absl::Status s = disk_->Append(file_, record_); !s.ok()) {
    broken_ = s;
    return s;
  }
  size_ += record_.size();
  unsynced_ = true;
  // A one-off huge record does not pin its buffer.
  if (record_.capacity() > kMaxRetainedRecordBytes) std::string().swap(record_);
  return absl::OkStatus();
}

absl::Status WalWriter::Sync() {
  if (!broken_.ok()) return broken_;
  if (!unsynced_) return absl::OkStatus();
  if (absl::Status s = disk_->Sync(file_); !s.ok()) {
    broken_ = s;
    return s;
  }
  unsynced_ = false;
  return absl::OkStatus();
}

absl::Status WalWriter::Reset() {
  if (!broken_.ok()) return broken_;
  if (size_ == 0 && !unsynced_) return absl::OkStatus();
  absl::Status s = disk_->Truncate(file_, 0);
  if (s.ok()) s = disk_->Sync(file_);
  if (!s.ok()) {
    broken_ = s;
    return s;
  }
  size_ = 0;
  unsynced_ = false;
  return absl::OkStatus();
}

absl::StatusOr<WalContents> ReadWal(Disk& disk, std::string_view file) {
  WalContents out;
  absl::StatusOr<std::string> data = disk.Read(file);
  if (absl::IsNotFound(data.status())) return out;
  if (!data.ok()) return data.status();
  out.found = true;
  uint64_t offset = 0;
  while (true) {
    std::string_view payload;
    uint64_t next = 0;
    absl::StatusOr<Parse> parsed = ParseRecord(*data, file, offset, &payload, &next);
    if (!parsed.ok()) return parsed.status();
    if (*parsed == Parse::kEnd) break;
    if (*parsed == Parse::kTorn) {
      out.torn_tail_cut = true;
      out.cut_bytes = data->size() - offset;
      if (absl::Status s = disk.Truncate(file, offset); !s.ok()) return s;
      if (absl::Status s = disk.Sync(file); !s.ok()) return s;
      break;
    }
    KV_ASSERT(next > offset && next <= data->size());
    out.records.emplace_back(payload);
    offset = next;
  }
  out.valid_bytes = offset;
  return out;
}

}  // namespace kvlab::core
