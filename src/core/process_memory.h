// The memory this process holds at its peak (Linux /proc), for per-epoch and rehearsal figures.
//
// peak_resident_bytes(): VmHWM of /proc/self/status (the resident set's high-water mark), or
// nullopt where it cannot be read. reset_peak_resident(): starts a new high-water mark (writes "5"
// to /proc/self/clear_refs, Linux >= 4.0); false where the kernel refuses, and the mark then keeps
// counting from the process start.
#pragma once

#include <cstdint>
#include <optional>

namespace sodlab {

std::optional<std::int64_t> peak_resident_bytes();
bool reset_peak_resident();

}  // namespace sodlab
