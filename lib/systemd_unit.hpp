// cgfs: the cgroups systemd makes for a user's logins (systemd.special(7) user.slice, logind's
// session-<id>.scope, user@<uid>.service) and whether systemd delegated one (systemd's
// docs/CGROUP_DELEGATION.md: Delegate=yes is marked with the trusted.delegate xattr).
#pragma once

#include "hierarchy.hpp"
#include "result.hpp"

#include <string_view>
#include <sys/types.h>

namespace cgfs {

/// The xattr systemd sets to "1" on the cgroup of every unit with Delegate=yes (systemd v240 and
/// later), and the one it sets beside it from v251 on, which the cgroup's owner may change.
inline constexpr const char* kDelegateXattr = "trusted.delegate";
inline constexpr const char* kUserDelegateXattr = "user.delegate";
/// The PAM service of systemd's user manager (user@.service: PAMName=systemd-user).
inline constexpr std::string_view kUserManagerService = "systemd-user";

/// Where a cgroup lies in a user's systemd slice, for uid `uid` below BASE `base`.
enum class SystemdCgroup {
    foreign,       ///< not at or below BASE/user.slice/user-<uid>.slice/<unit> of this uid
    session_scope, ///< exactly BASE/user.slice/user-<uid>.slice/session-<id>.scope (logind)
    session_leaf,  ///< exactly <session scope>/init.scope (where pam_cgfs moves a login)
    user_manager,  ///< exactly BASE/user.slice/user-<uid>.slice/user@<uid>.service
    other,         ///< anything else below the slice (a user service, a deeper cgroup)
};

/// True when the cgroup name `component` is systemd's slice of `uid`: "user-<uid>.slice" with the
/// uid in canonical decimal (systemd.special(7) user.slice). Pure.
[[nodiscard]] bool is_user_slice_of(std::string_view component, uid_t uid);

/// Classifies the namespace-relative cgroup `cgroup` (pure; the uid is compared as a number,
/// and the match is anchored at `base`, below which only root creates cgroups).
[[nodiscard]] SystemdCgroup classify_systemd_cgroup(std::string_view cgroup, std::string_view base, uid_t uid);

/// True when systemd marked the cgroup directory `fd` as delegated: kDelegateXattr reads "1"; on a
/// kernel without trusted xattrs on cgroups (EOPNOTSUPP), kUserDelegateXattr is asked instead.
/// A missing xattr is false. Errors: errno of fgetxattr(2) other than ENODATA/EOPNOTSUPP.
[[nodiscard]] Result<bool> delegated_by_systemd(int fd);

/// True when the caller sits in the cgroup of its own user manager (user_manager above) in a
/// hierarchy systemd tracks processes in (cgroup2, or v1 name=systemd): the PAM session of
/// user@<uid>.service is opened from there.
[[nodiscard]] bool in_own_user_manager(const Discovery& discovery, uid_t uid);

} // namespace cgfs
