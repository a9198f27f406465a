#include "command.h"

#include <filesystem>

#include <algorithm>
#include <exception>
#include <iostream>

#include "core/error.h"
#include "core/log.h"
#include "core/output_files.h"
#include "store/results_store.h"

namespace sodlab::cli {
namespace {
std::vector<Command>& registry() {
  static std::vector<Command> r;
  return r;
}
}  // namespace

const std::vector<Command>& commands() {
  auto& r = registry();
  std::sort(r.begin(), r.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  return r;
}

CommandRegistration::CommandRegistration(std::string name, std::string summary,
                                         CommandSetup setup) {
  registry().push_back({std::move(name), std::move(summary), std::move(setup)});
}

int run_command(const Command& command, int argc, char** argv) {
  CLI::App app{command.summary, "sodlab " + command.name};
  app.set_help_flag("-h,--help", "Print this help and exit");
  std::function<int()> action;
  // What no output option of any command may write over (core/output_files.h); the store a
  // command opens, the files it reads and the folders it is given register themselves too.
  output::protect_store(store::default_db_path());
  output::protect_folder(store::default_runs_dir(), "the checkpoint folder");
  output::protect_folder(store::default_cache_dir(), "the cache folder");
  try {
    action = command.setup(app);
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints help or the parse error
    return rc == 0 ? 0 : static_cast<int>(ExitCode::bad_input);
  } catch (const Error& e) {
    log::error(e.what());
    return static_cast<int>(e.code());
  }
  try {
    return action();
  } catch (const Error& e) {
    log::error(e.what());
    return static_cast<int>(e.code());
  } catch (const std::filesystem::filesystem_error& e) {
    // A path that cannot be used (missing, a file where a folder is needed, a symlink loop, no
    // permission) is bad input: exit 2, naming the path.
    log::error(e.path1().string() + (e.path2().empty() ? "" : " / " + e.path2().string()) + ": " +
               e.code().message());
    return static_cast<int>(ExitCode::bad_input);
  } catch (const std::exception& e) {
    log::error(e.what());
    return static_cast<int>(ExitCode::runtime_failure);
  }
}

}  // namespace sodlab::cli
