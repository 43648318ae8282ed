#include "sim/sim_disk.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "core/assert.h"

namespace kvlab::sim {

SimDisk::File* SimDisk::Find(std::string_view file) {
  auto it = files_.find(file);
  return it == files_.end() ? nullptr : &it->second;
}

absl::Status SimDisk::InjectedWriteError(std::string_view file) {
  ++stats_.write_errors;
  return absl::InternalError(absl::StrCat("sim disk: write to '", std::string(file), "': EIO (injected)"));
}

absl::Status SimDisk::Append(std::string_view file, std::string_view bytes) {
  if (fail_writes_) return InjectedWriteError(file);
  auto [it, inserted] = files_.try_emplace(file);
  File& f = it->second;
  f.ops.push_back(Op{.seq = next_seq_++,
                     .truncate = false,
                     .offset = f.current.size(),
                     .length = bytes.size(),
                     .copied = false,
                     .bytes = {}});
  f.current.Append(bytes);
  ++stats_.appends;
  stats_.bytes_appended += bytes.size();
  Charge(model_.write_latency_ns + TransferNs(bytes.size(), model_.write_bytes_per_sec));
  return absl::OkStatus();
}

core::Nanos TransferNs(uint64_t bytes, uint64_t bytes_per_sec) {
  if (bytes_per_sec == 0) return 0;
  // bytes < 2^64 and the rate >= 1, so the product stays below 2^127.
  return static_cast<core::Nanos>(static_cast<unsigned __int128>(bytes) * core::kNanosPerSecond / bytes_per_sec);
}

uint64_t SimDisk::UnsyncedBytes(const File& f, uint64_t before_seq) {
  uint64_t bytes = 0;
  for (const Op& op : f.ops) {
    if (op.seq >= before_seq) break;  // ops are in issue order.
    if (!op.truncate) bytes += op.length;
  }
  return bytes;
}

absl::Status SimDisk::Sync(std::string_view file) {
  File* f = Find(file);
  if (f == nullptr)
    return absl::NotFoundError(absl::StrCat("sim disk: sync of missing file '", std::string(file), "'"));
  // Blocking: the caller's turn waits for the device, write-back included.
  Charge(model_.fsync_latency_ns + TransferNs(UnsyncedBytes(*f, UINT64_MAX), model_.sync_bytes_per_sec));
  if (fail_syncs_) {
    ++stats_.sync_errors;
    return absl::InternalError(absl::StrCat("sim disk: sync of '", std::string(file), "': EIO (injected)"));
  }
  MakeDurable(*f, UINT64_MAX);
  ++stats_.syncs;
  return absl::OkStatus();
}

void SimDisk::StartSync(std::string_view file, core::SyncToken token) {
  queue_.push_back(QueuedSync{std::string(file), token, next_seq_, false});
}

core::Nanos SampleFsync(const FsyncQuantiles& q, core::Rng& rng) {
  struct Point {
    int64_t ppm;
    core::Nanos ns;
  };
  const Point points[] = {{0, q.min},       {500'000, q.p50},  {900'000, q.p90},
                          {990'000, q.p99}, {999'000, q.p999}, {1'000'000, q.max}};
  const auto u = static_cast<int64_t>(rng.Uniform(1'000'000));
  size_t i = 1;
  while (points[i].ppm <= u) ++i;  // points[5].ppm = 10^6 > u ends it.
  const Point& lo = points[i - 1];
  const Point& hi = points[i];
  KV_ASSERT(hi.ns >= lo.ns);
  // (hi - lo) <= 10^11 ns (validated profiles) times < 10^6: far below 2^63.
  return lo.ns + (hi.ns - lo.ns) * (u - lo.ppm) / (hi.ppm - lo.ppm);
}

core::Nanos SimDisk::BeginNextSync(core::Rng& rng) {
  KV_ASSERT(DeviceIdleWithWork());
  queue_.front().running = true;
  core::Nanos latency = model_.fsync_latency_ns;
  const FsyncQuantiles& q = model_.fsync_quantiles;
  if (q.p50 > 0) {
    latency = static_cast<core::Nanos>(static_cast<__int128>(SampleFsync(q, rng)) * model_.fsync_latency_ns / q.p50);
  }
  if (model_.fsync_jitter_ns > 0) latency += rng.UniformRange(0, model_.fsync_jitter_ns);
  if (model_.fsync_slow_ppm > 0 && rng.Uniform(1'000'000) < model_.fsync_slow_ppm) latency += model_.fsync_slow_ns;
  // The write-back of what the sync covers (the earlier syncs of this device have completed).
  if (const File* f = Find(queue_.front().file); f != nullptr) {
    latency += TransferNs(UnsyncedBytes(*f, queue_.front().before_seq), model_.sync_bytes_per_sec);
  }
  return latency;
}

SyncCompletion SimDisk::CompleteSync() {
  KV_ASSERT(!queue_.empty() && queue_.front().running);
  const QueuedSync sync = std::move(queue_.front());
  queue_.pop_front();
  SyncCompletion done{sync.token, absl::OkStatus()};
  if (fail_syncs_) {
    ++stats_.sync_errors;
    done.status = absl::InternalError(absl::StrCat("sim disk: sync of '", sync.file, "': EIO (injected)"));
    return done;
  }
  // A file removed (or replaced by a rename of a synced file) since has nothing left to cover.
  if (File* f = Find(sync.file); f != nullptr) MakeDurable(*f, sync.before_seq);
  ++stats_.syncs;
  return done;
}

void SimDisk::MakeDurable(File& f, uint64_t before_seq) {
  while (!f.ops.empty() && f.ops.front().seq < before_seq) {
    ApplyToDurable(f, f.ops.front());
    f.ops.pop_front();
  }
  f.ever_synced = true;
  if (f.ops.empty()) {  // the durable image is the file as reads see it: back to one copy.
    f.durable_copied = false;
    std::string().swap(f.durable);
    f.durable_size = f.current.size();
  }
}

void SimDisk::ApplyToDurable(File& f, const Op& op) {
  if (op.truncate) {
    if (f.durable_copied) {
      KV_ASSERT(op.offset <= f.durable.size());
      f.durable.resize(op.offset);
    } else {
      KV_ASSERT(op.offset <= f.durable_size);
      f.durable_size = op.offset;
    }
    return;
  }
  KV_ASSERT(op.offset == f.DurableSize());
  if (!f.durable_copied && !op.copied) {
    f.durable_size += op.length;  // its bytes still follow the durable prefix in `current`.
    return;
  }
  if (!f.durable_copied) {
    f.durable = f.current.Copy(0, f.durable_size);
    f.durable_copied = true;
  }
  f.durable += op.copied ? op.bytes : f.current.Copy(op.offset, op.length);
}

absl::StatusOr<std::string> SimDisk::Read(std::string_view file) {
  File* f = Find(file);
  if (f == nullptr) return absl::NotFoundError(absl::StrCat("sim disk: no file '", std::string(file), "'"));
  return f->current.ToString();
}

absl::Status SimDisk::Truncate(std::string_view file, uint64_t size) {
  File* f = Find(file);
  if (f == nullptr)
    return absl::NotFoundError(absl::StrCat("sim disk: truncate of missing file '", std::string(file), "'"));
  if (size > f->current.size()) {
    return absl::InvalidArgumentError(absl::StrCat("sim disk: truncate of '", std::string(file), "' to ", size,
                                                   " beyond its size ", f->current.size()));
  }
  if (fail_writes_) return InjectedWriteError(file);
  // Keep what the cut removes but a crash (or a sync covering less) may still need.
  if (!f->durable_copied && size < f->durable_size) {
    f->durable = f->current.Copy(0, f->durable_size);
    f->durable_copied = true;
  }
  for (Op& op : f->ops) {
    if (!op.truncate && !op.copied && op.offset + op.length > size) {
      op.bytes = f->current.Copy(op.offset, op.length);
      op.copied = true;
    }
  }
  f->ops.push_back(Op{.seq = next_seq_++, .truncate = true, .offset = size, .length = 0, .copied = false, .bytes = {}});
  f->current.Truncate(size);
  Charge(model_.write_latency_ns);
  return absl::OkStatus();
}

absl::Status SimDisk::Rename(std::string_view from, std::string_view to) {
  auto it = files_.find(from);
  if (it == files_.end())
    return absl::NotFoundError(absl::StrCat("sim disk: rename of missing file '", std::string(from), "'"));
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

void SimDisk::RevertToDurable(File& f) {
  if (f.durable_copied) {
    f.current.Assign(f.durable);
    std::string().swap(f.durable);
    f.durable_copied = false;
  } else {
    f.current.Truncate(f.durable_size);
  }
  f.durable_size = f.current.size();
  f.ops.clear();
}

void SimDisk::TearFile(File& f, core::Rng& rng) {
  const size_t kept = rng.Uniform(f.ops.size() + 1);  // whole operations that reached the media.
  std::string torn;                                   // then a strict prefix of the next one, if it is an append.
  if (kept < f.ops.size() && !f.ops[kept].truncate && f.ops[kept].length > 0) {
    const Op& op = f.ops[kept];
    const uint64_t length = rng.Uniform(op.length);
    torn = op.copied ? op.bytes.substr(0, length) : f.current.Copy(op.offset, length);
  }
  const uint64_t before_seq = kept < f.ops.size() ? f.ops[kept].seq : UINT64_MAX;
  MakeDurable(f, before_seq);
  RevertToDurable(f);
  f.current.Append(torn);
  f.durable_size = f.current.size();  // the torn bytes are on the media: a later crash keeps them.
}

void SimDisk::Crash(core::Rng& rng, bool tear) {
  stats_.syncs_lost += queue_.size();
  queue_.clear();
  fail_writes_ = fail_syncs_ = false;
  std::string torn_file;
  if (tear) {
    std::vector<std::string> candidates;  // in name order.
    for (const auto& [name, f] : files_) {
      if (!f.ops.empty()) candidates.push_back(name);
    }
    if (!candidates.empty()) {
      torn_file = candidates[rng.Uniform(candidates.size())];
      TearFile(files_.find(torn_file)->second, rng);
      ++stats_.torn_writes;
    }
  }
  for (auto it = files_.begin(); it != files_.end();) {
    File& f = it->second;
    if (!f.ever_synced) {
      it = files_.erase(it);
      continue;
    }
    RevertToDurable(f);
    ++it;
  }
}

bool SimDisk::FlipRandomBit(core::Rng& rng) {
  std::vector<File*> nonempty;
  for (auto& [name, f] : files_) {
    if (f.DurableSize() > 0) nonempty.push_back(&f);
  }
  if (nonempty.empty()) return false;
  File& f = *nonempty[rng.Uniform(nonempty.size())];
  const uint64_t bit = rng.Uniform(f.DurableSize() * 8);
  const char mask = static_cast<char>(1u << (bit % 8));
  // The volatile view shares the durable prefix unless it was copied out.
  if (f.durable_copied) {
    f.durable[bit / 8] ^= mask;
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
