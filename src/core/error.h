// Error types and process exit codes shared by every layer.
//
// Contract: throw InputError for anything the user can fix (bad usage, malformed config, missing
// or corrupt files, size mismatches); the CLI maps it to exit code 2. Throw RuntimeFailure for
// failures of the run itself (NaN loss, I/O failure while writing results); exit code 1.
// Messages name the file, the position (line:column or key path) or the image, and what to do.
#pragma once

#include <stdexcept>
#include <string>

namespace sodlab {

enum class ExitCode : int { ok = 0, runtime_failure = 1, bad_input = 2 };

class Error : public std::runtime_error {
 public:
  Error(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const { return code_; }

 private:
  ExitCode code_;
};

// Bad usage or bad input (config, data, arguments): exit code 2.
class InputError : public Error {
 public:
  explicit InputError(const std::string& message) : Error(ExitCode::bad_input, message) {}
};

// The run itself failed (numerical failure, write failure): exit code 1.
class RuntimeFailure : public Error {
 public:
  explicit RuntimeFailure(const std::string& message) : Error(ExitCode::runtime_failure, message) {}
};

}  // namespace sodlab
