// cgfs: parser for /proc/<pid>/cgroup (cgroups(7), "/proc/[pid]/cgroup").
// Each line is "hierarchy-ID:controller-list:cgroup-path"; only the first two colons split (a
// path may hold colons), and a " (deleted)" suffix of a removed cgroup is dropped.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

/// How a v1 named hierarchy is written in /proc/<pid>/cgroup, in its mount options and in the
/// module's `-c` list: "name=X" (cgroups(7)).
inline constexpr std::string_view kNamePrefix = "name=";

/// One line. For cgroup2 the id is 0 and `controllers` and `name` are empty.
struct CgroupLine {
    std::uint64_t hierarchy_id = 0;
    std::vector<std::string> controllers; ///< kernel controllers, "name=" entries left out
    std::string name;                     ///< X of "name=X", empty when the hierarchy has none
    std::string path;                     ///< relative to the reader's cgroup namespace root; may start "/.."

    /// True for the cgroup2 line ("0::/…").
    [[nodiscard]] bool is_unified() const { return hierarchy_id == 0 && controllers.empty() && name.empty(); }
};

/// The parsed file; `skipped` counts lines without two colons, a numeric id or an absolute path.
struct CgroupTable {
    std::vector<CgroupLine> lines;
    std::size_t skipped = 0;
};

/// Parses the text of /proc/<pid>/cgroup. Never fails; malformed lines are counted in `skipped`.
[[nodiscard]] CgroupTable parse_proc_cgroup(std::string_view text);

} // namespace cgfs
