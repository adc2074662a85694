// cgfs: /proc/<pid>/cgroup parser (see proc_cgroup.hpp).
#include "proc_cgroup.hpp"

#include "text.hpp"

#include <algorithm>
#include <charconv>

namespace cgfs {

namespace {

constexpr std::string_view kDeletedSuffix = " (deleted)";

bool parse_line(std::string_view line, CgroupLine& out)
{
    const std::size_t first = line.find(':');
    if (first == std::string_view::npos)
        return false;
    const std::size_t second = line.find(':', first + 1);
    if (second == std::string_view::npos)
        return false;
    const std::string_view id = line.substr(0, first);
    if (id.empty())
        return false;
    const auto [ptr, ec] = std::from_chars(id.data(), id.data() + id.size(), out.hierarchy_id);
    if (ec != std::errc() || ptr != id.data() + id.size())
        return false;

    std::string_view list = line.substr(first + 1, second - first - 1);
    while (!list.empty()) {
        const std::size_t comma = list.find(',');
        const std::string_view item = list.substr(0, comma);
        if (item.substr(0, kNamePrefix.size()) == kNamePrefix)
            out.name = std::string(item.substr(kNamePrefix.size()));
        else if (!item.empty())
            out.controllers.emplace_back(item);
        if (comma == std::string_view::npos)
            break;
        list.remove_prefix(comma + 1);
    }

    std::string_view path = line.substr(second + 1);
    if (path.size() >= kDeletedSuffix.size() && path.substr(path.size() - kDeletedSuffix.size()) == kDeletedSuffix)
        path.remove_suffix(kDeletedSuffix.size());
    if (path.empty() || path[0] != '/')
        return false;
    out.path = std::string(path);
    return true;
}

} // namespace

CgroupTable parse_proc_cgroup(std::string_view text)
{
    CgroupTable table;
    // Sized once (every open and close parses this file; each new heap page is a page fault in a
    // process that starts for the login).
    table.lines.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    for_each_line(text, [&](std::string_view line) {
        CgroupLine parsed;
        if (parse_line(line, parsed))
            table.lines.push_back(std::move(parsed));
        else
            ++table.skipped;
        return true;
    });
    return table;
}

} // namespace cgfs
