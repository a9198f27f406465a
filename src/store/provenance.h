// Machine provenance recorded with every run (runs.host, runs.cpu).
#pragma once

#include <string>

namespace sodlab::store {

std::string host_name();   // gethostname(), "unknown" on failure
std::string cpu_model();   // "model name" from /proc/cpuinfo (+ " xN" logical cores), or "unknown"
std::string utc_now();     // "YYYY-MM-DDTHH:MM:SS.SSSZ"

}  // namespace sodlab::store
