#include "workloads/op_mix.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/assert.h"
#include "core/constants.h"

namespace kvlab::workloads {
namespace {

constexpr uint32_t kMillion = 1'000'000;

uint32_t ToPpm(double fraction) { return static_cast<uint32_t>(fraction * kMillion + 0.5); }

}  // namespace

const char* WorkloadOpName(WorkloadOp op) {
  switch (op) {
    case WorkloadOp::kRead: return "read";
    case WorkloadOp::kUpdate: return "update";
    case WorkloadOp::kInsert: return "insert";
    case WorkloadOp::kReadModifyWrite: return "rmw";
  }
  return "?";
}

absl::Status OpMix::Validate() const {
  for (double p : {read, update, insert, rmw}) {
    if (!(p >= 0 && p <= 1)) return absl::InvalidArgumentError("mix proportions must be in [0, 1]");
  }
  const double sum = read + update + insert + rmw;
  if (std::fabs(sum - 1.0) > 1e-9) {
    return absl::InvalidArgumentError(absl::StrFormat("mix proportions sum to %g, not 1", sum));
  }
  return absl::OkStatus();
}

OpChooser::OpChooser(const OpMix& mix) {
  KV_ASSERT(mix.Validate().ok());
  read_ppm_ = ToPpm(mix.read);
  update_ppm_ = ToPpm(mix.read + mix.update);
  insert_ppm_ = ToPpm(mix.read + mix.update + mix.insert);
}

WorkloadOp OpChooser::Next(core::Rng& rng) {
  const uint32_t x = static_cast<uint32_t>(rng.Uniform(kMillion));
  if (x < read_ppm_) return WorkloadOp::kRead;
  if (x < update_ppm_) return WorkloadOp::kUpdate;
  if (x < insert_ppm_) return WorkloadOp::kInsert;
  return WorkloadOp::kReadModifyWrite;
}

absl::Status ValueSizeSpec::Validate() const {
  if (min_bytes > max_bytes) return absl::InvalidArgumentError("value size: min > max");
  if (max_bytes > core::kMaxValueBytes) {
    return absl::InvalidArgumentError("value size exceeds kMaxValueBytes");
  }
  return absl::OkStatus();
}

uint32_t NextValueSize(const ValueSizeSpec& spec, core::Rng& rng) {
  if (spec.min_bytes == spec.max_bytes) return spec.min_bytes;
  return static_cast<uint32_t>(rng.UniformRange(spec.min_bytes, spec.max_bytes));
}

std::string MakeValue(int client, uint64_t seq, uint32_t size_bytes) {
  std::string v = absl::StrCat("c", client, "-", seq);
  if (v.size() < size_bytes) v.append(size_bytes - v.size(), '.');
  return v;
}

}  // namespace kvlab::workloads
