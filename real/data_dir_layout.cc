#include "real/data_dir_layout.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "core/policy/registry.h"

namespace kvlab::real {
const std::vector<PolicyFiles>& AllPolicyFiles() {
  static const std::vector<PolicyFiles>* const table = [] {
    auto* rows = new std::vector<PolicyFiles>;
    for (const core::PolicyInfo* p : core::Policies()) {
      if (p->log_file.empty()) continue;
      // PolicyInfo's names are string literals (policy_info.h), so their data() ends in a NUL.
      rows->push_back(PolicyFiles{p->name.data(), p->log_file.data(), p->snapshot_file.data(), p->inspect});
    }
    return rows;
  }();
  return *table;
}

const PolicyFiles* FilesOf(std::string_view policy) {
  for (const PolicyFiles& p : AllPolicyFiles()) {
    if (std::string_view(p.policy) == policy) return &p;
  }
  return nullptr;
}

std::vector<FilesFound> PoliciesWithFiles(const std::string& dir) {
  std::vector<FilesFound> found;
  for (const PolicyFiles& p : AllPolicyFiles()) {
    FilesFound f{std::string(p.policy), {}};
    for (const char* name : {p.log, p.snapshot}) {
      std::error_code ec;
      if (std::filesystem::exists(std::filesystem::path(dir) / name, ec)) f.files.emplace_back(name);
    }
    if (!f.files.empty()) found.push_back(std::move(f));
  }
  return found;
}

}  // namespace kvlab::real
