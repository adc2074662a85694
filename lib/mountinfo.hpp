// cgfs: parser for /proc/<pid>/mountinfo (proc(5), "/proc/pid/mountinfo").
// A pure function on the file's text; reading the file is separate. The root field matters for
// bind mounts and cgroup namespaces, so it is kept; octal escapes (\040 …) are undone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace cgfs {

/// One line of mountinfo. Paths are unescaped.
struct MountEntry {
    std::uint64_t mount_id = 0;
    std::uint64_t parent_id = 0;
    std::string root;        ///< field 4: the mount's root inside its file system ("/" or deeper)
    std::string mount_point; ///< field 5: absolute path in this mount namespace
    std::string fstype;      ///< after " - ": "cgroup", "cgroup2", "tmpfs", …
    std::string source;
    std::vector<std::string> super_options; ///< comma-split super options ("rw", "freezer", "name=systemd")
};

/// The parsed file. `skipped` counts lines that did not have the documented shape; they are
/// left out rather than guessed at.
struct MountTable {
    std::vector<MountEntry> entries;
    std::size_t skipped = 0;
};

/// Parses the text of /proc/<pid>/mountinfo. Never fails: malformed lines are counted in `skipped`.
/// Source of the format: proc(5), Documentation/filesystems/proc.rst "3.5 /proc/<pid>/mountinfo".
[[nodiscard]] MountTable parse_mountinfo(std::string_view text);

/// Undoes the kernel's octal escapes (`\040` space, `\011` tab, `\012` newline, `\134` backslash);
/// a backslash not followed by three octal digits is kept as it is.
[[nodiscard]] std::string unescape_mount_field(std::string_view field);

/// For each entry of `entries` (in mountinfo order), whether it is hidden in this mount namespace:
/// a later entry is mounted on the same path (also stacked on it), or on a directory above it
/// without being one of its parent mounts (a new /sys/fs/cgroup tmpfs over the old tree).
/// One pass for the whole table: discovery runs at every open and close.
[[nodiscard]] std::vector<bool> covered_mounts(const std::vector<MountEntry>& entries);

/// covered_mounts(entries)[index], for a single question.
[[nodiscard]] bool is_covered(const std::vector<MountEntry>& entries, std::size_t index);

} // namespace cgfs
