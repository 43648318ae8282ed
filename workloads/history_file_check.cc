#include "workloads/history_file_check.h"

#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "core/assert.h"
#include "workloads/history.h"

namespace kvlab::workloads {
namespace {

constexpr size_t kReadChunkBytes = size_t{4} << 20;    // of the history file per read.
constexpr size_t kSpillFlushBytes = size_t{64} << 10;  // a bucket's buffer is written out past this.

struct FileCloser {
  void operator()(FILE* f) const { std::fclose(f); }
};
using File = std::unique_ptr<FILE, FileCloser>;

CheckResult CheckInMemory(const std::vector<HistoryOp>& history, CheckModel model, const CheckOptions& options) {
  return model == CheckModel::kEventual ? CheckEventual(history, options) : CheckLinearizable(history, options);
}

// FNV-1a: a fixed hash, so a file's buckets do not depend on the build.
uint64_t KeyHash(std::string_view key) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : key) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// The spill format of one op: fixed-width integers, then three length-prefixed strings.
void AppendU64(std::string* out, uint64_t v) { out->append(reinterpret_cast<const char*>(&v), sizeof(v)); }
void AppendBytes(std::string* out, std::string_view s) {
  AppendU64(out, s.size());
  out->append(s);
}
void EncodeOp(const HistoryOp& op, std::string* out) {
  AppendU64(out, static_cast<uint64_t>(static_cast<int64_t>(op.client)));
  AppendU64(out, static_cast<uint64_t>(op.result) | (op.value ? 0x100u : 0u));
  for (uint64_t v :
       {static_cast<uint64_t>(op.invoke_ns), static_cast<uint64_t>(op.complete_ns), op.invoke_seq, op.complete_seq}) {
    AppendU64(out, v);
  }
  AppendBytes(out, op.op);
  AppendBytes(out, op.key);
  AppendBytes(out, op.value ? *op.value : std::string_view());
}

class SpillReader {
 public:
  explicit SpillReader(std::string_view bytes) : rest_(bytes) {}
  bool Done() const { return rest_.empty(); }
  HistoryOp Next() {
    HistoryOp op;
    op.client = static_cast<int>(static_cast<int64_t>(U64()));
    const uint64_t flags = U64();
    op.result = static_cast<OpResult>(flags & 0xff);
    op.invoke_ns = static_cast<core::Nanos>(U64());
    op.complete_ns = static_cast<core::Nanos>(U64());
    op.invoke_seq = U64();
    op.complete_seq = U64();
    op.op = Bytes();
    op.key = Bytes();
    std::string value = Bytes();
    if ((flags & 0x100) != 0) op.value = std::move(value);
    return op;
  }

 private:
  uint64_t U64() {
    KV_ASSERT(rest_.size() >= sizeof(uint64_t));  // our own file, written moments ago.
    uint64_t v;
    std::memcpy(&v, rest_.data(), sizeof(v));
    rest_.remove_prefix(sizeof(v));
    return v;
  }
  std::string Bytes() {
    const uint64_t n = U64();
    KV_ASSERT(rest_.size() >= n);
    std::string s(rest_.substr(0, n));
    rest_.remove_prefix(n);
    return s;
  }
  std::string_view rest_;
};

// Calls on_line(line, number) for each line of the next `limit` bytes of the file (numbers from 1),
// read in chunks; stops at the first error.
template <typename OnLine>
absl::Status ForEachLine(FILE* in, uint64_t limit, OnLine on_line) {
  std::string pending;
  std::vector<char> chunk(kReadChunkBytes);
  int number = 0;
  while (limit > 0) {
    const size_t n = std::fread(chunk.data(), 1, std::min<uint64_t>(chunk.size(), limit), in);
    if (n == 0) break;
    limit -= n;
    std::string_view data(chunk.data(), n);
    for (size_t end = data.find('\n'); end != std::string_view::npos; end = data.find('\n')) {
      absl::Status s;
      if (pending.empty()) {
        s = on_line(data.substr(0, end), ++number);
      } else {
        pending.append(data.substr(0, end));
        s = on_line(pending, ++number);
        pending.clear();
      }
      if (!s.ok()) return s;
      data.remove_prefix(end + 1);
    }
    pending.append(data);
  }
  if (std::ferror(in)) return absl::UnavailableError("read error");
  return pending.empty() ? absl::OkStatus() : on_line(pending, ++number);
}

// A fresh folder for the bucket files, removed with everything in it by the destructor.
class SpillDir {
 public:
  static absl::StatusOr<SpillDir> Make(const std::string& parent) {
    std::error_code ec;
    const std::filesystem::path base =
        parent.empty() ? std::filesystem::temp_directory_path(ec) : std::filesystem::path(parent);
    std::string tmpl = (base / "kvlab-check-XXXXXX").string();
    if (ec || mkdtemp(tmpl.data()) == nullptr) {
      return absl::UnavailableError(absl::StrCat("cannot make a spill folder in ", base.string()));
    }
    return SpillDir(tmpl);
  }
  SpillDir(SpillDir&& other) noexcept : path_(std::exchange(other.path_, "")) {}
  ~SpillDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  // Bucket i's ops from file part `part` (parts in file order).
  std::string Bucket(size_t i, size_t part) const { return absl::StrCat(path_, "/bucket-", i, "-", part); }

