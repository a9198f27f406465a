// Subcommand registry of the `sodlab` CLI.
//
// Each cmd_<name>.cpp defines one subcommand and registers it with a static
// `CommandRegistration`. A command fills a CLI::App (options, help) and returns a body to run
// after parsing; `run_command` maps errors to exit codes: 0 ok, 2 bad usage or bad input
// (CLI11 parse errors, sodlab::InputError), 1 runtime failure (anything else).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

namespace sodlab::cli {

// Called with a fresh CLI::App named after the command; returns the action to run once parsed.
using CommandSetup = std::function<std::function<int()>(CLI::App& app)>;

struct Command {
  std::string name;
  std::string summary;
  CommandSetup setup;
};

const std::vector<Command>& commands();

struct CommandRegistration {
  CommandRegistration(std::string name, std::string summary, CommandSetup setup);
};

// Parses argv (argv[0] is the subcommand name) and runs the command; returns the exit code.
int run_command(const Command& command, int argc, char** argv);

}  // namespace sodlab::cli
