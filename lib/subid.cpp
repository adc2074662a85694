// cgfs: subordinate id ranges (see subid.hpp).
#include "subid.hpp"

#include <charconv>
#include <optional>

namespace cgfs {

namespace {

std::optional<std::uint64_t> number(std::string_view text)
{
    std::uint64_t value = 0;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || ptr != text.data() + text.size())
        return std::nullopt;
    return value;
}

} // namespace

std::vector<SubidRange> parse_subid(std::string_view text)
{
    std::vector<SubidRange> ranges;
    while (!text.empty()) {
        const std::size_t newline = text.find('\n');
        const std::string_view line = text.substr(0, newline);
        text.remove_prefix(newline == std::string_view::npos ? text.size() : newline + 1);
        if (line.empty() || line[0] == '#')
            continue;
        const std::size_t first = line.find(':');
        const std::size_t second = first == std::string_view::npos ? first : line.find(':', first + 1);
        if (first == 0 || second == std::string_view::npos)
            continue;
        const auto start = number(line.substr(first + 1, second - first - 1));
        const auto count = number(line.substr(second + 1));
        if (!start || !count)
            continue;
        ranges.push_back(SubidRange{std::string(line.substr(0, first)), *start, *count});
    }
    return ranges;
}

std::uint64_t subid_count(const std::vector<SubidRange>& ranges, std::string_view name, uid_t uid)
{
    const std::string uid_text = std::to_string(uid);
    std::uint64_t total = 0;
    for (const auto& range : ranges)
        if (range.owner == name || range.owner == uid_text)
            total += range.count;
    return total;
}

long nesting_levels(std::uint64_t count)
{
    return static_cast<long>(count / kIdsPerContainer) - 1;
}

} // namespace cgfs