 private:
  explicit SpillDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// A byte range of the history file that starts and ends at line boundaries.
struct FilePart {
  uint64_t begin = 0;
  uint64_t end = 0;
};

// Splits the file into up to `parts` ranges of about equal size, each ending just after a newline
// (or at the end of the file).
absl::StatusOr<std::vector<FilePart>> SplitFile(FILE* in, uint64_t size, size_t parts) {
  std::vector<FilePart> out;
  uint64_t begin = 0;
  for (size_t p = 1; p <= parts && begin < size; ++p) {
    uint64_t end = p == parts ? size : std::max(begin, size * p / parts);
    if (end < size) {
      if (std::fseek(in, static_cast<long>(end), SEEK_SET) != 0) return absl::UnavailableError("seek error");
      for (int c = std::fgetc(in); c != EOF; c = std::fgetc(in)) {
        ++end;
        if (c == '\n') break;
      }
    }
    out.push_back({begin, std::min(end, size)});
    begin = std::min(end, size);
  }
  return out;
}

// How many lines the file has before byte `offset` (for an error's line number; errors are rare).
int LinesBefore(const std::string& path, uint64_t offset) {
  File in(std::fopen(path.c_str(), "rb"));
  int lines = 0;
  for (uint64_t at = 0; in != nullptr && at < offset; ++at) {
    const int c = std::fgetc(in.get());
    if (c == EOF) break;
    lines += c == '\n';
  }
  return lines;
}

// Pass 1 for one part of the file: every op into its key's bucket file for this part.
struct PartSpill {
  absl::Status status;
  uint64_t lines = 0;
};
PartSpill SpillPart(const std::string& path, const FilePart& part, size_t part_index, const SpillDir& dir,
                    size_t buckets) {
  PartSpill out;
  File in(std::fopen(path.c_str(), "rb"));
  if (in == nullptr || std::fseek(in.get(), static_cast<long>(part.begin), SEEK_SET) != 0) {
    out.status = absl::NotFoundError(absl::StrCat("cannot open history file '", path, "'"));
    return out;
  }
  std::vector<File> files;
  std::vector<std::string> buffers(buckets);
  for (size_t i = 0; i < buckets && out.status.ok(); ++i) {
    files.emplace_back(std::fopen(dir.Bucket(i, part_index).c_str(), "wb"));
    if (files.back() == nullptr)
      out.status = absl::UnavailableError(absl::StrCat("cannot write ", dir.Bucket(i, part_index)));
  }
  auto flush = [&](size_t i) {
    const bool ok = std::fwrite(buffers[i].data(), 1, buffers[i].size(), files[i].get()) == buffers[i].size();
    buffers[i].clear();
    return ok ? absl::OkStatus() : absl::UnavailableError(absl::StrCat("cannot write ", dir.Bucket(i, part_index)));
  };
  if (out.status.ok()) {
    out.status = ForEachLine(in.get(), part.end - part.begin, [&](std::string_view line, int number) {
      if (IsBlankLine(line)) return absl::OkStatus();
      absl::StatusOr<HistoryOp> op = ParseHistoryLine(line, number);
      if (!op.ok()) {
        op = ParseHistoryLine(line, LinesBefore(path, part.begin) + number);  // worded with the file's line number.
        return absl::InvalidArgumentError(absl::StrCat(path, ": ", op.status().message()));
      }
      ++out.lines;
      const size_t b = KeyHash(op->key) % buckets;
      EncodeOp(*op, &buffers[b]);
      return buffers[b].size() >= kSpillFlushBytes ? flush(b) : absl::OkStatus();
    });
  }
  for (size_t i = 0; i < files.size() && out.status.ok(); ++i) {
    out.status = flush(i);
    if (out.status.ok() && std::fclose(files[i].release()) != 0) {
      out.status = absl::UnavailableError(absl::StrCat("cannot write ", dir.Bucket(i, part_index)));
    }
  }
  return out;
}

// Bucket b's ops, its parts in file order.
absl::StatusOr<std::vector<HistoryOp>> LoadBucket(const SpillDir& dir, size_t bucket, size_t parts) {
  std::vector<HistoryOp> ops;
  std::string bytes;
  std::vector<char> chunk(kReadChunkBytes);
  for (size_t part = 0; part < parts; ++part) {
    File in(std::fopen(dir.Bucket(bucket, part).c_str(), "rb"));
    if (in == nullptr) return absl::UnavailableError(absl::StrCat("cannot read ", dir.Bucket(bucket, part)));
    bytes.clear();
    for (size_t n; (n = std::fread(chunk.data(), 1, chunk.size(), in.get())) > 0;) bytes.append(chunk.data(), n);
    for (SpillReader r(bytes); !r.Done();) ops.push_back(r.Next());
    std::error_code ec;
    std::filesystem::remove(dir.Bucket(bucket, part), ec);
  }
  return ops;
}

// Runs work(i) for i in [0, n) on up to `threads` threads (the calling one included).
template <typename Work>
void ParallelFor(size_t n, size_t threads, Work work) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t i = next++; i < n; i = next++) work(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < std::min(n, threads); ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
}

size_t CheckThreads() { return std::clamp<size_t>(std::thread::hardware_concurrency(), 1, kMaxCheckThreads); }

// Merges the verdict of a part of a history (disjoint keys) into *into.
void MergeCheckResult(CheckResult part, CheckResult* into) {
  into->model = part.model;
  into->ok = into->ok && part.ok;
  into->ops_checked += part.ops_checked;
  into->keys_checked += part.keys_checked;
  for (Violation& v : part.violations) into->violations.push_back(std::move(v));
  for (std::string& k : part.inconclusive_keys) into->inconclusive_keys.push_back(std::move(k));
  StalenessStats& s = into->staleness;
  const StalenessStats& p = part.staleness;
  const uint64_t stale = s.stale_reads + p.stale_reads;
  if (stale > 0) {
    s.mean_staleness_ns = (s.mean_staleness_ns * static_cast<double>(s.stale_reads) +
                           p.mean_staleness_ns * static_cast<double>(p.stale_reads)) /
                          static_cast<double>(stale);
  }
  s.reads += p.reads;
  s.stale_reads = stale;
  s.max_staleness_ns = std::max(s.max_staleness_ns, p.max_staleness_ns);
}

// Puts the merged violations and inconclusive keys in key order, as the in-memory checker reports
// them, and applies max_violations.
void FinishMerge(const CheckOptions& options, CheckResult* result) {
  std::stable_sort(result->violations.begin(), result->violations.end(),
                   [](const Violation& a, const Violation& b) { return a.key < b.key; });
  std::sort(result->inconclusive_keys.begin(), result->inconclusive_keys.end());
  if (result->violations.size() > options.max_violations) result->violations.resize(options.max_violations);
}

}  // namespace

