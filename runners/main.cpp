// `sodlab`: git-style entry point. `sodlab <command> --help` documents each command.
#include <cstring>
#include <iostream>
#include <string>

#include "code_version.h"
#include "command.h"
#include "core/error.h"
#include "core/options.h"

namespace {

void print_usage() {
  std::cout << "sodlab " << sodlab::build::kCodeVersion << "\n"
            << "Reproducible experiments for salient-object segmentation.\n\n"
            << "usage: sodlab <command> [options]    (sodlab <command> --help for details)\n\n"
            << "commands:\n";
  for (const auto& c : sodlab::cli::commands()) {
    std::cout << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
              << c.summary << "\n";
  }
  std::cout << "\nexit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "sodlab " << sodlab::build::kCodeVersion << "\n";
    return 0;
  }
  const std::string name = argv[1];
  std::vector<std::string> names;
  for (const auto& c : sodlab::cli::commands()) {
    if (c.name == name) return sodlab::cli::run_command(c, argc - 1, argv + 1);
    names.push_back(c.name);
  }
  const std::string near = sodlab::closest_match(name, names);
  std::cerr << "error: unknown command '" << name << "'"
            << (near.empty() ? "" : " (did you mean '" + near + "'?)")
            << "; run 'sodlab --help' for the list\n";
  return 2;
}
