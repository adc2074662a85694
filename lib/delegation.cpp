// cgfs: delegation of one cgroup directory (see delegation.hpp).
#include "delegation.hpp"

#include "fs.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>

namespace cgfs {

namespace {

bool plausible_kernel_file(std::string_view name)
{
    const std::size_t dot = name.find('.');
    return !name.empty() && name.find('/') == std::string_view::npos && dot != std::string_view::npos && dot > 0 &&
           dot + 1 < name.size();
}

} // namespace

std::vector<std::string> delegated_files(CgroupVersion version, std::string_view kernel_list)
{
    if (version == CgroupVersion::v1)
        return {"tasks", "cgroup.procs"};
    std::vector<std::string> files;
    while (!kernel_list.empty()) {
        const std::size_t newline = kernel_list.find('\n');
        const std::string_view line = kernel_list.substr(0, newline);
        if (plausible_kernel_file(line))
            files.emplace_back(line);
        if (newline == std::string_view::npos)
            break;
        kernel_list.remove_prefix(newline + 1);
    }
    if (files.empty())
        files = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control"};
    return files;
}

std::vector<std::string> user_dir_files(CgroupVersion version)
{
    if (version == CgroupVersion::v1)
        return {};
    return {"cgroup.procs"};
}

Result<void> give_files(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid)
{
    for (const auto& file : files) {
        struct stat st {};
        if (::fstatat(dir_fd, file.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue;
            return make_error(errno, "stat " + file);
        }
        if (st.st_uid == uid && st.st_gid == gid)
            continue;
        if (auto done = fs::chown_at(dir_fd, file, uid, gid); !done.ok())
            return done;
    }
    return {};
}

Result<void> delegate_cgroup(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid,
                             std::vector<OwnerChange>& changes)
{
    const auto change = [&](const std::string& file) -> Result<void> {
        struct stat st {};
        const int flags = file.empty() ? AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW : AT_SYMLINK_NOFOLLOW;
        if (::fstatat(dir_fd, file.c_str(), &st, flags) != 0) {
            if (errno == ENOENT && !file.empty())
                return {};
            return make_error(errno, "stat " + (file.empty() ? std::string(".") : file));
        }
        if (st.st_uid == uid && st.st_gid == gid)
            return {};
        auto done = fs::chown_at(dir_fd, file, uid, gid);
        if (!done.ok())
            return done;
        changes.push_back(OwnerChange{file, st.st_uid, st.st_gid});
        return {};
    };
    for (const auto& file : files)
        if (auto r = change(file); !r.ok())
            return r;
    return change(std::string());
}

Result<void> delegate_new_cgroup(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid)
{
    for (const auto& file : files)
        if (auto done = fs::chown_at(dir_fd, file, uid, gid); !done.ok() && done.error().code != ENOENT)
            return done;
    return fs::chown_at(dir_fd, std::string_view(), uid, gid);
}

} // namespace cgfs