absl::StatusOr<HistoryFileCheck> CheckHistoryFile(const std::string& path, CheckModel model,
                                                  const FileCheckOptions& options) {
  KV_ASSERT(options.bucket_bytes > 0);
  File in(std::fopen(path.c_str(), "rb"));
  if (in == nullptr) return absl::NotFoundError(absl::StrCat("cannot open history file '", path, "'"));
  std::error_code ec;
  const uintmax_t size = std::filesystem::file_size(path, ec);
  HistoryFileCheck out;
  if (ec || size <= options.bucket_bytes) {
    absl::StatusOr<std::vector<HistoryOp>> history = ReadHistoryFile(path);
    if (!history.ok()) return history.status();
    out.lines = history->size();
    out.result = CheckInMemory(*history, model, options.check);
    return out;
  }
  const size_t threads = options.threads == 0 ? CheckThreads() : options.threads;
  out.buckets = std::min<uint64_t>(kMaxCheckBuckets, (size + options.bucket_bytes - 1) / options.bucket_bytes);
  absl::StatusOr<std::vector<FilePart>> parts = SplitFile(in.get(), size, threads);
  if (!parts.ok()) return absl::UnavailableError(absl::StrCat(path, ": ", parts.status().message()));
  absl::StatusOr<SpillDir> dir = SpillDir::Make(options.spill_dir);
  if (!dir.ok()) return dir.status();
  // Pass 1: the parts in parallel; the first error in file order wins.
  std::vector<PartSpill> spills(parts->size());
  ParallelFor(parts->size(), threads,
              [&](size_t p) { spills[p] = SpillPart(path, (*parts)[p], p, *dir, out.buckets); });
  for (const PartSpill& spill : spills) {
    if (!spill.status.ok()) return spill.status;
    out.lines += spill.lines;
  }
  // Pass 2: the buckets in parallel, merged in bucket order (the output does not depend on timing).
  std::vector<absl::StatusOr<CheckResult>> results(out.buckets, absl::UnknownError("not checked"));
  // The buckets already use the cores: each is checked on its own thread only.
  CheckOptions bucket_options = options.check;
  if (threads > 1) bucket_options.threads = 1;
  ParallelFor(out.buckets, threads, [&](size_t b) {
    absl::StatusOr<std::vector<HistoryOp>> ops = LoadBucket(*dir, b, parts->size());
    if (!ops.ok()) {
      results[b] = ops.status();
      return;
    }
    results[b] = CheckInMemory(*ops, model, bucket_options);
  });
  out.result.model = model == CheckModel::kEventual ? "eventual" : "linearizable";
  for (absl::StatusOr<CheckResult>& r : results) {
    if (!r.ok()) return r.status();
    MergeCheckResult(*std::move(r), &out.result);
  }
  FinishMerge(options.check, &out.result);
  return out;
}

}  // namespace kvlab::workloads
