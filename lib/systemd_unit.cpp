// cgfs: systemd's cgroups for a user's logins (see systemd_unit.hpp).
#include "systemd_unit.hpp"

#include <cerrno>
#include <charconv>
#include <string>
#include <sys/xattr.h>
#include <vector>

namespace cgfs {

namespace {

std::vector<std::string_view> parts_of(std::string_view rel)
{
    std::vector<std::string_view> parts;
    while (!rel.empty()) {
        const std::size_t slash = rel.find('/');
        if (const std::string_view part = rel.substr(0, slash); !part.empty())
            parts.push_back(part);
        if (slash == std::string_view::npos)
            break;
        rel.remove_prefix(slash + 1);
    }
    return parts;
}

/// `text` is `prefix` + canonical decimal `uid` + `suffix` (systemd's "user-<uid>.slice",
/// "user@<uid>.service").
bool names_uid(std::string_view text, std::string_view prefix, std::string_view suffix, uid_t uid)
{
    if (text.size() <= prefix.size() + suffix.size() || text.substr(0, prefix.size()) != prefix ||
        text.substr(text.size() - suffix.size()) != suffix)
        return false;
    const std::string_view digits = text.substr(prefix.size(), text.size() - prefix.size() - suffix.size());
    if (digits.size() > 1 && digits[0] == '0')
        return false;
    unsigned long long value = 0;
    const auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    return ec == std::errc() && ptr == digits.data() + digits.size() && value == uid;
}

/// logind's scope of a session: "session-<id>.scope", the id non-empty (logind's ids are
/// decimal, "c<n>" for sessions without a seat, such as cron's).
bool is_session_scope(std::string_view name)
{
    constexpr std::string_view prefix = "session-";
    constexpr std::string_view suffix = ".scope";
    return name.size() > prefix.size() + suffix.size() && name.substr(0, prefix.size()) == prefix &&
           name.substr(name.size() - suffix.size()) == suffix;
}

Result<bool> xattr_is_one(int fd, const char* name)
{
    char value[8] = {};
    const ssize_t n = ::fgetxattr(fd, name, value, sizeof value);
    if (n < 0)
        return make_error(errno, std::string("fgetxattr ") + name);
    return n == 1 && value[0] == '1';
}

} // namespace

bool is_user_slice_of(std::string_view component, uid_t uid)
{
    return names_uid(component, "user-", ".slice", uid);
}

SystemdCgroup classify_systemd_cgroup(std::string_view cgroup, std::string_view base, uid_t uid)
{
    const auto rel = cgroup_relative(cgroup, base);
    if (!rel)
        return SystemdCgroup::foreign;
    const auto parts = parts_of(*rel);
    if (parts.size() < 3 || parts[0] != "user.slice" || !is_user_slice_of(parts[1], uid))
        return SystemdCgroup::foreign;
    if (parts.size() == 3 && is_session_scope(parts[2]))
        return SystemdCgroup::session_scope;
    if (parts.size() == 4 && is_session_scope(parts[2]) && parts[3] == "init.scope")
        return SystemdCgroup::session_leaf;
    if (parts.size() == 3 && names_uid(parts[2], "user@", ".service", uid))
        return SystemdCgroup::user_manager;
    return SystemdCgroup::other;
}

Result<bool> delegated_by_systemd(int fd)
{
    auto trusted = xattr_is_one(fd, kDelegateXattr);
    if (trusted.ok())
        return trusted;
    if (trusted.error().code == ENODATA)
        return false;
    if (trusted.error().code != EOPNOTSUPP)
        return trusted.error();
    auto user = xattr_is_one(fd, kUserDelegateXattr);
    if (!user.ok() && (user.error().code == ENODATA || user.error().code == EOPNOTSUPP))
        return false;
    return user;
}

bool in_own_user_manager(const Discovery& discovery, uid_t uid)
{
    for (const auto& h : discovery.hierarchies) {
        if (h.version != CgroupVersion::v2 && h.name != "systemd")
            continue;
        if (classify_systemd_cgroup(h.self_cgroup, base_cgroup(h), uid) == SystemdCgroup::user_manager)
            return true;
    }
    return false;
}

} // namespace cgfs
