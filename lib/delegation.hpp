// cgfs: handing a cgroup to a user. The directory and exactly the kernel's delegation files are
// chowned (cgroup-v2.rst "Delegation Containment" and /sys/kernel/cgroup/delegate; v1: tasks and
// cgroup.procs, cgroup-v1/cgroups.rst §2.1); every other file stays root's, so limits on
// user/<name> bind all of the user's sessions.
#pragma once

#include "hierarchy.hpp"
#include "result.hpp"

#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace cgfs {

/// The kernel's list of files to delegate on cgroup2.
inline constexpr const char* kKernelDelegateList = "/sys/kernel/cgroup/delegate";

/// The files (besides the directory) that delegation chowns. v1: "tasks", "cgroup.procs".
/// cgroup2: the names in `kernel_list` (text of /sys/kernel/cgroup/delegate, one per line; names
/// that are not single "prefix.suffix" components are ignored), or, when that yields none,
/// "cgroup.procs", "cgroup.threads", "cgroup.subtree_control".
[[nodiscard]] std::vector<std::string> delegated_files(CgroupVersion version, std::string_view kernel_list);

/// The files of BASE/user/<name> that are the user's; the directory itself and every other file
/// stay root's (pam_cgfs(8) THREAT MODEL: nothing a user creates may block an operation for
/// another user or the administrator, and she cannot create entries in a root-owned directory).
/// cgroup2: "cgroup.procs", which moving a process between two of her sessions needs (cgroup-v2.rst
/// "Delegation Containment": write access to cgroup.procs of the common ancestor). v1: none (a
/// move checks only write access to the destination's tasks or cgroup.procs and the process's
/// uid, cgroup-v1/cgroups.rst).
[[nodiscard]] std::vector<std::string> user_dir_files(CgroupVersion version);

/// One owner change: which file delegation chowned, and from whom. Delegation is never undone:
/// what is chowned is the user's own cgroup, and a concurrent login of the same user may already
/// rely on it (a failed open that handed it back to root would break that session).
struct OwnerChange {
    std::string file; ///< "" for the directory itself
    uid_t old_uid = 0;
    gid_t old_gid = 0;
};

/// Chowns the directory `dir_fd` and each of `files` in it (AT_SYMLINK_NOFOLLOW) to uid:gid.
/// Files that do not exist are skipped (memory.* exist only where memory is enabled). Appends
/// each change made to `changes` (also on error). Errors: errno and the file.
Result<void> delegate_cgroup(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid,
                             std::vector<OwnerChange>& changes);

/// Chowns each of `files` in the directory `dir_fd` (AT_SYMLINK_NOFOLLOW) to uid:gid where its
/// owner differs (one fstatat(2) each); the directory itself is not touched. Files that do not
/// exist are skipped. Errors: errno and the file.
Result<void> give_files(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid);

/// delegate_cgroup for a cgroup this call has just created (so root's, as the kernel made its
/// files): chowns the directory and each of `files` without looking first, one fchownat(2) each,
/// and records nothing. Files that do not exist are skipped. Errors: errno and the file.
Result<void> delegate_new_cgroup(int dir_fd, const std::vector<std::string>& files, uid_t uid, gid_t gid);

} // namespace cgfs
