// `sodlab`: git-style entry point. `sodlab <command> --help` documents each command.
//
// The commands live in two executables built from this file. `sodlab` holds the ones that do not
// need LibTorch (eval, query, runs, table), so they start in milliseconds: LibTorch's static
// initialisation alone costs about 0.6 s of CPU. Any other command is handed, with the same
// arguments and process id (execv), to `sodlab-torch` beside it (run, loss, models, data).
#include <dlfcn.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "code_version.h"
#include "command.h"
#include "core/blas_threads.h"
#include "core/error.h"
#include "core/names.h"
#include "core/options.h"

namespace {

void print_commands() {
  for (const auto& c : sodlab::cli::commands())
    std::cout << "  " << c.name << std::string(c.name.size() < 10 ? 10 - c.name.size() : 1, ' ')
              << c.summary << "\n";
}

#ifdef SODLAB_DELEGATE_TO
// OpenCV's core pulls in OpenBLAS, which starts a worker thread per extra core when it is loaded;
// the worker keeps spinning in sched_yield (thousands of calls during one `sodlab eval`), taking
// CPU from the evaluator's threads. This binary never calls BLAS, so stop its threads if that
// library is present (OpenBLAS would start them again on a first BLAS call).
void stop_idle_blas_threads() {
  using Shutdown = int (*)();
  if (auto shutdown = reinterpret_cast<Shutdown>(dlsym(RTLD_DEFAULT, "blas_thread_shutdown_"))) shutdown();
}

// The executable that holds the other commands: SODLAB_DELEGATE_TO beside this one.
std::filesystem::path delegate_path() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return (ec ? std::filesystem::path(".") : self.parent_path()) / SODLAB_DELEGATE_TO;
}
#endif

void print_usage() {
  std::cout << "sodlab " << sodlab::build::kCodeVersion << "\n"
            << "Reproducible experiments for salient-object segmentation.\n\n"
            << "usage: sodlab <command> [options]    (sodlab <command> --help for details)\n\n"
            << "commands:\n";
  print_commands();
#ifdef SODLAB_DELEGATE_TO
  std::cout.flush();
  const std::string list = "'" + delegate_path().string() + "' --list-commands";
  if (std::FILE* p = popen(list.c_str(), "r")) {
    char line[512];
    while (std::fgets(line, sizeof line, p)) std::cout << line;
    pclose(p);
  }
#endif
  std::cout << "\nexit codes: 0 ok, 1 runtime failure, 2 bad usage or bad input\n";
}

}  // namespace

int main(int argc, char** argv) {
#ifdef SODLAB_DELEGATE_TO
  stop_idle_blas_threads();
#else
  sodlab::use_one_thread_pool();  // LibTorch's OpenMP threads do the parallel work (core/blas_threads.h)
#endif
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::cout << "sodlab " << sodlab::build::kCodeVersion << "\n";
    return 0;
  }
  if (!std::strcmp(argv[1], "--list-commands")) {
    print_commands();
    return 0;
  }
  const std::string name = argv[1];
  std::vector<std::string> names;
  for (const auto& c : sodlab::cli::commands()) {
    if (c.name == name) return sodlab::cli::run_command(c, argc - 1, argv + 1);
    names.push_back(c.name);
  }
#ifdef SODLAB_DELEGATE_TO
  const std::string target = delegate_path().string();
  std::vector<char*> args(argv, argv + argc);
  args[0] = const_cast<char*>(target.c_str());
  args.push_back(nullptr);
  execv(target.c_str(), args.data());
  std::cerr << "error: cannot start '" << target << "' for command '" << name
            << "': " << std::strerror(errno) << " (rebuild sodlab)\n";
  return 1;
#else
  std::cerr << "error: unknown command '" << name << "'" << sodlab::did_you_mean(name, names)
            << "; run 'sodlab --help' for the list\n";
  return 2;
#endif
}
