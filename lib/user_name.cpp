// cgfs: user name validation (see user_name.hpp).
#include "user_name.hpp"

#include "escape.hpp"

#include <algorithm>
#include <cerrno>
#include <climits>
#include <string>

namespace cgfs {

namespace {

/// Every controller name the kernel has (v1 and v2), plus the "cgroup" core prefix; a file
/// "<prefix>.<anything>" can appear in a cgroup directory.
constexpr std::string_view kKernelPrefixes[] = {
    "cgroup", "cpu", "cpuacct",    "cpuset",  "memory", "devices", "freezer", "net_cls", "net_prio",
    "blkio",  "io",  "perf_event", "hugetlb", "pids",   "rdma",    "misc",    "debug",   "dmem",
    "irq", // irq.pressure (PSI), not a controller but a file in every cgroup2 directory
};

constexpr std::string_view kKernelFiles[] = {"tasks", "notify_on_release", "release_agent"};

} // namespace

Result<void> validate_user_name(std::string_view name)
{
    if (name.empty())
        return make_error(EINVAL, "user name is empty");
    if (name == "." || name == "..")
        return make_error(EINVAL, "user name '" + std::string(name) + "' is not a directory name");
    if (name.size() > NAME_MAX)
        return make_error(EINVAL, "user name is longer than " + std::to_string(NAME_MAX) + " bytes");
    for (const char c : name) {
        const auto byte = static_cast<unsigned char>(c);
        if (c == '/')
            return make_error(EINVAL, "user name contains '/'");
        if (byte < 0x20 || byte == 0x7f)
            return make_error(EINVAL, "user name contains a control character");
    }
    // A name that the logs would have to escape (C1 controls such as CSI, bytes that are not
    // UTF-8) reaches ls, /proc/<pid>/cgroup and terminals raw once it is a directory name.
    if (escape_control(name) != name)
        return make_error(EINVAL, "user name contains a C1 control character or bytes that are not UTF-8");
    if (std::find(std::begin(kKernelFiles), std::end(kKernelFiles), name) != std::end(kKernelFiles))
        return make_error(EINVAL, "user name '" + std::string(name) + "' is a cgroup kernel file name");
    const std::size_t dot = name.find('.');
    if (dot != std::string_view::npos) {
        const std::string_view prefix = name.substr(0, dot);
        if (std::find(std::begin(kKernelPrefixes), std::end(kKernelPrefixes), prefix) != std::end(kKernelPrefixes))
            return make_error(EINVAL, "user name '" + std::string(name) + "' collides with cgroup kernel files");
    }
    return {};
}

} // namespace cgfs
