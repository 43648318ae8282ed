// The `kvlab` command: CLI11 wiring only; every subcommand's logic lives in its layer.
#include <cstdio>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  CLI::App app{"kvlab: a replicated key-value store and its deterministic simulator"};
  app.require_subcommand(1);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
