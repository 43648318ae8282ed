#include "app/plotting.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "app/inputs.h"
#include "workloads/plot.h"

namespace kvlab::app {
namespace {

// `text` as one single-quoted shell word.
std::string ShellQuote(const std::string& text) {
  return absl::StrCat("'", absl::StrReplaceAll(text, {{"'", "'\\''"}}), "'");
}

}  // namespace

absl::Status WritePlots(const std::vector<nlohmann::json>& runs, const std::string& dir) {
  if (absl::Status s = MakeOutputDir("--plot", dir); !s.ok()) return s;
  if (std::system("command -v gnuplot >/dev/null 2>&1") != 0) {
    return absl::InvalidArgumentError("gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
  }
  for (const workloads::PlotScript& plot : workloads::PlotScripts(runs, dir)) {
    const std::string path = absl::StrCat(dir, "/", plot.name, ".gp");
    std::ofstream out(path);
    out << plot.script;
    out.close();
    if (!out) return absl::InvalidArgumentError(absl::StrCat("cannot write '", path, "'"));
    if (std::system(absl::StrCat("gnuplot ", ShellQuote(path)).c_str()) != 0) {
      return absl::InvalidArgumentError(absl::StrCat("gnuplot failed on '", path, "'"));
    }
    std::printf("plot: %s/%s.png\n", dir.c_str(), plot.name.c_str());
  }
  return absl::OkStatus();
}

}  // namespace kvlab::app
