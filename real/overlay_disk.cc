#include "real/overlay_disk.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"

namespace kvlab::real {
namespace {

absl::Status ValidName(std::string_view file) {
  if (file.empty() || file == "." || file == ".." || file.find('/') != std::string_view::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad file name '", std::string(file), "'"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::optional<std::string>*> OverlayDisk::View(std::string_view file) {
  if (absl::Status s = ValidName(file); !s.ok()) return s;
  auto it = files_.find(file);
  if (it != files_.end()) return &it->second;
  std::optional<std::string>& view = files_[std::string(file)];
  const std::string path = absl::StrCat(dir_, "/", std::string(file));
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::ostringstream bytes;
    bytes << in.rdbuf();
    if (in.bad()) return absl::InternalError(absl::StrCat("read ", path, ": ", std::strerror(errno)));
    view = std::move(bytes).str();
  }
  return &view;
}

void OverlayDisk::Put(std::string_view file, std::string bytes) { files_[std::string(file)] = std::move(bytes); }

absl::Status OverlayDisk::Append(std::string_view file, std::string_view bytes) {
  absl::StatusOr<std::optional<std::string>*> view = View(file);
  if (!view.ok()) return view.status();
  if (!**view) **view = std::string();
  (**view)->append(bytes);
  return absl::OkStatus();
}

absl::Status OverlayDisk::Sync(std::string_view file) { return View(file).status(); }

absl::StatusOr<std::string> OverlayDisk::Read(std::string_view file) {
  absl::StatusOr<std::optional<std::string>*> view = View(file);
  if (!view.ok()) return view.status();
  if (!**view) return absl::NotFoundError(absl::StrCat("no file '", std::string(file), "' in ", dir_));
  return ***view;
}

absl::Status OverlayDisk::Truncate(std::string_view file, uint64_t size) {
  absl::StatusOr<std::optional<std::string>*> view = View(file);
  if (!view.ok()) return view.status();
  if (!**view) return absl::NotFoundError(absl::StrCat("no file '", std::string(file), "' in ", dir_));
  if (size < (**view)->size()) (**view)->resize(size);
  return absl::OkStatus();
}

absl::Status OverlayDisk::Rename(std::string_view from, std::string_view to) {
  absl::StatusOr<std::optional<std::string>*> source = View(from);
  if (!source.ok()) return source.status();
  if (!**source) return absl::NotFoundError(absl::StrCat("no file '", std::string(from), "' in ", dir_));
  std::optional<std::string> bytes = std::move(**source);
  **source = std::nullopt;
  absl::StatusOr<std::optional<std::string>*> target = View(to);
  if (!target.ok()) return target.status();
  **target = std::move(bytes);
  return absl::OkStatus();
}

absl::Status OverlayDisk::Remove(std::string_view file) {
  absl::StatusOr<std::optional<std::string>*> view = View(file);
  if (!view.ok()) return view.status();
  **view = std::nullopt;
  return absl::OkStatus();
}

}  // namespace kvlab::real
