// cgfs: /proc/<pid>/mountinfo parser (see mountinfo.hpp).
#include "mountinfo.hpp"

#include "text.hpp"

#include <algorithm>
#include <charconv>
#include <optional>
#include <utility>

namespace cgfs {

namespace {

/// Fields of a mountinfo line with a few optional fields (proc(5): 10 plus the optional ones).
constexpr std::size_t kUsualFields = 16;

bool is_octal(char c)
{
    return c >= '0' && c <= '7';
}

/// Splits on single spaces, keeping empty fields: mountinfo escapes spaces inside fields, and a
/// file system with an empty source shows as two spaces in a row. `fields` is reused from line to
/// line, so that a whole file costs one allocation for it.
void split_fields(std::string_view line, std::vector<std::string_view>& fields)
{
    fields.clear();
    std::size_t pos = 0;
    for (;;) {
        const std::size_t space = line.find(' ', pos);
        if (space == std::string_view::npos) {
            fields.push_back(line.substr(pos));
            return;
        }
        fields.push_back(line.substr(pos, space - pos));
        pos = space + 1;
    }
}

bool parse_u64(std::string_view text, std::uint64_t& out)
{
    if (text.empty())
        return false;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size();
}

std::vector<std::string> split_options(std::string_view text)
{
    std::vector<std::string> out;
    out.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), ',')) + 1);
    std::size_t pos = 0;
    while (pos <= text.size()) {
        const std::size_t comma = text.find(',', pos);
        const std::size_t end = comma == std::string_view::npos ? text.size() : comma;
        if (end > pos)
            out.push_back(unescape_mount_field(text.substr(pos, end - pos)));
        if (comma == std::string_view::npos)
            break;
        pos = comma + 1;
    }
    return out;
}

bool parse_line(std::string_view line, MountEntry& entry, std::vector<std::string_view>& fields)
{
    split_fields(line, fields);
    // id parent major:minor root mount-point options [optional…] - fstype source super-options
    std::size_t separator = 0;
    for (std::size_t i = 6; i < fields.size(); ++i) {
        if (fields[i] == "-") {
            separator = i;
            break;
        }
    }
    // The source field may be empty on some file systems, so only fstype is required after "-".
    if (separator == 0 || separator + 1 >= fields.size())
        return false;
    if (!parse_u64(fields[0], entry.mount_id) || !parse_u64(fields[1], entry.parent_id))
        return false;
    if (fields[3].empty() || fields[3][0] != '/' || fields[4].empty() || fields[4][0] != '/')
        return false;
    entry.root = unescape_mount_field(fields[3]);
    entry.mount_point = unescape_mount_field(fields[4]);
    entry.fstype = unescape_mount_field(fields[separator + 1]);
    if (separator + 2 < fields.size())
        entry.source = unescape_mount_field(fields[separator + 2]);
    if (separator + 3 < fields.size())
        entry.super_options = split_options(fields[separator + 3]);
    return true;
}

/// `prefix` is `path` or a directory above it ("/sys/fs" for "/sys/fs/cgroup", "/" for all).
bool path_is_at_or_below(std::string_view path, std::string_view prefix)
{
    if (prefix == "/")
        return true;
    if (path.substr(0, prefix.size()) != prefix)
        return false;
    return path.size() == prefix.size() || path[prefix.size()] == '/';
}

} // namespace

std::string unescape_mount_field(std::string_view field)
{
    std::string out;
    out.reserve(field.size());
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size() && is_octal(field[i + 1]) && is_octal(field[i + 2]) &&
            is_octal(field[i + 3])) {
            const int value = (field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0');
            if (value > 0 && value < 256) {
                out.push_back(static_cast<char>(value));
                i += 3;
                continue;
            }
        }
        out.push_back(field[i]);
    }
    return out;
}

MountTable parse_mountinfo(std::string_view text)
{
    MountTable table;
    // Sized once: discovery runs at every open, in processes that often start just for the
    // login, where each new heap page is a page fault.
    table.entries.reserve(static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1);
    std::vector<std::string_view> fields;
    fields.reserve(kUsualFields);
    for_each_line(text, [&](std::string_view line) {
        MountEntry entry;
        if (parse_line(line, entry, fields))
            table.entries.push_back(std::move(entry));
        else
            ++table.skipped;
        return true;
    });
    return table;
}

std::vector<bool> covered_mounts(const std::vector<MountEntry>& entries)
{
    // Mount id -> index, sorted by id (one allocation; the first entry of a repeated id wins).
    std::vector<std::pair<std::uint64_t, std::size_t>> by_id;
    by_id.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i)
        by_id.emplace_back(entries[i].mount_id, i);
    std::stable_sort(by_id.begin(), by_id.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    const auto index_of = [&](std::uint64_t id) -> std::optional<std::size_t> {
        const auto it = std::lower_bound(by_id.begin(), by_id.end(), id,
                                         [](const auto& entry, std::uint64_t key) { return entry.first < key; });
        if (it == by_id.end() || it->first != id)
            return std::nullopt;
        return it->second;
    };
    // Is entry `ancestor` on entry `index`'s chain of parent mounts? Bounded by the table size,
    // so a malformed parent cycle cannot loop.
    const auto is_ancestor = [&](std::size_t ancestor, std::size_t index) {
        std::size_t current = index;
        for (std::size_t steps = 0; steps <= entries.size(); ++steps) {
            const auto parent = index_of(entries[current].parent_id);
            if (!parent || *parent == current)
                return false;
            if (*parent == ancestor)
                return true;
            current = *parent;
        }
        return false;
    };
    std::vector<bool> covered(entries.size(), false);
    for (std::size_t index = 0; index < entries.size(); ++index) {
        const std::string& mine = entries[index].mount_point;
        for (std::size_t i = index + 1; i < entries.size() && !covered[index]; ++i) {
            const std::string& other = entries[i].mount_point;
            // A later mount on the same path hides this one, also when stacked on it (a child);
            // a later mount on a directory above hides it unless this one sits on that mount
            // (the kernel may list "/" after mounts made on it).
            covered[index] = other == mine || (path_is_at_or_below(mine, other) && !is_ancestor(i, index));
        }
    }
    return covered;
}

bool is_covered(const std::vector<MountEntry>& entries, std::size_t index)
{
    return covered_mounts(entries)[index];
}

} // namespace cgfs
