// libFuzzer target for lib/proc_cgroup (parse_proc_cgroup). Invariants beyond not crashing:
// every non-empty line is a parsed line or counted as skipped; paths are absolute; no
// controller is empty or a "name=" entry; and each parsed line, written back as
// "id:controllers,name=X:path (deleted)", parses to the same line (the parser splits on the first
// two colons only and drops one " (deleted)" suffix, cgroups(7)).
#include "fuzz_check.hpp"
#include "proc_cgroup.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace {

std::string write_line(const cgfs::CgroupLine& l)
{
    std::string list;
    for (const auto& c : l.controllers) {
        if (!list.empty())
            list += ',';
        list += c;
    }
    if (!l.name.empty())
        list += (list.empty() ? "" : ",") + std::string("name=") + l.name;
    return std::to_string(l.hierarchy_id) + ":" + list + ":" + l.path + " (deleted)";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const cgfs::CgroupTable table = cgfs::parse_proc_cgroup(text);
    FUZZ_CHECK(table.lines.size() + table.skipped == fuzz::non_empty_lines(text));
    for (const auto& l : table.lines) {
        FUZZ_CHECK(!l.path.empty() && l.path[0] == '/');
        for (const auto& c : l.controllers) {
            FUZZ_CHECK(!c.empty());
            FUZZ_CHECK(c.rfind("name=", 0) != 0);
            FUZZ_CHECK(c.find(',') == std::string::npos && c.find(':') == std::string::npos);
        }
        const cgfs::CgroupTable again = cgfs::parse_proc_cgroup(write_line(l));
        FUZZ_CHECK(again.skipped == 0 && again.lines.size() == 1);
        const cgfs::CgroupLine& r = again.lines[0];
        FUZZ_CHECK(r.hierarchy_id == l.hierarchy_id && r.controllers == l.controllers && r.name == l.name &&
                   r.path == l.path);
        FUZZ_CHECK(r.is_unified() == l.is_unified());
    }
    return 0;
}
