// cgfs: v1 cpuset initialisation. A new v1 cpuset cgroup starts with empty cpuset.cpus and
// cpuset.mems, and attaching a task to it fails with ENOSPC until both are set
// (cgroup-v1/cpusets.rst §1.4, §2.1); so every level we create inherits its parent's, with the
// CPUs of /sys/devices/system/cpu/isolated left out.
#pragma once

#include "note.hpp"
#include "result.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

/// The largest CPU number accepted in a list (bounds what a malformed list can allocate).
inline constexpr unsigned kMaxCpuNumber = 1U << 16;

/// Parses a kernel cpu list ("0-3,8,10-11\n", empty = no CPUs) into sorted unique CPU numbers.
/// nullopt for malformed text (bad number, reversed range, number above kMaxCpuNumber).
/// Format: Documentation/admin-guide/cgroup-v1/cpusets.rst "List format".
[[nodiscard]] std::optional<std::vector<unsigned>> parse_cpu_list(std::string_view text);

/// Formats sorted unique CPU numbers as a kernel cpu list with ranges ("0-3,8"), "" for none.
[[nodiscard]] std::string format_cpu_list(const std::vector<unsigned>& cpus);

/// The kernel's list of isolated CPUs (cpu-list format, e.g. "2-3").
inline constexpr const char* kIsolatedCpus = "/sys/devices/system/cpu/isolated";

/// Fills the v1 cpuset cgroup `child_fd` from its parent `parent_fd`: cpuset.cpus (parent's
/// minus `isolated`; the parent's unchanged when that leaves nothing) and cpuset.mems where the
/// child's are empty; with `created`, also cgroup.clone_children = 1. Never writes to the parent.
/// Errors: errno of reading or writing those files (context names the file).
Result<void> init_cpuset(int parent_fd, int child_fd, const std::vector<unsigned>& isolated, bool created);

} // namespace cgfs
