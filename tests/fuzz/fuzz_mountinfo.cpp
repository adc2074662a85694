// libFuzzer target for lib/mountinfo (parse_mountinfo, unescape_mount_field, covered_mounts).
// Invariants beyond not crashing: every non-empty line is either an entry or counted as skipped;
// roots and mount points are absolute; covered_mounts answers once per entry; unescaping never
// lengthens a field; and every parsed entry, written back the way the kernel escapes fields
// (proc(5): space, tab, newline, backslash as \ooo; here also ',' inside super options), parses
// to the same entry.
#include "fuzz_check.hpp"
#include "mountinfo.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

std::string escape(std::string_view field, bool comma)
{
    std::string out;
    for (const char c : field) {
        if (c == ' ' || c == '\t' || c == '\n' || c == '\\' || (comma && c == ',')) {
            const auto byte = static_cast<unsigned char>(c);
            out += '\\';
            out += static_cast<char>('0' + ((byte >> 6) & 7));
            out += static_cast<char>('0' + ((byte >> 3) & 7));
            out += static_cast<char>('0' + (byte & 7));
        } else {
            out += c;
        }
    }
    return out;
}

std::string write_line(const cgfs::MountEntry& e)
{
    std::string options;
    for (const auto& o : e.super_options) {
        if (!options.empty())
            options += ',';
        options += escape(o, true);
    }
    return std::to_string(e.mount_id) + " " + std::to_string(e.parent_id) + " 0:0 " + escape(e.root, false) + " " +
           escape(e.mount_point, false) + " rw - " + escape(e.fstype, false) + " " + escape(e.source, false) + " " +
           options;
}

bool same(const cgfs::MountEntry& a, const cgfs::MountEntry& b)
{
    return a.mount_id == b.mount_id && a.parent_id == b.parent_id && a.root == b.root &&
           a.mount_point == b.mount_point && a.fstype == b.fstype && a.source == b.source &&
           a.super_options == b.super_options;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const cgfs::MountTable table = cgfs::parse_mountinfo(text);
    FUZZ_CHECK(table.entries.size() + table.skipped == fuzz::non_empty_lines(text));
    for (const auto& e : table.entries) {
        FUZZ_CHECK(!e.root.empty() && e.root[0] == '/');
        FUZZ_CHECK(!e.mount_point.empty() && e.mount_point[0] == '/');
        const cgfs::MountTable again = cgfs::parse_mountinfo(write_line(e));
        FUZZ_CHECK(again.skipped == 0 && again.entries.size() == 1);
        FUZZ_CHECK(same(again.entries[0], e));
    }
    FUZZ_CHECK(cgfs::covered_mounts(table.entries).size() == table.entries.size());
    FUZZ_CHECK(cgfs::unescape_mount_field(text).size() <= text.size());
    return 0;
}
