// cgfs: v1 cpuset initialisation (see cpuset.hpp).
#include "cpuset.hpp"

#include "fs.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>

namespace cgfs {

namespace {

std::string_view trim(std::string_view text)
{
    while (!text.empty() && (text.back() == '\n' || text.back() == ' '))
        text.remove_suffix(1);
    while (!text.empty() && (text.front() == '\n' || text.front() == ' '))
        text.remove_prefix(1);
    return text;
}

bool parse_cpu(std::string_view text, unsigned& out)
{
    if (text.empty())
        return false;
    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size() && out <= kMaxCpuNumber;
}

/// Copies `file` from parent to child when the child's is empty; `value` rewrites the parent's.
Result<void> inherit(int parent_fd, int child_fd, std::string_view file, const std::vector<unsigned>* isolated)
{
    auto mine = fs::read_at(child_fd, file);
    if (!mine.ok())
        return mine.error();
    if (!trim(mine.value()).empty())
        return {};
    auto parents = fs::read_at(parent_fd, file);
    if (!parents.ok())
        return parents.error();
    std::string value(trim(parents.value()));
    if (isolated != nullptr && !isolated->empty()) {
        if (auto cpus = parse_cpu_list(value)) {
            std::vector<unsigned> kept;
            std::set_difference(cpus->begin(), cpus->end(), isolated->begin(), isolated->end(),
                                std::back_inserter(kept));
            if (!kept.empty())
                value = format_cpu_list(kept);
        }
    }
    if (value.empty())
        return make_error(ENOSPC, std::string(file) + ": the parent's is empty");
    return fs::write_at(child_fd, file, value);
}

} // namespace

std::optional<std::vector<unsigned>> parse_cpu_list(std::string_view text)
{
    text = trim(text);
    std::vector<unsigned> cpus;
    while (!text.empty()) {
        const std::size_t comma = text.find(',');
        const std::string_view item = text.substr(0, comma);
        const std::size_t dash = item.find('-');
        unsigned first = 0;
        unsigned last = 0;
        if (dash == std::string_view::npos) {
            if (!parse_cpu(item, first))
                return std::nullopt;
            last = first;
        } else if (!parse_cpu(item.substr(0, dash), first) || !parse_cpu(item.substr(dash + 1), last) || last < first) {
            return std::nullopt;
        }
        for (unsigned cpu = first; cpu <= last; ++cpu)
            cpus.push_back(cpu);
        if (comma == std::string_view::npos)
            break;
        text.remove_prefix(comma + 1);
        if (text.empty())
            return std::nullopt; // trailing comma
    }
    std::sort(cpus.begin(), cpus.end());
    cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
    return cpus;
}

std::string format_cpu_list(const std::vector<unsigned>& cpus)
{
    std::string out;
    for (std::size_t i = 0; i < cpus.size();) {
        std::size_t j = i;
        while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
            ++j;
        if (!out.empty())
            out += ',';
        out += std::to_string(cpus[i]);
        if (j > i) {
            out += '-';
            out += std::to_string(cpus[j]);
        }
        i = j + 1;
    }
    return out;
}

Result<void> init_cpuset(int parent_fd, int child_fd, const std::vector<unsigned>& isolated, bool created)
{
    if (auto cpus = inherit(parent_fd, child_fd, "cpuset.cpus", &isolated); !cpus.ok())
        return cpus;
    if (auto mems = inherit(parent_fd, child_fd, "cpuset.mems", nullptr); !mems.ok())
        return mems;
    if (created)
        return fs::write_at(child_fd, "cgroup.clone_children", "1");
    return {};
}

} // namespace cgfs
