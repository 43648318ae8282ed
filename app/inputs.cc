#include "app/inputs.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "real/data_dir_meta.h"

namespace kvlab::app {
namespace {

constexpr char kVersion[] = "0.1.0";

// What each random fault mode of the simulator injects (sim/faults.cc DrawKind).
struct ChoiceLine {
  const char* name;
  const char* what;
};
constexpr ChoiceLine kFaultModes[] = {
    {"none", "no random faults (a scenario's scheduled faults still apply)"},
    {"crash", "a node crashes (memory lost, synced disk kept), then restarts"},
    {"partition",
     "a node is cut off from every other node, or one link blocks one way (dropping or buffering"
     " like TCP), or a node's links hold messages 200 ms..3 s and release them late"},
    {"disk", "a crash that tears the last unsynced write, or a bit flipped in synced data"},
    {"clock", "a node's clock jumps forward and drifts"},
    {"network", "message loss, duplication and reordering rise, then calm down; or links hold, then release"},
    {"random", "any of the above, and pauses (a node stops serving for a while)"},
};

// The kinds a scenario file schedules (workloads::IsKnownFaultKind; sim/run.cc applies them).
constexpr ChoiceLine kScheduledFaults[] = {
    {"crash", "node `node` crashes (memory lost, synced disk kept)"},
    {"restart", "node `node` boots from its disk"},
    {"pause", "node `node` stops serving (its inputs queue)"},
    {"resume", "node `node` serves again"},
    {"partition",
     "the group `nodes` is cut off from the others (one_way: only its outgoing messages drop;"
     " buffered: held like a stalled TCP link and delivered after the heal)"},
    {"heal", "every partition heals; what buffered links held arrives late"},
    {"hold", "every link of node `node` stalls for `duration`, then what it held arrives late, out of order"},
    {"disk_fail", "node `node` dies mid-write (its last unsynced write torn)"},
    {"disk_heal", "node `node` boots from what its disk kept"},
    {"clock_skew", "node `node`'s clock jumps forward by `amount` ns"},
    {"crash_leader", "whichever node leads at that time crashes"},
    {"restart_all", "every crashed node boots"},
};

std::string ChoiceLines(const char* title, const ChoiceLine* lines, size_t n) {
  std::string out = absl::StrCat(title, "\n");
  for (size_t i = 0; i < n; ++i) absl::StrAppendFormat(&out, "  %-12s %s\n", lines[i].name, lines[i].what);
  return out;
}

}  // namespace

absl::Status CheckInputFile(std::string_view what, const std::string& path) {
  std::error_code ec;
  const std::filesystem::file_status st = std::filesystem::status(path, ec);
  const std::string head = absl::StrCat(std::string(what), " '", path, "'");
  if (!std::filesystem::exists(st)) return absl::InvalidArgumentError(head + ": no such file");
  if (std::filesystem::is_directory(st)) return absl::InvalidArgumentError(head + " is a directory, not a file");
  if (!std::filesystem::is_regular_file(st)) return absl::InvalidArgumentError(head + " is not a regular file");
  if (std::filesystem::file_size(path, ec) == 0 && !ec) return absl::InvalidArgumentError(head + " is empty");
  return absl::OkStatus();
}

absl::StatusOr<workloads::Scenario> FindScenarioArg(std::string_view flag, const std::string& name_or_path) {
  for (const workloads::Scenario& s : workloads::BuiltinScenarios()) {
    if (s.name == name_or_path) return s;
  }
  std::error_code ec;
  if (std::filesystem::exists(name_or_path, ec)) {
    if (absl::Status s = CheckInputFile(flag, name_or_path); !s.ok()) return s;
  }
  return workloads::FindScenario(name_or_path);
}

absl::Status MakeOutputDir(std::string_view what, const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec || !std::filesystem::is_directory(path)) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " '", path, "': cannot create the directory",
                                                   ec ? absl::StrCat(" (", ec.message(), ")") : ""));
  }
  return absl::OkStatus();
}

std::string ScenarioNames() {
  std::string names;
  for (const workloads::Scenario& s : workloads::BuiltinScenarios()) {
    absl::StrAppend(&names, names.empty() ? "" : ", ", s.name);
  }
  return names;
}

std::string FaultModesHelp() {
  return ChoiceLines("Random fault modes (--faults):", kFaultModes, std::size(kFaultModes)) +
         "Scheduled faults in a TOML scenario: see `kvlab scenarios --help`.\n";
}

std::string ScheduledFaultsHelp() {
  return ChoiceLines("Scheduled fault kinds (a scenario file's [[faults]] kind, at `at` into the run):",
                     kScheduledFaults, std::size(kScheduledFaults));
}

std::string VersionLine() { return absl::StrCat("kvlab ", kVersion, " (data dir format ", real::kMetaFormat, ")"); }

}  // namespace kvlab::app
