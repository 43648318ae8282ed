#include "sim/sim_disk.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::sim {

SimDisk::File* SimDisk::Find(std::string_view file) {
  auto it = files_.find(file);
  return it == files_.end() ? nullptr : &it->second;
}

absl::Status SimDisk::Append(std::string_view file, std::string_view bytes) {
  auto [it, inserted] = files_.try_emplace(file);
  File& f = it->second;
  f.pending.emplace_back(f.current.size(), bytes.size());
  f.current.Append(bytes);
  ++stats_.appends;
  stats_.bytes_appended += bytes.size();
  core::Nanos transfer = 0;
  if (model_.write_bytes_per_sec != 0) {
    // bytes <= 4 GiB and the rate >= 1, so the product stays far below 2^127.
    transfer = static_cast<core::Nanos>(static_cast<unsigned __int128>(bytes.size()) *
                                        core::kNanosPerSecond / model_.write_bytes_per_sec);
  }
  Charge(model_.write_latency_ns + transfer);
  return absl::OkStatus();
}

absl::Status SimDisk::Sync(std::string_view file) {
  File* f = Find(file);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("sim disk: sync of missing file '", std::string(file), "'"));
  f->synced_size = f->current.size();
  if (f->cut_below_synced) std::string().swap(f->cut_synced);
  f->pending.clear();
  f->ever_synced = true;
  f->cut_below_synced = false;
  ++stats_.syncs;
  Charge(model_.fsync_latency_ns);
  return absl::OkStatus();
}

// A1 replaces.
void SimDisk::StartSync(std::string_view file, core::SyncToken token) {
  absl::Status status = Sync(file);
  syncs_done_.emplace_back(token, std::move(status));
}

absl::StatusOr<std::string> SimDisk::Read(std::string_view file) {
  File* f = Find(file);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("sim disk: no file '", std::string(file), "'"));
  return f->current.ToString();
}

absl::Status SimDisk::Truncate(std::string_view file, uint64_t size) {
  File* f = Find(file);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("sim disk: truncate of missing file '", std::string(file), "'"));
  if (size > f->current.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("sim disk: truncate of '", std::string(file), "' to ", size, " beyond its size ", f->current.size()));
  }
  if (!f->cut_below_synced && size < f->synced_size) {
    f->cut_synced = f->current.Copy(0, f->synced_size);  // keep what a crash would restore.
    f->cut_below_synced = true;
  }
  f->current.Truncate(size);
  // Appends wholly past the cut vanish; one spanning it is clipped.
  std::erase_if(f->pending, [size](const auto& p) { return p.first >= size; });
  for (auto& p : f->pending) p.second = std::min(p.second, size - p.first);
  Charge(model_.write_latency_ns);
  return absl::OkStatus();
}

absl::Status SimDisk::Rename(std::string_view from, std::string_view to) {
  auto it = files_.find(from);
  if (it == files_.end()) return absl::NotFoundError(absl::StrCat("sim disk: rename of missing file '", std::string(from), "'"));
  File moved = std::move(it->second);
  files_.erase(it);
  files_.insert_or_assign(std::string(to), std::move(moved));
  Charge(model_.fsync_latency_ns);
  return absl::OkStatus();
}

absl::Status SimDisk::Remove(std::string_view file) {
  auto it = files_.find(file);
  if (it != files_.end()) files_.erase(it);
  Charge(model_.fsync_latency_ns);
  return absl::OkStatus();
}

core::Nanos SimDisk::TakeCost() {
  const core::Nanos cost = cost_ns_;
  cost_ns_ = 0;
  return cost;
}

std::vector<std::string> SimDisk::TearCandidates() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : files_) {
    // A torn write extends the synced contents; only the first unsynced append can be torn.
    if (!f.cut_below_synced && !f.pending.empty() && f.pending.front().first == f.synced_size &&
        f.pending.front().second > 0) {
      out.push_back(name);
    }
  }
  return out;
}

void SimDisk::Crash(core::Rng& rng, bool tear) {
  std::string torn_file, torn_bytes;
  if (tear) {
    const std::vector<std::string> candidates = TearCandidates();
    if (!candidates.empty()) {
      torn_file = candidates[rng.Uniform(candidates.size())];
      const File& f = files_.find(torn_file)->second;
      const auto [offset, length] = f.pending.front();
      torn_bytes = f.current.Copy(offset, rng.Uniform(length));  // strict prefix, maybe empty.
      ++stats_.torn_writes;
    }
  }
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = it->second;
    if (!f.ever_synced && it->first != torn_file) {
      it = files_.erase(it);
      continue;
    }
    if (f.cut_below_synced) {
      f.current.Assign(f.cut_synced);
      std::string().swap(f.cut_synced);
    } else {
      f.current.Truncate(f.synced_size);
    }
    if (it->first == torn_file) f.current.Append(torn_bytes);
    // The torn bytes are on the media now: they are what a later crash keeps too.
    f.synced_size = f.current.size();
    f.ever_synced = true;
    f.pending.clear();
    f.cut_below_synced = false;
    ++it;
  }
}

bool SimDisk::FlipRandomBit(core::Rng& rng) {
  std::vector<File*> nonempty;
  for (auto& [name, f] : files_) {
    if (f.SyncedSize() > 0) nonempty.push_back(&f);
  }
  if (nonempty.empty()) return false;
  File& f = *nonempty[rng.Uniform(nonempty.size())];
  const uint64_t bit = rng.Uniform(f.SyncedSize() * 8);
  const char mask = static_cast<char>(1u << (bit % 8));
  // The volatile view shares the synced prefix unless a truncate cut into it.
  if (f.cut_below_synced) {
    f.cut_synced[bit / 8] ^= mask;
  } else {
    KV_ASSERT(bit / 8 < f.current.size());
    f.current[bit / 8] ^= mask;
  }
  ++stats_.bit_flips;
  return true;
}

std::vector<std::string> SimDisk::FileNames() const {
  std::vector<std::string> out;
  for (const auto& [name, f] : files_) out.push_back(name);
  return out;
}

}  // namespace kvlab::sim
