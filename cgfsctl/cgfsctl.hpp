// cgfsctl: the administrator's view of cgfs sessions (man cgfsctl(8)): status, reap, check.
// A tool over lib/, like the PAM module: lib/ decides, these files only gather and print.
#pragma once

#include "hierarchy.hpp"

#include <optional>
#include <string>
#include <vector>

namespace cgfsctl {

/// Exit codes (cgfsctl(8) "EXIT STATUS").
inline constexpr int kExitOk = 0;
inline constexpr int kExitWarn = 1;   ///< check: the worst finding is WARN; status/reap: an error
inline constexpr int kExitFail = 2;   ///< check: the worst finding is FAIL
inline constexpr int kExitUsage = 64; ///< bad arguments (sysexits.h EX_USAGE)

struct Args {
    std::optional<std::string> user;
    bool json = false;
    bool dry_run = false;
};

int status(const Args& args);
int reap(const Args& args);
int check(const Args& args);

/// "<user>" for a uid, or the number when the user database has no name for it.
std::string user_of(uid_t uid);

/// The path of cgroup `cgroup` below the mount of `h`, opened; nullopt when it does not exist
/// or lies outside the mount.
std::optional<cgfs::UniqueFd> open_cgroup(const cgfs::Hierarchy& h, const std::string& cgroup);

/// The users to look at below the open BASE/user at `user_fd`: the one named in `args`, else
/// every subdirectory, sorted.
std::vector<std::string> user_names(int user_fd, const Args& args);

/// "freezer (cgroup v1)" / "unified (cgroup2)".
std::string describe(const cgfs::Hierarchy& h);

} // namespace cgfsctl
