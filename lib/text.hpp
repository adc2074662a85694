// cgfs: splitting text: the lines of a kernel file (mountinfo, /proc/<pid>/cgroup, cgroup.procs)
// and the words of a line or path.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

namespace cgfs {

/// Calls `visit(line)` for each non-empty line of `text`, in order, without its '\n'; a last line
/// without '\n' counts. `visit` returns true to go on, false to stop; for_each_line returns false
/// when a visit stopped it.
template <typename Visit> bool for_each_line(std::string_view text, Visit visit)
{
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t newline = text.find('\n', pos);
        const std::size_t end = newline == std::string_view::npos ? text.size() : newline;
        const std::string_view line = text.substr(pos, end - pos);
        pos = end + 1;
        if (!line.empty() && !visit(line))
            return false;
    }
    return true;
}

/// The non-empty pieces of `text` between any of the characters of `separators`, as views into
/// `text`: split("a//b/", "/") == {"a", "b"}.
[[nodiscard]] inline std::vector<std::string_view> split(std::string_view text, std::string_view separators)
{
    std::vector<std::string_view> pieces;
    while (!text.empty()) {
        const std::size_t end = text.find_first_of(separators);
        if (end != 0)
            pieces.push_back(text.substr(0, end));
        if (end == std::string_view::npos)
            break;
        text.remove_prefix(end + 1);
    }
    return pieces;
}

} // namespace cgfs
