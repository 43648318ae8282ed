#include "real/recovery_report.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <optional>

#include "absl/strings/str_cat.h"

namespace kvlab::real {
namespace {

constexpr size_t kScanChunkBytes = 64 * 1024;

std::optional<uint64_t> FileSize(const std::string& path) {
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) return std::nullopt;
  return static_cast<uint64_t>(st.st_size);
}

std::optional<std::string> InfoValue(const RecoveryFacts& facts, std::string_view key) {
  for (const auto& [k, v] : facts.info) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string TornTailLine(const RecoveryFacts& facts) {
  const std::string log(facts.files.log);
  const uint64_t after = FileSize(absl::StrCat(facts.dir, "/", log)).value_or(0);
  const LogFileBefore& before = facts.log_before;
  const uint64_t cut = before.size > after ? before.size - after : 0;
  const std::string head = absl::StrCat("cut a torn tail of '", log, "': ", cut, " bytes at offset ", after);
  if (cut <= before.zero_tail) {
    return absl::StrCat(head, ", all zeros (space preallocated for the log: the node stopped without closing it)");
  }
  if (before.zero_tail == 0) return absl::StrCat(head, " (a write the stop interrupted)");
  return absl::StrCat(head, " (a write of ", cut - before.zero_tail, " bytes the stop interrupted, then ",
                      before.zero_tail, " preallocated zeros)");
}

}  // namespace

LogFileBefore InspectLogFile(const std::string& path) {
  LogFileBefore out;
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return out;
  struct stat st {};
  if (fstat(fd, &st) == 0) {
    out.exists = true;
    out.size = static_cast<uint64_t>(st.st_size);
    char buf[kScanChunkBytes];
    uint64_t end = out.size;
    bool nonzero_seen = false;
    while (end > 0 && !nonzero_seen && out.zero_tail < kMaxZeroTailScanBytes) {
      const uint64_t n = std::min<uint64_t>(end, sizeof(buf));
      if (pread(fd, buf, n, static_cast<off_t>(end - n)) != static_cast<ssize_t>(n)) break;
      for (uint64_t i = n; i > 0; --i) {
        if (buf[i - 1] != 0) {
          nonzero_seen = true;
          break;
        }
        ++out.zero_tail;
      }
      end -= n;
    }
  }
  close(fd);
  return out;
}

std::vector<std::string> RecoveryLines(const RecoveryFacts& facts) {
  const std::string snapshot_path = absl::StrCat(facts.dir, "/", facts.files.snapshot);
  const std::optional<uint64_t> snapshot_bytes = FileSize(snapshot_path);
  if (!facts.log_before.exists && !snapshot_bytes) return {};
  std::vector<std::string> lines;
  if (snapshot_bytes) {
    const std::string index =
        InfoValue(facts, "snapshot_lsn").value_or(InfoValue(facts, "snapshot_index").value_or("?"));
    lines.push_back(
        absl::StrCat("loaded snapshot '", facts.files.snapshot, "' (index ", index, ", ", *snapshot_bytes, " bytes)"));
  }
  if (std::optional<std::string> records = InfoValue(facts, "recovered_records")) {
    lines.push_back(absl::StrCat("replayed ", *records, " records of '", facts.files.log, "' (up to LSN ",
                                 InfoValue(facts, "last_lsn").value_or("?"), ")"));
  } else if (std::optional<std::string> last = InfoValue(facts, "last_log_index")) {
    lines.push_back(absl::StrCat("read '", facts.files.log, "' up to entry ", *last, " (term ",
                                 InfoValue(facts, "term").value_or("?"),
                                 "): entries past the snapshot are applied as the cluster commits them"));
  }
  lines.push_back(absl::StrCat("recovered ", facts.keys, " keys"));
  if (InfoValue(facts, "torn_tail_cut") == "yes") lines.push_back(TornTailLine(facts));
  return lines;
}

}  // namespace kvlab::real
